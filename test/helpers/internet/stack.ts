/**
 * PeerFetch in the internet in a box: coturn and the signaling server (with its TURN settings,
 * handed out by `/ice`) on the public server host, the edge agent on the home network, and a
 * config folder for the phone's `peerfetch` client. stop() undoes everything, even after a
 * failed start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CliResult,
  removeStateDir,
  runClientCli,
  type StartedEdge,
  startEdge,
} from '../edge.js';
import { pairingWindowOf } from '../pairing.js';
import { type StartedSignaling, startSignaling } from '../signaling.js';
import type { NetworkName } from './addresses.js';
import { type StartedCoturn, startCoturn } from './coturn.js';
import { createInternet, type Internet, type InternetOptions } from './internet.js';
import { type PhoneSession, startPhoneSession } from './phone.js';

const SIGNALING_PORT = 8080;

export interface InternetStackOptions extends InternetOptions {
  /** Folder the edge's device API serves at /api/media/{name}. */
  mediaDir?: string;
  /** Lifetime of TURN credentials from /ice, seconds (the signaling server's TURN_TTL). */
  turnTtlSeconds?: number;
  /** More environment for the edge (PEERFETCH_RELAY_ONLY, say). */
  edgeEnv?: Record<string, string>;
  /** More environment for the signaling server (PWA_DIR to serve the app, PEER_KEY…). */
  signalingEnv?: Record<string, string>;
}

export interface InternetStack {
  internet: Internet;
  coturn: StartedCoturn;
  signaling: StartedSignaling;
  edge: StartedEdge;
  /** The phone's XDG_CONFIG_HOME: where `peerfetch pair` keeps its pairing. */
  phoneConfigHome: string;
  /** Runs `peerfetch ARGS` (the Node CLI) in the phone's host, with the phone's pairings. */
  phoneCli(args: string[]): Promise<CliResult>;
  /**
   * Pairs the phone at home with `peerfetch pair` and no --device (the edge is found in the
   * room of the shared public address), with the code of the edge's first pairing window.
   * Once per stack: later calls return the first result.
   */
  pairPhoneAtHome(): Promise<CliResult>;
  /**
   * Pairs the phone if it is not yet, moves it to `network`, and runs `use` with a session of
   * its long-lived client (phone-driver.ts), closed afterwards whatever happens.
   */
  withPhoneSession<T>(network: NetworkName, use: (phone: PhoneSession) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export async function startInternetStack(
  options: InternetStackOptions = {},
): Promise<InternetStack> {
  const internet = await createInternet(options);
  const undo: (() => Promise<unknown>)[] = [() => internet.destroy()];
  const stop = async () => {
    const errors: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the internet stack failed');
  };
  try {
    const phoneConfigHome = await mkdtemp(join(tmpdir(), 'pf-phone-'));
    undo.push(() => rm(phoneConfigHome, { recursive: true, force: true }));
    const coturn = await startCoturn(internet);
    undo.push(() => coturn.stop());
    const signaling = await startSignaling(
      {
        HOST: internet.plan.server,
        PORT: String(SIGNALING_PORT),
        STUN_URLS: coturn.stunUrl,
        TURN_URLS: coturn.turnUrl,
        TURN_SECRET: coturn.secret,
        ...(options.turnTtlSeconds ? { TURN_TTL: String(options.turnTtlSeconds) } : {}),
        ...options.signalingEnv,
      },
      { netns: internet.netns('server') },
    );
    undo.push(() => signaling.stop());
    const edge = await startEdge({
      signalingUrl: signaling.url,
      netns: internet.netns('edge'),
      name: 'Home Pi',
      mediaDir: options.mediaDir,
      env: options.edgeEnv,
    });
    undo.push(async () => {
      await edge.stop();
      await removeStateDir(edge.stateDir);
    });
    const phoneCli = (args: string[]) =>
      runClientCli(args, { configHome: phoneConfigHome, netns: internet.netns('phone') });
    let pairing: Promise<CliResult> | undefined;
    const pairPhoneAtHome = () => {
      pairing ??= (async () => {
        await internet.movePhone('home');
        const { code } = await pairingWindowOf(edge);
        return phoneCli(['pair', '--signaling', signaling.url, '--code', code]);
      })();
      return pairing;
    };
    const withPhoneSession = async <T>(
      network: NetworkName,
      use: (phone: PhoneSession) => Promise<T>,
    ): Promise<T> => {
      const paired = await pairPhoneAtHome();
      if (paired.code !== 0) throw new Error(`the phone could not pair at home: ${paired.stderr}`);
      await internet.movePhone(network);
      const phone = await startPhoneSession(internet, phoneConfigHome);
      try {
        return await use(phone);
      } finally {
        await phone.close();
      }
    };
    return {
      internet,
      coturn,
      signaling,
      edge,
      phoneConfigHome,
      phoneCli,
      pairPhoneAtHome,
      withPhoneSession,
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
