/**
 * The app's device fetch decodes gzip, deflate and br bodies as a browser's fetch() does, and
 * keeps `content-encoding` and `content-length` as the server sent them. A response a service
 * worker makes is handed to the page as it is, never decoded again, so on the bridge those
 * two headers would describe bytes that are not there: they are dropped when the body was
 * decoded. The formats follow shared/src/fetch/decode-body.ts.
 */
const FORMATS: Record<string, readonly string[]> = {
  gzip: ['gzip'],
  'x-gzip': ['gzip'],
  deflate: ['deflate'],
  br: ['brotli', 'br'],
};

function canDecode(coding: string): boolean {
  if (typeof DecompressionStream === 'undefined') return false;
  return (FORMATS[coding] ?? []).some((format) => {
    try {
      new DecompressionStream(format as CompressionFormat);
      return true;
    } catch {
      return false;
    }
  });
}

/** The headers a bridge answer carries for `headers` of a response whose body was decoded. */
export function bridgeHeaders(headers: Headers): [string, string][] {
  const list = [...headers];
  const codings = (headers.get('content-encoding') ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  if (codings.length === 0 || !codings.every(canDecode)) return list;
  return list.filter(([name]) => name !== 'content-encoding' && name !== 'content-length');
}
