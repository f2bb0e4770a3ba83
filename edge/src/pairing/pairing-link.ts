/** What the edge shows a person who wants to pair a phone: the code, the PWA link and its QR code. */
import type { OpenWindow } from './pairing-window.js';

/** The PWA link that opens "Add device" with the device and code filled in. */
export function pairingLink(signalingUrl: string, edgeId: string, code: string): string {
  const base = signalingUrl.replace(/\/+$/, '');
  return `${base}/#/pair?device=${encodeURIComponent(edgeId)}&code=${code}`;
}

/** A few lines for a terminal: the code, how long it is valid, the link and a QR code of it. */
export async function pairingText(window: OpenWindow, link: string): Promise<string> {
  // Loaded here: only a person's terminal needs it; a service would keep its 0.3 MiB of heap.
  const QRCode = await import('qrcode');
  const qr = await QRCode.toString(link, { type: 'terminal', small: true });
  const until = new Date(window.expiresAt).toLocaleTimeString();
  return [
    `Pairing code: ${window.code.slice(0, 3)} ${window.code.slice(3)}  (valid until ${until}, ${window.attemptsLeft} attempts left)`,
    `Open on the phone: ${link}`,
    qr,
  ].join('\n');
}
