#!/usr/bin/env node
/**
 * `peerfetch-edge start | status | doctor | pair | clients | unpair`. The process entry point: reads flags and the
 * environment, installs signal handlers, and maps failures to messages and exit codes.
 * `start` serves from a child process that a supervisor replaces if it crashes (supervise.ts).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { EdgeConfigError, loadConfig, loadStateDir } from '../config/load.js';
import type { ConfigFlags } from '../config/sources.js';
import { type ControlCall, callControl, ServiceNotRunningError } from '../control/client.js';
import { CONTROL_SOCKET_NAME } from '../control/protocol.js';
import { createLogger } from '../logger.js';
import { agentVersion } from '../version.js';
import { formatTable, runDoctor } from './doctor.js';
import { clientsCommand, pairCommand, unpairCommand } from './pairing-commands.js';
import { cliProgram } from './program.js';
import { statusText } from './status-text.js';
import { announceReady, reportClients, runSupervised, standBy } from './supervise.js';

/** Time allowed for a clean shutdown before exiting anyway. */
const SHUTDOWN_DEADLINE_MS = 4000;

const collect = (value: string, previous: string[]) => [...previous, value];

function withConfigFlags(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default /etc/peerfetch/edge.yaml)')
    .option('--signaling <url>', 'signaling server base URL')
    .option('--signaling-key <key>', 'PeerJS key of the signaling server')
    .option('--state-dir <dir>', 'state directory (identity, thumbnails, control socket)')
    .option('--name <name>', 'device name shown to phones')
    .option('--route <prefix=url>', 'route a path prefix to an upstream (repeatable)', collect, [])
    .option('--media-dir <dir>', 'folder served by /api/media')
    .option('--no-device-api', 'do not serve the built-in device API')
    .option('--log-level <level>', 'trace, debug, info, warn, error or fatal')
    .option('--ops-listen <host:port>', 'where /healthz and /metrics are served, or off');
}

function fail(message: string, code: number): never {
  process.stderr.write(`peerfetch-edge: ${message}\n`);
  process.exit(code);
}

function toFlags(options: ConfigFlags & { deviceApi?: boolean }): ConfigFlags {
  // commander sets deviceApi=true by default for --no-device-api; only "false" is a choice.
  return { ...options, deviceApi: options.deviceApi === false ? false : undefined };
}

async function start({ supervise, ...options }: ConfigFlags & { supervise?: boolean }) {
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig({ flags: toFlags(options), env: process.env });
  } catch (error) {
    fail((error as Error).message, error instanceof EdgeConfigError ? 2 : 1);
  }
  const logger = createLogger(config.logLevel);
  // The supervisor never loads the edge itself (main.js, WebRTC): see supervise.ts.
  if (supervise !== false) await runSupervised(logger);
  const { startEdge } = await import('../main.js');
  const orphanedClients = await standBy(logger, async () =>
    (await import('../webrtc/index.js')).loadPeer(),
  );
  // A bug is not hidden: log the reason as a JSON line (journald keeps it) and exit, so the
  // supervisor and systemd see it. An unhandled rejection arrives here too (Node's default).
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error.message, stack: error.stack }, 'uncaught exception');
    process.exit(1);
  });
  let edge: Awaited<ReturnType<typeof startEdge>>;
  try {
    // The QR code goes to a person's terminal only; journald gets the JSON line.
    edge = await startEdge(config, logger, agentVersion(), {
      terminal: process.stdout.isTTY ? process.stdout : undefined,
      orphanedClients,
      onClientsChanged: reportClients,
    });
  } catch (error) {
    logger.fatal({ err: (error as Error).message, errName: (error as Error).name }, 'cannot start');
    fail((error as Error).message, 1);
  }
  announceReady();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.warn('shutdown took too long; exiting');
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS).unref();
    void edge
      .stop()
      .catch((error: Error) => logger.error({ err: error.message }, 'error while stopping'))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function status(options: ConfigFlags & { json?: boolean }) {
  const stateDir = await loadStateDir({ flags: options, env: process.env }).catch((e: Error) =>
    fail(e.message, 2),
  );
  try {
    const result = await callControl(join(stateDir, CONTROL_SOCKET_NAME), 'status', {});
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${statusText(result)}\n`);
  } catch (error) {
    // 3 is what `systemctl status` returns for a unit that is not running.
    fail((error as Error).message, 3);
  }
}

/** Runs a control-socket command of the running service and prints its answer. */
async function control(options: ConfigFlags, run: (call: ControlCall) => Promise<string>) {
  const stateDir = await loadStateDir({ flags: options, env: process.env }).catch((e: Error) =>
    fail(e.message, 2),
  );
  const socket = join(stateDir, CONTROL_SOCKET_NAME);
  let text: string;
  try {
    text = await run((command, args) => callControl(socket, command, args));
  } catch (error) {
    fail((error as Error).message, error instanceof ServiceNotRunningError ? 3 : 1);
  }
  process.stdout.write(`${text}\n`);
}

const program = cliProgram(
  'peerfetch-edge',
  'PeerFetch edge agent: serves local HTTP APIs to paired phones over WebRTC.',
);

withConfigFlags(program.command('start').description('run the edge agent in the foreground'))
  .option(
    '--no-supervise',
    'serve from this process, without a supervisor that restarts it after a crash',
  )
  .action(start);
withConfigFlags(program.command('status').description('show the state of the running service'))
  .option('--json', 'print JSON')
  .action(status);
withConfigFlags(
  program.command('doctor').description('check the configuration and surroundings'),
).action(async (options: ConfigFlags) => {
  const results = await runDoctor(toFlags(options), process.env);
  process.stdout.write(`${formatTable(results)}\n`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
});

withConfigFlags(
  program
    .command('pair')
    .description('open the pairing window and show its code, link and QR code'),
)
  .option('--json', 'print JSON')
  .action((options: ConfigFlags & { json?: boolean }) =>
    control(options, (call) => pairCommand(call, Boolean(options.json))),
  );
withConfigFlags(program.command('clients').description('list the paired clients'))
  .option('--json', 'print JSON')
  .action((options: ConfigFlags & { json?: boolean }) =>
    control(options, (call) => clientsCommand(call, Boolean(options.json))),
  );
withConfigFlags(
  program
    .command('unpair')
    .description('forget a paired client (by id or name) and close its sessions')
    .argument('<client>', 'client id or name'),
).action((client: string, options: ConfigFlags) =>
  control(options, (call) => unpairCommand(call, client)),
);

await program.parseAsync();
