import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import {
  classifyAddress,
  outboundJson,
  outboundRequest,
  OutboundError,
  parseIPv6,
  pinnedLookup,
  providerFetch,
  registrationUrlProblem,
  resolvePublic,
  staticUrlProblem,
} from '../../src/http/outbound.js';
import { startHostileServer } from '../helpers/hostile-server.js';

/**
 * The guarded fetcher against real servers on 127.0.0.1. Refusals of private
 * addresses are decided before connecting: the local server counts connections
 * to show none arrived.
 */
describe('classifyAddress', () => {
  it('classifies IPv4 literals', () => {
    const cases: [string, string][] = [
      ['8.8.8.8', 'public'],
      ['1.1.1.1', 'public'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', 'public'],
      ['192.168.1.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['169.254.169.254', 'link-local'],
      ['169.254.0.1', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['100.64.0.1', 'cgnat'],
      ['100.127.255.255', 'cgnat'],
      ['100.128.0.1', 'public'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['240.0.0.1', 'reserved'],
      ['255.255.255.255', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['192.0.2.1', 'reserved'],
      ['192.0.0.8', 'reserved'],
    ];
    expect(cases.map(([ip]) => [ip, classifyAddress(ip)])).toEqual(cases);
  });

  it('classifies IPv6 literals, including the IPv4 forms they carry', () => {
    const cases: [string, string][] = [
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['fc00::1', 'private'],
      ['fd12:3456:789a::1', 'private'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['febf::1', 'link-local'],
      ['fec0::1', 'private'],
      ['ff02::1', 'multicast'],
      ['2606:4700:4700::1111', 'public'],
      ['2001:db8::1', 'reserved'],
      // IPv4-mapped, dotted and hex
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::FFFF:169.254.169.254', 'link-local'],
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['::ffff:10.1.2.3', 'private'],
      ['::ffff:0.0.0.0', 'unspecified'],
      ['0:0:0:0:0:ffff:c0a8:101', 'private'],
      ['::ffff:8.8.8.8', 'public'],
      // IPv4-compatible, NAT64, 6to4
      ['::127.0.0.1', 'loopback'],
      ['::a9fe:a9fe', 'link-local'],
      ['64:ff9b::a00:1', 'private'],
      ['64:ff9b::808:808', 'public'],
      ['64:ff9b:1::1', 'reserved'],
      ['2002:7f00:1::', 'loopback'],
      ['2002:808:808::1', 'public'],
    ];
    expect(cases.map(([ip]) => [ip, classifyAddress(ip)])).toEqual(cases);
  });

  it('answers undefined for what is not an IP literal', () => {
    for (const host of ['example.com', 'localhost', '1.2.3', '1.2.3.4.5', '::g', '']) expect(classifyAddress(host)).toBeUndefined();
  });

  it('parses IPv6 into 16 bytes', () => {
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
    expect(parseIPv6('2001:db8::8:800:200c:417a')).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 8, 0, 0x20, 0x0c, 0x41, 0x7a]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(parseIPv6('1.2.3.4')).toBeUndefined();
  });
});

describe('staticUrlProblem', () => {
  const strict = { allowPrivate: false };
  it('refuses http, credentials, private literals and localhost names without a lookup', () => {
    const refused: [string, RegExp][] = [
      ['http://example.com/jwks', /https/],
      ['http://10.0.0.1/', /https/],
      ['ftp://example.com/', /https/],
      ['https://user:pw@example.com/', /credentials/],
      ['https://169.254.169.254/latest/meta-data/', /loopback, private or link-local/],
      ['https://10.0.0.1/', /private/],
      ['https://127.0.0.1:8443/', /loopback/],
      ['https://[::1]/', /loopback/],
      ['https://[::ffff:127.0.0.1]/', /loopback/],
      ['https://[::ffff:a9fe:a9fe]/', /loopback/],
      ['https://[fe80::1]/', /link-local/],
      ['https://0x7f.1/', /loopback/], // the URL parser normalizes these to 127.0.0.1
      ['https://2130706433/', /loopback/],
      ['https://0/', /loopback/],
      ['https://localhost/jwks', /loopback/],
      ['https://LOCALHOST./jwks', /loopback/],
      ['https://keys.localhost/', /loopback/],
      ['not a url', /URL/],
    ];
    expect(refused.map(([url]) => [url, staticUrlProblem(url, strict)])).toEqual(refused.map(([url, re]) => [url, expect.stringMatching(re)]));
    expect(staticUrlProblem('https://rp.example/jwks.json', strict)).toBeUndefined();
    expect(staticUrlProblem('https://8.8.8.8/jwks.json', strict)).toBeUndefined();
  });

  it('allows http and private addresses in development', () => {
    for (const url of ['http://localhost:3000/jwks', 'http://10.0.0.1/', 'https://[::1]/']) expect(staticUrlProblem(url, { allowPrivate: true })).toBeUndefined();
    expect(staticUrlProblem('ftp://localhost/', { allowPrivate: true })).toMatch(/https/);
  });

  it('at registration, also refuses a name that resolves to loopback, and accepts one that does not resolve yet', async () => {
    const policy = { allowPrivate: false, timeoutMs: 2000 };
    expect(await registrationUrlProblem('https://localhost/jwks', policy)).toMatch(/loopback/);
    expect(await registrationUrlProblem('https://keys.rp.example/jwks', policy)).toBeUndefined();
  });
});

describe('outboundRequest', () => {
  const dev = { allowPrivate: true, timeoutMs: 800 };
  let keys: Awaited<ReturnType<typeof startHostileServer>>;
  let base: string;
  let port: number;

  beforeAll(async () => {
    keys = await startHostileServer(() => ({ keys: [] }));
    ({ base, port } = keys);
  });
  afterAll(() => keys.close());

  const reason = (promise: Promise<unknown>) =>
    promise.then(
      () => 'no error',
      (error: unknown) => (error instanceof OutboundError ? error.reason : `not an OutboundError: ${String(error)}`),
    );

  it('reads a small JSON document', async () => {
    expect(await outboundJson(`${base}/jwks`, dev)).toEqual({ keys: [] });
  });

  it('refuses a redirect instead of following it', async () => {
    expect(await reason(outboundJson(`${base}/redirect`, dev))).toMatch(/redirect \(302\)/);
  });

  it('cuts a 200 MB answer at the cap while it streams, and memory stays low', async () => {
    const rss = process.memoryUsage().rss;
    keys.counts.written = 0;
    const started = Date.now();
    expect(await reason(outboundJson(`${base}/huge`, dev, 64 * 1024))).toMatch(/exceeds 65536 bytes/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The server got to write little more than what fills the socket buffers.
    expect(keys.counts.written).toBeLessThan(16 * 1024 * 1024);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(dev.timeoutMs);
  });

  it('refuses a declared length over the cap before reading', async () => {
    expect(await reason(outboundJson(`${base}/declared`, dev))).toMatch(/declared 209715200 bytes/);
  });

  it('times out a server that never answers, and one that never finishes its body', async () => {
    const started = Date.now();
    expect(await reason(outboundJson(`${base}/stall`, dev))).toMatch(/timed out after 800 ms/);
    expect(await reason(outboundJson(`${base}/drip`, dev))).toMatch(/timed out after 800 ms/);
    expect(Date.now() - started).toBeLessThan(4 * dev.timeoutMs);
  });

  it('fails on a refused port, a non-JSON body and an error status', async () => {
    expect(await reason(outboundJson(keys.refused, dev))).toMatch(/ECONNREFUSED/);
    expect(await reason(outboundJson(`${base}/html`, dev))).toBe('not JSON');
    expect(await reason(outboundJson(`${base}/error`, dev))).toBe('status 500');
  });

  it('refuses loopback, private, link-local and metadata addresses before connecting, unless allowPrivate', async () => {
    const strict = { allowPrivate: false, timeoutMs: 800 };
    const before = keys.counts.connections;
    const urls = [
      `https://127.0.0.1:${port}/jwks`,
      `https://[::1]:${port}/jwks`,
      `https://[::ffff:127.0.0.1]:${port}/jwks`,
      `https://localhost:${port}/jwks`,
      'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'https://10.0.0.1/jwks',
      'https://[fd00::1]/jwks',
      'https://100.64.0.1/jwks',
      `http://127.0.0.1:${port}/jwks`,
    ];
    for (const url of urls) expect(await reason(outboundJson(url, strict))).toMatch(/^url refused/);
    expect(keys.counts.connections).toBe(before);
    // The lookup path: a name resolving to loopback is refused after DNS, before any connection.
    expect(await reason(resolvePublic('localhost', strict))).toBe('address refused: loopback');
  });

  it('connects to the address it checked, whatever the name resolves to later', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ hostname: 'rebinding.invalid', port, path: '/jwks', lookup: pinnedLookup('127.0.0.1', 4), agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ keys: [] });
  });

  it('serves oidc-provider as a fetch, with the same rules', async () => {
    const failures: string[] = [];
    const fetchFn = providerFetch(dev, (_url, why) => failures.push(why));
    const response = await fetchFn(`${base}/jwks`, { method: 'GET', headers: new Headers({ accept: 'application/json' }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keys: [] });
    await expect(fetchFn(`${base}/redirect`)).rejects.toBeInstanceOf(OutboundError);
    await expect(fetchFn(`${base}/huge`)).rejects.toBeInstanceOf(OutboundError);
    expect(failures).toEqual([expect.stringMatching(/redirect/), expect.stringMatching(/exceeds/)]);
    const post = await outboundRequest(`${base}/jwks`, dev, { method: 'POST', body: 'logout_token=x' });
    expect(post.status).toBe(200);
  });
});
