/**
 * Which network a client address belongs to, and the room id of that network. Devices behind
 * one public IPv4 address share it; IPv6 gives every device its own address, so IPv6 groups by
 * the /64 prefix (the size of one LAN), computed on the fully expanded address.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';

// ipaddr.js is CommonJS behind an ambient `export =` declaration that TypeScript will not
// default-import without allowSyntheticDefaultImports; require() it instead.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof import('ipaddr.js');

/** Thrown for an address that is not a valid IPv4 or IPv6 address. */
export class InvalidAddressError extends Error {
  override readonly name = 'PeerFetchInvalidAddressError';
}

/** IPv6 groups whose addresses share one network: 4 groups of 16 bits = the /64 prefix. */
const IPV6_NETWORK_GROUPS = 4;

/**
 * The network key of `address`: dotted IPv4 (`203.0.113.7`), IPv4-mapped IPv6 as its IPv4,
 * IPv6 as its expanded /64 (`2001:0db8:0000:0001::/64`). Zone ids (`%eth0`) are ignored.
 */
export function networkKey(address: string): string {
  const text = address.trim();
  // Only canonical dotted-quad IPv4: ipaddr.js would also read legacy forms such as "0x7f.1".
  const isIPv4 = ipaddr.IPv4.isValidFourPartDecimal(text);
  if (!isIPv4 && !ipaddr.IPv6.isValid(text)) {
    throw new InvalidAddressError(`not an IP address: ${JSON.stringify(address.slice(0, 64))}`);
  }
  if (isIPv4) return ipaddr.IPv4.parse(text).toString();
  const ipv6 = ipaddr.IPv6.parse(text);
  if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address().toString();
  const groups = ipv6.parts
    .slice(0, IPV6_NETWORK_GROUPS)
    .map((part) => part.toString(16).padStart(4, '0'));
  return `${groups.join(':')}::/64`;
}

/** Room id for a network key: HMAC-SHA256 under the server's secret, base64url (43 chars). */
export function roomIdFor(secret: string, key: string): string {
  return createHmac('sha256', secret).update(key).digest('base64url');
}
