import { describe, expect, it } from '@jest/globals';
import { fileLinkFor, generateKey, normalizePassportScope, parseElementContent, sealFile, type ElementType, type FileLink, type PassportRequirement } from '../../src/protocol/index.js';
import type { ElementRecord } from '../../src/web/vault/api.js';
import type { OpenedElement } from '../../src/web/vault/opened.js';
import { parseReleaseData, ReleaseDataError } from '../../src/web/consent/data.js';
import { missingScans, writtenFor, type Readable } from '../../src/web/consent/model.js';
import { msUntil } from '../../src/web/consent/stale.js';
import { JPEG, PNG } from './rp/helpers.js';

/**
 * Consent that completes itself (issue #11 point 2): which asked-for scans a
 * document lacks, which element the in-page editor just wrote for a requirement,
 * and the page data that says where "Return to <service>" leads and when the request expires.
 */

const mk = generateKey();
let n = 0;
const link = (bytes: Uint8Array, mediaType: 'image/png' | 'image/jpeg'): FileLink => {
  n += 1;
  return fileLinkFor(sealFile(mk, { id: `f11e0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`, mediaType, bytes }));
};

function element(type: ElementType, data: Record<string, unknown>, files: Record<string, FileLink | FileLink[]> = {}, meta: Partial<ElementRecord> = {}): Readable {
  const record: ElementRecord = { id: crypto.randomUUID(), type, version: 1, wrapped_key: '', ciphertext: '', updated_at: '2030-01-01T00:00:00.000Z', files: [], ...meta };
  return { record, content: parseElementContent(type, { data, files }) };
}

const requirement = (entry: unknown): PassportRequirement => normalizePassportScope({ v: 1, data: [entry] }).data[0]!;
const passportData = { document_number: 'P1234567', issuing_country: 'OM' };

describe('the scans asked for that a document lacks', () => {
  it('names a missing selfie or translation, only when asked, never a required slot', () => {
    const bare = element('passport', passportData, { front_side: link(PNG, 'image/png') });
    const full = element('passport', passportData, { front_side: link(PNG, 'image/png'), selfie: link(JPEG, 'image/jpeg'), translation: [link(PNG, 'image/png')] });
    const selfieAsked = requirement({ one_of: ['passport', 'identity_card'], selfie: true });
    const both = requirement({ type: 'passport', selfie: true, translation: true });
    expect(missingScans(selfieAsked, bare).map((s) => s.name)).toEqual(['selfie']);
    expect(missingScans(both, bare).map((s) => s.name)).toEqual(['selfie', 'translation']);
    expect(missingScans(both, full)).toEqual([]);
    expect(missingScans(requirement('passport'), bare)).toEqual([]);
    // An identity card's reverse side is required by its type: the editor never saves one without it.
    const card = element('identity_card', passportData, { front_side: link(PNG, 'image/png'), reverse_side: link(PNG, 'image/png') });
    expect(missingScans(selfieAsked, card).map((s) => s.name)).toEqual(['selfie']);
    expect(missingScans(requirement('email'), element('email', { email: 'a@example.com' }))).toEqual([]);
  });
});

describe('the element the editor wrote for a requirement', () => {
  const asked = requirement({ one_of: ['passport', 'identity_card'] });
  const mail = element('email', { email: 'a@example.com' });
  const passport = element('passport', passportData, { front_side: link(PNG, 'image/png') });

  it('is a new element of an accepted type', () => {
    const before: OpenedElement[] = [mail];
    expect(writtenFor(asked, before, [mail, passport])).toBe(passport.record.id);
    // Nothing written (the editor was left, or the write conflicted): nothing to pick.
    expect(writtenFor(asked, before, before)).toBeUndefined();
    // A new element of another type does not answer this requirement.
    const other = element('email', { email: 'b@example.com' });
    expect(writtenFor(asked, before, [mail, other])).toBeUndefined();
  });

  it('is an element at a higher version (completed); the newest when several changed; never an unreadable one', () => {
    const completed: Readable = { ...passport, record: { ...passport.record, version: 2, updated_at: '2030-02-01T00:00:00.000Z' } };
    expect(writtenFor(asked, [mail, passport], [mail, completed])).toBe(passport.record.id);
    const card = element('identity_card', passportData, { front_side: link(PNG, 'image/png'), reverse_side: link(PNG, 'image/png') }, { updated_at: '2030-03-01T00:00:00.000Z' });
    expect(writtenFor(asked, [mail, passport], [mail, completed, card])).toBe(card.record.id);
    const unreadable: OpenedElement = { record: { ...card.record, id: crypto.randomUUID() } };
    expect(writtenFor(asked, [mail], [mail, unreadable])).toBeUndefined();
  });
});

describe('the page data: the way back and the expiry', () => {
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
    return_uri: 'https://rp.example/',
    expires_at: 1_900_000_000,
  };

  it('keeps an http(s) return address and the expiry; null when absent', () => {
    expect(parseReleaseData(valid)).toMatchObject({ return_uri: 'https://rp.example/', expires_at: 1_900_000_000 });
    expect(parseReleaseData({ ...valid, return_uri: null, expires_at: null })).toMatchObject({ return_uri: null, expires_at: null });
    const { return_uri: _r, expires_at: _e, ...older } = valid;
    expect(parseReleaseData(older)).toMatchObject({ return_uri: null, expires_at: null });
  });

  it('refuses any other return address or expiry', () => {
    for (const broken of [
      { ...valid, return_uri: 'javascript:alert(1)' },
      { ...valid, return_uri: 'data:text/html,hi' },
      { ...valid, return_uri: 'not a url' },
      { ...valid, return_uri: 42 },
      { ...valid, expires_at: '1900000000' },
      { ...valid, expires_at: -1 },
      { ...valid, expires_at: 1.5 },
    ]) {
      expect(() => parseReleaseData(broken)).toThrow(ReleaseDataError);
    }
  });

  it('turns the expiry into a timer delay', () => {
    const now = 1_900_000_000_000;
    expect(msUntil(1_900_000_060, now)).toBe(60_000);
    expect(msUntil(1_899_999_000, now)).toBe(0);
    expect(msUntil(null, now)).toBeUndefined();
    expect(msUntil(1_900_000_000 + 30 * 86_400, now)).toBeUndefined();
  });
});
