import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callControl, ServiceNotRunningError } from './client.js';
import { ControlSocketInUseError, startControlServer } from './server.js';

const logger = pino({ level: 'silent' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-ctl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('control socket', () => {
  it('answers commands, is private to its owner, and reports errors', async () => {
    const path = join(dir, 'control.sock');
    const server = await startControlServer(
      path,
      {
        status: async () => ({ peerId: 'edge-x', sessions: 2 }),
        boom: async () => {
          throw new Error('exploded');
        },
      },
      logger,
    );
    try {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await callControl(path, 'status')).toEqual({ peerId: 'edge-x', sessions: 2 });
      await expect(callControl(path, 'boom')).rejects.toThrow('exploded');
      await expect(callControl(path, 'nope')).rejects.toThrow(/unknown command "nope"/);
      await expect(callControl(path, 'toString')).rejects.toThrow(/unknown command/);
      await expect(startControlServer(path, {}, logger)).rejects.toBeInstanceOf(
        ControlSocketInUseError,
      );
    } finally {
      await server.close();
    }
  });

  it('answers a request that is not JSON', async () => {
    const path = join(dir, 'control.sock');
    const server = await startControlServer(path, {}, logger);
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(path, () => socket.write('hello\n'));
      let text = '';
      socket.on('data', (c) => {
        text += c;
      });
      socket.on('end', () => resolve(text));
    });
    await server.close();
    expect(JSON.parse(reply)).toEqual({ ok: false, error: 'request is not JSON' });
  });

  it('replaces a stale socket file and says when nothing runs', async () => {
    const path = join(dir, 'control.sock');
    await expect(callControl(path, 'status')).rejects.toBeInstanceOf(ServiceNotRunningError);
    await writeFile(path, ''); // left behind by a process that died
    const server = await startControlServer(path, { status: async () => 'ok' }, logger);
    expect(await callControl(path, 'status')).toBe('ok');
    await server.close();
  });
});
