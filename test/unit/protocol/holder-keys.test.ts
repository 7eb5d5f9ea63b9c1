/**
 * Holder keys (DESIGN 5.5): made with WebCrypto through jose, private parts
 * sealed under MK bound to vault and use, public JWKs checked by shape with
 * kid = RFC 7638 thumbprint; and the state record holds their ids.
 */
import { describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint, CompactEncrypt, compactDecrypt, compactVerify, importJWK, SignJWT } from 'jose';
import {
  base64urlDecode,
  base64urlEncode,
  checkVaultState,
  createHolderKeys,
  generateHolderKey,
  HOLDER_KEY_PLAINTEXT_BYTES,
  holderCryptoKey,
  holderKeyAd,
  holderKeyIds,
  holderKeyPlaintext,
  HolderKeyShapes,
  holderKeyThumbprint,
  holderPublicJwk,
  nextStateRecord,
  openHolderKey,
  randomBytes,
  SEALED_HOLDER_KEY_TEXT_LENGTH,
  sealHolderKey,
  signState,
  stateRecord,
  utf8Encode,
  VaultIntegrityError,
  type StoredHolderKey,
} from '../../../src/protocol/index.js';

const VAULT = '6b0f3c2e-8a47-4d19-b5e2-7c91f0a3d846';
const OTHER_VAULT = '1d9e7a52-3c08-4f6b-a2d4-58e0c7b91f3a';
const mk = randomBytes(32);

describe('holder keys', () => {
  it('are P-256 pairs: one for ECDH-ES+A256KW, one for ES256, with thumbprint kids', async () => {
    const keys = await createHolderKeys(mk, VAULT);
    expect(keys.map((k) => [k.use, k.public_jwk.alg])).toEqual([
      ['enc', 'ECDH-ES+A256KW'],
      ['sig', 'ES256'],
    ]);
    for (const key of keys) {
      expect(Object.keys(key.public_jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key.public_jwk).not.toHaveProperty('d');
      expect(key.public_jwk.kid).toBe(await calculateJwkThumbprint(key.public_jwk, 'sha256'));
      expect(key.sealed_private).toHaveLength(SEALED_HOLDER_KEY_TEXT_LENGTH);
      expect(HolderKeyShapes.storedKey.safeParse(key).success).toBe(true);
    }
    expect(HolderKeyShapes.storedKeys.safeParse(keys).success).toBe(true);
    expect(holderKeyIds(keys)).toEqual(keys.map((k) => k.public_jwk.kid));
    expect(keys[0]!.public_jwk.kid).not.toBe(keys[1]!.public_jwk.kid);
  });

  it('seal the private JWK as its canonical JSON, and open it again', async () => {
    const key = await generateHolderKey('sig');
    const plaintext = new TextDecoder().decode(holderKeyPlaintext(key));
    expect(plaintext).toBe(`{"crv":"P-256","d":"${key.d}","kty":"EC","x":"${key.x}","y":"${key.y}"}`);
    expect(utf8Encode(plaintext)).toHaveLength(HOLDER_KEY_PLAINTEXT_BYTES);
    const stored = sealHolderKey(mk, VAULT, 'sig', key);
    expect(stored.sealed_private).not.toContain(key.d);
    expect(openHolderKey(mk, VAULT, stored)).toEqual(key);
  });

  it('work with jose after opening: HS signs, HE decrypts what was encrypted to the public JWK', async () => {
    const [he, hs] = await createHolderKeys(mk, VAULT);
    const signer = await holderCryptoKey(openHolderKey(mk, VAULT, hs!), 'sig');
    expect(signer.extractable).toBe(false);
    const jwt = await new SignJWT({ nonce: 'n' }).setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' }).sign(signer);
    await compactVerify(jwt, await importJWK(hs!.public_jwk, 'ES256'));

    const jwe = await new CompactEncrypt(utf8Encode('attestation'))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: he!.public_jwk.kid })
      .encrypt(await importJWK(he!.public_jwk, 'ECDH-ES+A256KW'));
    const { plaintext } = await compactDecrypt(jwe, await holderCryptoKey(openHolderKey(mk, VAULT, he!), 'enc'));
    expect(new TextDecoder().decode(plaintext)).toBe('attestation');
  });

  it('the thumbprint is RFC 7638 (same as jose), the AD names vault and use', async () => {
    const key = await generateHolderKey('enc');
    expect(holderKeyThumbprint(key)).toBe(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: key.x, y: key.y }, 'sha256'));
    expect(holderKeyAd(VAULT, 'enc')).toBe(`wathiqa/v1/holder-key|${VAULT}|enc`);
    expect(() => holderKeyAd(VAULT.toUpperCase(), 'enc')).toThrow();
    expect(() => holderKeyAd(VAULT, 'auth' as never)).toThrow();
  });

  describe('fail closed when the server moves or alters a sealed key', () => {
    let enc: StoredHolderKey;
    let sig: StoredHolderKey;
    const flip = (text: string, at: number) => {
      const bytes = base64urlDecode(text);
      bytes[at]! ^= 1;
      return base64urlEncode(bytes);
    };

    it('prepare', async () => {
      [enc, sig] = (await createHolderKeys(mk, VAULT)) as [StoredHolderKey, StoredHolderKey];
    });

    it.each([
      ['another vault', () => openHolderKey(mk, OTHER_VAULT, enc)],
      ['another MK', () => openHolderKey(randomBytes(32), VAULT, enc)],
      // The enc key's envelope served as the sig key: the use in the AD differs.
      ['another use', () => openHolderKey(mk, VAULT, { ...sig, sealed_private: enc.sealed_private })],
      ['swapped use labels', () => openHolderKey(mk, VAULT, { ...enc, use: 'sig', public_jwk: { ...enc.public_jwk, use: 'sig', alg: 'ES256' } })],
      ['a flipped byte', () => openHolderKey(mk, VAULT, { ...enc, sealed_private: flip(enc.sealed_private, 60) })],
      ['a flipped nonce', () => openHolderKey(mk, VAULT, { ...enc, sealed_private: flip(enc.sealed_private, 0) })],
      // A valid sealed key next to another public key: the page would hand out a key it cannot use.
      ['another public key', () => openHolderKey(mk, VAULT, { ...enc, public_jwk: holderPublicJwk(sig.public_jwk, 'enc') })],
    ])('%s', (_name, fn) => {
      expect(fn).toThrow(VaultIntegrityError);
    });
  });

  describe('public JWKs are checked by shape', () => {
    let good: StoredHolderKey;
    it('prepare', async () => {
      good = sealHolderKey(mk, VAULT, 'sig', await generateHolderKey('sig'));
    });
    const jwkCase = (alter: (jwk: Record<string, unknown>) => void) => () => {
      const jwk: Record<string, unknown> = { ...good.public_jwk };
      alter(jwk);
      return HolderKeyShapes.publicJwk.safeParse(jwk);
    };

    it('accepts a good one', () => {
      expect(HolderKeyShapes.publicJwk.safeParse(good.public_jwk).success).toBe(true);
    });

    it.each([
      ['with d (a private key)', jwkCase((j) => void (j.d = base64urlEncode(randomBytes(32))))],
      ['with a wrong kid', jwkCase((j) => void (j.kid = base64urlEncode(randomBytes(32))))],
      ['with the kid of another key', jwkCase((j) => void (j.x = base64urlEncode(randomBytes(32))))],
      ['without a kid', jwkCase((j) => void delete j.kid)],
      ['on another curve', jwkCase((j) => void (j.crv = 'P-384'))],
      ['of another type', jwkCase((j) => void (j.kty = 'OKP'))],
      ['with alg and use mismatched', jwkCase((j) => void (j.alg = 'ECDH-ES+A256KW'))],
      ['with a short coordinate', jwkCase((j) => void (j.y = (j.y as string).slice(0, 42)))],
      ['with key_ops', jwkCase((j) => void (j.key_ops = ['verify']))],
    ])('refuses one %s', (_name, run) => {
      expect(run().success).toBe(false);
    });

    it('refuses a sealed key of the wrong length, a use that disagrees, and a pair that is not one enc and one sig', async () => {
      expect(HolderKeyShapes.storedKey.safeParse({ ...good, sealed_private: good.sealed_private.slice(4) }).success).toBe(false);
      expect(HolderKeyShapes.storedKey.safeParse({ ...good, use: 'enc' }).success).toBe(false);
      const other = sealHolderKey(mk, VAULT, 'sig', await generateHolderKey('sig'));
      expect(HolderKeyShapes.storedKeys.safeParse([good, other]).success).toBe(false);
      expect(HolderKeyShapes.storedKeys.safeParse([good]).success).toBe(false);
    });
  });

  describe('in the state record (DESIGN 5.8)', () => {
    const keys = { kdf: { alg: 'argon2id' }, wrappedMk: 'a', recoveryWrappedMk: 'b' };
    let ids: string[];
    let served: Parameters<typeof checkVaultState>[1];

    it('prepare: a vault at version 2 whose record holds both kids', async () => {
      ids = holderKeyIds(await createHolderKeys(mk, VAULT));
      const base = stateRecord({ vaultId: VAULT, vaultVersion: 1, keys, elements: [] });
      const record = nextStateRecord(base, { kind: 'holder_keys', ids });
      expect(record.holder_keys).toEqual([...ids].sort());
      served = { vaultId: VAULT, vaultVersion: 2, keys, elements: [], holderKeys: ids, stored: signState(mk, record) };
      expect(checkVaultState(mk, served, true)).toMatchObject({ verified: true, refused: undefined });
      // Later writes keep them.
      expect(nextStateRecord(record, { kind: 'none' }).holder_keys).toEqual(record.holder_keys);
    });

    it.each([
      ['a swapped key', () => [ids[0]!, holderKeyThumbprint({ crv: 'P-256', kty: 'EC', x: 'x', y: 'y' })]],
      ['a dropped key', () => [ids[0]!]],
      ['both dropped', () => []],
      ['a malformed kid', () => [ids[0]!, 'not a kid']],
    ])('refuses the whole vault for %s', (_name, served_ids) => {
      expect(checkVaultState(mk, { ...served, holderKeys: served_ids() }, true).refused).toEqual({ kind: 'holder_keys' });
    });

    it('refuses keys served for a vault whose record has none', () => {
      const record = stateRecord({ vaultId: VAULT, vaultVersion: 2, keys, elements: [] });
      expect(checkVaultState(mk, { ...served, stored: signState(mk, record) }, true).refused).toEqual({ kind: 'holder_keys' });
    });
  });
});
