/**
 * The edge's pairing state as one service: the paired clients, the pairing window, and the
 * control-socket commands `pair`, `clients` and `unpair`.
 */
import type { Logger } from '../logger.js';
import type { PairedClientInfo, PairedClients } from './paired-clients.js';
import { pairingLink } from './pairing-link.js';
import {
  createPairingWindow,
  type EdgePairingWindow,
  MAX_PAIRING_ATTEMPTS,
  type OpenWindow,
} from './pairing-window.js';
import { createWindowStore, PairingWindowStateError } from './window-store.js';

export interface PairingServiceOptions {
  clients: PairedClients;
  /** Where the pairing window is kept across restarts. */
  stateDir: string;
  edgeId: string;
  signalingUrl: string;
  /** How long `pair` (and the first start) keeps the window open, in ms. */
  windowMs: number;
  logger: Logger;
  /** Ends every session of a client that was just unpaired. */
  closeSessions(clientId: string): number;
  /** Shows a freshly opened window on the terminal (only when stdout is one). */
  show?(window: OpenWindow, link: string): void;
}

export interface PairingInfo extends OpenWindow {
  link: string;
}

export interface PairingService {
  window: EdgePairingWindow;
  /**
   * Opens the window on first start while nobody is paired, unless a previous run left one
   * (then it was reopened as it was). A window that cannot be saved is logged, not opened.
   */
  openIfUnpaired(): Promise<void>;
  /** `peerfetch-edge pair`: opens the window (or shows the open one). */
  pair(): Promise<PairingInfo>;
  clientsTable(): PairedClientInfo[];
  /** `peerfetch-edge unpair`: by id or name; ends the client's sessions. */
  unpair(idOrName: string): Promise<PairedClientInfo>;
  /** `DELETE /.well-known/peerfetch/pairing` from the client itself. */
  forget(clientId: string): Promise<void>;
}

/** The service, with the window a previous run left open reopened. */
export async function createPairingService(
  options: PairingServiceOptions,
): Promise<PairingService> {
  const { clients, logger } = options;
  const linkOf = (code: string) => pairingLink(options.signalingUrl, options.edgeId, code);
  const window = createPairingWindow({
    store: async (client) => {
      await clients.add(client);
      logger.info({ clientId: client.id, clientName: client.name }, 'client paired');
    },
    windowStore: createWindowStore(options.stateDir),
    onOpen(opened, how) {
      const link = linkOf(opened.code);
      // The PWA's end-to-end tests read exactly this line (msg, code, link, expiresAt).
      logger.info(
        {
          code: opened.code,
          link,
          expiresAt: opened.expiresAt,
          attemptsLeft: opened.attemptsLeft,
          how,
        },
        'pairing window open',
      );
      options.show?.(opened, link);
    },
    onClose: (reason) => logger.info({ reason }, 'pairing window closed'),
    onAttempt: (clientId, attempt) =>
      logger.info({ clientId, attempt, of: MAX_PAIRING_ATTEMPTS }, 'pairing attempt'),
    onPaced: (clientId, waitMs) =>
      logger.warn({ clientId, waitMs }, 'pairing attempt refused: too soon after the last'),
    onStateProblem: (problem) => logger.error({ err: problem }, 'pairing window state'),
  });
  await window.restore();

  async function removeClient(client: PairedClientInfo, how: string) {
    await clients.remove(client.id);
    const sessions = options.closeSessions(client.id);
    logger.info({ clientId: client.id, clientName: client.name, how, sessions }, 'client unpaired');
  }

  return {
    window,
    async openIfUnpaired() {
      if (clients.size > 0) return;
      try {
        await window.openUnlessSpent(options.windowMs);
      } catch (error) {
        if (!(error instanceof PairingWindowStateError)) throw error;
        logger.error({ err: error.message }, 'cannot open the pairing window');
      }
    },
    async pair() {
      const opened = await window.open(options.windowMs);
      return { ...opened, link: linkOf(opened.code) };
    },
    clientsTable: () => clients.list(),
    async unpair(idOrName) {
      const found = clients.match(idOrName);
      if (found.length === 0) throw new Error(`no paired client has the id or name "${idOrName}"`);
      if (found.length > 1) {
        const ids = found.map((c) => c.id).join(', ');
        throw new Error(`several clients are named "${idOrName}" (${ids}); give the id`);
      }
      await removeClient(found[0]!, 'unpair');
      return found[0]!;
    },
    async forget(clientId) {
      const [client] = clients.match(clientId).filter((c) => c.id === clientId);
      if (!client) return;
      await clients.remove(client.id);
      logger.info({ clientId, clientName: client.name }, 'client asked to be forgotten');
    },
  };
}
