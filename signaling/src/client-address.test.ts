import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressResolver } from './client-address.js';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress },
    connection: { remoteAddress },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  } as unknown as IncomingMessage;
}

describe('clientAddressResolver', () => {
  it('uses the socket address and ignores X-Forwarded-For when no proxy is trusted', () => {
    const addressOf = clientAddressResolver(false);
    expect(addressOf(request('203.0.113.5', '198.51.100.1'))).toBe('203.0.113.5');
  });

  it('reads X-Forwarded-For only through trusted hops', () => {
    const addressOf = clientAddressResolver(['loopback']);
    expect(addressOf(request('127.0.0.1', '198.51.100.9, 198.51.100.1'))).toBe('198.51.100.1');
    expect(addressOf(request('203.0.113.5', '198.51.100.1'))).toBe('203.0.113.5');
  });

  it('counts hops like express', () => {
    expect(clientAddressResolver(2)(request('10.0.0.2', '198.51.100.9, 10.0.0.1'))).toBe(
      '198.51.100.9',
    );
    expect(clientAddressResolver(1)(request('10.0.0.2', '198.51.100.9, 10.0.0.1'))).toBe(
      '10.0.0.1',
    );
    expect(clientAddressResolver(true)(request('10.0.0.2', '198.51.100.9, 10.0.0.1'))).toBe(
      '198.51.100.9',
    );
  });
});
