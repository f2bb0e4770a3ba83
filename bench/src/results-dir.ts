import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where every scenario writes its figures: bench/results, beside the suite (git-ignored). */
export const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../results');
