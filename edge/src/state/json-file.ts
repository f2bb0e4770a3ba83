/**
 * Reading the edge's and the Node client's JSON state files: one place that tells a
 * missing file (a first start) from an unreadable or corrupt one (never silently replaced).
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  constructor(
    readonly path: string,
    /** `unreadable`: permissions or I/O; `corrupt`: not JSON, or not the expected shape. */
    readonly problem: 'unreadable' | 'corrupt',
    /** Short reason for messages: an errno code, "not JSON", or the invalid field. */
    readonly detail: string,
  ) {
    super(`${path} is ${problem} (${detail})`);
  }
}

/** The validated content of a JSON file; undefined when the file does not exist. */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StateFileError(path, 'unreadable', code ?? String(error));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StateFileError(path, 'corrupt', 'not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') || 'content';
    throw new StateFileError(path, 'corrupt', `${field} invalid`);
  }
  return parsed.data;
}
