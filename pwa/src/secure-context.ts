/**
 * Browsers give WebCrypto (the pairing, and the key proof of every session) to secure pages
 * only: HTTPS, or localhost. A phone that opens the app at a plain-HTTP LAN address would
 * find `crypto.subtle` missing, so the app says how to open it instead of failing.
 */

/** Whether this page can run PeerFetch at all. */
export function hasSecureContext(win: Window): boolean {
  return win.isSecureContext && win.crypto?.subtle !== undefined;
}

function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  text: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** Replaces `root` with the page that says where to open the app. */
export function showSecureContextHelp(root: HTMLElement, location: Location): void {
  const doc = root.ownerDocument;
  const local = `http://localhost${location.port ? `:${location.port}` : ''}${location.pathname}`;
  const secure = `https://${location.host}${location.pathname}`;
  doc.title = 'Open PeerFetch over HTTPS';
  const card = element(doc, 'section', '', { class: 'card stack', 'data-testid': 'insecure' });
  const onPhone = element(doc, 'p', 'On a phone, open the app from a server with HTTPS, such as ');
  onPhone.append(element(doc, 'a', secure, { href: secure }), '.');
  const here = element(doc, 'p', 'On the computer that runs PeerFetch, open ');
  here.append(element(doc, 'a', local, { href: local }), '.');
  card.append(
    element(doc, 'h1', 'Open PeerFetch over HTTPS'),
    element(
      doc,
      'p',
      `This page came from ${location.origin}, a plain-HTTP address. Browsers keep the cryptography PeerFetch uses to pair with your devices and to verify them for secure pages, so it cannot run here.`,
    ),
    onPhone,
    here,
  );
  root.replaceChildren(card);
  root.className = 'fatal';
}
