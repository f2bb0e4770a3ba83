/**
 * Request path checks. A client never names a host, and must not climb out of a route's
 * prefix with dot segments or with encodings an upstream might decode into them.
 */

/** Encoded `.`, `/`, `\` and NUL: an upstream that decodes them could see `..` or a new segment. */
const ENCODED_TRICK = /%(2e|2f|5c|00)/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/;

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Validates a request path (without query) and collapses repeated slashes.
 * Refuses dot segments, backslashes, control characters and encoded separators or dots.
 */
export function checkPath(rawPath: string): PathCheck {
  if (!rawPath.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  if (rawPath.includes('\\')) return { ok: false, reason: 'backslashes are not allowed in paths' };
  if (CONTROL.test(rawPath)) return { ok: false, reason: 'control characters are not allowed' };
  if (ENCODED_TRICK.test(rawPath)) {
    return { ok: false, reason: 'encoded dots, slashes, backslashes and NUL are not allowed' };
  }
  const path = rawPath.replace(/\/{2,}/g, '/');
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
    return { ok: false, reason: 'dot segments (. and ..) are not allowed' };
  }
  return { ok: true, path };
}

/** True when `path` is `prefix` or lies below it on a segment boundary. */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}
