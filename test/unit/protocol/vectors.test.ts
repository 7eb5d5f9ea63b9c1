/**
 * Recomputes every value of test/vectors/protocol-v1.json with src/protocol.
 * The vectors were cross-checked against independent implementations when
 * generated (scripts/make-vectors.ts); this keeps the code from drifting.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import {
  attestationVct,
  base64urlDecode,
  base64urlEncode,
  canonicalJson,
  checkIssuedAttestation,
  decodeIssuedAttestation,
  jwsSignatureVerifier,
  jwsSigner,
  presentAttestation,
  scanDisclosureValue,
  sdJwtHasher,
  canonicalKdfParams,
  checkKdfParams,
  decryptElementData,
  deriveKek,
  deriveRecoveryKey,
  deriveRoot,
  elementAd,
  elementKeyAd,
  elementPlaintext,
  encryptElementData,
  encryptFile,
  fileAd,
  fileKeyAd,
  formatRecoveryCode,
  KdfPolicyError,
  masterKeyAd,
  openFileWithKey,
  parseRecoveryCode,
  passphraseBytes,
  recoverVault,
  recoveryAd,
  RecoveryCodeError,
  checkFileMatchesLink,
  checkVaultState,
  decodeStateRecord,
  deriveStateKey,
  signState,
  stateKeysDigest,
  stateRecord,
  verifyStateMac,
  fileLinkFor,
  holderKeyAd,
  holderKeyPlaintext,
  HolderKeyShapes,
  holderKeyThumbprint,
  openHolderKey,
  sealHolderKey,
  openLinkedFileWithKey,
  scanDigest,
  unlockVault,
  unwrapElementKey,
  unwrapFileKey,
  unwrapMasterKey,
  unwrapMasterKeyForRecovery,
  wrapElementKey,
  wrapFileKey,
  wrapMasterKey,
  wrapMasterKeyForRecovery,
  type ElementContent,
  type ElementType,
  type FileLink,
  type HolderKeyUse,
  type HolderPrivateJwk,
  type HolderPublicJwk,
  type KdfParams,
  type ScanMediaType,
} from '../../../src/protocol/index.js';

interface KdfCase {
  label: string;
  passphrase: string;
  passphrase_nfkc: string;
  passphrase_utf8: string;
  params: KdfParams;
  params_canonical: string;
  root: string;
  kek: string;
}
interface Vectors {
  description: Record<string, string>;
  kdf: KdfCase[];
  vault: { vault_id: string; kdf_case: number; mk: string; wrap_nonce: string; wrap_ad: string; wrapped_mk: string };
  recovery: {
    vault_id: string;
    code_bytes: string;
    code_value: string;
    check_value: number;
    code_text: string;
    accepted_forms: string[];
    rejected_forms: string[];
    rk: string;
    wrap_nonce: string;
    wrap_ad: string;
    recovery_wrapped_mk: string;
  };
  element: ElementVector;
  element_without_files: ElementVector;
  file: {
    id: string;
    media_type: ScanMediaType;
    bytes: string;
    size: number;
    sha256: string;
    link: FileLink;
    fk: string;
    wrap_nonce: string;
    wrap_ad: string;
    wrapped_fk: string;
    nonce: string;
    ad: string;
    ciphertext: string;
  };
  state: {
    vault_id: string;
    vault_version: number;
    kdf_case: number;
    wrapped_mk: string;
    recovery_wrapped_mk: string;
    elements: { id: string; version: number; files: string[] }[];
    holder_keys: string[];
    keys: string;
    record: string;
    sk: string;
    mac: string;
  };
  holder_keys: HolderKeyVector[];
  attestation: AttestationVector;
  rejected_kdf_params: unknown[];
}
interface AttestationVector {
  element: { type: ElementType; data: Record<string, string>; files: Record<string, FileLink | FileLink[]> };
  issuer: { client_id: string; private_jwk: HolderPrivateJwk; public_jwk: Record<string, string> };
  holder_sig: HolderPublicJwk;
  disclosures: { salt: string; key: string; value: unknown; disclosure: string; digest: string }[];
  issuer_jwt_header: string;
  issuer_jwt_payload: string;
  issuer_jwt: string;
  sd_jwt: string;
  presentation: {
    released: { fields: string[]; scans: string[] };
    kb: { aud: string; nonce: string; iat: number };
    disclosures: string[];
    sd_hash: string;
    kb_jwt_header: string;
    kb_jwt_payload: string;
    kb_jwt: string;
    presentation: string;
  };
  expected: {
    holder_check: { now: number; accepted: boolean; summary: unknown };
    rp_check: { valid: boolean; issuer: string; attested: Record<string, unknown>; hidden: string[]; holder_kid: string };
  };
}
interface HolderKeyVector {
  use: HolderKeyUse;
  vault_id: string;
  private_jwk: HolderPrivateJwk;
  plaintext: string;
  nonce: string;
  ad: string;
  sealed_private: string;
  kid: string;
  public_jwk: HolderPublicJwk;
}
interface ElementVector {
  id: string;
  type: ElementType;
  version: number;
  data: Record<string, string>;
  files: Record<string, FileLink | FileLink[]>;
  canonical_json: string;
  plaintext: string;
  ek: string;
  wrap_nonce: string;
  wrap_ad: string;
  wrapped_ek: string;
  nonce: string;
  ad: string;
  ciphertext: string;
}
import { calculateJwkThumbprint, compactVerify, importJWK, SignJWT } from 'jose';

const V = JSON.parse(readFileSync(new URL('../../vectors/protocol-v1.json', import.meta.url), 'utf8')) as Vectors;
const b = base64urlDecode;
const t = base64urlEncode;

describe('protocol v1 known-answer vectors', () => {
  it('describe every step', () => {
    for (const section of ['overview', 'kdf', 'envelope', 'vault', 'recovery', 'element', 'file', 'state', 'holder_keys', 'attestation', 'rejected_kdf_params']) {
      expect(V.description[section]?.length).toBeGreaterThan(40);
    }
    expect(V.description.recovery).toContain('"wathiqa/v1/mk-recovery|" + vault_id');
    expect(V.description.element).toContain('content = {"data": data, "files": files}');
    for (const word of ['"id"', '"media_type"', '"sha256"', '"size"', 'RFC 8785', 'required slot', 'at most once']) {
      expect(V.description.element).toContain(word);
    }
  });

  it('derive root and KEK from each passphrase (NFKC, UTF-8, Argon2id at the floor, HKDF)', async () => {
    const arabic = V.kdf.find((c) => c.label.startsWith('arabic'))!;
    expect(arabic.passphrase).not.toBe(arabic.passphrase_nfkc);
    for (const c of V.kdf) {
      expect(c.params).toMatchObject({ alg: 'argon2id', m: 65536, t: 3, p: 1, v: 1 });
      expect(checkKdfParams(c.params)).toEqual(c.params);
      expect(c.passphrase.normalize('NFKC')).toBe(c.passphrase_nfkc);
      expect(t(passphraseBytes(c.passphrase))).toBe(c.passphrase_utf8);
      // The NFKC form is the same passphrase: same bytes, so the same root.
      expect(t(passphraseBytes(c.passphrase_nfkc))).toBe(c.passphrase_utf8);
      expect(canonicalKdfParams(c.params)).toBe(c.params_canonical);
      const root = await deriveRoot(c.passphrase, c.params);
      expect(t(root)).toBe(c.root);
      expect(t(deriveKek(root))).toBe(c.kek);
    }
  });

  it('wrap MK under the KEK with the vault AD', async () => {
    const c = V.kdf[V.vault.kdf_case]!;
    const kek = b(c.kek);
    expect(masterKeyAd(V.vault.vault_id, c.params)).toBe(V.vault.wrap_ad);
    expect(V.vault.wrap_ad).toBe(`wathiqa/v1/mk|${V.vault.vault_id}|${c.params_canonical}`);
    expect(wrapMasterKey(kek, b(V.vault.mk), V.vault.vault_id, c.params, { nonce: b(V.vault.wrap_nonce) })).toBe(V.vault.wrapped_mk);
    expect(t(unwrapMasterKey(kek, V.vault.wrapped_mk, V.vault.vault_id, c.params))).toBe(V.vault.mk);
    // The high-level call with the real Argon2id ends at the same MK.
    const argon2Calls: number[] = [];
    const mk = await unlockVault({
      passphrase: c.passphrase,
      vaultId: V.vault.vault_id,
      kdf: c.params,
      wrappedMk: V.vault.wrapped_mk,
      argon2: async () => {
        argon2Calls.push(1);
        return b(c.root);
      },
    });
    expect(t(mk)).toBe(V.vault.mk);
    expect(argon2Calls).toHaveLength(1);
  });

  it('encode the recovery code, derive RK and wrap MK', () => {
    const r = V.recovery;
    const bytes = b(r.code_bytes);
    const value = BigInt(`0x${[...bytes].map((x) => x.toString(16).padStart(2, '0')).join('')}`);
    expect(value.toString(10)).toBe(r.code_value);
    expect(Number(value % 37n)).toBe(r.check_value);
    expect(formatRecoveryCode(bytes)).toBe(r.code_text);
    expect(r.code_text).toMatch(/^[0-9A-Z*~$=]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{4}$/);
    expect(t(parseRecoveryCode(r.code_text))).toBe(r.code_bytes);
    for (const form of r.accepted_forms) expect(t(parseRecoveryCode(form))).toBe(r.code_bytes);
    for (const form of r.rejected_forms) expect(() => parseRecoveryCode(form)).toThrow(RecoveryCodeError);
    const rk = deriveRecoveryKey(bytes);
    expect(t(rk)).toBe(r.rk);
    expect(recoveryAd(r.vault_id)).toBe(r.wrap_ad);
    expect(r.wrap_ad).toBe(`wathiqa/v1/mk-recovery|${r.vault_id}`);
    expect(wrapMasterKeyForRecovery(rk, b(V.vault.mk), r.vault_id, { nonce: b(r.wrap_nonce) })).toBe(r.recovery_wrapped_mk);
    expect(t(unwrapMasterKeyForRecovery(rk, r.recovery_wrapped_mk, r.vault_id))).toBe(V.vault.mk);
    expect(t(recoverVault({ recoveryCode: r.code_text, vaultId: r.vault_id, recoveryWrappedMk: r.recovery_wrapped_mk }))).toBe(V.vault.mk);
  });

  it.each(['element', 'element_without_files'] as const)('seal the %s: content {data, files}, canonical JSON, EK wrap, envelope', (name) => {
    const e = V[name];
    const mk = b(V.vault.mk);
    const ref = { id: e.id, type: e.type, version: e.version };
    const content = { data: e.data, files: e.files } as unknown as ElementContent;
    expect(canonicalJson(content)).toBe(e.canonical_json);
    expect(e.canonical_json.startsWith('{"data":{')).toBe(true);
    expect(new TextDecoder().decode(b(e.plaintext))).toBe(e.canonical_json);
    expect(t(elementPlaintext(e.type, content))).toBe(e.plaintext);
    expect(elementKeyAd(e.id)).toBe(e.wrap_ad);
    expect(elementAd(e.id, e.type, e.version)).toBe(e.ad);
    expect(e.ad).toBe(`wathiqa/v1/element|${e.id}|${e.type}|${e.version}`);
    expect(wrapElementKey(mk, b(e.ek), e.id, { nonce: b(e.wrap_nonce) })).toBe(e.wrapped_ek);
    expect(t(unwrapElementKey(mk, e.wrapped_ek, e.id))).toBe(e.ek);
    expect(encryptElementData(b(e.ek), ref, content as never, { nonce: b(e.nonce) })).toBe(e.ciphertext);
    expect(decryptElementData(b(e.ek), ref, e.ciphertext)).toEqual(content);
  });

  it('link the file vector from the element vector, and the element without slots has files {}', () => {
    const f = V.file;
    const link = { id: f.id, media_type: f.media_type, size: f.size, sha256: f.sha256 };
    expect(f.link).toEqual(link);
    expect(V.element.files).toEqual({ front_side: link });
    expect(V.element.canonical_json).toContain(
      `"files":{"front_side":{"id":"${f.id}","media_type":"${f.media_type}","sha256":"${f.sha256}","size":${f.size}}}}`,
    );
    expect(V.element_without_files.files).toEqual({});
    expect(V.element_without_files.canonical_json.endsWith(',"files":{}}')).toBe(true);
    expect(V.element_without_files.canonical_json).toMatch(/[^\x00-\x7f]/); // non-ASCII, unescaped
    // The page opens the scan through its link: id and media type in the AD, digest and size of the plaintext.
    const fromElement = V.element.files.front_side as FileLink;
    expect(t(openLinkedFileWithKey(b(f.fk), fromElement, b(f.ciphertext)))).toBe(f.bytes);
    expect(() => checkFileMatchesLink(fromElement, b(f.bytes))).not.toThrow();
  });

  it('seal the file: FK wrap, file envelope, SHA-256, link', () => {
    const f = V.file;
    const mk = b(V.vault.mk);
    const bytes = b(f.bytes);
    const ref = { id: f.id, mediaType: f.media_type };
    expect(bytes.length).toBe(f.size);
    expect(scanDigest(bytes)).toBe(f.sha256);
    expect(fileLinkFor({ sha256: f.sha256, size: f.size }, ref)).toEqual(f.link);
    expect(fileKeyAd(f.id)).toBe(f.wrap_ad);
    expect(fileAd(f.id, f.media_type)).toBe(f.ad);
    expect(wrapFileKey(mk, b(f.fk), f.id, { nonce: b(f.wrap_nonce) })).toBe(f.wrapped_fk);
    expect(t(unwrapFileKey(mk, f.wrapped_fk, f.id))).toBe(f.fk);
    expect(t(encryptFile(b(f.fk), ref, bytes, { nonce: b(f.nonce) }))).toBe(f.ciphertext);
    expect(t(openFileWithKey(b(f.fk), { ...ref, sha256: f.sha256, size: f.size }, b(f.ciphertext)))).toBe(f.bytes);
  });

  it('MAC the vault state record', () => {
    const s = V.state;
    const mk = b(V.vault.mk);
    const keys = { kdf: V.kdf[s.kdf_case]!.params, wrappedMk: s.wrapped_mk, recoveryWrappedMk: s.recovery_wrapped_mk };
    expect(V.description.state).toContain('"wathiqa/v1/state"');
    expect([s.wrapped_mk, s.recovery_wrapped_mk]).toEqual([V.vault.wrapped_mk, V.recovery.recovery_wrapped_mk]);
    expect(s.elements.map((e) => e.id).sort()).toEqual([V.element.id, V.element_without_files.id].sort());
    expect(stateKeysDigest(keys)).toBe(s.keys);
    expect(t(deriveStateKey(mk))).toBe(s.sk);
    // Element order in the input does not matter: the record sorts.
    const record = stateRecord({ vaultId: s.vault_id, vaultVersion: s.vault_version, keys, elements: [...s.elements].reverse(), holderKeys: s.holder_keys });
    expect(signState(mk, record)).toEqual({ state: s.record, state_mac: s.mac });
    expect(decodeStateRecord(s.record)).toEqual(record);
    expect(verifyStateMac(mk, s.record, s.mac)).toBe(true);
    const served = { vaultId: s.vault_id, vaultVersion: s.vault_version, keys, elements: s.elements, holderKeys: s.holder_keys, stored: { state: s.record, state_mac: s.mac } };
    expect(checkVaultState(mk, served, true)).toMatchObject({ verified: true, problems: [], refused: undefined });
    // Served without the recorded holder keys: the whole vault is refused.
    expect(checkVaultState(mk, { ...served, holderKeys: [] }, true).refused).toEqual({ kind: 'holder_keys' });
  });

  it.each(['enc', 'sig'] as const)('seal the holder key (%s): canonical private JWK, AD, envelope, thumbprint kid', async (use) => {
    const h = V.holder_keys.find((k) => k.use === use)!;
    const mk = b(V.vault.mk);
    expect(h.vault_id).toBe(V.vault.vault_id);
    expect(Object.keys(h.private_jwk).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y']);
    expect(t(holderKeyPlaintext(h.private_jwk))).toBe(h.plaintext);
    expect(new TextDecoder().decode(b(h.plaintext))).toBe(
      `{"crv":"P-256","d":"${h.private_jwk.d}","kty":"EC","x":"${h.private_jwk.x}","y":"${h.private_jwk.y}"}`,
    );
    expect(holderKeyAd(h.vault_id, use)).toBe(h.ad);
    expect(h.ad).toBe(`wathiqa/v1/holder-key|${h.vault_id}|${use}`);
    const stored = sealHolderKey(mk, h.vault_id, use, h.private_jwk, { nonce: b(h.nonce) });
    expect(stored).toEqual({ use, public_jwk: h.public_jwk, sealed_private: h.sealed_private });
    expect(openHolderKey(mk, h.vault_id, stored)).toEqual(h.private_jwk);
    expect(holderKeyThumbprint(h.private_jwk)).toBe(h.kid);
    expect(await calculateJwkThumbprint(h.public_jwk, 'sha256')).toBe(h.kid);
    expect(h.public_jwk).toEqual({ kty: 'EC', crv: 'P-256', x: h.private_jwk.x, y: h.private_jwk.y, kid: h.kid, use, alg: use === 'enc' ? 'ECDH-ES+A256KW' : 'ES256' });
    expect(HolderKeyShapes.publicJwk.safeParse(h.public_jwk).success).toBe(true);
    // d belongs to x and y: jose signs with the private JWK and verifies with the public one.
    if (use === 'sig') {
      const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(await importJWK(h.private_jwk, 'ES256'));
      await expect(compactVerify(jwt, await importJWK(h.public_jwk, 'ES256'))).resolves.toBeDefined();
    }
    // The state vector records both kids.
    expect(V.state.holder_keys).toContain(h.kid);
  });

  describe('an SD-JWT VC attestation and one presentation', () => {
    const A = () => V.attestation;
    const text = (segment: string) => new TextDecoder().decode(b(segment));
    const holderSigVector = () => V.holder_keys.find((k) => k.use === 'sig')!;

    it('is of the element vector, bound to the holder sig key vector', () => {
      expect(A().element).toEqual({ type: V.element.type, data: V.element.data, files: V.element.files });
      expect(A().holder_sig).toEqual(holderSigVector().public_jwk);
      expect(V.description.attestation).toContain('"dc+sd-jwt"');
      expect(V.description.attestation).toContain('sd_hash = base64url(SHA-256(ASCII of the presentation up to and including its last "~"))');
    });

    it('recomputes every disclosure and digest, one per field and per scan slot', async () => {
      const a = A();
      const content = { data: a.element.data, files: a.element.files };
      expect(a.disclosures.map((d) => d.key)).toEqual([...Object.keys(a.element.data), ...Object.keys(a.element.files)]);
      for (const d of a.disclosures) {
        expect(t(new TextEncoder().encode(JSON.stringify([d.salt, d.key, d.value])))).toBe(d.disclosure);
        expect(b(d.salt)).toHaveLength(16);
        expect(t(await sdJwtHasher(d.disclosure, 'sha-256'))).toBe(d.digest);
        const expected = d.key in content.data ? content.data[d.key] : scanDisclosureValue(content.files, d.key);
        expect(d.value).toEqual(expected);
      }
      expect(a.sd_jwt).toBe(`${a.issuer_jwt}~${a.disclosures.map((d) => `${d.disclosure}~`).join('')}`);
    });

    it('recomputes the issuer JWT\'s header and payload (fixed salts), and its ES256 signature verifies', async () => {
      const a = A();
      const [header, payload] = a.issuer_jwt.split('.');
      expect(text(header!)).toBe(a.issuer_jwt_header);
      expect(text(payload!)).toBe(a.issuer_jwt_payload);
      expect(JSON.parse(a.issuer_jwt_header)).toEqual({ typ: 'dc+sd-jwt', kid: a.issuer.public_jwk.kid, alg: 'ES256' });
      const claims = JSON.parse(a.issuer_jwt_payload) as Record<string, unknown>;
      expect(claims).toMatchObject({ iss: a.issuer.client_id, vct: attestationVct(a.element.type), cnf: { jwk: a.holder_sig }, _sd_alg: 'sha-256' });
      expect(claims._sd).toEqual(a.disclosures.map((d) => d.digest).sort());
      for (const d of a.disclosures) expect(claims).not.toHaveProperty(d.key);

      // The @sd-jwt issuer with the same salts writes the same signing input, byte for byte.
      const { _sd: _digests, _sd_alg: _alg, ...clear } = claims;
      const values = Object.fromEntries(a.disclosures.map((d) => [d.key, d.value]));
      let i = 0;
      const reissued = await new SDJwtVcInstance({
        hasher: sdJwtHasher,
        hashAlg: 'sha-256',
        saltGenerator: () => a.disclosures[i++]!.salt,
        signer: jwsSigner(a.issuer.private_jwk, 'ES256'),
        signAlg: 'ES256',
      }).issue({ ...(clear as { vct: string }), ...values }, { _sd: Object.keys(values) } as never, { header: { typ: 'dc+sd-jwt', kid: a.issuer.public_jwk.kid } });
      const signingInput = (jws: string) => jws.slice(0, jws.lastIndexOf('.'));
      expect(signingInput(reissued.split('~')[0]!)).toBe(signingInput(a.issuer_jwt));
      expect(reissued.slice(reissued.indexOf('~'))).toBe(a.sd_jwt.slice(a.sd_jwt.indexOf('~')));

      await expect(compactVerify(a.issuer_jwt, await importJWK(a.issuer.public_jwk, 'ES256'), { algorithms: ['ES256'] })).resolves.toBeDefined();
      await expect(compactVerify(a.issuer_jwt, await importJWK(a.holder_sig, 'ES256'))).rejects.toThrow();
    });

    it('passes the holder page\'s check against the element, with the recorded summary', async () => {
      const a = A();
      const summary = await checkIssuedAttestation(a.sd_jwt, {
        elementType: a.element.type,
        content: { data: a.element.data, files: a.element.files } as ElementContent<ElementType>,
        holderSig: a.holder_sig,
        issuers: [{ client_id: a.issuer.client_id, jwks: { keys: [a.issuer.public_jwk] } }],
        now: new Date(a.expected.holder_check.now * 1000),
      });
      expect(a.expected.holder_check.accepted).toBe(true);
      expect(summary).toEqual(a.expected.holder_check.summary);
      expect(await decodeIssuedAttestation(a.sd_jwt)).toEqual({
        iss: a.issuer.client_id,
        vct: attestationVct(a.element.type),
        elementType: a.element.type,
        disclosed: Object.fromEntries(a.disclosures.map((d) => [d.key, d.value])),
      });
    });

    it('presents exactly the released keys, with sd_hash and a KB-JWT that verify', async () => {
      const a = A();
      const p = a.presentation;
      const released = [...p.released.fields, ...p.released.scans];
      const presented = a.disclosures.filter((d) => released.includes(d.key));
      expect(p.disclosures).toEqual(presented.map((d) => d.key));
      const withoutKb = `${a.issuer_jwt}~${presented.map((d) => `${d.disclosure}~`).join('')}`;
      expect(p.presentation).toBe(`${withoutKb}${p.kb_jwt}`);
      expect(t(await sdJwtHasher(withoutKb, 'sha-256'))).toBe(p.sd_hash);
      const [kbHeader, kbPayload] = p.kb_jwt.split('.');
      expect(text(kbHeader!)).toBe(p.kb_jwt_header);
      expect(text(kbPayload!)).toBe(p.kb_jwt_payload);
      expect(JSON.parse(p.kb_jwt_header)).toEqual({ typ: 'kb+jwt', alg: 'ES256' });
      expect(JSON.parse(p.kb_jwt_payload)).toEqual({ ...p.kb, sd_hash: p.sd_hash });
      const hs = await importJWK(a.holder_sig, 'ES256');
      await expect(compactVerify(p.kb_jwt, hs, { algorithms: ['ES256'] })).resolves.toBeDefined();

      // Our presentation of the same release: the same bytes up to the KB-JWT, the same KB-JWT claims.
      const ours = await presentAttestation(a.sd_jwt, p.released, holderSigVector().private_jwk, p.kb);
      expect(ours.slice(0, ours.lastIndexOf('~') + 1)).toBe(withoutKb);
      const [oursHeader, oursPayload] = ours.slice(withoutKb.length).split('.');
      expect([text(oursHeader!), text(oursPayload!)]).toEqual([p.kb_jwt_header, p.kb_jwt_payload]);
      await expect(compactVerify(ours.slice(withoutKb.length), hs, { algorithms: ['ES256'] })).resolves.toBeDefined();
    });

    it('is what an RP concludes: the @sd-jwt verifier accepts it, attested values disclosed, the rest hidden', async () => {
      const a = A();
      const p = a.presentation;
      const verifier = (nonce: string) =>
        new SDJwtVcInstance({
          hasher: sdJwtHasher,
          verifier: jwsSignatureVerifier(importedIssuer, ['ES256']),
          kbVerifier: jwsSignatureVerifier(importedHolder, ['ES256']),
        }).verify(p.presentation, { keyBindingNonce: nonce, currentDate: p.kb.iat });
      const importedIssuer = (await importJWK(a.issuer.public_jwk, 'ES256')) as CryptoKey;
      const importedHolder = (await importJWK(a.holder_sig, 'ES256')) as CryptoKey;
      const result = await verifier(p.kb.nonce);
      const r = a.expected.rp_check;
      expect(r.valid).toBe(true);
      expect(result.payload.iss).toBe(r.issuer);
      expect(result.kb?.payload).toEqual({ ...p.kb, sd_hash: p.sd_hash });
      expect(r.holder_kid).toBe(a.holder_sig.kid);
      for (const [key, value] of Object.entries(r.attested)) expect((result.payload as Record<string, unknown>)[key]).toEqual(value);
      expect(Object.keys(r.attested)).toEqual(p.disclosures);
      expect(r.hidden).toEqual(a.disclosures.map((d) => d.key).filter((k) => !p.disclosures.includes(k)));
      for (const key of r.hidden) expect(result.payload).not.toHaveProperty(key);
      await expect(verifier('another nonce')).rejects.toThrow();
    });
  });

  it('refuse every listed KDF parameter set', () => {
    expect(V.rejected_kdf_params.length).toBeGreaterThan(5);
    for (const params of V.rejected_kdf_params) expect(() => checkKdfParams(params)).toThrow(KdfPolicyError);
  });
});
