/**
 * The client address of a raw request (a WebSocket upgrade), with the same `trust proxy`
 * rules express applies to `req.ip`: X-Forwarded-For is read only through trusted hops.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from './config.js';

export type AddressOf = (req: IncomingMessage) => string;

export function clientAddressResolver(trustProxy: TrustProxy): AddressOf {
  const trust =
    typeof trustProxy === 'boolean'
      ? () => trustProxy
      : typeof trustProxy === 'number'
        ? (_address: string, hop: number) => hop < trustProxy
        : proxyaddr.compile(trustProxy);
  return (req) => proxyaddr(req, trust);
}
