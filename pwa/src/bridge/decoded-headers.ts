/**
 * The app's device fetch decodes gzip, deflate and br bodies as a browser's fetch() does, and
 * keeps `content-encoding` and `content-length` as the server sent them. A response a service
 * worker makes is handed to the page as it is, never decoded again, so on the bridge those
 * two headers would describe bytes that are not there: they are dropped when the body was
 * decoded.
 */
import { decodesContentEncoding } from '@peerfetch/shared';

/** The headers a bridge answer carries for `headers` of a response whose body was decoded. */
export function bridgeHeaders(headers: Headers): [string, string][] {
  const list = [...headers];
  if (!decodesContentEncoding(headers.get('content-encoding') ?? undefined)) return list;
  return list.filter(([name]) => name !== 'content-encoding' && name !== 'content-length');
}
