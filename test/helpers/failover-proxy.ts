/**
 * The smallest load balancer: a TCP proxy that sends each new connection to the first
 * backend that accepts it, so clients reconnecting after their instance died land on the
 * next one, as behind a real load balancer.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface FailoverProxy {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  stop(): Promise<void>;
}

/** Connects to the first of `ports` that accepts, or undefined when none does. */
async function firstAccepting(ports: number[]): Promise<Socket | undefined> {
  for (const port of ports) {
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const attempt = connect(port, '127.0.0.1');
      attempt.once('connect', () => resolve(attempt));
      attempt.once('error', () => resolve(undefined));
    });
    if (socket) return socket;
  }
  return undefined;
}

export async function startFailoverProxy(backendPorts: number[]): Promise<FailoverProxy> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    firstAccepting(backendPorts).then((backend) => {
      if (!backend) {
        client.destroy();
        return;
      }
      open.add(backend);
      backend.once('close', () => open.delete(backend));
      backend.on('error', () => client.destroy());
      client.once('close', () => backend.destroy());
      backend.once('close', () => client.destroy());
      client.pipe(backend).pipe(client);
      client.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    async stop() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
