import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { EdgeStatus } from '../main.js';
import type { PairedClientInfo } from '../pairing/paired-clients.js';
import { callControl, ServiceNotRunningError } from './client.js';
import type { ControlHandlers } from './protocol.js';
import { ControlSocketInUseError, startControlServer } from './server.js';

const logger = pino({ level: 'silent' });
let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-ctl-'));
  path = join(dir, 'control.sock');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const edgeStatus: EdgeStatus = {
  peerId: 'edge-x',
  name: 'kitchen',
  version: '1.0.0',
  signaling: {
    url: 'http://signal',
    state: 'joined',
    registrations: 1,
    dropped: {},
    pendingConnections: 0,
  },
  sessions: 2,
  pairedClients: 1,
  pairingOpenUntil: null,
  routes: ['/up'],
  uptimeSeconds: 5,
};
const phone: PairedClientInfo = {
  id: 'c-1',
  name: 'phone',
  pairedAt: '2026-01-01T00:00:00.000Z',
  lastSeen: null,
};

/** Handlers for every command; a test replaces the ones it is about. */
function handlers(overrides: Partial<ControlHandlers> = {}): ControlHandlers {
  return {
    status: async () => edgeStatus,
    pair: async () => ({ code: '123456', expiresAt: 1, attemptsLeft: 3, link: 'https://x' }),
    clients: async () => [phone],
    unpair: async ({ client }) => ({ ...phone, id: client }),
    ...overrides,
  };
}

/** Sends one raw line and returns the parsed response line. */
function rawRequest(line: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => socket.write(line));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(JSON.parse(text)));
  });
}

describe('control socket', () => {
  it('answers commands, is private to its owner, and reports errors', async () => {
    const server = await startControlServer(
      path,
      handlers({
        pair: async () => {
          throw new Error('exploded');
        },
      }),
      logger,
    );
    try {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await callControl(path, 'status', {})).toEqual(edgeStatus);
      expect(await callControl(path, 'clients', {})).toEqual([phone]);
      expect(await callControl(path, 'unpair', { client: 'c-9' })).toEqual({ ...phone, id: 'c-9' });
      await expect(callControl(path, 'pair', {})).rejects.toThrow('exploded');
      await expect(startControlServer(path, handlers(), logger)).rejects.toBeInstanceOf(
        ControlSocketInUseError,
      );
    } finally {
      await server.close();
    }
  });

  it('keeps the wire format: one request line, one response line', async () => {
    const server = await startControlServer(path, handlers(), logger);
    try {
      expect(await rawRequest('{"command":"status","args":{}}\n')).toEqual({
        ok: true,
        result: edgeStatus,
      });
      // Arguments may be left out (or null) for a command that takes none.
      expect(await rawRequest('{"command":"clients"}\n')).toEqual({ ok: true, result: [phone] });
      expect(await rawRequest('{"command":"clients","args":null}\n')).toEqual({
        ok: true,
        result: [phone],
      });
    } finally {
      await server.close();
    }
  });

  it('answers a malformed request with a clear error and keeps serving', async () => {
    const server = await startControlServer(path, handlers(), logger);
    const refused = (error: string | RegExp) => ({
      ok: false,
      error: expect.stringMatching(error),
    });
    try {
      expect(await rawRequest('hello\n')).toEqual({ ok: false, error: 'request is not JSON' });
      expect(await rawRequest('{"command":"nope"}\n')).toEqual(refused(/unknown command "nope"/));
      expect(await rawRequest('{"command":"toString"}\n')).toEqual(refused(/unknown command/));
      expect(await rawRequest('{"command":"__proto__"}\n')).toEqual(refused(/unknown command/));
      expect(await rawRequest('{"command":7}\n')).toEqual(refused(/unknown command 7/));
      expect(await rawRequest('null\n')).toEqual(refused(/unknown command/));
      expect(await rawRequest('["status"]\n')).toEqual(refused(/unknown command/));
      expect(await rawRequest('{"command":"status","args":"x"}\n')).toEqual(
        refused(/arguments of "status" must be a JSON object/),
      );
      expect(await rawRequest('{"command":"status","args":[1]}\n')).toEqual(
        refused(/must be a JSON object/),
      );
      expect(await rawRequest('{"command":"status","args":{"x":1}}\n')).toEqual(
        refused(/unrecognized key/i),
      );
      expect(await rawRequest('{"command":"unpair","args":{}}\n')).toEqual(
        refused(/^name a client$/),
      );
      expect(await rawRequest('{"command":"unpair","args":{"client":5}}\n')).toEqual(
        refused(/^name a client$/),
      );
      expect(await rawRequest('{"command":"unpair","args":{"client":""}}\n')).toEqual(
        refused(/^name a client$/),
      );
      expect(await rawRequest(`${'x'.repeat(20_000)}\n`)).toEqual(refused(/request too large/));
      expect(await callControl(path, 'status', {})).toEqual(edgeStatus);
    } finally {
      await server.close();
    }
  });

  it('reports a result that cannot be sent instead of crashing', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const server = await startControlServer(
      path,
      handlers({ status: async () => circular as unknown as EdgeStatus }),
      logger,
    );
    try {
      await expect(callControl(path, 'status', {})).rejects.toThrow(/cannot send the answer/);
    } finally {
      await server.close();
    }
  });

  it('is typed by ControlCommands (checked by tsc on the tests)', () => {
    expectTypeOf(callControl<'status'>).returns.resolves.toEqualTypeOf<EdgeStatus>();
    expectTypeOf(callControl<'unpair'>)
      .parameter(2)
      .toEqualTypeOf<{ client: string }>();
    // @ts-expect-error an unknown command does not compile
    expectTypeOf(callControl<'nope'>).toBeFunction();
  });

  it('replaces a stale socket file and says when nothing runs', async () => {
    await expect(callControl(path, 'status', {})).rejects.toBeInstanceOf(ServiceNotRunningError);
    await writeFile(path, ''); // left behind by a process that died
    const server = await startControlServer(path, handlers(), logger);
    expect(await callControl(path, 'status', {})).toEqual(edgeStatus);
    await server.close();
  });
});
