import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

/**
 * The one way the server makes a request of its own (a client's jwks_uri, and
 * oidc-provider's fetches). Only public addresses, checked after DNS and pinned for
 * the connection (no rebinding between check and connect); no redirects; a byte
 * cap enforced while reading; one timeout over lookup, connect and body. Every
 * failure is an OutboundError whose reason is for the log only: callers answer
 * one generic message, so the fetcher is no port or content oracle.
 */
export interface OutboundPolicy {
  /** Development and tests only (refused in production): http, loopback and private addresses. */
  allowPrivate: boolean;
  timeoutMs: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024;

export class OutboundError extends Error {
  override name = 'OutboundError';
  /** Why, for a debug log; never shown to the requester. */
  constructor(readonly reason: string) {
    super('the outbound request failed');
  }
}

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'cgnat' | 'multicast' | 'reserved';

const V4_RANGES: [number, number, number, AddressClass][] = [
  // [first octet, second octet, prefix length, class]
  [0, 0, 8, 'unspecified'],
  [10, 0, 8, 'private'],
  [100, 64, 10, 'cgnat'],
  [127, 0, 8, 'loopback'],
  [169, 254, 16, 'link-local'],
  [172, 16, 12, 'private'],
  [192, 168, 16, 'private'],
  [198, 18, 15, 'reserved'],
  [224, 0, 4, 'multicast'],
  [240, 0, 4, 'reserved'],
];
// /24s: IETF protocol assignments and the documentation networks.
const V4_RESERVED_24 = ['192.0.0', '192.0.2', '198.51.100', '203.0.113'];

function classifyV4(octets: number[]): AddressClass {
  const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  for (const [a, b, bits, cls] of V4_RANGES) {
    const base = ((a << 24) | (b << 16)) >>> 0;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if (((value & mask) >>> 0) === base) return cls;
  }
  if (V4_RESERVED_24.includes(octets.slice(0, 3).join('.'))) return 'reserved';
  return 'public';
}

/** The 16 bytes of an IPv6 address (zone id dropped), or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  let address = text.replace(/%.*$/, '');
  if (isIP(address) !== 6) return undefined;
  const dotted = /:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = address.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const all = halves.length > 1 ? [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  return all.length === 8 ? all.flatMap((g) => [g >> 8, g & 0xff]) : undefined;
}

function classifyV6(bytes: number[]): AddressClass {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const v4 = bytes.slice(12);
  if (zero(0, 16)) return 'unspecified';
  if (zero(0, 15) && bytes[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96 and NAT64 64:ff9b::/96 carry an IPv4 address.
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return classifyV4(v4);
  if (zero(0, 12)) return classifyV4(v4);
  if (bytes[0] === 0 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    return zero(4, 12) ? classifyV4(v4) : 'reserved'; // 64:ff9b:1::/48 is local-use NAT64
  }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) {
    return classifyV4(bytes.slice(2, 6)); // 6to4 carries one too
  }
  if (bytes[0] === 0x01 && zero(1, 8)) return 'reserved'; // 100::/64 discard
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8) return 'reserved'; // documentation
  if ((bytes[0]! & 0xfe) === 0xfc) return 'private'; // fc00::/7
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0xc0) return 'private'; // fec0::/10, deprecated site-local
  if (bytes[0] === 0xff) return 'multicast';
  return 'public';
}

/** What kind of address an IP literal is; undefined when it is not one. */
export function classifyAddress(ip: string): AddressClass | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const version = isIP(bare.replace(/%.*$/, ''));
  if (version === 4) return classifyV4(bare.split('.').map(Number));
  if (version === 6) {
    const bytes = parseIPv6(bare);
    return bytes ? classifyV6(bytes) : 'reserved';
  }
  return undefined;
}

const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/**
 * What can be said of a URL without a DNS lookup (registration, and before every
 * fetch): https (http only with allowPrivate), no credentials, and not a literal
 * private address or a localhost name. A problem as a message, or undefined.
 */
export function staticUrlProblem(url: string, policy: Pick<OutboundPolicy, 'allowPrivate'>): string | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return 'must be a URL';
  }
  if (target.protocol !== 'https:' && !(policy.allowPrivate && target.protocol === 'http:')) return 'must be an https URL';
  if (target.username || target.password) return 'must not contain credentials';
  if (policy.allowPrivate) return undefined;
  const host = target.hostname.toLowerCase().replace(/\.$/, '');
  const cls = classifyAddress(host);
  if ((cls && cls !== 'public') || isLocalName(host)) return 'must not point at a loopback, private or link-local address';
  return undefined;
}

/** The addresses a host name stands for, each checked; the one to connect to first. */
export async function resolvePublic(hostname: string, policy: Pick<OutboundPolicy, 'allowPrivate'>): Promise<{ address: string; family: number }> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const literal = isIP(host);
  const addresses = literal
    ? [{ address: host, family: literal }]
    : await dnsLookup(host, { all: true, verbatim: true }).catch((error: NodeJS.ErrnoException) => {
        throw new OutboundError(`lookup failed: ${error.code ?? 'error'}`);
      });
  if (!addresses.length) throw new OutboundError('lookup found no address');
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const cls = classifyAddress(address);
      if (cls !== 'public') throw new OutboundError(`address refused: ${cls ?? 'unknown'}`);
    }
  }
  return addresses[0]!;
}

/**
 * The registration check: the static one, then, if the name resolves now, that it
 * resolves to public addresses only. A name that does not resolve yet is accepted:
 * every fetch checks again.
 */
export async function registrationUrlProblem(url: string, policy: OutboundPolicy): Promise<string | undefined> {
  const problem = staticUrlProblem(url, policy);
  if (problem || policy.allowPrivate) return problem;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), policy.timeoutMs)));
  try {
    await Promise.race([resolvePublic(new URL(url).hostname, policy), timeout]);
    return undefined;
  } catch (error) {
    return error instanceof OutboundError && error.reason.startsWith('address refused') ? 'must not point at a loopback, private or link-local address' : undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** A `lookup` for node:net that answers only the address already checked. */
export function pinnedLookup(address: string, family: number): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Bytes of the response body at most; DEFAULT_MAX_BYTES unless given. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request under every rule above. A 3xx is a failure; other statuses are the caller's to judge. */
export function outboundRequest(url: string, policy: OutboundPolicy, options: OutboundRequest = {}): Promise<OutboundResponse> {
  const problem = staticUrlProblem(url, policy);
  if (problem) return Promise.reject(new OutboundError(`url refused: ${problem}`));
  const target = new URL(url);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;

  return new Promise((resolve, reject) => {
    let settled = false;
    let destroy = () => {};
    const finish = (error: OutboundError | undefined, response?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      destroy();
      if (error) reject(error);
      else resolve(response!);
    };
    const fail = (reason: string) => finish(new OutboundError(reason));
    const timer = setTimeout(() => fail(`timed out after ${policy.timeoutMs} ms`), policy.timeoutMs);
    const onAbort = () => fail('aborted');
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    resolvePublic(target.hostname, policy).then(({ address, family }) => {
      if (settled) return;
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send({
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: { 'user-agent': 'Wathiqa', ...options.headers },
        lookup: pinnedLookup(address, family),
        agent: false,
      });
      destroy = () => req.destroy();
      req.on('error', (error: NodeJS.ErrnoException) => fail(`request failed: ${error.code ?? error.message}`));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) return fail(`redirect (${status}) refused`);
        if (Number(res.headers['content-length']) > maxBytes) return fail(`declared ${res.headers['content-length']} bytes, more than ${maxBytes}`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return fail(`body exceeds ${maxBytes} bytes`);
          chunks.push(chunk);
        });
        res.on('error', (error: NodeJS.ErrnoException) => fail(`response failed: ${error.code ?? error.message}`));
        res.on('end', () => finish(undefined, { status, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('close', () => fail('connection closed before the body ended'));
      });
      req.end(options.body);
    }, (error: unknown) => finish(error instanceof OutboundError ? error : new OutboundError('lookup failed')));
  });
}

/** A JSON document answered with 200, at most maxBytes long. */
export async function outboundJson(url: string, policy: OutboundPolicy, maxBytes = DEFAULT_MAX_BYTES): Promise<unknown> {
  const response = await outboundRequest(url, policy, { headers: { accept: 'application/json' }, maxBytes });
  if (response.status !== 200) throw new OutboundError(`status ${response.status}`);
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new OutboundError('not JSON');
  }
}

/**
 * A `fetch` for oidc-provider's `fetch` option: its own requests (a client's jwks_uri
 * for private_key_jwt, request objects and encryption; sector_identifier_uri) go
 * through the same rules.
 */
export function providerFetch(policy: OutboundPolicy, onFailure?: (url: string, reason: string) => void) {
  return async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    let body: string | Buffer | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string' || Buffer.isBuffer(init.body)) body = init.body as string | Buffer;
    else if (init.body != null) throw new OutboundError('unsupported request body');
    try {
      const response = await outboundRequest(url, policy, { method: init.method, headers, body, signal: init.signal ?? undefined });
      const nullBody = [101, 204, 205, 304].includes(response.status);
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
      }
      return new Response(nullBody ? null : new Uint8Array(response.body), { status: response.status, headers: responseHeaders });
    } catch (error) {
      if (error instanceof OutboundError) onFailure?.(url, error.reason);
      throw error;
    }
  };
}

/** A URL fit to name in a log: origin and path, never a query or credentials. */
export function loggableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
