/**
 * Attestations on the holder's side (DESIGN 5.6): real SD-JWT VCs issued here
 * with @sd-jwt/sd-jwt-vc and jose keys (ES256 and EdDSA verifiers), then the
 * holder page's check, the edit rule and the release presentation.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { compactVerify, decodeProtectedHeader, decodeJwt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import {
  ATTESTATION_TYP,
  AttestationCheckError,
  attestationsThatFit,
  attestationVct,
  base64urlEncode,
  checkIssuedAttestation,
  decodeIssuedAttestation,
  elementContentSchema,
  elementTypeOfVct,
  generateHolderKey,
  holderPublicJwk,
  jwsSignatureVerifier,
  jwsSigner,
  KB_JWT_TYP,
  MAX_ATTESTATION_LENGTH,
  parseElementContent,
  presentAttestation,
  scanDisclosureValue,
  sdJwtHasher,
  summarizeAttestation,
  utf8Encode,
  type AttestationCheckCode,
  type ElementContent,
  type ElementType,
  type HolderPrivateJwk,
  type HolderPublicJwk,
  type IssuerKeys,
  type SealedAttestation,
} from '../../../src/protocol/index.js';
import { sampleContent, sampleLink } from './samples.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

interface Verifier {
  clientId: string;
  alg: 'ES256' | 'EdDSA';
  privateJwk: JWK;
  keys: IssuerKeys;
}

async function makeVerifier(clientId: string, alg: 'ES256' | 'EdDSA', kid: string): Promise<Verifier> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { clientId, alg, privateJwk: { ...(await exportJWK(privateKey)), kid }, keys: { client_id: clientId, jwks: { keys: [publicJwk] } } };
}

/** The disclosure values of an element: its data fields, and its scans by sha256 (DESIGN 5.6). */
function claimsOf(content: ElementContent<ElementType>): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...(content.data as Record<string, unknown>) };
  for (const slot of Object.keys(content.files)) claims[slot] = scanDisclosureValue(content.files as Record<string, unknown>, slot);
  return claims;
}

interface IssueOptions {
  type?: ElementType;
  vct?: string;
  typ?: string;
  kid?: string;
  exp?: number;
  cnf?: object;
  /** Signs with this key instead of the verifier's (a forged signature under the verifier's kid). */
  signWith?: JWK;
  claims?: Record<string, unknown>;
  plain?: Record<string, unknown>;
  /** Leave out the status reference (the library's own verify would fetch it). */
  noStatus?: boolean;
}

/** Issues an SD-JWT VC the way a verifier does: every claim selectively disclosable. */
async function issue(verifier: Verifier, holder: HolderPublicJwk, content: ElementContent<ElementType>, o: IssueOptions = {}): Promise<string> {
  const type = o.type ?? 'passport';
  const claims = o.claims ?? claimsOf(content);
  const sdjwt = new SDJwtVcInstance({
    hasher: sdJwtHasher,
    hashAlg: 'sha-256',
    saltGenerator: () => base64urlEncode(crypto.getRandomValues(new Uint8Array(16))),
    signer: jwsSigner(o.signWith ?? verifier.privateJwk, verifier.alg),
    signAlg: verifier.alg,
  });
  const payload = {
    iss: verifier.clientId,
    iat: NOW_S - 3600,
    ...(o.exp !== undefined ? { exp: o.exp } : {}),
    vct: o.vct ?? attestationVct(type),
    cnf: { jwk: o.cnf ?? holder },
    verification: { trust_framework: 'eidas', time: '2025-06-01T11:00:00Z', evidence: [{ type: 'document' }] },
    ...(o.noStatus ? {} : { status: { status_list: { idx: 7, uri: 'https://verifier.example/status/1' } } }),
    ...(o.plain ?? {}),
    ...claims,
  };
  return sdjwt.issue(payload, { _sd: Object.keys(claims) } as never, {
    header: { typ: o.typ ?? ATTESTATION_TYP, kid: o.kid ?? (verifier.keys.jwks.keys[0]!.kid as string) },
  });
}

let holderKey: HolderPrivateJwk;
let holder: HolderPublicJwk;
let otherHolder: HolderPublicJwk;
let es: Verifier;
let ed: Verifier;
let issuers: IssuerKeys[];
const passport = sampleContent('passport') as ElementContent<ElementType>; // front_side, selfie, translation[1]

beforeAll(async () => {
  holderKey = await generateHolderKey('sig');
  holder = holderPublicJwk(holderKey, 'sig');
  otherHolder = holderPublicJwk(await generateHolderKey('sig'), 'sig');
  es = await makeVerifier('verifier-es', 'ES256', 'es-1');
  ed = await makeVerifier('verifier-ed', 'EdDSA', 'ed-1');
  issuers = [es.keys, ed.keys];
});

const ctx = (content: ElementContent<ElementType> = passport, extra: Partial<Parameters<typeof checkIssuedAttestation>[1]> = {}) => ({
  elementType: 'passport' as ElementType,
  content,
  holderSig: holder,
  issuers,
  now: NOW,
  ...extra,
});

async function expectCode(promise: Promise<unknown>, code: AttestationCheckCode, key?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AttestationCheckError);
  expect((error as AttestationCheckError).code).toBe(code);
  expect((error as AttestationCheckError).name).toBe('AttestationCheckError');
  if (key !== undefined) expect((error as AttestationCheckError).key).toBe(key);
}

/** The JWT and disclosures of a compact SD-JWT. */
function parts(sdJwt: string): { jwt: string; disclosures: string[]; kb: string } {
  const [jwt, ...rest] = sdJwt.split('~');
  const kb = rest.pop()!;
  return { jwt: jwt!, disclosures: rest, kb };
}

function disclosureKey(encoded: string): string {
  return (JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as unknown[])[1] as string;
}

function withContent(change: (c: { data: Record<string, unknown>; files: Record<string, unknown> }) => void): ElementContent<ElementType> {
  const copy = structuredClone(passport) as unknown as { data: Record<string, unknown>; files: Record<string, unknown> };
  change(copy);
  return copy as unknown as ElementContent<ElementType>;
}

describe('vct', () => {
  it('maps element types to urn:wathiqa:element:<type>:1 and back', () => {
    expect(attestationVct('identity_card')).toBe('urn:wathiqa:element:identity_card:1');
    expect(elementTypeOfVct('urn:wathiqa:element:identity_card:1')).toBe('identity_card');
    expect(elementTypeOfVct('urn:wathiqa:element:identity_card:2')).toBeUndefined();
    expect(elementTypeOfVct('urn:wathiqa:element:spaceship:1')).toBeUndefined();
    expect(elementTypeOfVct('urn:wathiqa:element:__proto__:1')).toBeUndefined();
    expect(() => attestationVct('spaceship')).toThrow(TypeError);
  });
});

describe('scanDisclosureValue', () => {
  it('is the sha256 of a single slot and the array of sha256 of a multiple slot', () => {
    const files = passport.files as Record<string, { sha256: string } | { sha256: string }[]>;
    expect(scanDisclosureValue(files, 'front_side')).toBe((files.front_side as { sha256: string }).sha256);
    expect(scanDisclosureValue(files, 'translation')).toEqual([(files.translation as { sha256: string }[])[0]!.sha256]);
    expect(scanDisclosureValue(files, 'reverse_side')).toBeUndefined();
    expect(scanDisclosureValue(files, 'given_name')).toBeUndefined();
    expect(scanDisclosureValue({ translation: files.front_side }, 'translation')).toBeUndefined();
    expect(scanDisclosureValue({ front_side: [files.front_side] }, 'front_side')).toBeUndefined();
  });
});

describe('sdJwtHasher and the JWS callbacks', () => {
  it('hashes SHA-256 only', async () => {
    const digest = await sdJwtHasher('abc', 'sha-256');
    expect(Buffer.from(digest).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    await expectCode(sdJwtHasher('abc', 'sha-512'), 'malformed');
  });

  it('signs JWS signing inputs that jose verifies, and verifies with the allowed algorithms only', async () => {
    for (const v of [es, ed]) {
      const input = `${base64urlEncode(utf8Encode(JSON.stringify({ alg: v.alg })))}.${base64urlEncode(utf8Encode('{"a":1}'))}`;
      const sig = await jwsSigner(v.privateJwk, v.alg)(input);
      const publicKey = (await importJWK(v.keys.jwks.keys[0] as JWK, v.alg)) as CryptoKey;
      await expect(compactVerify(`${input}.${sig}`, publicKey)).resolves.toBeDefined();
      await expect(jwsSignatureVerifier(publicKey, [v.alg])(input, sig)).resolves.toBe(true);
      await expect(jwsSignatureVerifier(publicKey, [v.alg === 'ES256' ? 'EdDSA' : 'ES256'])(input, sig)).resolves.toBe(false);
      await expect(jwsSignatureVerifier(publicKey, [v.alg])(input, sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))).resolves.toBe(false);
    }
  });
});

describe('checkIssuedAttestation', () => {
  it('accepts an attestation of this element by an ES256 verifier and summarizes it', async () => {
    const sdJwt = await issue(es, holder, passport, { exp: NOW_S + 86400 });
    const summary = await checkIssuedAttestation(sdJwt, ctx());
    expect(summary).toEqual({
      issuer: 'verifier-es',
      kid: 'es-1',
      fields: ['document_number', 'issuing_country', 'date_of_issuance', 'date_of_expiry'],
      scans: ['front_side', 'selfie', 'translation'],
      issuedAt: NOW_S - 3600,
      expiresAt: NOW_S + 86400,
      verification: { trust_framework: 'eidas', time: '2025-06-01T11:00:00Z', evidence: [{ type: 'document' }] },
      status: { status_list: { idx: 7, uri: 'https://verifier.example/status/1' } },
    });
    await expect(summarizeAttestation(sdJwt)).resolves.toEqual(summary);
  });

  it('accepts an EdDSA verifier, and an attestation covering part of the element', async () => {
    const { date_of_issuance: _omitted, ...claims } = claimsOf(passport);
    const sdJwt = await issue(ed, holder, passport, { claims });
    const summary = await checkIssuedAttestation(sdJwt, ctx());
    expect(summary.issuer).toBe('verifier-ed');
    expect(summary.fields).toEqual(['document_number', 'issuing_country', 'date_of_expiry']);
    expect(summary.expiresAt).toBeUndefined();
  });

  it('decodes without trust: issuer, vct, type and disclosed values', async () => {
    const sdJwt = await issue(es, holder, passport);
    const decoded = await decodeIssuedAttestation(sdJwt);
    expect(decoded).toEqual({ iss: 'verifier-es', vct: 'urn:wathiqa:element:passport:1', elementType: 'passport', disclosed: claimsOf(passport) });
  });

  it('refuses an issuer that is not a registered verifier', async () => {
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport), ctx(passport, { issuers: [ed.keys] })), 'untrusted_issuer');
  });

  it('refuses a kid the verifier has not registered, or registered for encryption', async () => {
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport, { kid: 'es-2' }), ctx()), 'untrusted_issuer');
    const encOnly = { client_id: es.clientId, jwks: { keys: [{ ...es.keys.jwks.keys[0], use: 'enc' }] } };
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport), ctx(passport, { issuers: [encOnly] })), 'untrusted_issuer');
  });

  it('refuses a signature by another key under the verifier\'s kid, and an altered payload', async () => {
    const intruder = await makeVerifier('verifier-es', 'ES256', 'es-1');
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport, { signWith: intruder.privateJwk }), ctx()), 'signature');
    // The same token with one payload claim changed: digests and disclosures intact, signature broken.
    const sdJwt = await issue(es, holder, passport);
    const { jwt } = parts(sdJwt);
    const [h, p, s] = jwt.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload.iat = NOW_S;
    const altered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}${sdJwt.slice(jwt.length)}`;
    await expectCode(checkIssuedAttestation(altered, ctx()), 'signature');
  });

  it('refuses an algorithm other than the key\'s', async () => {
    const mislabelled = { client_id: es.clientId, jwks: { keys: [{ ...es.keys.jwks.keys[0], alg: 'EdDSA' }] } };
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport), ctx(passport, { issuers: [mislabelled] })), 'signature');
  });

  it('refuses a typ other than dc+sd-jwt', async () => {
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport, { typ: 'vc+sd-jwt' }), ctx()), 'type');
  });

  it('refuses an attestation of another element type', async () => {
    const sdJwt = await issue(es, holder, passport, { vct: attestationVct('identity_card') });
    await expectCode(checkIssuedAttestation(sdJwt, ctx()), 'type');
  });

  it('refuses an expired attestation', async () => {
    const sdJwt = await issue(es, holder, passport, { exp: NOW_S - 1 });
    await expectCode(checkIssuedAttestation(sdJwt, ctx()), 'expired');
    await expect(checkIssuedAttestation(sdJwt, ctx(passport, { now: new Date((NOW_S - 2) * 1000) }))).resolves.toBeDefined();
  });

  it('refuses an attestation bound to another holder key', async () => {
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport, { cnf: otherHolder }), ctx()), 'holder_key');
    // A private key in cnf is never ours, whatever its public part.
    await expectCode(checkIssuedAttestation(await issue(es, holder, passport, { cnf: { ...holderKey } }), ctx()), 'holder_key');
  });

  it('refuses a disclosure whose digest is not in _sd', async () => {
    const { date_of_expiry: _omitted, ...claims } = claimsOf(passport);
    const partial = await issue(es, holder, passport, { claims });
    const full = await issue(es, holder, passport);
    const extra = parts(full).disclosures.find((d) => disclosureKey(d) === 'date_of_expiry')!;
    await expectCode(checkIssuedAttestation(`${partial}${extra}~`, ctx()), 'not_in_sd', 'date_of_expiry');
  });

  it('refuses a disclosed value that is not the element\'s current value', async () => {
    const sdJwt = await issue(es, holder, passport);
    const changed = withContent((c) => {
      c.data.document_number = 'P7654321';
    });
    await expectCode(checkIssuedAttestation(sdJwt, ctx(changed)), 'value_mismatch', 'document_number');
    const removed = withContent((c) => {
      delete c.data.date_of_issuance;
    });
    await expectCode(checkIssuedAttestation(sdJwt, ctx(removed)), 'value_mismatch', 'date_of_issuance');
  });

  it('refuses a scan whose sha256 differs, in a single and in a multiple slot', async () => {
    const sdJwt = await issue(es, holder, passport);
    const front = withContent((c) => {
      c.files.front_side = sampleLink(1, 'image/png');
    });
    await expectCode(checkIssuedAttestation(sdJwt, ctx(front)), 'value_mismatch', 'front_side');
    const translation = withContent((c) => {
      c.files.translation = [...(c.files.translation as unknown[]), sampleLink(40, 'image/png')];
    });
    await expectCode(checkIssuedAttestation(sdJwt, ctx(translation)), 'value_mismatch', 'translation');
  });

  it('refuses disclosures of keys the element type does not have', async () => {
    const sdJwt = await issue(es, holder, passport, { claims: { ...claimsOf(passport), nickname: 'Omar' } });
    await expectCode(checkIssuedAttestation(sdJwt, ctx()), 'value_mismatch', 'nickname');
  });

  it('keeps a disclosure named __proto__ an own property, and refuses it as no field of the type', async () => {
    const sdJwt = await issue(es, holder, passport, { claims: JSON.parse('{"document_number":"P1234567","__proto__":{"polluted":true}}') as Record<string, unknown> });
    const { disclosed } = await decodeIssuedAttestation(sdJwt);
    expect(Object.getPrototypeOf(disclosed)).toBe(Object.prototype);
    expect(Object.keys(disclosed)).toEqual(['document_number', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectCode(checkIssuedAttestation(sdJwt, ctx()), 'value_mismatch', '__proto__');
  });

  it('refuses malformed input before anything else', async () => {
    const sdJwt = await issue(es, holder, passport);
    const presented = await presentAttestation(sdJwt, { fields: ['document_number'], scans: [] }, holderKey, { aud: 'rp', nonce: 'n', iat: NOW_S });
    const cases: string[] = [
      'not a token~',
      sdJwt.slice(0, -1), // no trailing "~": a KB-JWT position holding a disclosure
      presented, // carries a KB-JWT
      `${sdJwt}${'A'.repeat(MAX_ATTESTATION_LENGTH)}~`,
      `${sdJwt}${parts(sdJwt).disclosures[0]}~`, // the same disclosure twice
      parts(sdJwt).jwt + '~', // discloses nothing
      await issue(es, holder, passport, { plain: { document_number: 'P1234567' }, claims: { issuing_country: 'OM' } }), // a value in clear
    ];
    for (const bad of cases) await expectCode(checkIssuedAttestation(bad, ctx()), 'malformed');
    // Even an untrusted issuer's malformed token is reported as malformed, first.
    await expectCode(checkIssuedAttestation('x.y.z~', ctx(passport, { issuers: [] })), 'malformed');
  });
});

describe('element content with attestations', () => {
  let sealed: SealedAttestation;
  beforeAll(async () => {
    sealed = { sd_jwt: await issue(es, holder, passport), verifier_name: 'Bank X KYC', checked_at: '2025-06-01T12:00:00.000Z' };
  });

  it('parses content without the member exactly as before, and with 1..4 attestations', () => {
    expect(parseElementContent('passport', passport)).toEqual(passport);
    expect(Object.keys(parseElementContent('passport', passport))).toEqual(['data', 'files']);
    const content = { ...passport, attestations: [sealed] };
    expect(parseElementContent('passport', content)).toEqual(content);
    const four = [1, 2, 3, 4].map((i) => ({ ...sealed, sd_jwt: `${sealed.sd_jwt}${'A'.repeat(i)}~` }));
    expect(elementContentSchema('passport').safeParse({ ...passport, attestations: four }).success).toBe(true);
    expect(elementContentSchema('passport').safeParse({ ...passport, attestations: [...four, sealed] }).success).toBe(false);
  });

  it('refuses an empty list, duplicates, unknown members and bad shapes', () => {
    const bad: unknown[] = [
      [],
      [sealed, sealed],
      [{ ...sealed, note: 'x' }],
      [{ ...sealed, sd_jwt: sealed.sd_jwt.slice(0, -1) }], // a KB-JWT position
      [{ ...sealed, sd_jwt: `${parts(sealed.sd_jwt).jwt}~` }], // no disclosure
      [{ ...sealed, sd_jwt: `${sealed.sd_jwt}${'A'.repeat(MAX_ATTESTATION_LENGTH)}~` }],
      [{ ...sealed, sd_jwt: sealed.sd_jwt.replace('.', ' .') }],
      [{ ...sealed, verifier_name: '' }],
      [{ ...sealed, verifier_name: 'x'.repeat(201) }],
      [{ ...sealed, checked_at: '2025-06-01T15:00:00+03:00' }],
      [{ ...sealed, checked_at: '2025-06-01' }],
      [{ sd_jwt: sealed.sd_jwt, verifier_name: 'X' }],
      null,
    ];
    for (const attestations of bad) {
      expect(elementContentSchema('passport').safeParse({ ...passport, attestations }).success).toBe(false);
    }
    expect(elementContentSchema('passport').safeParse({ ...passport, attestations: [{ ...sealed, verifier_name: 'x'.repeat(200) }] }).success).toBe(true);
  });
});

describe('attestationsThatFit', () => {
  const seal = (sd_jwt: string): SealedAttestation => ({ sd_jwt, verifier_name: 'V', checked_at: '2025-06-01T12:00:00Z' });

  it('keeps attestations while every disclosed value is unchanged, drops them on an edit they cover', async () => {
    const all = seal(await issue(es, holder, passport));
    const { date_of_expiry: _e, front_side: _f, ...claims } = claimsOf(passport);
    const partial = seal(await issue(ed, holder, passport, { claims }));
    const fit = (content: ElementContent<ElementType>) => attestationsThatFit([all, partial], content);

    await expect(fit(passport)).resolves.toEqual({ kept: [all, partial], dropped: [] });
    // Only the full one covers date_of_expiry and front_side.
    const expiry = withContent((c) => {
      c.data.date_of_expiry = '2030-01-01';
    });
    await expect(fit(expiry)).resolves.toEqual({ kept: [partial], dropped: [all] });
    const newScan = withContent((c) => {
      c.files.front_side = sampleLink(41, 'image/png');
    });
    await expect(fit(newScan)).resolves.toEqual({ kept: [partial], dropped: [all] });
    // Both cover the document number, the selfie and the translation.
    const number = withContent((c) => {
      c.data.document_number = 'X1';
    });
    await expect(fit(number)).resolves.toEqual({ kept: [], dropped: [all, partial] });
    const noSelfie = withContent((c) => {
      delete c.files.selfie;
    });
    await expect(fit(noSelfie)).resolves.toEqual({ kept: [], dropped: [all, partial] });
    const reordered = withContent((c) => {
      c.files.translation = [sampleLink(42, 'application/pdf'), ...(c.files.translation as unknown[])];
    });
    await expect(fit(reordered)).resolves.toEqual({ kept: [], dropped: [all, partial] });
  });

  it('drops what no longer decodes', async () => {
    const broken = seal('e30.e30.sig~WyJzIiwiYSIsMV0~');
    await expect(attestationsThatFit([broken], passport)).resolves.toEqual({ kept: [], dropped: [broken] });
  });
});

describe('presentAttestation', () => {
  const kb = { aud: 'rp-client-1', nonce: 'n-0S6_WzA2Mj', iat: NOW_S };

  async function openPresentation(presentation: string) {
    const decoded = await new SDJwtVcInstance({ hasher: sdJwtHasher, hashAlg: 'sha-256' }).decode(presentation);
    return decoded;
  }

  it('discloses exactly the released keys the attestation covers, with a KB-JWT for this RP and sign-in', async () => {
    const sdJwt = await issue(es, holder, passport, { noStatus: true });
    const presentation = await presentAttestation(
      sdJwt,
      { fields: ['document_number', 'date_of_expiry', 'given_name', 'selfie'], scans: ['front_side', 'translation', 'reverse_side', 'document_number'] },
      holderKey,
      kb,
    );
    const { jwt, disclosures, kb: kbJwt } = parts(presentation);
    expect(jwt).toBe(parts(sdJwt).jwt);
    expect(disclosures.map(disclosureKey).sort()).toEqual(['date_of_expiry', 'document_number', 'front_side', 'translation']);
    // Each presented disclosure is one of the issued ones, byte for byte.
    for (const d of disclosures) expect(parts(sdJwt).disclosures).toContain(d);
    const decoded = await openPresentation(presentation);
    expect(decoded.disclosures?.length).toBe(4);
    const values = Object.fromEntries(decoded.disclosures!.map((d) => [d.key, d.value]));
    expect(values.translation).toEqual(scanDisclosureValue(passport.files as Record<string, unknown>, 'translation'));
    expect(Array.isArray(values.translation)).toBe(true);
    expect(values).not.toHaveProperty('selfie');
    expect(values).not.toHaveProperty('issuing_country');

    expect(decodeProtectedHeader(kbJwt)).toEqual({ typ: KB_JWT_TYP, alg: 'ES256' });
    const kbPayload = decodeJwt(kbJwt);
    const sdHash = base64urlEncode(await sdJwtHasher(presentation.slice(0, presentation.lastIndexOf('~') + 1), 'sha-256'));
    expect(kbPayload).toEqual({ aud: kb.aud, nonce: kb.nonce, iat: kb.iat, sd_hash: sdHash });
    const hs = (await importJWK(holder, 'ES256')) as CryptoKey;
    await expect(compactVerify(kbJwt, hs, { algorithms: ['ES256'] })).resolves.toBeDefined();

    // And the library's own verifier accepts the whole presentation with the issuer's and the holder's keys.
    const issuerKey = (await importJWK(es.keys.jwks.keys[0] as JWK, 'ES256')) as CryptoKey;
    const verified = await new SDJwtVcInstance({
      hasher: sdJwtHasher,
      verifier: jwsSignatureVerifier(issuerKey, ['ES256']),
      kbVerifier: jwsSignatureVerifier(hs, ['ES256']),
    }).verify(presentation, { keyBindingNonce: kb.nonce, currentDate: NOW_S });
    expect(verified.kb?.payload.aud).toBe(kb.aud);
    expect((verified.payload as Record<string, unknown>).document_number).toBe('P1234567');
    expect(verified.payload).not.toHaveProperty('selfie');
  });

  it('discloses every subset exactly (all 128 subsets of a passport\'s fields and scans)', async () => {
    const sdJwt = await issue(ed, holder, passport);
    const fields = ['document_number', 'issuing_country', 'date_of_issuance', 'date_of_expiry'];
    const scans = ['front_side', 'selfie', 'translation'];
    const keys = [...fields, ...scans];
    for (let mask = 0; mask < 1 << keys.length; mask++) {
      const chosen = keys.filter((_, i) => mask & (1 << i));
      const presentation = await presentAttestation(
        sdJwt,
        { fields: chosen.filter((k) => fields.includes(k)), scans: chosen.filter((k) => scans.includes(k)) },
        holderKey,
        kb,
      );
      expect(parts(presentation).disclosures.map(disclosureKey).sort()).toEqual([...chosen].sort());
    }
  });

  it('refuses to present an attestation bound to another holder key, and bad key-binding input', async () => {
    const theirs = await issue(es, holder, passport, { cnf: otherHolder });
    await expectCode(presentAttestation(theirs, { fields: [], scans: [] }, holderKey, kb), 'holder_key');
    const ours = await issue(es, holder, passport);
    await expect(presentAttestation(ours, { fields: [], scans: [] }, holderKey, { ...kb, nonce: '' })).rejects.toThrow(TypeError);
    await expect(presentAttestation(ours, { fields: [], scans: [] }, holderKey, { ...kb, iat: 1.5 })).rejects.toThrow(TypeError);
  });
});
