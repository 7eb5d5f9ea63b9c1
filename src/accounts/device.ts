import { isIPv4, isIPv6 } from 'node:net';

/**
 * How the account page names a signed-in browser: coarse on purpose. A browser
 * family and a system family from the User-Agent (never the version or the whole
 * header, which would fingerprint the person), and the client address cut to its
 * network. There is no GeoIP database here, so "place" is the network, not a town.
 */
export interface Device {
  browser: string | null;
  os: string | null;
}

/**
 * First match wins, so the order matters: Edge, Opera and Samsung Internet also say
 * "Chrome", Chrome also says "Safari", and Android also says "Linux". Brand names
 * are kept as they are written in every language.
 */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:HeadlessChrome|Chrome|CriOS)\//, 'Chrome'],
  [/\bChromium\//, 'Chromium'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bWindows\b/, 'Windows'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/** The header is the client's to write: only a bounded prefix is looked at. */
const UA_MAX = 512;

export function describeDevice(userAgent: string | undefined): Device {
  const ua = (userAgent ?? '').slice(0, UA_MAX);
  const pick = (table: [RegExp, string][]) => table.find(([pattern]) => pattern.test(ua))?.[1] ?? null;
  return { browser: pick(BROWSERS), os: pick(SYSTEMS) };
}

/** An IPv6 address as its eight 16-bit groups, or undefined (zone ids and embedded IPv4 handled). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0]!.toLowerCase();
  // An IPv4 tail ("::ffff:192.0.2.1") becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * The client address cut to its network: IPv4 to /24 ("203.0.113.x"), IPv6 to /48
 * ("2001:db8:85a3::/48"); an IPv4-mapped IPv6 address counts as IPv4. Anything
 * else is null.
 */
export function coarseNetwork(ip: string | undefined): string | null {
  if (!ip) return null;
  if (isIPv4(ip)) return `${ip.split('.').slice(0, 3).join('.')}.x`;
  if (!isIPv6(ip.split('%')[0]!)) return null;
  const groups = ipv6Groups(ip);
  if (!groups) return null;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.x`;
  }
  const prefix = groups.slice(0, 3);
  // Trailing zero groups of the prefix fold into the "::".
  while (prefix.length && prefix[prefix.length - 1] === 0) prefix.pop();
  return `${prefix.map((g) => g.toString(16)).join(':')}::/48`;
}
