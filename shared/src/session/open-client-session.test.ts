import { createMemoryChannelPair } from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DataChannelLike } from '../channel.js';
import { MIN_FRAME_SIZE } from '../constants.js';
import { channelBinding } from '../pairing/binding.js';
import { edgeAuthenticator } from '../pairing/edge-authenticator.js';
import {
  type ClientSessionOptions,
  NoSessionDescriptionError,
  openClientSession,
} from './open-client-session.js';
import type { PeerFetchSession } from './session.js';
import { openSession } from './session.js';

const PHONE_SDP = 'v=0\r\na=fingerprint:sha-256 aa:aa\r\n';
const EDGE_SDP = 'v=0\r\na=fingerprint:sha-256 BB:BB\r\n';
const CODE = '493027';

const open: PeerFetchSession[] = [];
afterEach(async () => {
  const sessions = open.splice(0);
  for (const session of sessions) session.close();
  await Promise.all(sessions.map((s) => s.closed));
});

/** An edge on the other end of an in-memory channel, pairing with CODE. */
function pairingEdge(clientSdp: string) {
  const [phone, edge] = createMemoryChannelPair();
  const completed: Array<{ id: string; name: string }> = [];
  const server = openSession(edge, {
    role: 'server',
    maxMessageSize: edge.maxMessageSize,
    authenticate: edgeAuthenticator({
      binding: channelBinding('server', {
        localId: 'edge-1',
        remoteId: 'phone-1',
        localSdp: EDGE_SDP,
        remoteSdp: clientSdp,
      }),
      edgeName: 'Garage Pi',
      findClientKey: async () => undefined,
      pairing: {
        beginAttempt: () => CODE,
        complete: async ({ id, name }) => {
          completed.push({ id, name });
        },
      },
    }),
  });
  open.push(server);
  return { phone, completed };
}

function options(channel: DataChannelLike, more: Partial<ClientSessionOptions> = {}) {
  return {
    channel,
    localSdp: PHONE_SDP,
    remoteSdp: EDGE_SDP,
    maxMessageSize: 256 * 1024,
    clientId: 'phone-1',
    deviceId: 'edge-1',
    clientName: 'Test phone',
    credentials: { pairingCode: CODE, onPaired: () => {} },
    ...more,
  } satisfies ClientSessionOptions;
}

describe('openClientSession', () => {
  it('pairs over a session bound to both fingerprints, with the settings given', async () => {
    const { phone, completed } = pairingEdge(PHONE_SDP);
    let key: Uint8Array | undefined;
    const session = openClientSession(
      options(phone, {
        credentials: {
          pairingCode: CODE,
          onPaired: (result) => {
            key = result.key;
          },
        },
        sessionOptions: { maxFrameSize: MIN_FRAME_SIZE },
      }),
    );
    open.push(session);
    await session.ready;
    expect(completed).toEqual([{ id: 'phone-1', name: 'Test phone' }]);
    expect(key).toHaveLength(32);
    expect(session.role).toBe('client');
    expect(session.maxFrameSize).toBe(MIN_FRAME_SIZE);
  });

  it('fails the handshake when the edge saw other fingerprints (a relay in between)', async () => {
    const { phone, completed } = pairingEdge('v=0\r\na=fingerprint:sha-256 CC:CC\r\n');
    const session = openClientSession(options(phone));
    open.push(session);
    await expect(session.ready).rejects.toMatchObject({
      code: 'handshake-failed',
      cause: { name: 'PeerFetchAuthenticationError' },
    });
    expect(completed).toEqual([]);
  });

  it('refuses a connection without both session descriptions, before touching the channel', () => {
    const channel = {
      binaryType: 'blob',
      bufferedAmount: 0,
      bufferedAmountLowThreshold: 0,
      readyState: 'open',
      send: vi.fn(),
      close: vi.fn(),
      addEventListener: vi.fn(),
      removeEventListener: vi.fn(),
    };
    const missing = [
      { localSdp: undefined },
      { localSdp: '' },
      { remoteSdp: undefined },
      { localSdp: undefined, remoteSdp: undefined },
    ];
    for (const sdps of missing) {
      const attempt = () => openClientSession(options(channel, sdps));
      expect(attempt).toThrow(NoSessionDescriptionError);
      expect(attempt).toThrow(/edge-1 has no (local|remote|local or remote) session description/);
    }
    expect(new NoSessionDescriptionError('x').name).toBe('PeerFetchNoSessionDescriptionError');
    expect(channel.addEventListener).not.toHaveBeenCalled();
    expect(channel.send).not.toHaveBeenCalled();
  });
});
