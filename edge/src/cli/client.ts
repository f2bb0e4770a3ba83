#!/usr/bin/env node
/**
 * `peerfetch fetch`: curl for a PeerFetch device. The body goes to stdout (or -o FILE) as
 * it arrives. Exit codes follow curl: 2 usage, 7 cannot connect, 22 HTTP error with --fail.
 */
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { ConnectError, connectToDevice, type DeviceConnection } from '../client/connect.js';
import { buildRequestInit, UsageError } from './fetch-request.js';

interface FetchOptions {
  signaling: string;
  device: string;
  key: string;
  request?: string;
  header: string[];
  data?: string;
  output?: string;
  include?: boolean;
  fail?: boolean;
  timeout: number;
}

function headText(response: Response): string {
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText}`.trimEnd()];
  response.headers.forEach((value, name) => {
    lines.push(`${name}: ${value}`);
  });
  return `${lines.join('\r\n')}\r\n\r\n`;
}

async function runFetch(path: string, options: FetchOptions): Promise<number> {
  if (!path.startsWith('/')) throw new UsageError(`PATH must start with / (got "${path}")`);
  const init = await buildRequestInit(options);
  let connection: DeviceConnection;
  try {
    connection = await connectToDevice({
      signalingUrl: options.signaling,
      key: options.key,
      deviceId: options.device,
      timeoutMs: options.timeout,
    });
  } catch (error) {
    process.stderr.write(`peerfetch: ${(error as Error).message}\n`);
    return 7;
  }
  try {
    const response = await connection.fetch(path, init);
    if (options.fail && response.status >= 400) {
      await response.body?.cancel();
      process.stderr.write(`peerfetch: the device answered ${response.status}\n`);
      return 22;
    }
    const out: Writable = options.output ? createWriteStream(options.output) : process.stdout;
    if (options.include) out.write(headText(response));
    if (response.body) {
      await pipeline(Readable.fromWeb(response.body as never), out, {
        end: Boolean(options.output),
      });
    } else if (options.output) {
      out.end();
    }
    return 0;
  } finally {
    connection.close();
  }
}

const program = new Command('peerfetch')
  .description('Talk to a PeerFetch device over WebRTC.')
  .showHelpAfterError();

program
  .command('fetch')
  .description('send one HTTP request to a device and print the response body')
  .argument('<path>', 'request path on the device, such as /api/device')
  .requiredOption(
    '--signaling <url>',
    'signaling server base URL',
    process.env.PEERFETCH_SIGNALING_URL,
  )
  .requiredOption('--device <id>', 'peer id of the device')
  .option(
    '--key <key>',
    'PeerJS key of the signaling server',
    process.env.PEERFETCH_SIGNALING_KEY ?? 'peerjs',
  )
  .option('-X, --request <method>', 'request method (default GET, or POST with -d)')
  .option(
    '-H, --header <line>',
    "extra header 'Name: value' (repeatable)",
    (v, acc: string[]) => [...acc, v],
    [],
  )
  .option('-d, --data <data>', 'request body; @file streams a file, @- reads stdin')
  .option('-o, --output <file>', 'write the body to a file instead of stdout')
  .option('-i, --include', 'print the status line and headers before the body')
  .option('-f, --fail', 'exit 22 without printing the body when the status is 400 or more')
  .addOption(
    new Option('--timeout <ms>', 'connect timeout in ms').default(20_000).argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0)
        throw new UsageError('--timeout must be a positive whole number');
      return n;
    }),
  )
  .action(async (path: string, options: FetchOptions) => {
    let code: number;
    try {
      code = await runFetch(path, options);
    } catch (error) {
      const usage = error instanceof UsageError;
      process.stderr.write(`peerfetch: ${(error as Error).message}\n`);
      code = usage ? 2 : error instanceof ConnectError ? 7 : 1;
    }
    // WebRTC keeps native threads alive; leave once output is flushed.
    process.stdout.write('', () => process.exit(code));
  });

program.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
await program.parseAsync();
