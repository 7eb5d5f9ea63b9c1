import { beforeAll, describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint } from 'jose';
import {
  generateHolderKeys,
  holderPublicJwk,
  randomBytes,
  releaseHolder,
  ReleaseHolderSchema,
  sealHolderKeys,
  type ReleaseHolder,
} from '../../../src/protocol/index.js';
import { AttestationRequiredError, loadReleaseKeys, openRelease, ReleaseMalformedError, type ReleaseKeyring } from '../../../src/rp/index.js';
import { CLIENT_ID, ISSUER, NONCE, NOW, REQUESTED, rpKeyPair, samplePayload, sealRelease, SUBJECT, type RpKeyPair } from './helpers.js';

/**
 * The release's `holder` member (DESIGN 5.5): the holder's public keys, in releases
 * to verifier clients. One schema in src/protocol, read by the RP SDK.
 */
let rp: RpKeyPair;
let keyring: ReleaseKeyring;
let holder: ReleaseHolder;

beforeAll(async () => {
  rp = await rpKeyPair('ECDH-ES+A256KW', 'rp-ec-1');
  keyring = await loadReleaseKeys(rp.privateJwk);
  const [enc, sig] = await generateHolderKeys();
  holder = { enc: holderPublicJwk(enc!, 'enc'), sig: holderPublicJwk(sig!, 'sig') };
});

const open = (payload: unknown) =>
  sealRelease(rp, payload).then((jwe) => openRelease(jwe, { keys: keyring, issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, now: NOW, requested: REQUESTED }));

describe('the holder member: schema', () => {
  it('accepts the two public keys as the vault stores them, with thumbprint kids', async () => {
    expect(ReleaseHolderSchema.parse(holder)).toEqual(holder);
    expect(holder.enc.kid).toBe(await calculateJwkThumbprint(holder.enc));
    expect(holder.sig.kid).toBe(await calculateJwkThumbprint(holder.sig));
  });

  it('is built from the stored keys, whatever their order', async () => {
    const stored = sealHolderKeys(randomBytes(32), '0b8e5f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f', await generateHolderKeys());
    const built = releaseHolder([...stored].reverse());
    expect(built).toEqual({ enc: stored[0]!.public_jwk, sig: stored[1]!.public_jwk });
    expect(() => releaseHolder([])).toThrow(/no valid holder keys/);
    expect(() => releaseHolder([stored[0]!])).toThrow(/no valid holder keys/);
  });

  it.each([
    ['a private member', () => ({ ...holder, sig: { ...holder.sig, d: holder.sig.x } })],
    ['a kid that is not the thumbprint', () => ({ ...holder, enc: { ...holder.enc, kid: holder.sig.kid } })],
    ['the keys swapped', () => ({ enc: holder.sig, sig: holder.enc })],
    ['one key twice', () => ({ enc: holder.enc, sig: { ...holder.enc, use: 'sig', alg: 'ES256' } })],
    ['a missing key', () => ({ enc: holder.enc })],
    ['another curve', () => ({ ...holder, sig: { ...holder.sig, crv: 'P-384' } })],
    ['an extra member', () => ({ ...holder, extra: 1 })],
    ['not an object', () => 'keys'],
  ])('refuses %s', (_what, make) => {
    expect(ReleaseHolderSchema.safeParse(make()).success).toBe(false);
  });
});

describe('the holder member: openRelease', () => {
  it('returns no holder for a release without one (an ordinary client)', async () => {
    const release = await open(samplePayload());
    expect('holder' in release).toBe(false);
  });

  it('returns the holder of a release to a verifier', async () => {
    const release = await open(samplePayload({ holder }));
    expect(release.holder).toEqual(holder);
  });

  it.each([
    ['a private key', () => ({ ...holder, enc: { ...holder.enc, d: holder.enc.x } }), 'holder.enc'],
    ['a kid that is not the thumbprint', () => ({ ...holder, sig: { ...holder.sig, kid: holder.enc.kid } }), 'holder.sig.kid'],
    ['the keys swapped', () => ({ enc: holder.sig, sig: holder.enc }), 'holder.enc.use'],
    ['a missing key', () => ({ sig: holder.sig }), 'holder.enc'],
    ['null', () => null, 'holder'],
  ])('refuses a release whose holder has %s', async (_what, make, path) => {
    const error = await open(samplePayload({ holder: make() })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReleaseMalformedError);
    expect((error as ReleaseMalformedError).message).toContain(path);
  });
});

describe('a requested passport_scope that asks for verification', () => {
  const requested = {
    ...REQUESTED,
    data: REQUESTED.data.map((entry, i) => (i === 1 ? { ...(entry as object), verified: true } : i === 2 ? { type: entry, verifiers: ['kyc-bank'] } : entry)),
  };
  const options = { issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, now: NOW };

  it('needs a trust list: without verifiers the RP is told, before anything is decrypted (TypeError)', async () => {
    const jwe = await sealRelease(rp, samplePayload({ holder }));
    for (const asked of [requested, JSON.stringify(requested)]) {
      const error = await openRelease(jwe, { ...options, keys: keyring, requested: asked }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('requested.data[1]');
    }
  });

  it('with a trust list, an element without attestations does not meet it (AttestationRequiredError)', async () => {
    const jwe = await sealRelease(rp, samplePayload({ holder }));
    const error = await openRelease(jwe, { ...options, keys: keyring, requested, verifiers: { trusted: [] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationRequiredError);
    expect(error).toMatchObject({ code: 'attestation_required', requirement: 1 });
  });
});
