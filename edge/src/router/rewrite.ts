/**
 * Keeps an upstream's redirects and cookies inside its route, as nginx's `proxy_redirect`
 * and `proxy_cookie_path` do. The upstream thinks it lives at its base URL; the client sees
 * it below the route prefix, and has no way to reach the upstream's own address.
 */

export interface RouteMount {
  /** The route prefix the client uses: `/` or `/name[/sub]`. */
  prefix: string;
  /** The upstream's origin and base path without a trailing slash (`http://127.0.0.1:8080/api`). */
  upstream: string;
}

/**
 * The client's path for an upstream path or URL, or undefined when it lies outside the
 * upstream's base (another origin, or above the base path): nothing in the route maps to it.
 */
function clientPath(target: URL, mount: RouteMount): string | undefined {
  const base = new URL(mount.upstream);
  if (target.origin !== base.origin) return undefined;
  const basePath = base.pathname.replace(/\/+$/, '');
  const path = target.pathname;
  if (basePath && path !== basePath && !path.startsWith(`${basePath}/`)) return undefined;
  const below = path.slice(basePath.length) || '/';
  return mount.prefix === '/' ? below : mount.prefix + below;
}

/**
 * A `Location` (or `Content-Location`) as the client must follow it. Relative references are
 * resolved against the upstream URL the request went to; one that lands on the upstream
 * (its own origin, within its base path) becomes an absolute path under the route prefix,
 * keeping query and fragment. Anything else (another site) is left as it was.
 */
export function rewriteLocation(value: string, requested: URL, mount: RouteMount): string {
  let target: URL;
  try {
    target = new URL(value, requested);
  } catch {
    return value;
  }
  const path = clientPath(target, mount);
  return path === undefined ? value : path + target.search + target.hash;
}

/**
 * A `Set-Cookie` whose `Path` is mapped into the route prefix, so the cookie is sent back on
 * the route's requests and not on the edge's other routes. A cookie without a Path defaults
 * to the directory of the path the client asked for, which is already inside the route.
 */
export function rewriteSetCookie(value: string, mount: RouteMount): string {
  return value.replace(/(;\s*path\s*=\s*)([^;]*)/gi, (whole, lead: string, path: string) => {
    const trimmed = path.trim();
    if (!trimmed.startsWith('/')) return whole;
    const mapped = clientPath(new URL(trimmed, mount.upstream), mount);
    if (mapped === undefined) return whole;
    // `Path=/` maps to `/hb`, not `/hb/`, which would not match the route's own root.
    return lead + (mapped === `${mount.prefix}/` ? mount.prefix : mapped);
  });
}

/** The answer's headers with Location, Content-Location and Set-Cookie mapped into the route. */
export function rewriteHeaders(headers: Headers, requested: URL, mount: RouteMount): Headers {
  for (const name of ['location', 'content-location']) {
    const value = headers.get(name);
    if (value !== null) headers.set(name, rewriteLocation(value, requested, mount));
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) {
    headers.delete('set-cookie');
    for (const cookie of cookies) headers.append('set-cookie', rewriteSetCookie(cookie, mount));
  }
  return headers;
}
