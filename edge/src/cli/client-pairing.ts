/** `peerfetch pair` and `peerfetch devices`: pairing with an edge and the stored pairings. */
import { hostname } from 'node:os';
import type { PairingResult } from '@peerfetch/shared';
import { connectToDevice } from '../client/connect.js';
import {
  type DevicesFile,
  devicesPath,
  readDevices,
  readOrCreateDevices,
  withDevice,
  writeDevices,
} from '../client/devices-store.js';
import { formatColumns } from './columns.js';
import { UsageError } from './fetch-request.js';

export interface PairOptions {
  signaling: string;
  device?: string;
  code: string;
  name?: string;
  key: string;
  timeout: number;
  relayOnly?: boolean;
}

export async function pair(options: PairOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const code = options.code.replace(/[\s-]/g, '');
  if (!/^\d{6}$/.test(code)) throw new UsageError('--code must be the 6 digits the device shows');
  const path = devicesPath(env);
  let file: DevicesFile = await readOrCreateDevices(path);
  let paired: PairingResult | undefined;
  const connection = await connectToDevice({
    signalingUrl: options.signaling,
    key: options.key,
    deviceId: options.device,
    client: file.client,
    clientName: options.name ?? `peerfetch on ${hostname()}`,
    timeoutMs: options.timeout,
    relayOnly: options.relayOnly,
    credentials: {
      pairingCode: code,
      onPaired: (result) => {
        paired = result;
      },
    },
  });
  await connection.close();
  if (!paired) throw new Error('the device accepted the session but did not pair');
  const edgeName = paired.edgeName;
  file = withDevice(file, {
    id: connection.deviceId,
    name: edgeName,
    signalingUrl: options.signaling,
    key: Buffer.from(paired.key).toString('base64'),
    pairedAt: new Date().toISOString(),
  });
  await writeDevices(path, file);
  return `Paired with ${edgeName} (${connection.deviceId}); saved in ${path}`;
}

export async function listDevices(env: NodeJS.ProcessEnv, json: boolean): Promise<string> {
  const path = devicesPath(env);
  const file = await readDevices(path);
  if (json)
    return JSON.stringify(
      file.devices.map(({ key: _key, ...rest }) => rest),
      null,
      2,
    );
  if (file.devices.length === 0)
    return `No paired devices (in ${path}). Pair with \`peerfetch pair\`.`;
  return formatColumns([
    ['ID', 'NAME', 'SIGNALING', 'PAIRED'],
    ...file.devices.map((d) => [d.id, d.name, d.signalingUrl, d.pairedAt]),
  ]);
}
