import { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { limitMessages } from './message-budget.js';

it('delivers a burst, then the sustained rate, and stops a socket over its budget', () => {
  let now = 0;
  const socket = new EventEmitter();
  const delivered: number[] = [];
  socket.on('message', (n: number) => delivered.push(n));
  let exceeded = 0;
  limitMessages(
    socket,
    { perSecond: 10, burst: 5 },
    () => exceeded++,
    () => now,
  );
  for (let i = 0; i < 5; i++) socket.emit('message', i);
  now += 300; // three more tokens
  for (let i = 5; i < 8; i++) socket.emit('message', i);
  expect(delivered).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(exceeded).toBe(0);
  socket.emit('message', 8);
  now += 10_000;
  socket.emit('message', 9);
  expect(delivered).toHaveLength(8);
  expect(exceeded).toBe(1);
  // Other events pass as before.
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.emit('close');
  expect(closed).toBe(true);
});
