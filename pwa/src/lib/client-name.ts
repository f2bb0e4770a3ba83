/**
 * What this browser is, read from its user agent by bowser (a well-kept parser that follows
 * new browsers and platforms, which a hand-written list of patterns would not): a default
 * name for the devices it pairs with to list it by ("Chrome on Android", "Safari on iPhone",
 * "Firefox on Linux"), and the kind of thing it runs on, for the words the screens use
 * ("this phone", "this computer").
 */
import Bowser from 'bowser';

export type ClientKind = 'phone' | 'tablet' | 'computer' | 'device';

export interface ClientDescription {
  /** Browser first, because that is what tells two entries apart on one person's phone. */
  name: string;
  kind: ClientKind;
}

const KINDS: Record<string, ClientKind> = {
  mobile: 'phone',
  tablet: 'tablet',
  desktop: 'computer',
  tv: 'device',
};

export function describeClient(userAgent: string): ClientDescription {
  const parsed = Bowser.parse(userAgent);
  // "Samsung Internet for Android on Android" says the platform twice.
  const browser = parsed.browser.name?.replace(/ for (Android|iOS)$/, '') || 'Browser';
  const model = parsed.platform.vendor === 'Apple' ? parsed.platform.model : undefined;
  const platform = model || parsed.os.name || 'this device';
  return {
    name: `${browser} on ${platform}`,
    kind: KINDS[parsed.platform.type ?? ''] ?? 'device',
  };
}
