import { describe, expect, it } from '@jest/globals';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import {
  fileLinkFor,
  generateKey,
  normalizePassportScope,
  parseElementContent,
  sealFile,
  type ElementType,
  type FileLink,
  type PassportRequirement,
} from '../../src/protocol/index.js';
import { fetchScan, findElement, openRelease, ReleaseNotRequestedError } from '../../src/rp/index.js';
import type { ElementRecord, FileMeta } from '../../src/web/vault/api.js';
import {
  absentFields,
  buildRelease,
  candidatesFor,
  describeRequirement,
  fileKeysFrom,
  leavingFields,
  leavingScans,
  MissingScanError,
  summaryOf,
  unreadableFor,
  type Readable,
} from '../../src/web/consent/model.js';
import { encryptRelease } from '../../src/web/consent/release-key.js';
import { sealedFeedback } from '../../src/web/consent/feedback.js';
import { errorsFor, mapErrors, openReleaseRecord } from '../../src/web/vault/feedback.js';
import type { ReleaseEntry } from '../../src/web/vault/releases.js';
import { en } from '../../src/i18n/en.js';
import { CLIENT_ID, ISSUER, JPEG, NONCE, PNG, REQUESTED, rpKeyPair, SUBJECT } from './rp/helpers.js';

const t = (key: string, vars: Record<string, string | number> = {}) =>
  ((en as Record<string, string>)[key] ?? key).replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));

const scope = normalizePassportScope(REQUESTED);
const [personal, document, address, email] = scope.data as [PassportRequirement, PassportRequirement, PassportRequirement, PassportRequirement];

/** A vault with real keys: scans sealed under MK, elements as the page holds them after unlocking. */
function vault() {
  const mk = generateKey();
  const blobs = new Map<string, Uint8Array>();
  let n = 0;
  const scan = (bytes: Uint8Array, mediaType: 'image/png' | 'image/jpeg'): { link: FileLink; meta: FileMeta } => {
    n += 1;
    const id = `f11e0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    const sealed = sealFile(mk, { id, mediaType, bytes });
    blobs.set(id, sealed.ciphertext);
    return { link: fileLinkFor(sealed), meta: { id, media_type: mediaType, wrapped_key: sealed.wrappedKey, size: sealed.ciphertext.length } };
  };
  const element = (type: ElementType, data: Record<string, unknown>, files: Record<string, { link: FileLink; meta: FileMeta } | { link: FileLink; meta: FileMeta }[]> = {}, updated = '2030-01-01T00:00:00.000Z'): Readable => {
    const links = Object.fromEntries(Object.entries(files).map(([slot, f]) => [slot, Array.isArray(f) ? f.map((x) => x.link) : f.link]));
    const metas = Object.values(files).flatMap((f) => (Array.isArray(f) ? f.map((x) => x.meta) : [f.meta]));
    const record: ElementRecord = { id: crypto.randomUUID(), type, version: 1, wrapped_key: '', ciphertext: '', updated_at: updated, files: metas };
    return { record, content: parseElementContent(type, { data, files: links }) };
  };
  return { mk, blobs, scan, element };
}

function sample() {
  const v = vault();
  const passport = v.element(
    'passport',
    { document_number: 'P1234567', issuing_country: 'OM', date_of_issuance: '2019-03-12', date_of_expiry: '2029-03-11' },
    { front_side: v.scan(PNG, 'image/png'), selfie: v.scan(JPEG, 'image/jpeg'), translation: [v.scan(PNG, 'image/png')] },
    '2030-01-01T00:00:00.000Z',
  );
  const card = v.element('identity_card', { document_number: 'ID998877', issuing_country: 'BH' }, { front_side: v.scan(PNG, 'image/png'), reverse_side: v.scan(PNG, 'image/png') }, '2030-05-01T00:00:00.000Z');
  const details = v.element('personal_details', {
    given_name: 'Omar',
    middle_name: 'Said',
    family_name: 'Al-Farsi',
    given_name_native: 'عمر',
    birthdate: '1988-11-04',
    gender: 'male',
    nationality: 'OM',
    country_of_residence: 'BH',
  });
  const home = v.element('address', { street_address: 'Building 1042, Road 3521', locality: 'Manama', postal_code: '335', country: 'BH' });
  const mail = v.element('email', { email: 'omar@example.com' });
  const broken = { record: { ...passport.record, id: crypto.randomUUID() } };
  return { ...v, passport, card, details, home, mail, opened: [card, details, home, broken, passport, mail] };
}

describe('what the RP asks for, in plain words', () => {
  it('names the types, the fields, the scans, a selfie and translations', () => {
    expect(describeRequirement(t, 'en', personal)).toEqual({ title: 'Personal details', details: ['Details: Given name, Family name, and Date of birth'] });
    expect(describeRequirement(t, 'en', document)).toEqual({
      title: 'Passport or Identity card',
      details: [
        'You choose which one to share.',
        'Details: Document number, Issuing country, Date of issue, and Expiry date',
        'Scans: Front side',
        'Reverse side as well, if the document has one',
        'A selfie of you holding the document',
      ],
    });
    // A lone field named like its type is not repeated.
    expect(describeRequirement(t, 'en', email)).toEqual({ title: 'Email address', details: [] });
    const translated = normalizePassportScope({ v: 1, data: [{ type: 'utility_bill', translation: true }] }).data[0]!;
    expect(describeRequirement(t, 'en', translated)).toEqual({ title: 'Utility bill', details: ['Scans: Document scan', 'Translations of the document'] });
    const native = normalizePassportScope({ v: 1, data: [{ type: 'personal_details', fields: ['given_name'], native_names: true }] }).data[0]!;
    expect(describeRequirement(t, 'en', native).details).toEqual(['Details: Given name and Given name in your own script']);
  });
});

describe('which elements answer, and what leaves', () => {
  it('offers readable elements in the RP’s order of preference, the newest first; says which could not be read', () => {
    const { opened, passport, card } = sample();
    expect(candidatesFor(document, opened).map((c) => c.record.id)).toEqual([passport.record.id, card.record.id]);
    expect(unreadableFor(document, opened)).toHaveLength(1);
    expect(unreadableFor(email, opened)).toHaveLength(0);
    expect(summaryOf(passport)).toBe('P1234567');
    expect(summaryOf(sample().details)).toBe('Omar Al-Farsi');
  });

  it('lets only the requested fields leave, with native names only when asked', () => {
    const { details, home } = sample();
    expect(leavingFields(personal, details).map((f) => f.name)).toEqual(['given_name', 'family_name', 'birthdate']);
    const native = normalizePassportScope({ v: 1, data: [{ type: 'personal_details', fields: ['given_name', 'middle_name'], native_names: true }] }).data[0]!;
    expect(leavingFields(native, details).map((f) => [f.name, f.optional])).toEqual([
      ['given_name', false],
      ['middle_name', true],
      ['given_name_native', true],
    ]);
    expect(absentFields(native, details)).toEqual(['middle_name_native']);
    // Everything of the type when no fields are named; only what the element has.
    expect(leavingFields(address, home).map((f) => f.name)).toEqual(['street_address', 'locality', 'postal_code', 'country']);
    expect(absentFields(address, home)).toEqual(['street_address_2', 'region']);
  });

  it('lets the required scans leave, the selfie and translations only when asked', () => {
    const { passport, card } = sample();
    expect(leavingScans(document, passport).map((s) => s.slot.name)).toEqual(['front_side', 'selfie']);
    expect(leavingScans(document, card).map((s) => s.slot.name)).toEqual(['front_side', 'reverse_side']);
    const plain = normalizePassportScope({ v: 1, data: ['passport'] }).data[0]!;
    expect(leavingScans(plain, passport).map((s) => s.slot.name)).toEqual(['front_side']);
    const all = normalizePassportScope({ v: 1, data: [{ type: 'passport', selfie: true, translation: true }] }).data[0]!;
    expect(leavingScans(all, passport).map((s) => [s.slot.name, s.index, s.count])).toEqual([
      ['front_side', 0, 1],
      ['selfie', 0, 1],
      ['translation', 0, 1],
    ]);
  });
});

describe('RP feedback (DESIGN 5.7): refs, the sealed sharing record, errors mapped to elements', () => {
  const VAULT_ID = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';

  function released() {
    const s = sample();
    const built = buildRelease(
      { issuer: ISSUER, clientId: CLIENT_ID, sub: SUBJECT, nonce: NONCE },
      [
        { requirement: personal, element: s.details },
        { requirement: document, element: s.passport, excluded: new Set(['date_of_issuance']) },
        { requirement: email, element: s.mail },
      ],
      fileKeysFrom(s.mk),
    );
    const feedback = sealedFeedback(s.mk, VAULT_ID, built, { id: CLIENT_ID, name: 'Bank X' }, new Date('2030-06-01T12:00:00Z'));
    const entry: ReleaseEntry = { id: 'r1', client_id: CLIENT_ID, client_name: 'Bank X', element_types: built.elementTypes, created_at: '2030-06-01T12:00:00Z', revoked_at: null, has_record: true, errors: [] };
    const sealed = { id: 'r1', client_id: CLIENT_ID, record_id: built.payload.jti, sealed: feedback.sharing_record.sealed };
    return { ...s, built, feedback, entry, sealed };
  }

  it('gives every released element its own ref, and records exactly what was sent, sealed', () => {
    const { built, feedback, mk, passport, entry, sealed } = released();
    const refs = built.payload.elements.map((e) => e.ref);
    expect(new Set(refs).size).toBe(3);
    expect(feedback.refs).toEqual(refs);
    expect(feedback.sharing_record.id).toBe(built.payload.jti);
    // The sealed record reveals no value.
    for (const value of ['Omar', 'P1234567', 'omar@example.com']) expect(feedback.sharing_record.sealed).not.toContain(value);
    const opened = openReleaseRecord(mk, VAULT_ID, entry, sealed);
    if ('problem' in opened) throw new Error('the record did not open');
    expect(opened.clientMismatch).toBe(false);
    const [, doc] = opened.record.elements;
    expect(doc).toEqual({
      ref: refs[1],
      element_id: passport.record.id,
      element_version: 1,
      type: 'passport',
      // Exactly the payload's data: the unticked date of issue is not in it.
      fields: built.payload.elements[1]!.data,
      scans: [
        { slot: 'front_side', file_id: passport.record.files[0]!.id, sha256: expect.any(String), media_type: 'image/png' },
        { slot: 'selfie', file_id: passport.record.files[1]!.id, sha256: expect.any(String), media_type: 'image/jpeg' },
      ],
    });
    expect(doc!.fields).not.toHaveProperty('date_of_issuance');
  });

  it('maps an RP error by ref to the element and version sent; a new version, a revoked release or a swapped record closes it', () => {
    const { built, mk, passport, details, entry, sealed } = released();
    const ref = built.payload.elements[1]!.ref;
    const withErrors: ReleaseEntry = { ...entry, errors: [{ ref, field: 'date_of_expiry', message: 'does not match the scan' }, { ref: 'unknown-ref-unknown-re', field: 'email', message: 'x' }] };
    const opened = openReleaseRecord(mk, VAULT_ID, withErrors, sealed);
    const errors = mapErrors(withErrors, opened);
    expect(errors).toEqual([
      { releaseId: 'r1', client: 'Bank X', elementId: passport.record.id, version: 1, type: 'passport', field: 'date_of_expiry', message: 'does not match the scan' },
    ]);
    expect(errorsFor(errors, passport.record)).toHaveLength(1);
    expect(errorsFor(errors, details.record)).toHaveLength(0);
    // Edited: version 2 is not what was sent.
    expect(errorsFor(errors, { ...passport.record, version: 2 })).toHaveLength(0);
    expect(mapErrors({ ...withErrors, revoked_at: '2030-06-02T00:00:00Z' }, opened)).toEqual([]);
    // A row of another client served with this record: flagged, and its errors not applied.
    const swapped = openReleaseRecord(mk, VAULT_ID, { ...withErrors, client_id: 'other-rp' }, { ...sealed, client_id: 'other-rp' });
    expect(swapped).toMatchObject({ clientMismatch: true });
    expect(mapErrors({ ...withErrors, client_id: 'other-rp' }, swapped)).toEqual([]);
    // A record moved to another release id, or of another vault: unreadable.
    expect(openReleaseRecord(mk, VAULT_ID, withErrors, { ...sealed, record_id: crypto.randomUUID() })).toEqual({ problem: 'unreadable' });
    expect(openReleaseRecord(mk, '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5c', withErrors, sealed)).toEqual({ problem: 'unreadable' });
    expect(openReleaseRecord(mk, VAULT_ID, withErrors, { ...sealed, id: 'r2' })).toEqual({ problem: 'unreadable' });
  });
});

describe('the release', () => {
  it('is what the RP SDK accepts for the requested scope, and no more; scans decrypt with its file keys', async () => {
    const { mk, blobs, details, passport, home, mail } = sample();
    const pair = await rpKeyPair('ECDH-ES+A256KW', 'rp-1');
    const keys: Uint8Array[] = [];
    const unwrap = fileKeysFrom(mk);
    const built = buildRelease(
      { issuer: ISSUER, clientId: CLIENT_ID, sub: SUBJECT, nonce: NONCE },
      [
        { requirement: personal, element: details },
        { requirement: document, element: passport, excluded: new Set(['date_of_issuance', 'document_number']) },
        { requirement: address, element: home },
        { requirement: email, element: mail },
      ],
      (record, link) => {
        const key = unwrap(record, link);
        keys.push(key);
        return key;
      },
    );
    // File keys are zeroed once encoded.
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.every((b) => b === 0))).toBe(true);
    expect(built.elementTypes).toEqual(['personal_details', 'passport', 'address', 'email']);
    expect(built.fileIds).toEqual([passport.record.files[0]!.id, passport.record.files[1]!.id]);
    expect(built.payload).toMatchObject({ v: 1, iss: ISSUER, aud: CLIENT_ID, sub: SUBJECT, nonce: NONCE });
    expect(built.payload.jti).toMatch(/^[0-9a-f-]{36}$/);

    const jwe = await encryptRelease(built.payload, { key: pair.publicJwk as never, alg: 'ECDH-ES+A256KW' });
    expect(decodeProtectedHeader(jwe)).toEqual({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'rp-1', cty: 'wathiqa-release+json', epk: expect.any(Object) });
    const release = await openRelease(jwe, { keys: pair.privateJwk, issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, requested: REQUESTED });
    const [p, doc] = release.elements;
    expect(p!.data).toEqual({ given_name: 'Omar', family_name: 'Al-Farsi', birthdate: '1988-11-04' });
    // The required document_number cannot be unticked; the optional date of issue can.
    expect(doc!.data).toEqual({ document_number: 'P1234567', issuing_country: 'OM', date_of_expiry: '2029-03-11' });
    expect(Object.keys(doc!.files)).toEqual(['front_side', 'selfie']);

    const fakeFetch = (async (url: string) => new Response(blobs.get(url.split('/').pop()!) as Uint8Array<ArrayBuffer>)) as typeof fetch;
    const released = findElement(release, 'passport')!;
    const front = await fetchScan(release, released.files.front_side, { accessToken: 'at', fetch: fakeFetch });
    expect(front.bytes).toEqual(PNG);
    const selfie = await fetchScan(release, released.files.selfie!, { accessToken: 'at', fetch: fakeFetch });
    expect(selfie.bytes).toEqual(JPEG);
  });

  it('would be refused by the SDK if a translation had been added without being asked (the page never adds one)', async () => {
    const { mk, passport } = sample();
    const pair = await rpKeyPair('RSA-OAEP-256', 'rp-rsa');
    const everything = normalizePassportScope({ v: 1, data: [{ type: 'passport', selfie: true, translation: true }] }).data[0]!;
    const built = buildRelease({ issuer: ISSUER, clientId: CLIENT_ID, sub: SUBJECT, nonce: NONCE }, [{ requirement: everything, element: passport }], fileKeysFrom(mk));
    expect(Object.keys(built.payload.elements[0]!.files)).toEqual(['front_side', 'selfie', 'translation']);
    const jwe = await encryptRelease(built.payload, { key: pair.publicJwk as never, alg: 'RSA-OAEP-256' });
    const options = { keys: pair.privateJwk, issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE };
    await expect(openRelease(jwe, { ...options, requested: { v: 1, data: [{ type: 'passport', selfie: true }] } })).rejects.toBeInstanceOf(ReleaseNotRequestedError);
    const { plaintext } = await compactDecrypt(jwe, pair.privateKey);
    expect(JSON.parse(new TextDecoder().decode(plaintext)).elements[0].files.translation).toHaveLength(1);
  });

  it('refuses a scan the vault does not list, or lists with another media type', () => {
    const { mk, passport } = sample();
    const context = { issuer: ISSUER, clientId: CLIENT_ID, sub: SUBJECT, nonce: NONCE };
    const withoutFiles: Readable = { ...passport, record: { ...passport.record, files: [] } };
    expect(() => buildRelease(context, [{ requirement: document, element: withoutFiles }], fileKeysFrom(mk))).toThrow(MissingScanError);
    const swapped: Readable = { ...passport, record: { ...passport.record, files: passport.record.files.map((f) => ({ ...f, media_type: 'application/pdf' as const })) } };
    expect(() => buildRelease(context, [{ requirement: document, element: swapped }], fileKeysFrom(mk))).toThrow(MissingScanError);
    // A wrapped key moved from another file does not unwrap (AD binds the file id).
    const moved: Readable = { ...passport, record: { ...passport.record, files: passport.record.files.map((f, i, all) => ({ ...f, wrapped_key: all[(i + 1) % all.length]!.wrapped_key })) } };
    expect(() => buildRelease(context, [{ requirement: document, element: moved }], fileKeysFrom(mk))).toThrow();
  });
});
