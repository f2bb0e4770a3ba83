/**
 * Request path checks. A client never names a host, and must not climb out of a route's
 * prefix with dot segments or with encodings an upstream might decode into them.
 */

/** Encoded `.`, `\` and NUL: an upstream that decodes them could see `..` or a new segment. */
const ENCODED_TRICK = /%(2e|5c|00)/i;
/** An encoded `/`: a separator to an upstream that decodes it, so refused unless a route allows it. */
const ENCODED_SLASH = /%2f/i;
/** Where an upstream may split segments: at `/`, and at `%2F` if it decodes before splitting. */
const SEPARATORS = /\/|%2f/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/;

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

export const ENCODED_SLASH_REFUSED = 'encoded slashes (%2F) are not allowed on this route';

/**
 * Validates a request path (without query) and collapses repeated slashes. Refuses dot
 * segments, backslashes, control characters and encoded dots, backslashes or NUL; encoded
 * slashes too unless `encodedSlashes`. Dot segments are looked for between `%2F`s as well,
 * so a path an upstream decodes before splitting cannot climb out either.
 */
export function checkPath(rawPath: string, encodedSlashes = false): PathCheck {
  if (!rawPath.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  if (rawPath.includes('\\')) return { ok: false, reason: 'backslashes are not allowed in paths' };
  if (CONTROL.test(rawPath)) return { ok: false, reason: 'control characters are not allowed' };
  if (ENCODED_TRICK.test(rawPath)) {
    return { ok: false, reason: 'encoded dots, backslashes and NUL are not allowed' };
  }
  if (!encodedSlashes && hasEncodedSlash(rawPath))
    return { ok: false, reason: ENCODED_SLASH_REFUSED };
  const path = rawPath.replace(/\/{2,}/g, '/');
  if (path.split(SEPARATORS).some((segment) => segment === '.' || segment === '..')) {
    return { ok: false, reason: 'dot segments (. and ..) are not allowed' };
  }
  return { ok: true, path };
}

export function hasEncodedSlash(path: string): boolean {
  return ENCODED_SLASH.test(path);
}

/** True when `path` is `prefix` or lies below it on a segment boundary. */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}
