import { beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey } from 'node:crypto';
import { base64urlEncode, randomBytes } from '../../../src/protocol/index.js';
import {
  findElement,
  loadReleaseKeys,
  memoryJtiStore,
  openRelease,
  ReleaseAudienceMismatchError,
  ReleaseDecryptionError,
  ReleaseError,
  ReleaseFromFutureError,
  ReleaseHeaderError,
  ReleaseIncompleteError,
  ReleaseIssuerMismatchError,
  ReleaseMalformedError,
  ReleaseNonceMismatchError,
  ReleaseNotRequestedError,
  ReleaseReplayedError,
  ReleaseSubjectMismatchError,
  ReleaseTooOldError,
  type OpenReleaseOptions,
  type ReleaseKeyring,
} from '../../../src/rp/index.js';
import {
  CLIENT_ID,
  fileEntry,
  ISSUER,
  JPEG,
  NONCE,
  NOW,
  NOW_S,
  PNG,
  REQUESTED,
  rpKeyPair,
  sampleElements,
  samplePayload,
  sealRelease,
  SUBJECT,
  tamper,
  withHeader,
  type RpKeyPair,
} from './helpers.js';

let ec: RpKeyPair;
let rsa: RpKeyPair;
let otherEc: RpKeyPair;
let keyring: ReleaseKeyring;

beforeAll(async () => {
  ec = await rpKeyPair('ECDH-ES+A256KW', 'rp-ec-1');
  rsa = await rpKeyPair('RSA-OAEP-256', 'rp-rsa-1');
  otherEc = await rpKeyPair('ECDH-ES+A256KW', 'rp-ec-1'); // same kid, other key
  keyring = await loadReleaseKeys({ keys: [ec.privateJwk, rsa.privateJwk] });
});

function options(extra: Partial<OpenReleaseOptions> = {}): OpenReleaseOptions {
  return { keys: keyring, issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, now: NOW, requested: JSON.stringify(REQUESTED), ...extra };
}

/** Expects openRelease to fail with `type` and a message that holds none of the released values. */
async function refused(jwe: string, type: abstract new (...args: never[]) => ReleaseError, extra: Partial<OpenReleaseOptions> = {}) {
  const error = await openRelease(jwe, options(extra)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(ReleaseError);
  const text = `${(error as Error).message} ${JSON.stringify(error)}`;
  for (const secret of ['Omar', 'Al-Farsi', '1988-', 'P1234567', 'Manama', 'omar@example.com', NONCE, SUBJECT]) {
    expect(text).not.toContain(secret);
  }
  return error as ReleaseError;
}

const withElements = (mutate: (elements: ReturnType<typeof sampleElements>) => unknown[]) =>
  samplePayload({ elements: mutate(sampleElements()) });

describe('openRelease: happy path', () => {
  it.each(['ec', 'rsa'])('decrypts and checks a %s release', async (which) => {
    const pair = which === 'ec' ? ec : rsa;
    const payload = samplePayload();
    const release = await openRelease(await sealRelease(pair, payload), options());
    expect(release).toMatchObject({ v: 1, iss: ISSUER, aud: CLIENT_ID, sub: SUBJECT, nonce: NONCE, jti: payload.jti, iat: NOW_S - 5 });
    expect(release.elements.map((e) => e.type)).toEqual(['personal_details', 'passport', 'address', 'email']);
    const passport = findElement(release, 'passport', 'identity_card');
    expect(passport?.data.document_number).toBe('P1234567');
    expect(passport?.files.front_side.media_type).toBe('image/png');
    expect(passport?.files.selfie?.size).toBe(JPEG.length);
  });

  it('accepts the raw key forms: private JWK, JWKS with a signing key, CryptoKey entry, KeyObject', async () => {
    const jwe = await sealRelease(ec, samplePayload());
    const base = options({ requested: undefined });
    await expect(openRelease(jwe, { ...base, keys: ec.privateJwk })).resolves.toBeDefined();
    const sig = { kty: 'EC', crv: 'P-256', use: 'sig', kid: 'sig-1', x: ec.privateJwk.x, y: ec.privateJwk.y, d: ec.privateJwk.d };
    await expect(openRelease(jwe, { ...base, keys: { keys: [sig, rsa.privateJwk, ec.privateJwk] } })).resolves.toBeDefined();
    await expect(openRelease(jwe, { ...base, keys: [{ key: ec.privateKey, kid: ec.kid }] })).resolves.toBeDefined();
    await expect(openRelease(jwe, { ...base, keys: ec.privateKey })).resolves.toBeDefined();
    const keyObject = createPrivateKey({ key: ec.privateJwk as never, format: 'jwk' });
    await expect(openRelease(jwe, { ...base, keys: [{ key: keyObject, kid: ec.kid }] })).resolves.toBeDefined();
    const rsaObject = createPrivateKey({ key: rsa.privateJwk as never, format: 'jwk' });
    await expect(openRelease(await sealRelease(rsa, samplePayload()), { ...base, keys: [{ key: rsaObject, kid: rsa.kid }] })).resolves.toBeDefined();
  });

  it('normalizes released text (trim, NFC) and accepts a requested scope given as an object', async () => {
    const payload = withElements((els) => {
      (els[0]!.data as Record<string, string>).given_name = '  Omar ';
      return els;
    });
    const release = await openRelease(await sealRelease(ec, payload), options({ requested: REQUESTED }));
    expect(findElement(release, 'personal_details')?.data.given_name).toBe('Omar');
  });

  it('without `requested`, accepts any valid subset', async () => {
    const payload = samplePayload({
      elements: [
        { type: 'phone_number', data: { phone_number: '+97336001234' }, files: {}, attestations: [] },
        { type: 'utility_bill', data: {}, files: { files: [fileEntry(9, PNG, 'image/png')] }, attestations: [] },
      ],
    });
    const release = await openRelease(await sealRelease(ec, payload), options({ requested: undefined }));
    expect(release.elements).toHaveLength(2);
  });
});

describe('openRelease: bindings', () => {
  it('refuses another nonce, audience, subject, issuer', async () => {
    await refused(await sealRelease(ec, samplePayload({ nonce: 'other-nonce' })), ReleaseNonceMismatchError);
    await refused(await sealRelease(ec, samplePayload({ aud: 'another-rp' })), ReleaseAudienceMismatchError);
    await refused(await sealRelease(ec, samplePayload({ sub: 'someone-else' })), ReleaseSubjectMismatchError);
    await refused(await sealRelease(ec, samplePayload({ iss: 'https://evil.example' })), ReleaseIssuerMismatchError);
    await refused(await sealRelease(ec, samplePayload({ iss: `${ISSUER}/` })), ReleaseIssuerMismatchError);
    // and the same release against options naming someone else
    const jwe = await sealRelease(ec, samplePayload());
    await refused(jwe, ReleaseNonceMismatchError, { nonce: 'another-login' });
    await refused(jwe, ReleaseSubjectMismatchError, { subject: 'another-user' });
    await refused(jwe, ReleaseAudienceMismatchError, { clientId: 'another-client' });
  });

  it('refuses a release too old or from the future, with tolerance', async () => {
    await refused(await sealRelease(ec, samplePayload({ iat: NOW_S - 631 })), ReleaseTooOldError);
    await refused(await sealRelease(ec, samplePayload({ iat: NOW_S - 100 })), ReleaseTooOldError, { maxAgeSeconds: 60 });
    await refused(await sealRelease(ec, samplePayload({ iat: NOW_S + 31 })), ReleaseFromFutureError);
    await expect(openRelease(await sealRelease(ec, samplePayload({ iat: NOW_S - 629 })), options())).resolves.toBeDefined();
    await expect(openRelease(await sealRelease(ec, samplePayload({ iat: NOW_S + 29 })), options())).resolves.toBeDefined();
    await refused(await sealRelease(ec, samplePayload({ iat: NOW_S + 10 })), ReleaseFromFutureError, { clockToleranceSeconds: 0 });
  });

  it('refuses a replayed jti, and does not burn the jti of a refused release', async () => {
    const seen: [string, number][] = [];
    const store = memoryJtiStore(() => NOW_S);
    const seenJti = (jti: string, exp: number) => {
      seen.push([jti, exp]);
      return store(jti, exp);
    };
    const payload = samplePayload();
    const jwe = await sealRelease(ec, payload);
    await refused(jwe, ReleaseNonceMismatchError, { seenJti, nonce: 'other' });
    expect(seen).toHaveLength(0);
    await openRelease(jwe, options({ seenJti }));
    expect(seen).toEqual([[payload.jti, NOW_S - 5 + 600 + 30]]);
    await refused(jwe, ReleaseReplayedError, { seenJti });
    await refused(jwe, ReleaseReplayedError, { seenJti: async () => true });
  });
});

describe('openRelease: JWE and keys', () => {
  it.each([0, 1, 2, 3, 4])('refuses a JWE with a byte flipped in part %i (both algs)', async (part) => {
    for (const pair of [ec, rsa]) {
      const jwe = await sealRelease(pair, samplePayload());
      const error = await refused(tamper(jwe, part), ReleaseError);
      if (part === 0) expect(['release_header_invalid', 'release_decryption_failed']).toContain(error.code);
      else expect(error).toBeInstanceOf(ReleaseDecryptionError);
    }
  });

  it('refuses an unknown kid and a release encrypted to another key with the same kid', async () => {
    await refused(await sealRelease(ec, samplePayload(), { header: { kid: 'unknown' } }), ReleaseDecryptionError);
    await refused(await sealRelease(otherEc, samplePayload()), ReleaseDecryptionError);
    await refused(await sealRelease(ec, samplePayload(), { key: otherEc.publicKey }), ReleaseDecryptionError);
  });

  it('refuses an alg that does not fit the key its kid names (no algorithm confusion)', async () => {
    // RSA-OAEP-256 to an RSA key, but naming the EC key's kid
    const error = await refused(await sealRelease(rsa, samplePayload(), { header: { kid: ec.kid } }), ReleaseHeaderError);
    expect(error.code).toBe('release_header_invalid');
  });

  it('refuses RSA1_5, dir, other algs and encs, zip, crit, a missing or other cty, a missing kid', async () => {
    const good = await sealRelease(rsa, samplePayload());
    const base = { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: rsa.kid, cty: 'wathiqa-release+json' };
    for (const header of [
      { ...base, alg: 'RSA1_5' },
      { ...base, alg: 'RSA-OAEP' },
      { ...base, alg: 'ECDH-ES' },
      { ...base, alg: 'A256KW' },
      { ...base, alg: 'none' },
      { ...base, enc: 'A128GCM' },
      { ...base, enc: 'A256CBC-HS512' },
      { ...base, zip: 'DEF' },
      { ...base, crit: ['exp'], exp: 1 },
      { ...base, cty: undefined },
      { ...base, cty: 'json' },
      { ...base, kid: undefined },
      { ...base, kid: '' },
    ]) {
      const error = await refused(withHeader(good, header), ReleaseHeaderError);
      expect(error.code).toBe('release_header_invalid');
    }
    // real `dir` and a real JWE without cty
    const secret = randomBytes(32);
    await refused(await sealRelease(ec, samplePayload(), { header: { alg: 'dir' }, key: secret }), ReleaseHeaderError);
    await refused(await sealRelease(ec, samplePayload(), { header: { cty: undefined } }), ReleaseHeaderError);
  });

  it('refuses what is not a compact JWE', async () => {
    for (const value of ['', 'a.b.c', 'x.y.z.w.v', 'a'.repeat(600_000), 42 as unknown as string]) {
      await refused(value, ReleaseHeaderError);
    }
  });

  it('refuses bad keys when loading them (TypeError, not a ReleaseError)', async () => {
    await expect(loadReleaseKeys(ec.publicJwk)).rejects.toThrow(TypeError);
    await expect(loadReleaseKeys({ ...ec.privateJwk, alg: 'RSA-OAEP-256' })).rejects.toThrow(TypeError);
    await expect(loadReleaseKeys({ ...ec.privateJwk, use: 'sig' })).rejects.toThrow(TypeError);
    await expect(loadReleaseKeys(ec.publicKey)).rejects.toThrow(TypeError);
    await expect(loadReleaseKeys({ keys: [] })).rejects.toThrow(TypeError);
    await expect(loadReleaseKeys([ec.privateKey, rsa.privateKey])).rejects.toThrow(/kid/);
    await expect(loadReleaseKeys({ kty: 'oct', k: base64urlEncode(randomBytes(32)) })).rejects.toThrow(TypeError);
  });

  it('refuses a payload that is not JSON', async () => {
    await refused(await sealRelease(ec, null, { raw: 'not json' }), ReleaseMalformedError);
  });
});

describe('openRelease: the released data', () => {
  it('refuses invalid data: a bad date, an unknown or lower-case country, an expiry before issuance', async () => {
    const set = (index: number, field: string, value: unknown) =>
      withElements((els) => {
        (els[index]!.data as Record<string, unknown>)[field] = value;
        return els;
      });
    for (const payload of [
      set(0, 'birthdate', '1988-02-30'),
      set(0, 'birthdate', '04/11/1988'),
      set(1, 'issuing_country', 'XX'),
      set(1, 'issuing_country', 'om'),
      set(2, 'country', 'Bahrain'),
      set(1, 'date_of_expiry', '2018-01-01'),
      set(3, 'email', 'not-an-email'),
      set(0, 'given_name', 'Omar\u202E'),
      set(0, 'given_name', 42),
    ]) {
      const error = (await refused(await sealRelease(ec, payload), ReleaseMalformedError)) as ReleaseMalformedError;
      expect(error.issues.length).toBeGreaterThan(0);
      expect(error.issues[0]!.path.slice(0, 3)).toEqual(['elements', expect.any(Number), 'data']);
    }
  });

  it('refuses a field the type does not have, an unknown type, unknown members', async () => {
    await refused(await sealRelease(ec, withElements((els) => ((els[1]!.data as Record<string, unknown>).given_name = 'Omar', els))), ReleaseMalformedError);
    await refused(await sealRelease(ec, withElements((els) => [...els, { type: 'tax_id', data: {}, files: {}, attestations: [] }])), ReleaseMalformedError);
    await refused(await sealRelease(ec, withElements((els) => ((els[0] as Record<string, unknown>).extra = 1, els))), ReleaseMalformedError);
    await refused(await sealRelease(ec, samplePayload({ extra: true })), ReleaseMalformedError);
    await refused(await sealRelease(ec, samplePayload({ v: 2 })), ReleaseMalformedError);
    await refused(await sealRelease(ec, samplePayload({ jti: 'not-a-uuid' })), ReleaseMalformedError);
    await refused(await sealRelease(ec, samplePayload({ iat: '2030-06-01' })), ReleaseMalformedError);
    await refused(await sealRelease(ec, samplePayload({ elements: [] })), ReleaseMalformedError);
    await refused(await sealRelease(ec, withElements((els) => ((els[0]!.attestations as unknown[]).push({}), els))), ReleaseMalformedError);
    await refused(await sealRelease(ec, withElements((els) => [...els, els[3]])), ReleaseMalformedError, { requested: undefined });
  });

  it('refuses a file slot the type does not have, a missing required slot, a bad file entry', async () => {
    const files = (mutate: (f: Record<string, unknown>) => void) =>
      withElements((els) => {
        mutate(els[1]!.files as Record<string, unknown>);
        return els;
      });
    const cases: [string, (f: Record<string, unknown>) => void][] = [
      ['reverse_side on a passport', (f) => (f.reverse_side = fileEntry(5, PNG, 'image/png'))],
      ['files on a passport', (f) => (f.files = [fileEntry(5, PNG, 'image/png')])],
      ['no front_side', (f) => delete f.front_side],
      ['translation not an array', (f) => (f.translation = fileEntry(5, PNG, 'image/png'))],
      ['empty translation', (f) => (f.translation = [])],
      ['a 31-byte key', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), key: base64urlEncode(randomBytes(31)) })],
      ['a 33-byte key', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), key: base64urlEncode(randomBytes(33)) })],
      ['a padded key', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), key: `${base64urlEncode(randomBytes(32))}=` })],
      ['no key', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), key: undefined })],
      ['a GIF', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), media_type: 'image/gif' })],
      ['size 0', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), size: 0 })],
      ['a short sha256', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), sha256: 'abc' })],
      ['an upper-case id', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), id: 'F11E0000-0000-4000-8000-000000000001' })],
      ['an extra member', (f) => (f.front_side = { ...fileEntry(1, PNG, 'image/png'), url: 'https://x' })],
      ['the same file twice', (f) => (f.selfie = fileEntry(1, PNG, 'image/png'))],
    ];
    for (const [, mutate] of cases) {
      const error = (await refused(await sealRelease(ec, files(mutate)), ReleaseMalformedError)) as ReleaseMalformedError;
      expect(error.issues[0]!.path.slice(0, 3)).toEqual(['elements', 1, 'files']);
    }
    // a slot on a type without slots
    await refused(await sealRelease(ec, withElements((els) => ((els[3]!.files as Record<string, unknown>).front_side = fileEntry(7, PNG, 'image/png'), els))), ReleaseMalformedError);
  });
});

describe('openRelease: against the requested passport_scope', () => {
  const data = (index: number, mutate: (d: Record<string, unknown>) => void) =>
    withElements((els) => {
      mutate(els[index]!.data as Record<string, unknown>);
      return els;
    });

  it('refuses a field that was not requested', async () => {
    await refused(await sealRelease(ec, data(0, (d) => (d.gender = 'male'))), ReleaseNotRequestedError);
    await refused(await sealRelease(ec, data(0, (d) => (d.middle_name = 'Khalid'))), ReleaseNotRequestedError);
  });

  it('refuses a native name unless native_names was asked for', async () => {
    const scope = (native: boolean) =>
      JSON.stringify({
        v: 1,
        data: [
          { type: 'personal_details', native_names: native, fields: ['given_name', 'given_name_native', 'family_name', 'birthdate'] },
          { one_of: ['passport', 'identity_card'], selfie: true },
          'address',
          'email',
        ],
      });
    const payload = data(0, (d) => (d.given_name_native = 'عمر'));
    await refused(await sealRelease(ec, payload), ReleaseNotRequestedError, { requested: scope(false) });
    await refused(await sealRelease(ec, payload), ReleaseNotRequestedError); // REQUESTED names no native field
    const release = await openRelease(await sealRelease(ec, payload), options({ requested: scope(true) }));
    expect(findElement(release, 'personal_details')?.data.given_name_native).toBe('عمر');
  });

  it('refuses an extra element and two elements for one requirement', async () => {
    const phone = { type: 'phone_number', data: { phone_number: '+97336001234' }, files: {}, attestations: [] };
    await refused(await sealRelease(ec, withElements((els) => [...els, phone])), ReleaseNotRequestedError);
    const card = {
      type: 'identity_card',
      data: { document_number: 'X1', issuing_country: 'AE' },
      files: { front_side: fileEntry(11, PNG, 'image/png'), reverse_side: fileEntry(12, PNG, 'image/png') },
      attestations: [],
    };
    await refused(await sealRelease(ec, withElements((els) => [...els, card])), ReleaseNotRequestedError);
    // the other document of the one_of is fine on its own
    await expect(openRelease(await sealRelease(ec, withElements((els) => [els[0], card, els[2], els[3]])), options())).resolves.toBeDefined();
  });

  it('refuses a release with a requirement unanswered, or a required requested field missing', async () => {
    await refused(await sealRelease(ec, withElements((els) => els.slice(0, 3))), ReleaseIncompleteError);
    await refused(await sealRelease(ec, data(0, (d) => delete d.birthdate)), ReleaseIncompleteError);
    // optional fields may be left out (the holder unticked them)
    await expect(openRelease(await sealRelease(ec, data(2, (d) => delete d.street_address_2)), options())).resolves.toBeDefined();
  });

  it('refuses a selfie or a translation not asked for; allows a requested selfie to be absent', async () => {
    const noSelfie = JSON.stringify({ ...REQUESTED, data: [REQUESTED.data[0], { one_of: ['passport', 'identity_card'] }, 'address', 'email'] });
    await refused(await sealRelease(ec, samplePayload()), ReleaseNotRequestedError, { requested: noSelfie });
    const translated = withElements((els) => {
      (els[1]!.files as Record<string, unknown>).translation = [fileEntry(20, PNG, 'image/png')];
      return els;
    });
    await refused(await sealRelease(ec, translated), ReleaseNotRequestedError);
    const withTranslation = JSON.stringify({ ...REQUESTED, data: [REQUESTED.data[0], { one_of: ['passport', 'identity_card'], selfie: true, translation: true }, 'address', 'email'] });
    await expect(openRelease(await sealRelease(ec, translated), options({ requested: withTranslation }))).resolves.toBeDefined();
    const selfieless = withElements((els) => (delete (els[1]!.files as Record<string, unknown>).selfie, els));
    await expect(openRelease(await sealRelease(ec, selfieless), options())).resolves.toBeDefined();
  });

  it('throws the protocol\'s PassportScopeError for a malformed `requested` (a bug in the RP, not in the release)', async () => {
    await expect(openRelease(await sealRelease(ec, samplePayload()), options({ requested: '{"v":1,"data":["nope"]}' }))).rejects.toThrow(/unknown element type/);
  });
});

describe('openRelease: options', () => {
  it('needs issuer, clientId, subject and nonce', async () => {
    const jwe = await sealRelease(ec, samplePayload());
    for (const missing of ['issuer', 'clientId', 'subject', 'nonce'] as const) {
      await expect(openRelease(jwe, { ...options(), [missing]: '' })).rejects.toThrow(TypeError);
    }
  });
});
