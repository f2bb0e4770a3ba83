/** The agent's version, read from its package.json (two levels up from src/ and dist/). */
import { readFileSync } from 'node:fs';

export function agentVersion(): string {
  try {
    const url = new URL('../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
