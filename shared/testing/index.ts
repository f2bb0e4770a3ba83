/**
 * In-process test support for every package: in-memory channels and connections, frames
 * built by hand, byte helpers. Runtime-agnostic (browsers and Node); the Node-only helpers
 * are in `@peerfetch/shared/testing/node`. Read as TypeScript source, never built into `dist`.
 */
export { countingStream, patternBytes, readAll, sha256Hex, sleep } from './bytes.js';
export { connectInMemory, type InMemoryConnection, type InMemoryOptions } from './connect.js';
export { FakeChannel } from './fake-channel.js';
export { framesOf, rawFrames } from './frames.js';
export {
  createMemoryChannelPair,
  MemoryChannel,
  type MemoryChannelOptions,
} from './memory-channel.js';
