import {
  connectInMemory,
  type InMemoryConnection,
  patternBytes,
  readAll,
  sha256Hex,
} from '@peerfetch/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';

const MiB = 1024 * 1024;
let connection: InMemoryConnection | undefined;

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

describe('FrameScheduler frame buffer', () => {
  it('encodes every body frame into one reused buffer and the body still arrives intact', async () => {
    const body = patternBytes(3 * MiB + 12345);
    connection = connectInMemory(async () => new Response(body));
    const channel = connection.serverChannel;
    const buffers = new Set<ArrayBuffer>();
    let bodyFrames = 0;
    const send = channel.send.bind(channel);
    channel.send = (data) => {
      if (data.byteLength > 1024) {
        bodyFrames++;
        buffers.add(data.buffer);
      }
      send(data);
    };
    const response = await connection.client.fetch('/');
    const received = await readAll(response.body);
    expect(received.byteLength).toBe(body.byteLength);
    expect(await sha256Hex(received)).toBe(await sha256Hex(body));
    expect(bodyFrames).toBeGreaterThan(10);
    expect(buffers.size).toBe(1);
  });
});
