import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EdgeConfigError, loadConfig, loadStateDir } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(text: string): Promise<string> {
  const path = join(dir, 'edge.yaml');
  await writeFile(path, text);
  return path;
}

describe('loadConfig', () => {
  it('applies defaults to a one-line file', async () => {
    const config = await loadConfig({
      flags: { config: await file('signaling: { url: http://sig.test:9000 }\n') },
    });
    expect(config.signaling).toEqual({ url: 'http://sig.test:9000', key: 'peerjs' });
    expect(config.stateDir).toBe('/var/lib/peerfetch-edge');
    expect(config.deviceApi.enabled).toBe(true);
    expect(config.limits.sessions).toBe(16);
    expect(config.pairing.windowMinutes).toBe(5);
    expect(config.iceServers).toBeUndefined();
  });

  it('reads the pairing window length from the file or the environment, within bounds', async () => {
    const path = await file('signaling: { url: http://s.test }\npairing: { windowMinutes: 2 }\n');
    expect((await loadConfig({ flags: { config: path } })).pairing.windowMinutes).toBe(2);
    const env = { PEERFETCH_PAIRING_WINDOW_MINUTES: '0.5' };
    expect((await loadConfig({ flags: { config: path }, env })).pairing.windowMinutes).toBe(0.5);
    await expect(
      loadConfig({ flags: { config: path }, env: { PEERFETCH_PAIRING_WINDOW_MINUTES: 'soon' } }),
    ).rejects.toThrow(/PEERFETCH_PAIRING_WINDOW_MINUTES: "soon" is not a number/);
    await expect(
      loadConfig({ flags: { config: path }, env: { PEERFETCH_PAIRING_WINDOW_MINUTES: '600' } }),
    ).rejects.toThrow(/pairing\.windowMinutes/);
  });

  it('lets flags beat the environment and the environment beat the file', async () => {
    const path = await file(
      [
        'signaling: { url: http://file.test }',
        'name: from-file',
        'stateDir: /file',
        'routes:',
        '  /ha: http://127.0.0.1:8123',
      ].join('\n'),
    );
    const config = await loadConfig({
      flags: { config: path, name: 'from-flag', route: ['/cam=http://127.0.0.1:8080'] },
      env: { PEERFETCH_NAME: 'from-env', PEERFETCH_STATE_DIR: '/env', PEERFETCH_MAX_SESSIONS: '3' },
    });
    expect(config.name).toBe('from-flag');
    expect(config.stateDir).toBe('/env');
    expect(config.signaling.url).toBe('http://file.test');
    expect(config.limits.sessions).toBe(3);
    expect(config.routes).toEqual({
      '/ha': 'http://127.0.0.1:8123',
      '/cam': 'http://127.0.0.1:8080',
    });
  });

  it('reads routes and ICE servers from the environment', async () => {
    const config = await loadConfig({
      flags: { config: await file('') },
      env: {
        PEERFETCH_SIGNALING_URL: 'https://sig.test',
        PEERFETCH_ROUTES: '/a=http://127.0.0.1:1, /b=http://127.0.0.1:2/base',
        PEERFETCH_ICE_SERVERS: '[{"urls":"stun:127.0.0.1:3478"}]',
        PEERFETCH_DEVICE_API: 'off',
      },
    });
    expect(config.routes).toEqual({ '/a': 'http://127.0.0.1:1', '/b': 'http://127.0.0.1:2/base' });
    expect(config.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
    expect(config.deviceApi.enabled).toBe(false);
  });

  it('names the source of a bad value', async () => {
    const error = await loadConfig({
      flags: { config: await file('signaling: { url: ftp://x }\n') },
      env: {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeConfigError);
    expect((error as Error).message).toMatch(
      /signaling\.url \(from .*edge\.yaml\): must be an http/,
    );
  });

  it('refuses a signaling address that is not a URL as a config error (exit 2, no restart loop)', async () => {
    const error = await loadConfig({
      flags: { config: await file('signaling: { url: "not a url" }\n') },
      env: {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeConfigError);
    expect((error as Error).message).toMatch(/signaling\.url .*: must be an http/);
  });

  it('says which setting is missing', async () => {
    await expect(loadConfig({ flags: { config: await file('name: x\n') } })).rejects.toThrow(
      /signaling: required/,
    );
  });

  it('reads a route with options, and refuses options it does not know', async () => {
    const path = await file(
      [
        'signaling: { url: http://s.test }',
        'routes:',
        '  /plain: http://127.0.0.1:1',
        '  /files: { url: http://127.0.0.1:2/base, encodedSlashes: true }',
        '  /strict: { url: http://127.0.0.1:3 }',
      ].join('\n'),
    );
    const config = await loadConfig({ flags: { config: path } });
    expect(config.routes).toEqual({
      '/plain': 'http://127.0.0.1:1',
      '/files': { url: 'http://127.0.0.1:2/base', encodedSlashes: true },
      '/strict': { url: 'http://127.0.0.1:3', encodedSlashes: false },
    });
    const bad = await file(
      'signaling: { url: http://s.test }\nroutes:\n  /f: { url: http://127.0.0.1:2, slashes: 1 }\n',
    );
    await expect(loadConfig({ flags: { config: bad } })).rejects.toThrow(/slashes/);
  });

  it('refuses routes that climb out of their prefix and unknown keys', async () => {
    await expect(
      loadConfig({
        flags: { signaling: 'http://s.test', route: ['/a/../b=http://127.0.0.1:1'] },
        env: { PEERFETCH_CONFIG: await file('') },
      }),
    ).rejects.toThrow(/routes\.\/a\/\.\.\/b/);
    await expect(
      loadConfig({
        flags: { config: await file('signaling: { url: http://s.test }\nsignalling: 1\n') },
      }),
    ).rejects.toThrow(/signalling/);
  });

  it('rejects malformed environment values with the variable name', async () => {
    const path = await file('signaling: { url: http://s.test }\n');
    await expect(
      loadConfig({ flags: { config: path }, env: { PEERFETCH_MAX_SESSIONS: 'many' } }),
    ).rejects.toThrow(/PEERFETCH_MAX_SESSIONS: "many" is not a whole number/);
    await expect(
      loadConfig({ flags: { config: path }, env: { PEERFETCH_ROUTES: 'nonsense' } }),
    ).rejects.toThrow(/PEERFETCH_ROUTES: route "nonsense"/);
  });

  it('fails clearly on a missing explicit file and on bad YAML', async () => {
    await expect(loadConfig({ flags: { config: join(dir, 'nope.yaml') } })).rejects.toThrow(
      /cannot read config file .*nope\.yaml: ENOENT/,
    );
    await expect(loadConfig({ flags: { config: await file('a: [\n') } })).rejects.toThrow(
      /not valid YAML/,
    );
  });

  it('finds the state directory without a complete config', async () => {
    const path = await file('stateDir: /from/file\n');
    expect(await loadStateDir({ flags: { config: path } })).toBe('/from/file');
    expect(await loadStateDir({ flags: { config: path, stateDir: '/flag' } })).toBe('/flag');
  });
});
