#!/usr/bin/env node
/**
 * `peerfetch pair | devices | fetch`: pair with a PeerFetch device, list the pairings, and
 * send it requests like curl (the body goes to stdout or -o FILE as it arrives).
 */
import { createWriteStream } from 'node:fs';
import { hostname } from 'node:os';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PEERJS_KEY,
  importPairingKey,
} from '@peerfetch/shared';
import { InvalidArgumentError, Option } from 'commander';
import { connectToDevice, type DeviceConnection } from '../client/connect.js';
import { chooseDevice, devicesPath, readDevices } from '../client/devices-store.js';
import { describeFailure, InterruptedError } from './client-errors.js';
import { listDevices, pair } from './client-pairing.js';
import { downloadProgress } from './download-progress.js';
import { buildRequestInit, UsageError } from './fetch-request.js';
import { cliProgram } from './program.js';
import { byteCounter, stopwatch, tellAnswer, tellBody, tellConnection } from './verbose.js';

interface FetchOptions {
  signaling?: string;
  device?: string;
  key: string;
  request?: string;
  header: string[];
  data?: string;
  output?: string;
  include?: boolean;
  fail?: boolean;
  verbose?: boolean;
  relayOnly?: boolean;
  timeout: number;
}

function headText(response: Response): string {
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText}`.trimEnd()];
  response.headers.forEach((value, name) => {
    lines.push(`${name}: ${value}`);
  });
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Connects with the stored pairing of `--device` (its signaling URL unless overridden). */
async function connectStored(options: FetchOptions): Promise<DeviceConnection> {
  const file = await readDevices(devicesPath(process.env));
  const device = chooseDevice(file, options.device);
  return connectToDevice({
    signalingUrl: options.signaling ?? device.signalingUrl,
    key: options.key,
    deviceId: device.id,
    client: file.client,
    clientName: `peerfetch on ${hostname()}`,
    credentials: { key: await importPairingKey(new Uint8Array(Buffer.from(device.key, 'base64'))) },
    timeoutMs: options.timeout,
    relayOnly: options.relayOnly,
  });
}

/**
 * Aborts with an InterruptedError on the first Ctrl-C or SIGTERM, so the request is cancelled
 * and the session says goodbye: the device stops sending and frees the request at once
 * instead of waiting 15 s for unanswered pings. A second Ctrl-C exits at once, as Node does.
 * Returns the signal and a function that removes the handlers.
 */
function abortOnInterrupt(): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const handlers = new Map<'SIGINT' | 'SIGTERM', () => void>();
  const release = () => {
    for (const [name, handler] of handlers) process.off(name, handler);
  };
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    handlers.set(name, () => {
      release();
      controller.abort(new InterruptedError(name));
    });
    process.on(name, handlers.get(name)!);
  }
  return { signal: controller.signal, release };
}

async function runFetch(path: string, options: FetchOptions): Promise<number> {
  if (!path.startsWith('/')) throw new UsageError(`PATH must start with / (got "${path}")`);
  const init = await buildRequestInit(options);
  const lap = stopwatch();
  const connection = await connectStored(options);
  const connectMs = lap();
  const interrupt = abortOnInterrupt();
  try {
    const response = await connection.fetch(path, { ...init, signal: interrupt.signal });
    if (options.verbose) {
      const headMs = lap();
      await tellConnection(connection, connectMs);
      tellAnswer(response, headMs);
    }
    if (options.fail && response.status >= 400) {
      await response.body?.cancel();
      process.stderr.write(`peerfetch: the device answered ${response.status}\n`);
      return 22;
    }
    const out: Writable = options.output ? createWriteStream(options.output) : process.stdout;
    if (options.include) out.write(headText(response));
    if (response.body) {
      const stages: NodeJS.ReadWriteStream[] = [];
      if (options.output && process.stderr.isTTY) {
        const length = Number(response.headers.get('content-length') ?? Number.NaN);
        stages.push(downloadProgress(process.stderr, Number.isFinite(length) ? length : undefined));
      }
      const counter = options.verbose ? byteCounter() : undefined;
      if (counter) stages.push(counter.stream);
      await pipeline([Readable.fromWeb(response.body as never), ...stages, out], {
        end: Boolean(options.output),
        signal: interrupt.signal,
      });
      if (counter) tellBody(counter.bytes(), lap());
    } else if (options.output) {
      out.end();
    }
    return 0;
  } catch (error) {
    // Whatever the abort surfaced as (the fetch's rejection, a stream's AbortError), say why.
    throw interrupt.signal.aborted ? interrupt.signal.reason : error;
  } finally {
    interrupt.release();
    await connection.close();
  }
}

/** Runs a command, prints its failure, and exits (WebRTC keeps native threads alive). */
async function runAndExit(run: () => Promise<number>) {
  let code: number;
  try {
    code = await run();
  } catch (error) {
    const failure = describeFailure(error);
    process.stderr.write(`peerfetch: ${failure.message}\n`);
    code = failure.code;
  }
  process.stdout.write('', () => process.exit(code));
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError('It must be a positive whole number of milliseconds.');
  return n;
};
/** `--signaling`: an http(s) URL, or a usage error that says what is expected. */
const signalingUrl = (v: string) => {
  const url = URL.parse(v);
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new InvalidArgumentError(
      'Give the http:// or https:// address of the signaling server, like https://peerfetch.example.org.',
    );
  }
  return v;
};
const timeoutOption = () =>
  new Option('--timeout <ms>', 'connect timeout in ms')
    .default(DEFAULT_CONNECT_TIMEOUT_MS)
    .argParser(positiveInt);
const relayOnlyOption = () =>
  new Option('--relay-only', "connect only through the signaling server's TURN relay");
const keyOption = () =>
  new Option('--key <key>', 'PeerJS key of the signaling server').default(
    process.env.PEERFETCH_SIGNALING_KEY ?? DEFAULT_PEERJS_KEY,
  );

const program = cliProgram('peerfetch', 'Talk to a PeerFetch device over WebRTC.');

program
  .command('pair')
  .description('pair with a device using the code it shows, and store the pairing')
  .addOption(
    new Option('--signaling <url>', 'signaling server base URL')
      .default(process.env.PEERFETCH_SIGNALING_URL)
      .argParser(signalingUrl)
      .makeOptionMandatory(),
  )
  .option(
    '--device <id>',
    'peer id of the device (default: the only device online in this network)',
  )
  .requiredOption('--code <code>', 'the 6-digit code the device shows')
  .option('--name <name>', 'how this client is listed on the device (default: peerfetch on HOST)')
  .addOption(keyOption())
  .addOption(relayOnlyOption())
  .addOption(timeoutOption())
  .action((options) =>
    runAndExit(async () => {
      process.stdout.write(`${await pair(options, process.env)}\n`);
      return 0;
    }),
  );

program
  .command('devices')
  .description('list the stored pairings')
  .option('--json', 'print JSON')
  .action((options: { json?: boolean }) =>
    runAndExit(async () => {
      process.stdout.write(`${await listDevices(process.env, Boolean(options.json))}\n`);
      return 0;
    }),
  );

program
  .command('fetch')
  .description('send one HTTP request to a paired device and print the response body')
  .argument('<path>', 'request path on the device, such as /api/device')
  .option(
    '--device <name-or-id>',
    'a paired device (default: the only one; see `peerfetch devices`)',
  )
  .addOption(
    new Option(
      '--signaling <url>',
      'signaling server base URL (default: the one stored with the pairing)',
    ).argParser(signalingUrl),
  )
  .addOption(keyOption())
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
  .option(
    '-v, --verbose',
    'say on stderr which path the connection took, the status and the timings',
  )
  .addOption(relayOnlyOption())
  .addOption(timeoutOption())
  .action((path: string, options: FetchOptions) => runAndExit(() => runFetch(path, options)));

await program.parseAsync();
