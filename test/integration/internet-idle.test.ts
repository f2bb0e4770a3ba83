/**
 * A PeerFetch session left idle for a minute behind NATs that forget a UDP mapping after 10 s
 * of silence (the phone on a friend's network behind a cone NAT, the edge at home): the
 * session's own traffic must hold both mappings, and a request after the idle minute goes
 * through on the same session and the same path. Runs in the internet in a box.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePath, pathKind } from '../helpers/internet/ice-path.js';
import { answersAfterIdle } from '../helpers/internet/nat-probe.js';
import { udpTimeouts } from '../helpers/internet/router.js';
import { type InternetStack, startInternetStack } from '../helpers/internet/stack.js';

const NAT_UDP_TIMEOUT_S = 10;
const IDLE_MS = 60_000;

let stack: InternetStack;

beforeAll(async () => {
  stack = await startInternetStack({ natUdpTimeoutSeconds: NAT_UDP_TIMEOUT_S });
});
afterAll(async () => {
  await stack?.stop();
});

const sessionEvents = () =>
  stack.edge.logs.filter((l) =>
    ['session opened', 'session closed', 'session ended with an error'].includes(String(l.msg)),
  ).length;

it('keeps an idle session for 60 s behind NATs with 10 s UDP timeouts', async () => {
  const { internet } = stack;
  for (const router of ['home', 'remote'] as const) {
    const timeouts = await udpTimeouts(internet.netns(router));
    expect(timeouts).toEqual({ oneWay: NAT_UDP_TIMEOUT_S, stream: NAT_UDP_TIMEOUT_S });
  }
  await stack.withPhoneSession('remote', async (phone) => {
    expect((await phone.fetch('/api/device')).status).toBe(200);
    await expect
      .poll(async () => pathKind(await phone.path()), { timeout: 15_000, interval: 250 })
      .toBe('peer-to-peer across NATs');
    const before = await phone.path();
    const eventsBefore = sessionEvents();

    // Meanwhile a bare UDP flow through the phone's router shows the 10 s timeout at work:
    // answers 0 and 3 s after its one datagram get back, one 15 s after it does not.
    const [answered] = await Promise.all([
      answersAfterIdle(internet, 'phone', [0, 3_000, 15_000]),
      new Promise((r) => setTimeout(r, IDLE_MS)),
    ]);
    expect(answered).toEqual([0, 3_000]);

    const response = await phone.fetch('/api/device', 10_000);
    expect(response.status).toBe(200);
    const after = await phone.path();
    console.log(`after ${IDLE_MS / 1000} s idle: ${describePath(after)}`);
    expect(pathKind(after), after.tried.join('\n')).toBe('peer-to-peer across NATs');
    expect(after.remote).toEqual(before.remote);
    expect(after.local).toEqual(before.local);
    // No session ended or began on the edge: the request used the session from before.
    expect(sessionEvents()).toBe(eventsBefore);
  });
}, 150_000);
