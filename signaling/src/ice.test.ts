import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { iceServersFor, turnCredential } from './ice.js';

const stun = ['stun:stun.example.org:3478'];
const turn = ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'];

describe('iceServersFor', () => {
  it('gives only STUN without a TURN secret', () => {
    const result = iceServersFor(
      { stunUrls: stun, turnUrls: [], turnSecret: undefined, turnTtlSeconds: 600 },
      'p',
      0,
    );
    expect(result).toEqual({ iceServers: [{ urls: stun }] });
  });

  it('gives nothing when nothing is configured', () => {
    expect(
      iceServersFor(
        { stunUrls: [], turnUrls: [], turnSecret: undefined, turnTtlSeconds: 600 },
        'p',
        0,
      ),
    ).toEqual({ iceServers: [] });
  });

  it('gives TURN credentials that expire after the TTL and verify against the secret', () => {
    const secret = 'coturn-shared-secret-123';
    const now = Date.UTC(2026, 5, 1, 12, 0, 0);
    const { iceServers: servers, expiresAt } = iceServersFor(
      { stunUrls: stun, turnUrls: turn, turnSecret: secret, turnTtlSeconds: 3600 },
      'peer1',
      now,
    );
    expect(expiresAt).toBe(now + 3600_000);
    expect(servers).toHaveLength(2);
    const relay = servers[1]!;
    expect(relay.urls).toEqual(turn);
    expect(relay.username).toBe(`${now / 1000 + 3600}:peer1`);
    const expected = createHmac('sha1', secret).update(relay.username!).digest('base64');
    expect(relay.credential).toBe(expected);
    expect(turnCredential('another-secret-12345', relay.username!)).not.toBe(expected);
  });
});
