/**
 * TURN over time and TURN gone, in the internet in a box: credentials from /ice expire
 * (TURN_TTL), so an edge that stays registered must fetch fresh ones before they do; and a
 * client that has no path because the relay is down must fail within its timeout, saying so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describePath, pathKind } from '../helpers/internet/ice-path.js';
import { type InternetStack, startInternetStack } from '../helpers/internet/stack.js';

const TTL_SECONDS = 60;
/** Three lifetimes of the first credentials: the edge must have refreshed several times. */
const REGISTERED_FOR_MS = 3 * 60_000;

let stack: InternetStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** The expiry (Unix s) of a coturn username from /ice (`<expiry>:<peer id>`). */
const expiryOf = (username: string) => Number(username.split(':')[0]);

describe('TURN credentials', () => {
  it(
    `keep an edge that relays only reachable ${REGISTERED_FOR_MS / 60_000} minutes after it registered, with a TTL of ${TTL_SECONDS} s`,
    async () => {
      // relayOnly: the edge's only candidates are its own TURN allocations, so a session
      // works only if the credentials it holds now are fresh.
      stack = await startInternetStack({
        turnTtlSeconds: TTL_SECONDS,
        edgeEnv: { PEERFETCH_RELAY_ONLY: 'true', PEERFETCH_LOG_LEVEL: 'debug' },
      });
      const paired = await stack.pairPhoneAtHome();
      expect(paired.code, paired.stderr).toBe(0);
      const registeredAt = Date.now();
      await new Promise((r) => setTimeout(r, REGISTERED_FOR_MS - (Date.now() - registeredAt)));
      // The edge fetched /ice again about every TTL / 2 while it stayed registered.
      const fetches = stack.edge.logs.filter((l) => l.msg === 'ICE servers fetched').length;
      expect(fetches).toBeGreaterThanOrEqual(REGISTERED_FOR_MS / ((TTL_SECONDS * 1000) / 2));
      const { edge, coturn } = stack;
      const before = new Set(coturn.allocations().map((a) => a.session));
      await stack.withPhoneSession('cellular', async (phone) => {
        expect((await phone.fetch('/api/device')).status).toBe(200);
        const path = await phone.path();
        console.log(describePath(path));
        expect(pathKind(path)).toBe('relayed by TURN');
      });
      // The edge's allocation for this session was made now, with credentials still valid.
      const edgeAllocations = coturn
        .allocations()
        .filter((a) => !before.has(a.session) && a.username.endsWith(`:${edge.peerId}`));
      expect(edgeAllocations.length).toBeGreaterThan(0);
      const nowSeconds = Date.now() / 1000;
      for (const a of edgeAllocations) expect(expiryOf(a.username)).toBeGreaterThan(nowSeconds);
      // …and were issued long after the first ones had expired.
      expect(Math.min(...edgeAllocations.map((a) => expiryOf(a.username)))).toBeGreaterThan(
        registeredAt / 1000 + TTL_SECONDS,
      );
    },
    REGISTERED_FOR_MS + 120_000,
  );
});

describe('TURN down', () => {
  it('fails a client with no path within its timeout, and names TURN', async () => {
    stack = await startInternetStack();
    const paired = await stack.pairPhoneAtHome();
    expect(paired.code, paired.stderr).toBe(0);
    // From cellular (symmetric NAT) to the home edge, only a relay works; take it away.
    await stack.coturn.stop();
    await stack.internet.movePhone('cellular');
    const timeoutMs = 8000;
    const started = Date.now();
    const result = await stack.phoneCli([
      'fetch',
      '--device',
      stack.edge.peerId,
      '--timeout',
      String(timeoutMs),
      '/api/device',
    ]);
    const elapsed = Date.now() - started;
    console.log(`no path: failed after ${elapsed} ms: ${result.stderr.toString().trim()}`);
    expect(result.code).not.toBe(0);
    expect(result.stderr.toString()).toMatch(
      new RegExp(
        `could not open a connection to device ${stack.edge.peerId} within ${timeoutMs / 1000} s: the TURN server`,
      ),
    );
    // The timeout, plus the CLI's own start (Node, wrtc) and exit: not a second wait on top.
    expect(elapsed).toBeLessThan(timeoutMs + 4000);
  });
});
