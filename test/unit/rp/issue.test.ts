/**
 * The verifier's issuing helpers: the SD-JWT VC they make is what the holder's
 * page accepts (checked with the protocol module's checkIssuedAttestation), the
 * JWE is what the server accepts (src/attestations/header.ts) and what the
 * holder's HE key opens, delivery reports the server's errors, and the status
 * list JWT verifies and carries the statuses set.
 */
import { describe, expect, it } from '@jest/globals';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { compactDecrypt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { checkAttestationJwe } from '../../../src/attestations/header.js';
import { checkIssuedAttestation, decodeIssuedAttestation, sdJwtHasher, type ElementContent } from '../../../src/protocol/index.js';
import {
  AttestationDeliveryError,
  createStatusList,
  deliverAttestation,
  encryptAttestation,
  issueAttestation,
  releaseFileHashes,
  signStatusList,
  type IssueAttestationInput,
  type ReleasedElement,
} from '../../../src/rp/index.js';
import { fileEntry, JPEG, NOW, NOW_S, PNG } from './helpers.js';
import { makeHolder, verifierKey, type Holder, type VerifierKey } from './attestation-fixtures.js';

const VERIFIER = 'kyc-verifier';
const DATA = { document_number: 'P1234567', issuing_country: 'OM', date_of_issuance: '2019-03-12', date_of_expiry: '2029-03-11' };
const front = fileEntry(1, PNG, 'image/png');
const selfie = fileEntry(2, JPEG, 'image/jpeg');
const t1 = fileEntry(3, PNG, 'image/png');
const t2 = fileEntry(4, JPEG, 'image/jpeg');
const element = {
  type: 'passport',
  data: DATA,
  files: { front_side: front, selfie, translation: [t1, t2] },
  attestations: [],
} as unknown as ReleasedElement;

const es: VerifierKey = await verifierKey('v-es-1', 'ES256');
const ed: VerifierKey = await verifierKey('v-ed-1', 'EdDSA');
const holder: Holder = await makeHolder();

function input(over: Partial<IssueAttestationInput> = {}): IssueAttestationInput {
  return {
    issuer: VERIFIER,
    signingKey: es.privateJwk,
    elementType: 'passport',
    data: DATA,
    fileHashes: releaseFileHashes(element),
    holder: holder.release,
    verification: { trust_framework: 'example_kyc', evidence: [{ type: 'document', method: 'pipp' }] },
    now: NOW,
    ...over,
  };
}

/** The holder's element content, as the vault keeps it (links without keys). */
function content(): ElementContent<'passport'> {
  const link = ({ id, media_type, size, sha256 }: typeof front) => ({ id, media_type, size, sha256 });
  return { data: DATA, files: { front_side: link(front), selfie: link(selfie), translation: [link(t1), link(t2)] } } as unknown as ElementContent<'passport'>;
}

describe('releaseFileHashes', () => {
  it('maps single slots to their sha256 and multiple slots to the list in order', () => {
    expect(releaseFileHashes(element)).toEqual({ front_side: front.sha256, selfie: selfie.sha256, translation: [t1.sha256, t2.sha256] });
  });
});

describe('issueAttestation', () => {
  it.each([
    ['ES256', () => es],
    ['EdDSA', () => ed],
  ] as const)('issues an SD-JWT VC (%s) the holder page accepts, one disclosure per field and scan slot', async (alg, key) => {
    const sdJwt = await issueAttestation(input({ signingKey: key().privateJwk, expiresAt: NOW_S + 86400, status: { idx: 7, uri: 'https://verifier.example/status' } }));
    expect(sdJwt.endsWith('~')).toBe(true);
    const parts = sdJwt.split('~');
    expect(parts).toHaveLength(1 + 4 + 3 + 1); // jwt, 4 fields, 3 slots, '' after the last "~"
    expect(decodeProtectedHeader(parts[0]!)).toEqual({ alg, typ: 'dc+sd-jwt', kid: key().publicJwk.kid });

    const decoded = await new SDJwtVcInstance({ hasher: sdJwtHasher, hashAlg: 'sha-256' }).decode(sdJwt);
    expect(decoded.kbJwt).toBeUndefined();
    const payload = decoded.jwt!.payload as Record<string, unknown>;
    expect(payload).toMatchObject({
      iss: VERIFIER,
      iat: NOW_S,
      exp: NOW_S + 86400,
      vct: 'urn:wathiqa:element:passport:1',
      cnf: { jwk: holder.sig.publicJwk },
      _sd_alg: 'sha-256',
      verification: { trust_framework: 'example_kyc', time: '2030-06-01T12:00:00Z', evidence: [{ type: 'document', method: 'pipp' }] },
      status: { status_list: { idx: 7, uri: 'https://verifier.example/status' } },
    });
    for (const name of [...Object.keys(DATA), 'front_side', 'selfie', 'translation']) expect(payload).not.toHaveProperty(name);
    expect((payload._sd as string[]).length).toBe(7);

    const { disclosed } = await decodeIssuedAttestation(sdJwt);
    expect(disclosed).toEqual({ ...DATA, front_side: front.sha256, selfie: selfie.sha256, translation: [t1.sha256, t2.sha256] });

    const summary = await checkIssuedAttestation(sdJwt, {
      elementType: 'passport',
      content: content(),
      holderSig: holder.sig.publicJwk,
      issuers: [{ client_id: VERIFIER, jwks: { keys: [key().publicJwk as Record<string, unknown>] } }],
      now: NOW,
    });
    expect(summary).toMatchObject({ issuer: VERIFIER, kid: key().publicJwk.kid, scans: ['front_side', 'selfie', 'translation'] });
    expect([...summary.fields].sort()).toEqual(Object.keys(DATA).sort());
  });

  it('uses fresh salts: two issues of the same data differ in every disclosure', async () => {
    const a = (await issueAttestation(input())).split('~').slice(1, -1);
    const b = (await issueAttestation(input())).split('~').slice(1, -1);
    for (const d of a) expect(b).not.toContain(d);
  });

  it('normalizes data like openRelease (trimmed), so disclosed values equal released ones', async () => {
    const sdJwt = await issueAttestation(input({ data: { ...DATA, document_number: '  P1234567 ' }, fileHashes: {} }));
    expect((await decodeIssuedAttestation(sdJwt)).disclosed.document_number).toBe('P1234567');
  });

  it.each<[string, Partial<IssueAttestationInput>]>([
    ['a public signing key', { signingKey: { ...es.publicJwk } }],
    ['a key whose curve does not fit its alg', { signingKey: { ...es.privateJwk, alg: 'EdDSA' } }],
    ['a signing key without kid', { signingKey: { ...es.privateJwk, kid: undefined } }],
    ['a field the type does not have', { data: { ...DATA, given_name: 'Omar' } }],
    ['an invalid field value', { data: { ...DATA, issuing_country: 'Oman' } }],
    ['a slot the type does not have', { fileHashes: { reverse_side: front.sha256 } }],
    ['a single slot given as a list', { fileHashes: { front_side: [front.sha256] } }],
    ['a multiple slot given as one value', { fileHashes: { translation: t1.sha256 } }],
    ['a sha256 that is not one', { fileHashes: { front_side: 'abc' } }],
    ['nothing to attest', { data: {}, fileHashes: {} }],
    ['the holder enc key as cnf', { holder: { sig: holder.enc.publicJwk } }],
    ['a private holder key', { holder: { sig: { ...holder.sig.publicJwk, d: holder.sig.privateJwk.d } } }],
    ['an expiry in the past', { expiresAt: NOW_S - 1 }],
    ['a status uri over plain http', { status: { idx: 1, uri: 'http://verifier.example/status' } }],
    ['a negative status index', { status: { idx: -1, uri: 'https://verifier.example/status' } }],
    ['no trust framework', { verification: { trust_framework: '' } }],
  ])('refuses %s with a TypeError', async (_, over) => {
    await expect(issueAttestation(input(over))).rejects.toBeInstanceOf(TypeError);
  });

  it('accepts a status list on a loopback http URL (development)', async () => {
    await expect(issueAttestation(input({ status: { idx: 0, uri: 'http://127.0.0.1:5000/status-list' } }))).resolves.toMatch(/~$/);
  });
});

describe('encryptAttestation', () => {
  it('makes the JWE the server accepts and the holder HE key opens', async () => {
    const sdJwt = await issueAttestation(input());
    const jwe = await encryptAttestation(sdJwt, holder.enc.publicJwk);
    const header = checkAttestationJwe(jwe); // the server's own check; throws a 400 on any deviation
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'wathiqa-attestation+sd-jwt', kid: holder.enc.publicJwk.kid });
    const { plaintext } = await compactDecrypt(jwe, await importJWK({ ...holder.enc.privateJwk }, 'ECDH-ES+A256KW'));
    expect(new TextDecoder().decode(plaintext)).toBe(sdJwt);
  });

  it('refuses the HS key, a presentation with a KB-JWT and a non-SD-JWT', async () => {
    const sdJwt = await issueAttestation(input());
    await expect(encryptAttestation(sdJwt, holder.sig.publicJwk)).rejects.toBeInstanceOf(TypeError);
    await expect(encryptAttestation(`${sdJwt}eyJ.eyJ.sig`, holder.enc.publicJwk)).rejects.toBeInstanceOf(TypeError);
    await expect(encryptAttestation('not-an-sd-jwt~', holder.enc.publicJwk)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('deliverAttestation', () => {
  const fakeFetch = (status: number, body: unknown, seen?: { url?: string; init?: RequestInit }) =>
    (async (url: string, init: RequestInit) => {
      if (seen) Object.assign(seen, { url, init });
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;

  it('posts { jwe } with the bearer token and returns the id', async () => {
    const seen: { url?: string; init?: RequestInit } = {};
    const result = await deliverAttestation({ issuer: 'https://id.example/', accessToken: 'tok-123', jwe: 'a.b.c.d.e', fetch: fakeFetch(201, { id: 'abc' }, seen) });
    expect(result).toEqual({ id: 'abc' });
    expect(seen.url).toBe('https://id.example/passport/attestations');
    expect(seen.init).toMatchObject({ method: 'POST', redirect: 'error', body: JSON.stringify({ jwe: 'a.b.c.d.e' }) });
    expect(seen.init!.headers).toMatchObject({ authorization: 'Bearer tok-123', 'content-type': 'application/json' });
  });

  it.each([
    [409, { error: 'inbox_full', error_description: 'try again later' }, 'inbox_full'],
    [403, { error: 'not_a_verifier', error_description: 'only a verifier client' }, 'not_a_verifier'],
    [401, { error: 'invalid_token', error_description: 'the access token is not valid' }, 'invalid_token'],
    [404, { error: 'no_release', error_description: 'no live release' }, 'no_release'],
    [502, '<html>bad gateway</html>', 'invalid_response'],
    [201, { nope: true }, 'invalid_response'],
  ] as const)('throws AttestationDeliveryError for HTTP %i', async (status, body, code) => {
    const error = await deliverAttestation({ issuer: 'https://id.example', accessToken: 't', jwe: 'x', fetch: fakeFetch(status, body) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationDeliveryError);
    expect(error).toMatchObject({ status, code, name: 'AttestationDeliveryError' });
    if (typeof body === 'object' && 'error_description' in body) expect((error as AttestationDeliveryError).description).toBe(body.error_description);
  });

  it('reports a network failure as network_error', async () => {
    const failing = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    await expect(deliverAttestation({ issuer: 'https://id.example', accessToken: 't', jwe: 'x', fetch: failing })).rejects.toMatchObject({ code: 'network_error', status: undefined });
  });
});

describe('createStatusList and signStatusList', () => {
  it('signs a statuslist+jwt with sub = uri, iat, exp = iat + ttl, and the statuses set', async () => {
    const list = createStatusList(1000, 2);
    list.setStatus(3, 1);
    list.setStatus(999, 2);
    const uri = 'https://verifier.example/status-list';
    const jwt = await signStatusList({ list, uri, issuer: VERIFIER, signingKey: es.privateJwk, ttlSeconds: 600, now: NOW });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: 'v-es-1', typ: 'statuslist+jwt' });
    const { payload } = await jwtVerify(jwt, await importJWK(es.publicJwk, 'ES256'), { typ: 'statuslist+jwt', subject: uri, currentDate: NOW });
    expect(payload).toMatchObject({ iss: VERIFIER, sub: uri, iat: NOW_S, exp: NOW_S + 600, ttl: 600, status_list: { bits: 2 } });
    const read = getListFromStatusListJWT(jwt);
    expect([read.getStatus(0), read.getStatus(3), read.getStatus(999)]).toEqual([0, 1, 2]);
  });

  it('signs with EdDSA too', async () => {
    const jwt = await signStatusList({ list: createStatusList(8), uri: 'https://v.example/s', issuer: VERIFIER, signingKey: ed.privateJwk, now: NOW });
    await expect(jwtVerify(jwt, await importJWK(ed.publicJwk, 'EdDSA'), { currentDate: NOW })).resolves.toBeDefined();
  });

  it('refuses bad sizes, bits, keys and uris', async () => {
    expect(() => createStatusList(0)).toThrow(TypeError);
    expect(() => createStatusList(1.5)).toThrow(TypeError);
    expect(() => createStatusList(8, 4 as never)).toThrow(TypeError);
    const base = { list: createStatusList(8), uri: 'https://v.example/s', issuer: VERIFIER, signingKey: es.privateJwk };
    await expect(signStatusList({ ...base, signingKey: es.publicJwk })).rejects.toBeInstanceOf(TypeError);
    await expect(signStatusList({ ...base, uri: 'ftp://v.example/s' })).rejects.toBeInstanceOf(TypeError);
    await expect(signStatusList({ ...base, list: [] as never })).rejects.toBeInstanceOf(TypeError);
    await expect(signStatusList({ ...base, ttlSeconds: 0 })).rejects.toBeInstanceOf(TypeError);
  });
});
