/** The user typed something that is not an http(s) URL. */
export class InvalidSignalingUrlError extends Error {
  override readonly name = 'InvalidSignalingUrlError';
}

/**
 * Parses a signaling server URL as the user typed it. A missing scheme means https (what
 * phones need); query and fragment are dropped; the path is kept as a prefix.
 */
export function parseSignalingUrl(input: string): URL {
  const trimmed = input.trim();
  if (trimmed === '')
    throw new InvalidSignalingUrlError('Enter the address of a signaling server.');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidSignalingUrlError(
      `"${trimmed}" is not a web address. Try something like https://signal.example.org`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidSignalingUrlError(
      `Use an http:// or https:// address, not ${url.protocol}//.`,
    );
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** The default signaling server: the origin (and folder) the app itself was served from. */
export function defaultSignalingUrl(location: { href: string }): string {
  const url = new URL('./', location.href);
  url.search = '';
  url.hash = '';
  return url.origin + (url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''));
}
