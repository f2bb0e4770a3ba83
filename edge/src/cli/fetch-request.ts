/** Turns curl-style options (-X, -H, -d) into fetch arguments. */
import { createReadStream, fstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface FetchFlags {
  request?: string;
  header?: string[];
  data?: string;
}

/** A usage mistake: printed as is, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'PeerFetchUsageError';
}

export function parseHeaders(lines: readonly string[] = []): Headers {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`header "${line}" must look like "Name: value"`);
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      throw new UsageError(`header "${line}" is not a valid HTTP header`);
    }
  }
  return headers;
}

/**
 * `-d @file` streams a file (`@-` reads stdin); any other value is sent as is. Every body
 * whose length is known up front (a value, a file, stdin redirected from a file) carries it
 * in `content-length`, so the upstream gets it unchunked; only a pipe streams without one.
 */
async function bodyOf(data: string | undefined, headers: Headers): Promise<RequestInit['body']> {
  if (data === undefined) return undefined;
  if (!data.startsWith('@')) {
    setLength(headers, new TextEncoder().encode(data).byteLength);
    return data;
  }
  const path = data.slice(1);
  if (path === '-') {
    const stdin = fstatSync(0);
    if (stdin.isFile()) setLength(headers, stdin.size);
    return Readable.toWeb(process.stdin) as unknown as ReadableStream<Uint8Array>;
  }
  try {
    setLength(headers, (await stat(path)).size);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
}

/** A length given with -H is left as it is. */
function setLength(headers: Headers, size: number): void {
  if (!headers.has('content-length')) headers.set('content-length', String(size));
}

export async function buildRequestInit(flags: FetchFlags): Promise<RequestInit> {
  const headers = parseHeaders(flags.header);
  const body = await bodyOf(flags.data, headers);
  const method = (flags.request ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
  if ((method === 'GET' || method === 'HEAD') && body !== undefined) {
    throw new UsageError(`${method} requests cannot carry a body (-d)`);
  }
  return { method, headers, body, duplex: 'half' } as RequestInit;
}
