/**
 * Request smuggling through the edge, tried for real: a paired client sends heads whose
 * `content-length` lies about the body that follows, and a raw TCP upstream records every
 * request line it parses on each socket. A smuggled request would show up there as a
 * second request line on the kept-alive socket.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { decodeFrame, FrameType, type HeaderList } from '@peerfetch/shared';
import { framesOf, rawFrames } from '@peerfetch/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type StartedEdge, startEdge } from '../helpers/edge.js';
import { type ClientSession, connectClient, pairClient } from '../helpers/pairing.js';
import { type StartedSignaling, startSignaling } from '../helpers/signaling.js';

/** What the raw upstream saw on one socket. */
interface SocketRecord {
  id: number;
  requests: { line: string; headers: HeaderList }[];
  closed: boolean;
}

/**
 * An HTTP/1.1 upstream parsed by hand, so nothing a library does hides what arrived: it
 * reads heads, then a body by `content-length` or chunked framing, answers 200, and keeps
 * the socket for the next request, as a kept-alive server does.
 */
async function startRawUpstream(): Promise<{
  server: Server;
  port: number;
  sockets: SocketRecord[];
}> {
  const sockets: SocketRecord[] = [];
  const server = createServer((socket: Socket) => {
    const record: SocketRecord = { id: sockets.length, requests: [], closed: false };
    sockets.push(record);
    let buffered = Buffer.alloc(0);
    let body: { kind: 'length'; left: number } | { kind: 'chunked' } | undefined;
    const answer = () => {
      const text = `request ${record.requests.length} on socket ${record.id}`;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
      body = undefined;
    };
    const parse = (): boolean => {
      if (!body) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return false;
        const [line = '', ...fields] = buffered.subarray(0, end).toString('latin1').split('\r\n');
        buffered = buffered.subarray(end + 4);
        const headers: HeaderList = fields.map((f) => {
          const colon = f.indexOf(':');
          return [f.slice(0, colon).trim().toLowerCase(), f.slice(colon + 1).trim()];
        });
        record.requests.push({ line, headers });
        const te = headers.find(([n]) => n === 'transfer-encoding')?.[1];
        const cl = headers.find(([n]) => n === 'content-length')?.[1];
        body = te ? { kind: 'chunked' } : { kind: 'length', left: Number(cl ?? 0) };
      }
      if (body.kind === 'length') {
        const take = Math.min(body.left, buffered.length);
        buffered = buffered.subarray(take);
        body.left -= take;
        if (body.left > 0) return false;
        answer();
        return true;
      }
      const lineEnd = buffered.indexOf('\r\n');
      if (lineEnd < 0) return false;
      const size = Number.parseInt(buffered.subarray(0, lineEnd).toString('latin1'), 16);
      if (buffered.length < lineEnd + 2 + size + 2) return false;
      buffered = buffered.subarray(lineEnd + 2 + size + 2);
      if (size === 0) answer();
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (parse()) {}
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      record.closed = true;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('raw upstream has no port');
  return { server, port: address.port, sockets };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const encoder = new TextEncoder();
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: elsewhere.invalid\r\n\r\n';

let signaling: StartedSignaling;
let upstream: Awaited<ReturnType<typeof startRawUpstream>>;
let edge: StartedEdge;
let client: ClientSession;
/** Every message the client sent, as it left. */
const sent: Uint8Array[] = [];

beforeAll(async () => {
  signaling = await startSignaling();
  upstream = await startRawUpstream();
  edge = await startEdge({
    signalingUrl: signaling.url,
    routes: { '/raw': `http://127.0.0.1:${upstream.port}/base` },
    env: { PEERFETCH_UPSTREAM_TIMEOUT_MS: '3000' },
  });
  const paired = await pairClient(signaling.port, edge);
  client = await connectClient(signaling.port, edge.peerId, {
    identity: { id: paired.id, token: paired.token },
    credentials: { key: paired.key },
    record: sent,
  });
});

afterAll(async () => {
  await client?.close();
  await edge?.stop();
  if (edge) await removeStateDir(edge.stateDir);
  upstream?.server.close();
  await signaling?.stop();
});

function socketsFor(path: string): SocketRecord[] {
  return upstream.sockets.filter((s) => s.requests.some((r) => r.line.includes(` ${path} `)));
}

/** The upstream's record of the request for `path` (its line and headers). */
function requestOf(path: string): { line: string; headers: HeaderList } | undefined {
  return upstream.sockets.flatMap((s) => s.requests).find((r) => r.line.includes(` ${path} `));
}

/** The request head (after its length prefix) and all body bytes the client sent on `ticket`. */
function sentOnTicket(ticket: number): { head: Uint8Array; body: Buffer } {
  const frames = sent.flatMap((m) => framesOf(m)).filter((f) => f.ticket === ticket);
  const request = frames.find((f) => f.type === FrameType.Request);
  if (!request) throw new Error(`no REQUEST frame on ticket ${ticket}`);
  const headLength = new DataView(request.payload.buffer, request.payload.byteOffset).getUint32(0);
  const parts = [request.payload.subarray(4 + headLength)];
  for (const f of frames) if (f.type === FrameType.Data) parts.push(f.payload);
  return { head: request.payload.subarray(0, 4 + headLength), body: Buffer.concat(parts) };
}

/** The encoded head as the client's own session would put it on the wire. */
function encodedHead(headers: HeaderList, path: string, method = 'POST'): Uint8Array {
  const frame = rawFrames.request(1, { method, path, headers }, new Uint8Array(), false);
  return decodeFrame(frame, 1 << 20).payload;
}

/**
 * Sends a request whose head carries `headers` and whose body arrives in two parts: `first`,
 * then (once the upstream has the request line, so the request is live there) `rest`.
 */
async function lyingRequest(
  path: string,
  headers: HeaderList,
  first: string,
  rest: string,
  method = 'POST',
) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const ticket = client.session.startRequest(
    { method, path: `/raw${path}`, headers },
    { kind: 'stream', stream },
  );
  controller.enqueue(encoder.encode(first));
  await until(() => socketsFor(`/base${path}`).length === 1, `the request line of ${path}`);
  if (rest) controller.enqueue(encoder.encode(rest));
  controller.close();
  const peer = await ticket.peerMessage;
  const text = peer.whole
    ? Buffer.from(peer.whole).toString()
    : await new Response(peer.body).text();
  return { ticket: ticket.id, status: peer.head.status, headers: peer.head.headers, text };
}

/** Checks the lying request died with its socket, and the next request is served fresh. */
async function expectClosedAndFreshAfter(path: string) {
  const [lying] = socketsFor(`/base${path}`);
  await until(() => lying!.closed, `the socket of ${path} to close`);
  // The socket may have carried earlier requests (it came from the pool), never a later one.
  const lyingLine = `POST /base${path} HTTP/1.1`;
  const from = lying!.requests.findIndex((r) => r.line === lyingLine);
  expect(lying!.requests.slice(from).map((r) => r.line)).toEqual([lyingLine]);
  const after = await client.fetch(`/raw/after${path}`, { method: 'POST', body: 'fine' });
  expect(after.status).toBe(200);
  const [fresh] = socketsFor(`/base/after${path}`);
  expect(fresh!.id).not.toBe(lying!.id);
  expect(await after.text()).toBe(`request 1 on socket ${fresh!.id}`);
  expect(lying!.requests.slice(from)).toHaveLength(1); // never reused
  expect(socketsFor('/smuggled')).toEqual([]);
}

function expectProblem(answer: { status: number; headers: HeaderList; text: string }) {
  expect(answer.status).toBe(400);
  expect(answer.headers).toContainEqual(['content-type', 'application/problem+json']);
  expect(JSON.parse(answer.text)).toMatchObject({ status: 400, detail: expect.any(String) });
}

describe('request framing through the edge', () => {
  it('a body longer than its content-length never smuggles its excess to the upstream', async () => {
    // Warm the pool first, so the lying request rides a kept-alive socket.
    expect((await client.fetch('/raw/warm')).status).toBe(200);
    const headers: HeaderList = [['content-length', '5']];
    const answer = await lyingRequest('/short', headers, 'hel', `lo${SMUGGLED}`);
    // The attack was delivered: the lying head, and the excess with a whole request in it.
    const delivered = sentOnTicket(answer.ticket);
    expect(delivered.head).toEqual(encodedHead(headers, '/raw/short'));
    expect(delivered.body.toString()).toBe(`hello${SMUGGLED}`);
    expect(socketsFor('/smuggled')).toEqual([]);
    expect(requestOf('/base/short')!.headers).toContainEqual(['content-length', '5']);
    expectProblem(answer);
    expect(JSON.parse(answer.text).detail).toMatch(/longer than its content-length of 5/);
    await expectClosedAndFreshAfter('/short');
  });

  it('a body shorter than its content-length aborts the upstream request', async () => {
    const headers: HeaderList = [['content-length', '100']];
    const answer = await lyingRequest('/long', headers, 'hello', '');
    expectProblem(answer);
    expect(JSON.parse(answer.text).detail).toMatch(/shorter than its content-length of 100/);
    const delivered = sentOnTicket(answer.ticket);
    expect(delivered.head).toEqual(encodedHead(headers, '/raw/long'));
    expect(delivered.body.toString()).toBe('hello');
    await expectClosedAndFreshAfter('/long');
  });

  it('a whole lying body in one frame is refused before anything reaches the upstream', async () => {
    const headers: HeaderList = [['content-length', '5']];
    const before = upstream.sockets.reduce((n, s) => n + s.requests.length, 0);
    const ticket = client.session.startRequest(
      { method: 'POST', path: '/raw/one-frame', headers },
      { kind: 'bytes', bytes: encoder.encode(`hello${SMUGGLED}`) },
    );
    const peer = await ticket.peerMessage;
    expectProblem({ ...peer.head, text: Buffer.from(peer.whole ?? []).toString() });
    expect(sentOnTicket(ticket.id).body.toString()).toBe(`hello${SMUGGLED}`);
    expect(upstream.sockets.reduce((n, s) => n + s.requests.length, 0)).toBe(before);
    expect(socketsFor('/smuggled')).toEqual([]);
    expect((await client.fetch('/raw/after-one-frame')).status).toBe(200);
  });

  it('a body of unknown length goes chunked, even for DELETE', async () => {
    const answer = await lyingRequest('/no-length', [], 'x', SMUGGLED, 'DELETE');
    expect(sentOnTicket(answer.ticket).body.toString()).toBe(`x${SMUGGLED}`);
    expect(socketsFor('/smuggled')).toEqual([]);
    expect(answer.status).toBe(200);
    const seen = requestOf('/base/no-length')!;
    expect(seen.headers).toContainEqual(['transfer-encoding', 'chunked']);
    expect(seen.headers.some(([n]) => n === 'content-length')).toBe(false);
  });

  it('duplicate, comma-joined or malformed lengths and client transfer-encodings are refused', async () => {
    const before = upstream.sockets.reduce((n, s) => n + s.requests.length, 0);
    const heads: HeaderList[] = [
      [
        ['content-length', '5'],
        ['content-length', '50'],
      ],
      [['content-length', '5, 5']],
      [['content-length', '-1']],
      [['content-length', '0x5']],
      [['transfer-encoding', 'chunked']],
    ];
    for (const headers of heads) {
      const ticket = client.session.startRequest(
        { method: 'POST', path: '/raw/odd', headers },
        { kind: 'bytes', bytes: encoder.encode('hello') },
      );
      const peer = await ticket.peerMessage;
      expect(peer.head.status, JSON.stringify(headers)).toBe(400);
    }
    expect(upstream.sockets.reduce((n, s) => n + s.requests.length, 0)).toBe(before);
  });
});
