/**
 * For tests: a local HTTP upstream whose answer each test sets, listening before the file's
 * tests run and closed after them. Node only (`node:http`), and it registers vitest hooks,
 * which is why it is an entry of its own rather than part of `@peerfetch/shared/testing`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface TestUpstream {
  /** `http://127.0.0.1:{port}`, set once the server listens. */
  url: string;
  /** Answers every request; a test sets its own. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /**
   * From now on answers a head and `first`, then holds the connection open; resolves once
   * the connection is closed (by whoever stops the answer).
   */
  answerOpenEnded(first: string): Promise<void>;
}

export function useTestUpstream(): TestUpstream {
  let server: Server;
  const upstream: TestUpstream = {
    url: '',
    handle: (_req, res) => res.end(),
    answerOpenEnded(first) {
      return new Promise((closed) => {
        upstream.handle = (req, res) => {
          res.writeHead(200);
          res.write(first);
          req.socket.on('close', () => closed());
        };
      });
    },
  };
  beforeAll(async () => {
    server = createServer((req, res) => upstream.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return upstream;
}
