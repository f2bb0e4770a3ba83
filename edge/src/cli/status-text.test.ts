import { describe, expect, it } from 'vitest';
import type { EdgeStatus } from '../main.js';
import { statusText } from './status-text.js';

const status: EdgeStatus = {
  peerId: 'edge-1',
  name: 'Home Pi',
  version: '1.2.3',
  signaling: {
    url: 'https://signal.example',
    state: 'joined',
    registrations: 1,
    dropped: { unpaired: 3, flood: 0 },
    pendingConnections: 2,
  },
  sessions: 4,
  pairedClients: 5,
  pairingOpenUntil: 1_000_000 + 125_000,
  routes: ['/ha', '/ (device API)'],
  uptimeSeconds: 7_500,
};

describe('statusText', () => {
  it('tells each fact in words, aligned, with no JSON', () => {
    expect(statusText(status, 1_000_000)).toBe(
      [
        'Device          Home Pi (edge-1)',
        'Version         1.2.3, up 2 hours 5 minutes',
        'Signaling       joined at https://signal.example (1 registration)',
        'Sessions        4 open, 2 waiting to authenticate',
        'Paired clients  5',
        'Pairing         open for 2m 5s',
        'Routes          /ha, / (device API)',
        'Dropped         3 signaling messages from strangers (unpaired 3)',
      ].join('\n'),
    );
  });

  it('says how to open a closed pairing window, and leaves out what was never dropped', () => {
    const text = statusText({
      ...status,
      pairingOpenUntil: null,
      signaling: { ...status.signaling, dropped: {} },
    });
    expect(text).toContain('Pairing         closed (open a window with `peerfetch-edge pair`)');
    expect(text).not.toContain('Dropped');
  });
});
