import { describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint, compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import { postRelease } from '../../src/web/consent/api.js';
import { parseReleaseData, ReleaseDataError } from '../../src/web/consent/data.js';
import { encryptRelease, ReleaseKeyError, resolveReleaseKey, type Fetch } from '../../src/web/consent/release-key.js';
import { ApiError, NetworkError } from '../../src/web/vault/api.js';
import { rpKeyPair } from './rp/helpers.js';

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function recording(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch: Fetch = async (url, init = {}) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return { fetch, calls };
}

describe('the RP key', () => {
  it('uses a registered key only if it matches the fingerprint the page shows', async () => {
    const pair = await rpKeyPair('ECDH-ES+A256KW', 'rp-enc');
    const thumbprint = await calculateJwkThumbprint(pair.publicJwk);
    const resolved = await resolveReleaseKey({ alg: 'ECDH-ES+A256KW', key: pair.publicJwk, jwks_uri: null, thumbprint });
    expect(resolved).toEqual({ key: pair.publicJwk, alg: 'ECDH-ES+A256KW', thumbprint });
    await expect(resolveReleaseKey({ alg: 'ECDH-ES+A256KW', key: pair.publicJwk, jwks_uri: null, thumbprint: 'x'.repeat(43) })).rejects.toMatchObject({ problem: 'mismatch' });
    // A private key, a key for another algorithm, a key without kid or use: none is used.
    for (const key of [pair.privateJwk, { ...pair.publicJwk, use: 'sig' }, { ...pair.publicJwk, kid: undefined }]) {
      await expect(resolveReleaseKey({ alg: 'ECDH-ES+A256KW', key: key as JWK, jwks_uri: null, thumbprint })).rejects.toBeInstanceOf(ReleaseKeyError);
    }
    await expect(resolveReleaseKey({ alg: 'RSA-OAEP-256', key: pair.publicJwk, jwks_uri: null, thumbprint })).rejects.toMatchObject({ problem: 'no_key' });
  });

  it('fetches a jwks_uri key from the RP without credentials, and picks the encryption key for the client’s algorithm', async () => {
    const enc = await rpKeyPair('ECDH-ES+A256KW', 'enc-1');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const sig = { ...(await exportJWK(publicKey)), use: 'sig', kid: 'sig-1' };
    const { fetch, calls } = recording(() => json({ keys: [sig, enc.publicJwk] }));
    const resolved = await resolveReleaseKey({ alg: 'ECDH-ES+A256KW', key: null, jwks_uri: 'https://rp.example:8443/jwks.json', thumbprint: null }, fetch);
    expect(resolved).toMatchObject({ key: { kid: 'enc-1' }, origin: 'https://rp.example:8443', thumbprint: await calculateJwkThumbprint(enc.publicJwk) });
    expect(calls[0]!.url).toBe('https://rp.example:8443/jwks.json');
    expect(calls[0]!.init).toMatchObject({ mode: 'cors', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer' });

    for (const respond of [
      () => json({ error: 'nope' }, 500),
      () => new Response('not json'),
      () => json({ keys: 'x' }),
      () => new Response(`{"keys":[],"pad":"${'x'.repeat(70_000)}"}`),
      () => Promise.reject(new TypeError('Failed to fetch')),
    ]) {
      await expect(resolveReleaseKey({ alg: 'ECDH-ES+A256KW', key: null, jwks_uri: 'https://rp.example/jwks', thumbprint: null }, recording(respond).fetch)).rejects.toMatchObject({ problem: 'fetch_failed' });
    }
    await expect(resolveReleaseKey({ alg: 'ECDH-ES+A256KW', key: null, jwks_uri: 'https://rp.example/jwks', thumbprint: null }, recording(() => json({ keys: [sig] })).fetch)).rejects.toMatchObject({ problem: 'no_key' });
  });

  it('encrypts with the fixed header: alg, A256GCM, the key’s kid, the release cty', async () => {
    for (const alg of ['ECDH-ES+A256KW', 'RSA-OAEP-256'] as const) {
      const pair = await rpKeyPair(alg, `kid-${alg}`);
      const jwe = await encryptRelease({ hello: 'world' }, { key: pair.publicJwk as JWK & { kid: string }, alg });
      expect(decodeProtectedHeader(jwe)).toMatchObject({ alg, enc: 'A256GCM', kid: `kid-${alg}`, cty: 'wathiqa-release+json' });
      expect(decodeProtectedHeader(jwe)).not.toHaveProperty('zip');
      const { plaintext } = await compactDecrypt(jwe, pair.privateKey);
      expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ hello: 'world' });
    }
  });
});

describe('the page data', () => {
  const valid = {
    uid: 'abc123',
    issuer: 'http://localhost:3000',
    client_id: 'client-1',
    sub: '7b0a3f1e-2c4d-4e5f-8a9b-0c1d2e3f4a5b',
    nonce: 'n-1',
    alg: 'ECDH-ES+A256KW',
    key: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', use: 'enc', kid: 'k' },
    jwks_uri: null,
    thumbprint: 't',
    passport_scope: { v: 1, data: [{ one_of: ['email'], selfie: false, translation: false, native_names: false }] },
    verifier: false,
    vault_csrf: 'csrf',
  };

  it('keeps the issuer exactly as given and re-normalizes the scope', () => {
    const data = parseReleaseData(valid);
    expect(data.issuer).toBe('http://localhost:3000');
    expect(data.passport_scope.data[0]!.one_of).toEqual(['email']);
    expect(data.verifier).toBe(false);
    expect(parseReleaseData({ ...valid, verifier: true }).verifier).toBe(true);
    const asking = { v: 1, data: [{ one_of: ['passport'], selfie: false, translation: false, native_names: false, verifiers: ['v-1'] }] };
    expect(parseReleaseData({ ...valid, passport_scope: asking }).passport_scope).toEqual(asking);
  });

  it('refuses what it cannot use', () => {
    for (const broken of [
      null,
      [],
      { ...valid, alg: 'RSA1_5' },
      { ...valid, key: null, jwks_uri: null },
      { ...valid, key: null, jwks_uri: 'javascript:alert(1)' },
      { ...valid, issuer: 'not a url' },
      { ...valid, nonce: '' },
      { ...valid, passport_scope: { v: 1, data: ['diary'] } },
      { ...valid, uid: 42 },
      // Whether the release carries the holder's keys is never guessed.
      { ...valid, verifier: undefined },
      { ...valid, verifier: 'true' },
    ]) {
      expect(() => parseReleaseData(broken)).toThrow(ReleaseDataError);
    }
  });
});

describe('posting the release', () => {
  const body = { csrf: 'c', jwe: 'a.b.c.d.e', file_ids: [], element_types: ['email'] };

  it('posts JSON to the interaction and returns the next step on the same origin', async () => {
    const { fetch, calls } = recording(() => json({ redirect_to: 'http://localhost:3000/auth/abc' }));
    expect(await postRelease('a/b', body, fetch, 'http://localhost:3000')).toBe('http://localhost:3000/auth/abc');
    expect(calls[0]!.url).toBe('/interaction/a%2Fb/passport');
    expect(calls[0]!.init.method).toBe('POST');
    expect(new Headers(calls[0]!.init.headers).get('content-type')).toBe('application/json');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual(body);
  });

  it('turns the server’s errors into ApiError, and refuses a redirect elsewhere', async () => {
    await expect(postRelease('u', body, recording(() => json({ error: 'invalid_request', error_description: 'jwe: kid' }, 400)).fetch, 'http://localhost:3000')).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      description: 'jwe: kid',
    });
    await expect(postRelease('u', body, recording(() => new Response('oops', { status: 500 })).fetch, 'http://localhost:3000')).rejects.toBeInstanceOf(ApiError);
    await expect(postRelease('u', body, recording(() => json({ redirect_to: 'https://evil.example/' })).fetch, 'http://localhost:3000')).rejects.toMatchObject({ code: 'bad_redirect' });
    await expect(postRelease('u', body, recording(() => Promise.reject(new TypeError('offline'))).fetch, 'http://localhost:3000')).rejects.toBeInstanceOf(NetworkError);
  });
});
