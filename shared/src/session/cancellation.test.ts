import {
  connectInMemory,
  countingStream,
  type InMemoryConnection,
  patternBytes,
  readAll,
  sleep,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestHandler } from '../server/serve-requests.js';

const MiB = 1024 * 1024;
let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('cancellation from the client', () => {
  it('aborts the handler and rejects with the signal reason before the response', async () => {
    let handlerAbortReason: unknown;
    connection = connectInMemory(
      (request) =>
        new Promise((_, reject) => {
          request.signal.addEventListener('abort', () => {
            handlerAbortReason = request.signal.reason;
            reject(request.signal.reason);
          });
        }),
    );
    const controller = new AbortController();
    const pending = connection.client.fetch('/slow', { signal: controller.signal });
    await sleep(20);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => handlerAbortReason !== undefined);
    expect((handlerAbortReason as Error).name).toBe('PeerFetchStreamResetError');
  });

  it('rejects at once for an already aborted signal, sending nothing', async () => {
    connection = connectInMemory(async () => new Response('x'));
    await connection.clientSession.ready;
    const sent = connection.clientChannel.messagesSent;
    await expect(
      connection.client.fetch('/', { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(connection.clientChannel.messagesSent).toBe(sent);
  });

  it('stops a streaming response mid-body and releases the server source', async () => {
    const source = countingStream(patternBytes(64 * MiB));
    connection = connectInMemory(async () => new Response(source.stream));
    const controller = new AbortController();
    const response = await connection.client.fetch('/', { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort(new Error('user left'));
    await expect(reader.read()).rejects.toThrow('user left');
    await until(() => source.cancelled() !== undefined);
    expect(source.pulled()).toBeLessThan(8 * MiB);
  });

  it('cancels when the reader cancels the body', async () => {
    const source = countingStream(patternBytes(64 * MiB));
    connection = connectInMemory(async () => new Response(source.stream));
    const response = await connection.client.fetch('/');
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel('not interested');
    await until(() => source.cancelled() !== undefined);
  });

  it('fails with the named timeout error and aborts the handler', async () => {
    let aborted = false;
    connection = connectInMemory(
      (request) =>
        new Promise(() => {
          request.signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
      { fetch: { timeoutMs: 100 } },
    );
    const started = Date.now();
    await expect(connection.client.fetch('/')).rejects.toMatchObject({
      name: 'PeerFetchTimeoutError',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    await until(() => aborted);
  });
});

describe('cancellation from the server', () => {
  it('resets the response when its body fails mid-stream', async () => {
    connection = connectInMemory(async () => {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 2 * MiB) {
              controller.error(new Error('upstream died'));
              return;
            }
            controller.enqueue(patternBytes(64 * 1024));
            sent += 64 * 1024;
          },
        }),
      );
    });
    const response = await connection.client.fetch('/');
    expect(response.status).toBe(200);
    await expect(readAll(response.body)).rejects.toMatchObject({
      name: 'PeerFetchStreamResetError',
    });
    const again = await connection.client.fetch('/');
    expect(again.status).toBe(200);
  });

  /** A 64 MiB upload the server answers early: the client keeps the answer, and stops. */
  async function answeredEarly(handler: RequestHandler, status: number, body: unknown) {
    const source = countingStream(patternBytes(64 * MiB));
    connection = connectInMemory(handler);
    const response = await connection.client.fetch('/', {
      method: 'POST',
      body: source.stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual(body);
    await until(() => source.cancelled() !== undefined);
    expect(source.pulled()).toBeLessThan(8 * MiB);
  }

  it('stops an upload once the server has answered without reading it', async () => {
    await answeredEarly(async () => Response.json({ error: 'too large' }, { status: 413 }), 413, {
      error: 'too large',
    });
  });

  it('sends its answer, not a reset, when the handler cancels the upload before answering', async () => {
    const handler: RequestHandler = async (request) => {
      const reader = request.body!.getReader();
      await reader.read();
      await reader.cancel(new Error('upstream went away'));
      await sleep(20); // the answer comes a little later, as a proxy's 502 or 504 does
      return Response.json({ error: 'upstream unreachable' }, { status: 502 });
    };
    await answeredEarly(handler, 502, { error: 'upstream unreachable' });
  });
});
