/**
 * A readable default name for this phone, as the devices it pairs with will list it:
 * "Chrome on Android", "Safari on iPhone", "Firefox on Windows". Browser first, because
 * that is what tells two entries apart on one person's phone.
 */
export function clientNameFromUserAgent(userAgent: string): string {
  return `${browserOf(userAgent)} on ${platformOf(userAgent)}`;
}

function browserOf(ua: string): string {
  // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
  if (/\bEdg(A|iOS)?\//.test(ua)) return 'Edge';
  if (/\b(OPR|OPT)\//.test(ua)) return 'Opera';
  if (/\bSamsungBrowser\//.test(ua)) return 'Samsung Internet';
  if (/\b(Firefox|FxiOS)\//.test(ua)) return 'Firefox';
  if (/\b(HeadlessChrome|Chrome|Chromium|CriOS)\//.test(ua)) return 'Chrome';
  if (/\bVersion\/[\d.]+.*\bSafari\//.test(ua)) return 'Safari';
  return 'Browser';
}

function platformOf(ua: string): string {
  if (/\biPhone\b/.test(ua)) return 'iPhone';
  if (/\biPad\b/.test(ua)) return 'iPad';
  if (/\bAndroid\b/.test(ua)) return 'Android';
  if (/\bCrOS\b/.test(ua)) return 'ChromeOS';
  if (/\bWindows\b/.test(ua)) return 'Windows';
  if (/\bMac OS X\b|\bMacintosh\b/.test(ua)) return 'Mac';
  if (/\bLinux\b/.test(ua)) return 'Linux';
  return 'this device';
}
