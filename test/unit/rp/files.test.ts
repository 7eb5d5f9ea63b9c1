import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64urlEncode, generateKey, randomBytes, scanDigest, sealFile, unwrapFileKey } from '../../../src/protocol/index.js';
import {
  fetchScan,
  findElement,
  openRelease,
  ReleaseError,
  scansOf,
  scanUrl,
  ScanFetchError,
  ScanIntegrityError,
  ScanNotFoundError,
  type Release,
} from '../../../src/rp/index.js';
import { CLIENT_ID, fileId, JPEG, NONCE, NOW, PNG, rpKeyPair, samplePayload, sealRelease, SUBJECT, type RpKeyPair } from './helpers.js';

const TOKEN = 'access-token-of-the-grant';
/** id → what the server answers for GET /passport/files/{id}. */
const served = new Map<string, { status: number; body?: Uint8Array }>();
const requests: { url: string; authorization: string | undefined }[] = [];
let server: Server;
let issuer: string;
let pair: RpKeyPair;

/** A scan sealed as the vault does (sealFile under MK), with its FK as the release carries it. */
function vaultScan(n: number, bytes: Uint8Array, mediaType: 'image/png' | 'image/jpeg') {
  const mk = generateKey();
  const sealed = sealFile(mk, { id: fileId(n), mediaType, bytes });
  const fk = unwrapFileKey(mk, sealed.wrappedKey, sealed.id);
  return { sealed, entry: { id: sealed.id, key: base64urlEncode(fk), media_type: mediaType, size: sealed.size, sha256: sealed.sha256 } };
}

const front = vaultScan(1, PNG, 'image/png');
const selfie = vaultScan(2, JPEG, 'image/jpeg');
const samePng = vaultScan(3, PNG, 'image/png'); // same bytes and length, another file

async function releaseWith(files: Record<string, unknown>, iss = issuer): Promise<Release> {
  const payload = samplePayload({ iss });
  const elements = payload.elements as { type: string; files: Record<string, unknown> }[];
  elements.find((e) => e.type === 'passport')!.files = files;
  return openRelease(await sealRelease(pair, payload), { keys: pair.privateJwk, issuer: iss, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, now: NOW });
}

beforeAll(async () => {
  pair = await rpKeyPair('ECDH-ES+A256KW', 'rp-ec-1');
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const match = /^\/passport\/files\/([0-9a-f-]{36})$/.exec(req.url ?? '');
    const answer = match ? served.get(match[1]!) : undefined;
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    } else if (!answer || answer.status === 404) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    } else {
      res.writeHead(answer.status, { 'content-type': 'application/octet-stream' }).end(answer.body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('fetchScan', () => {
  it('fetches with the access token, decrypts and checks the hash', async () => {
    served.set(front.sealed.id, { status: 200, body: front.sealed.ciphertext });
    served.set(selfie.sealed.id, { status: 200, body: selfie.sealed.ciphertext });
    const release = await releaseWith({ front_side: front.entry, selfie: selfie.entry });
    const passport = findElement(release, 'passport')!;
    requests.length = 0;
    const scan = await fetchScan(release, passport.files.front_side, { accessToken: TOKEN });
    expect(scan).toEqual({ id: front.sealed.id, bytes: PNG, mediaType: 'image/png', sha256: scanDigest(PNG), size: PNG.length });
    expect(requests).toEqual([{ url: `/passport/files/${front.sealed.id}`, authorization: `Bearer ${TOKEN}` }]);
    const all = scansOf(passport);
    expect(all.map((s) => s.slot)).toEqual(['front_side', 'selfie']);
    const selfieScan = await fetchScan(release, all[1]!.file, { accessToken: TOKEN, issuer: `${issuer}/` });
    expect(selfieScan.bytes).toEqual(JPEG);
  });

  it('refuses a swapped ciphertext (another file of the vault served under this id)', async () => {
    const release = await releaseWith({ front_side: front.entry });
    for (const other of [samePng, selfie]) {
      served.set(front.sealed.id, { status: 200, body: other.sealed.ciphertext });
      const error = await fetchScan(release, findElement(release, 'passport')!.files.front_side, { accessToken: TOKEN }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ScanIntegrityError);
      expect((error as ReleaseError).code).toBe('scan_integrity_failed');
    }
  });

  it('refuses a flipped byte, a truncated body and a longer body', async () => {
    const release = await releaseWith({ front_side: front.entry });
    const file = findElement(release, 'passport')!.files.front_side;
    const flipped = front.sealed.ciphertext.slice();
    flipped[30]! ^= 1;
    for (const body of [flipped, front.sealed.ciphertext.slice(0, -1), new Uint8Array([...front.sealed.ciphertext, 0])]) {
      served.set(front.sealed.id, { status: 200, body });
      await expect(fetchScan(release, file, { accessToken: TOKEN })).rejects.toBeInstanceOf(ScanIntegrityError);
    }
  });

  it('refuses a release whose sha256 or size is not the file\'s', async () => {
    served.set(front.sealed.id, { status: 200, body: front.sealed.ciphertext });
    const otherDigest = scanDigest(randomBytes(16));
    for (const entry of [{ ...front.entry, sha256: otherDigest }, { ...front.entry, size: front.entry.size + 1 }]) {
      const release = await releaseWith({ front_side: entry });
      await expect(fetchScan(release, findElement(release, 'passport')!.files.front_side, { accessToken: TOKEN })).rejects.toBeInstanceOf(ScanIntegrityError);
    }
    // and a file key that is not this file's
    const release = await releaseWith({ front_side: { ...front.entry, key: base64urlEncode(randomBytes(32)) } });
    await expect(fetchScan(release, findElement(release, 'passport')!.files.front_side, { accessToken: TOKEN })).rejects.toBeInstanceOf(ScanIntegrityError);
  });

  it('maps 404 to ScanNotFoundError and other statuses to ScanFetchError', async () => {
    served.delete(front.sealed.id);
    const release = await releaseWith({ front_side: front.entry });
    const file = findElement(release, 'passport')!.files.front_side;
    const notFound = await fetchScan(release, file, { accessToken: TOKEN }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ScanNotFoundError);
    expect((notFound as ReleaseError).code).toBe('scan_not_found');
    const unauthorized = await fetchScan(release, file, { accessToken: 'wrong' }).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(ScanFetchError);
    expect((unauthorized as ScanFetchError).status).toBe(401);
    expect((unauthorized as Error).message).not.toContain('wrong');
    served.set(front.sealed.id, { status: 500 });
    await expect(fetchScan(release, file, { accessToken: TOKEN })).rejects.toMatchObject({ code: 'scan_fetch_failed', status: 500 });
    await expect(fetchScan(release, file, { accessToken: TOKEN, issuer: 'http://127.0.0.1:1' })).rejects.toMatchObject({ code: 'scan_fetch_failed' });
  });

  it('uses a given fetch, and refuses a file that is not part of the release', async () => {
    const release = await releaseWith({ front_side: front.entry });
    const file = findElement(release, 'passport')!.files.front_side;
    const seen: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      seen.push(String(url));
      return new Response(front.sealed.ciphertext, { status: 200 });
    }) as typeof fetch;
    await expect(fetchScan(release, file, { accessToken: TOKEN, fetch: fakeFetch })).resolves.toMatchObject({ id: file.id });
    expect(seen).toEqual([scanUrl(issuer, file.id)]);
    await expect(fetchScan(release, { ...file, key: base64urlEncode(randomBytes(32)) }, { accessToken: TOKEN, fetch: fakeFetch })).rejects.toThrow(TypeError);
    await expect(fetchScan(release, file, { accessToken: '' })).rejects.toThrow(TypeError);
  });
});
