#!/usr/bin/env node
/**
 * Composition root: reads the environment, builds the logger and the server, handles signals.
 * Exit codes: 0 after SIGTERM/SIGINT, 1 when the server cannot start, 2 for bad configuration.
 */
import { pino } from 'pino';
import { CONFIG_HELP, parseConfig, SignalingConfigError } from './config.js';
import { createSignalingServer } from './server.js';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(CONFIG_HELP);
    return;
  }
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof SignalingConfigError)) throw error;
    process.stderr.write(
      `peerfetch-signaling: ${error.message}\nRun with --help for the variables.\n`,
    );
    process.exitCode = 2;
    return;
  }

  const logger = pino({ level: config.logLevel, base: { service: 'signaling' } });
  if (config.roomSecretGenerated) {
    logger.warn('ROOM_SECRET is not set: using a random one; room ids change at every restart');
  }
  if (config.trustProxy === true) {
    logger.warn(
      'TRUST_PROXY=true believes every X-Forwarded-For hop, so clients can pick their room; prefer a hop count or the proxy addresses',
    );
  }

  const server = createSignalingServer(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      // PeerServer's housekeeping timers cannot be stopped from outside: exit explicitly.
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await server.listen();
  } catch (error) {
    const why = cannotListen(error, config.port, config.host);
    // One line a person can act on, on the terminal; the log keeps the details.
    if (why) process.stderr.write(`peerfetch-signaling: ${why}\n`);
    logger.fatal({ err: error }, why ?? 'cannot listen');
    process.exit(1);
  }
}

/** What to do about a port that cannot be listened on, or undefined for other failures. */
function cannotListen(error: unknown, port: number, host: string | undefined): string | undefined {
  const where = `port ${port}${host ? ` on ${host}` : ''}`;
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE')
    return `${where} is already in use by another program: stop it, or set PORT to a free port`;
  if (code === 'EACCES')
    return `${where} needs privileges this user does not have: set PORT to 1024 or above`;
  if (code === 'EADDRNOTAVAIL') return `${where}: no such address on this machine; check HOST`;
  return undefined;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `peerfetch-signaling: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
