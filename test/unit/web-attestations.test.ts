/**
 * Attestations in the holder's pages (DESIGN 5.6), the parts without a DOM: the
 * vault page taking in its inbox (open, check, which element, duplicates), what
 * an edit drops, sealing with attestations; the consent page's choice of
 * elements for a verified requirement and the presentations a release carries.
 * Everything is real: SD-JWT VCs issued with the RP SDK's issueAttestation,
 * delivery JWEs from encryptAttestation, holder keys from the protocol.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { CompactEncrypt, decodeJwt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import {
  decodeIssuedAttestation,
  elementAd,
  generateHolderKey,
  generateKey,
  holderPublicJwk,
  normalizePassportScope,
  openElement,
  parseElementContent,
  sealHolderKeys,
  sdJwtHasher,
  summarizeAttestation,
  utf8Encode,
  type ElementContent,
  type ElementType,
  type FileLink,
  type HolderPrivateJwk,
  type HolderPublicJwk,
  type PassportRequirement,
  type SealedAttestation,
} from '../../src/protocol/index.js';
import { encryptAttestation, issueAttestation } from '../../src/rp/index.js';
import { ar } from '../../src/i18n/ar.js';
import { en } from '../../src/i18n/en.js';
import type { ElementRecord } from '../../src/web/vault/api.js';
import { alreadySealed, AttestationSummaries, changedKeys, contentWith, dropsOnSave, isExpired, sealContent, sealedOf, withAttestation } from '../../src/web/vault/attestations.js';
import { InboxController } from '../../src/web/vault/inbox-run.js';
import { KeyBox } from '../../src/web/vault/session.js';
import { checkInboxItem, openDelivery, type HeldElement, type InboxFailureReason } from '../../src/web/vault/inbox.js';
import { sealScan } from '../../src/web/vault/scans.js';
import { fetchVerifiers, loadVerifiers, VerifierListError, type VerifierInfo } from '../../src/web/vault/verifier-list.js';
import { attachPresentations, fittingAttestations, offeredFor, presentationPlan, type SummaryLookup } from '../../src/web/consent/attested.js';
import type { PayloadElement, Readable } from '../../src/web/consent/model.js';

const NOW = new Date('2030-06-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 7]);
const fileId = (n: number) => `f11e0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

interface TestVerifier {
  info: VerifierInfo;
  signingKey: JWK;
}

async function makeVerifier(clientId: string, name: string, alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<TestVerifier> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${clientId}-sig`;
  return {
    info: { client_id: clientId, name, attested_types: ['passport', 'identity_card'], policy_uri: 'https://verifier.example/policy', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] } },
    signingKey: { ...(await exportJWK(privateKey)), kid, alg },
  };
}

const mk = generateKey();
const link = (n: number, bytes: Uint8Array = JPEG): FileLink => sealScan(mk, fileId(n), bytes === PNG ? 'image/png' : 'image/jpeg', bytes).link;

function passport(documentNumber: string, extra: Partial<Record<string, unknown>> = {}): ElementContent<ElementType> {
  return parseElementContent('passport', {
    data: { document_number: documentNumber, issuing_country: 'BH', date_of_issuance: '2021-05-02', date_of_expiry: '2031-05-01' },
    files: { front_side: link(1), translation: [link(2, PNG), link(3)] },
    ...extra,
  }) as ElementContent<ElementType>;
}

/** What a verifier attests for an element: every field, every scan by sha256. */
function fileHashes(content: ElementContent<ElementType>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [slot, value] of Object.entries(content.files as Record<string, FileLink | FileLink[]>)) out[slot] = Array.isArray(value) ? value.map((l) => l.sha256) : value.sha256;
  return out;
}

let he: HolderPrivateJwk;
let hs: HolderPrivateJwk;
let hePub: HolderPublicJwk;
let hsPub: HolderPublicJwk;
let kyc: TestVerifier;
let bank: TestVerifier;

beforeAll(async () => {
  he = await generateHolderKey('enc');
  hs = await generateHolderKey('sig');
  hePub = holderPublicJwk(he, 'enc');
  hsPub = holderPublicJwk(hs, 'sig');
  kyc = await makeVerifier('kyc-client', 'Zq Passport Checks');
  bank = await makeVerifier('bank-client', 'Zq Bank KYC', 'EdDSA');
});

function issue(verifier: TestVerifier, content: ElementContent<ElementType>, options: { sig?: HolderPublicJwk; expiresAt?: number; now?: Date; type?: ElementType } = {}) {
  return issueAttestation({
    issuer: verifier.info.client_id,
    signingKey: verifier.signingKey,
    elementType: options.type ?? 'passport',
    data: content.data as Record<string, unknown>,
    fileHashes: fileHashes(content),
    holder: { sig: (options.sig ?? hsPub) as unknown as JWK },
    verification: { trust_framework: 'eidas', evidence: [{ type: 'document' }] },
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    now: options.now ?? new Date(NOW.getTime() - 3600_000),
  });
}

const held = (id: string, content: ElementContent<ElementType>, updatedAt = '2030-01-01T00:00:00.000Z', type: ElementType = 'passport'): HeldElement => ({ id, type, updatedAt, content });

describe('the vault page takes its inbox in', () => {
  const context = (elements: HeldElement[], verifiers: VerifierInfo[] = [kyc.info, bank.info]) => ({ he: { key: he, kid: hePub.kid }, holderSig: hsPub, verifiers, elements, now: NOW });

  it('opens the delivery with the HE key and finds the element whose values it attests, not merely the newest of its type', async () => {
    const mine = passport('ZQ7PASS1');
    const sdJwt = await issue(kyc, mine);
    const jwe = await encryptAttestation(sdJwt, hePub as unknown as JWK);
    expect(await openDelivery(jwe, { key: he, kid: hePub.kid })).toBe(sdJwt);

    // A newer passport with another number is tried first, and fails; the one it attests takes it.
    const outcome = await checkInboxItem({ jwe }, context([held('newer', passport('OTHER999'), '2030-05-01T00:00:00.000Z'), held('attested', mine)]));
    expect(outcome).toEqual({ kind: 'seal', elementId: 'attested', issuer: 'kyc-client', sealed: { sd_jwt: sdJwt, verifier_name: 'Zq Passport Checks', checked_at: NOW.toISOString() } });
  });

  it('an item already sealed (a reload between sealing and deleting) is a duplicate: deleted, not sealed twice', async () => {
    const mine = passport('ZQ7PASS1');
    const sdJwt = await issue(kyc, mine);
    const jwe = await encryptAttestation(sdJwt, hePub as unknown as JWK);
    const sealed = contentWith(mine, [{ sd_jwt: sdJwt, verifier_name: 'Zq Passport Checks', checked_at: NOW.toISOString() }]);
    expect(await checkInboxItem({ jwe }, context([held('attested', sealed)]))).toEqual({ kind: 'duplicate' });
    expect(alreadySealed([undefined, sealed], sdJwt)).toBe(true);
    expect(alreadySealed([mine], sdJwt)).toBe(false);
  });

  it('says why an item fails: another key, another header, values that differ, no such document, an unlisted issuer, another holder, expiry', async () => {
    const mine = passport('ZQ7PASS1');
    const reason = async (jwe: string, elements = [held('p', mine)], verifiers?: VerifierInfo[]): Promise<InboxFailureReason | 'ok'> => {
      const outcome = await checkInboxItem({ jwe }, context(elements, verifiers));
      return outcome.kind === 'failed' ? outcome.reason : 'ok';
    };
    const good = await issue(kyc, mine);
    expect(await reason(await encryptAttestation(good, hePub as unknown as JWK))).toBe('ok');

    // Encrypted to someone else's HE key (with our kid in the header): it does not open.
    const stranger = holderPublicJwk(await generateHolderKey('enc'), 'enc');
    const toStranger = await new CompactEncrypt(utf8Encode(good))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'wathiqa-attestation+sd-jwt', kid: hePub.kid })
      .encrypt(await importJWK(stranger as unknown as JWK, 'ECDH-ES+A256KW'));
    expect(await reason(toStranger)).toBe('decrypt');
    // Our key, but not the attestation content type.
    const otherCty = await new CompactEncrypt(utf8Encode(good))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'wathiqa-release+json', kid: hePub.kid })
      .encrypt(await importJWK(hePub as unknown as JWK, 'ECDH-ES+A256KW'));
    expect(await reason(otherCty)).toBe('decrypt');
    // Another content encryption.
    const otherEnc = await new CompactEncrypt(utf8Encode(good))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A128GCM', cty: 'wathiqa-attestation+sd-jwt', kid: hePub.kid })
      .encrypt(await importJWK(hePub as unknown as JWK, 'ECDH-ES+A256KW'));
    expect(await reason(otherEnc)).toBe('decrypt');

    const jwe = async (sdJwt: string) => encryptAttestation(sdJwt, hePub as unknown as JWK);
    expect(await reason(await jwe(await issue(kyc, passport('NOT-MINE1'))))).toBe('value_mismatch');
    expect(await reason(await jwe(good), [])).toBe('no_document');
    expect(await reason(await jwe(good), [held('p', mine)], [bank.info])).toBe('untrusted_issuer');
    const otherHolder = holderPublicJwk(await generateHolderKey('sig'), 'sig');
    expect(await reason(await jwe(await issue(kyc, mine, { sig: otherHolder })))).toBe('holder_key');
    const expired = await issue(kyc, mine, { now: new Date(NOW.getTime() - 7200_000), expiresAt: NOW_S - 60 });
    expect(await reason(await jwe(expired))).toBe('expired');
    // Another verifier's signature under this verifier's name.
    const impostor = await makeVerifier('kyc-client', 'Impostor');
    const forged = await issue({ info: kyc.info, signingKey: { ...impostor.signingKey, kid: kyc.signingKey.kid } }, mine);
    expect(await reason(await jwe(forged))).toBe('signature');

    const failed = await checkInboxItem({ jwe: await jwe(good) }, context([]));
    expect(failed).toEqual({ kind: 'failed', reason: 'no_document', elementType: 'passport' });
  });

  it('every reason has a sentence in English and Arabic', () => {
    const reasons: InboxFailureReason[] = ['decrypt', 'no_document', 'malformed', 'untrusted_issuer', 'signature', 'type', 'expired', 'holder_key', 'not_in_sd', 'value_mismatch'];
    for (const r of reasons) {
      expect(en).toHaveProperty([`vault.attest.reason.${r}`]);
      expect(ar).toHaveProperty([`vault.attest.reason.${r}`]);
    }
  });
});

describe('attestations in an element’s content', () => {
  const sealed = (sdJwt: string, checkedAt: string, name = 'V'): SealedAttestation => ({ sd_jwt: sdJwt, verifier_name: name, checked_at: checkedAt });

  it('a new one replaces the same issuer’s older one; beyond four, the one checked longest ago goes', () => {
    const issuers: Record<string, string> = { a: 'A', b: 'B', c: 'C', d: 'D', a2: 'A', e: 'E' };
    const issuerOf = (s: SealedAttestation) => issuers[s.sd_jwt];
    const [a, b, c, d] = [sealed('a', '2030-01-01T00:00:00Z'), sealed('b', '2030-01-03T00:00:00Z'), sealed('c', '2030-01-02T00:00:00Z'), sealed('d', '2030-01-04T00:00:00Z')];
    const a2 = sealed('a2', '2030-02-01T00:00:00Z');
    expect(withAttestation([a, b], a2, 'A', issuerOf)).toEqual([b, a2]);
    const e = sealed('e', '2030-02-02T00:00:00Z');
    expect(withAttestation([a, b, c, d], e, 'E', issuerOf)).toEqual([b, c, d, e]);
    expect(withAttestation([a, b, c, d], a2, 'A', issuerOf)).toEqual([b, c, d, a2]);
  });

  it('the member is left out when empty, and sealing keeps it under the element’s AEAD', async () => {
    const content = passport('ZQ7PASS1');
    expect('attestations' in contentWith(content, [])).toBe(false);
    const sdJwt = await issue(kyc, content);
    const withOne = contentWith(content, [sealed(sdJwt, NOW.toISOString(), 'Zq Passport Checks')]);
    const ref: { id: string; type: ElementType; version: number } = { id: '0b7e4d19-2c6a-4f35-9d81-e3a2c5f60b18', type: 'passport', version: 3 };
    const box = sealContent(mk, ref, withOne);
    expect(openElement(mk, box, ref)).toEqual(withOne);
    expect(sealedOf(openElement(mk, box, ref))).toEqual(withOne.attestations);
    // Moved to another version (the AD), it does not open.
    expect(() => openElement(mk, box, { ...ref, version: 4 })).toThrow();
    expect(elementAd(ref.id, ref.type, ref.version)).toContain('|3');
  });

  it('an edit names the attested details it changed; a removed scan counts; an unchanged save keeps the verification', async () => {
    const content = passport('ZQ7PASS1');
    const sdJwt = await issue(kyc, content);
    const previous = [sealed(sdJwt, NOW.toISOString(), 'Zq Passport Checks')];

    expect(await dropsOnSave(previous, content)).toEqual({ kept: previous, dropped: [] });
    // Not attested (absent when issued): adding a selfie keeps it.
    const withSelfie = { data: content.data, files: { ...(content.files as object), selfie: link(9) } } as ElementContent<ElementType>;
    expect((await dropsOnSave(previous, withSelfie)).kept).toEqual(previous);

    const renumbered = { data: { ...(content.data as object), document_number: 'ZQ7PASS2' }, files: content.files } as ElementContent<ElementType>;
    expect(await dropsOnSave(previous, renumbered)).toEqual({ kept: [], dropped: [{ verifier: 'Zq Passport Checks', keys: ['document_number'] }] });

    const files = content.files as Record<string, FileLink | FileLink[]>;
    const lessTranslation = { data: content.data, files: { front_side: files.front_side, translation: [(files.translation as FileLink[])[0]] } } as ElementContent<ElementType>;
    expect((await dropsOnSave(previous, lessTranslation)).dropped).toEqual([{ verifier: 'Zq Passport Checks', keys: ['translation'] }]);
    const noExpiry = { data: { ...(content.data as object), date_of_expiry: undefined }, files: { front_side: link(4, Uint8Array.from([...JPEG, 4])) } } as ElementContent<ElementType>;
    expect(changedKeys((await decodeIssuedAttestation(sdJwt)).disclosed, noExpiry)).toEqual(['date_of_expiry', 'front_side', 'translation']);
  });
});

describe('the consent page and attestations', () => {
  const record = (id: string, type: ElementType, updated = '2030-01-01T00:00:00.000Z'): ElementRecord => ({ id, type, version: 2, wrapped_key: '', ciphertext: '', updated_at: updated, files: [] });
  const readable = (id: string, content: ElementContent<ElementType>, updated?: string): Readable => ({ record: record(id, 'passport', updated), content });
  let lookupOf: (elements: Readable[]) => Promise<SummaryLookup>;

  beforeAll(() => {
    lookupOf = async (elements) => {
      const map = new Map<string, Awaited<ReturnType<typeof summarizeAttestation>>>();
      for (const a of elements.flatMap((e) => sealedOf(e.content))) map.set(a.sd_jwt, await summarizeAttestation(a.sd_jwt));
      return (sdJwt) => map.get(sdJwt);
    };
  });

  const requirement = (entry: unknown): PassportRequirement => normalizePassportScope({ v: 1, data: [entry] }).data[0]!;

  it('a verified requirement is answered only by documents with a live attestation from a fitting verifier', async () => {
    const plainContent = passport('PLAIN0001');
    const attestedContent = passport('ZQ7PASS1');
    const sdJwt = await issue(kyc, attestedContent, { expiresAt: NOW_S + 86400 });
    const attested = readable('attested', contentWith(attestedContent, [{ sd_jwt: sdJwt, verifier_name: 'Zq Passport Checks', checked_at: NOW.toISOString() }]), '2029-01-01T00:00:00.000Z');
    const plain = readable('plain', plainContent, '2030-05-01T00:00:00.000Z');
    const lookup = await lookupOf([attested, plain]);

    expect(offeredFor(requirement('passport'), [plain, attested], lookup, NOW).map((e) => e.record.id)).toEqual(['plain', 'attested']);
    expect(offeredFor(requirement({ type: 'passport', verified: true }), [plain, attested], lookup, NOW).map((e) => e.record.id)).toEqual(['attested']);
    expect(offeredFor(requirement({ type: 'passport', verifiers: ['kyc-client'] }), [plain, attested], lookup, NOW).map((e) => e.record.id)).toEqual(['attested']);
    expect(offeredFor(requirement({ type: 'passport', verifiers: ['bank-client'] }), [plain, attested], lookup, NOW)).toEqual([]);
    // Expired: no longer answers, and is not presented.
    const later = new Date((NOW_S + 86400 + 1) * 1000);
    expect(offeredFor(requirement({ type: 'passport', verified: true }), [plain, attested], lookup, later)).toEqual([]);
    expect(isExpired(lookup(sdJwt)!, later)).toBe(true);
    expect(fittingAttestations(requirement({ type: 'passport', verified: true }), attested, lookup, later)).toEqual([]);
    // An attestation that does not decode answers nothing.
    expect(offeredFor(requirement({ type: 'passport', verified: true }), [attested], () => undefined, NOW)).toEqual([]);
    // One that does not cover a field the document has (added after the verification) answers nothing
    // either: the RP would refuse that field as the holder's word inside a verified document.
    const { date_of_issuance: _, ...shorter } = attestedContent.data as Record<string, unknown>;
    const before = parseElementContent('passport', { data: shorter, files: attestedContent.files }) as ElementContent<ElementType>;
    const narrow = await issue(kyc, before, { expiresAt: NOW_S + 86400 });
    const grown = readable('grown', contentWith(attestedContent, [{ sd_jwt: narrow, verifier_name: 'Zq Passport Checks', checked_at: NOW.toISOString() }]), '2029-01-01T00:00:00.000Z');
    const grownLookup = await lookupOf([grown]);
    expect(offeredFor(requirement({ type: 'passport', verified: true }), [grown], grownLookup, NOW)).toEqual([]);
    expect(offeredFor(requirement('passport'), [grown], grownLookup, NOW).map((e) => e.record.id)).toEqual(['grown']);
  });

  it('presents each live attestation with exactly the released fields and scans it covers, bound to the RP and nonce', async () => {
    const content = passport('ZQ7PASS1');
    const byKyc = await issue(kyc, content);
    const byBank = await issue(bank, { data: { document_number: 'ZQ7PASS1', issuing_country: 'BH' }, files: {} } as ElementContent<ElementType>);
    const expired = await issue(kyc, content, { now: new Date(NOW.getTime() - 7200_000), expiresAt: NOW_S - 1 });
    const element = readable('p', contentWith(content, [
      { sd_jwt: byKyc, verifier_name: 'Zq Passport Checks', checked_at: NOW.toISOString() },
      { sd_jwt: byBank, verifier_name: 'Zq Bank KYC', checked_at: NOW.toISOString() },
      { sd_jwt: expired, verifier_name: 'Zq Passport Checks', checked_at: NOW.toISOString() },
    ]));
    const lookup = await lookupOf([element]);
    // date_of_expiry unticked; only the front side of the scans requested.
    const files = content.files as unknown as Record<string, FileLink>;
    const released: PayloadElement = {
      ref: 'AAAAAAAAAAAAAAAAAAAAAA',
      type: 'passport',
      data: { document_number: 'ZQ7PASS1', issuing_country: 'BH', date_of_issuance: '2021-05-02' },
      files: { front_side: { id: files.front_side!.id, key: 'k', media_type: 'image/jpeg', size: files.front_side!.size, sha256: files.front_side!.sha256 } },
      attestations: [],
    };
    expect(presentationPlan(element, released, lookup, NOW)).toEqual([
      { sdJwt: byKyc, fields: ['document_number', 'issuing_country', 'date_of_issuance'], scans: ['front_side'] },
      { sdJwt: byBank, fields: ['document_number', 'issuing_country'], scans: [] },
    ]);

    let opened = 0;
    await attachPresentations([released], [element], () => (opened++, hs), { aud: 'rp-client', nonce: 'n-123', iat: NOW_S }, lookup, NOW);
    expect(opened).toBe(1);
    expect(released.attestations).toHaveLength(2);
    const sdjwt = new SDJwtVcInstance({ hasher: sdJwtHasher, hashAlg: 'sha-256' });
    const disclosed = async (presentation: string) => {
      const decoded = await sdjwt.decode(presentation);
      return { keys: (decoded.disclosures ?? []).map((d) => d.key).sort(), kb: decoded.kbJwt?.payload };
    };
    const first = await disclosed(released.attestations[0]!);
    expect(first.keys).toEqual(['date_of_issuance', 'document_number', 'front_side', 'issuing_country']);
    expect(first.kb).toMatchObject({ aud: 'rp-client', nonce: 'n-123', iat: NOW_S });
    expect(typeof first.kb?.sd_hash).toBe('string');
    expect((await disclosed(released.attestations[1]!)).keys).toEqual(['document_number', 'issuing_country']);
    expect(decodeJwt(released.attestations[0]!.split('~')[0]!).iss).toBe('kyc-client');

    // No live attestation: nothing presented and the HS key is not even opened.
    const bare: PayloadElement = { ...released, attestations: [] };
    await attachPresentations([bare], [readable('q', content)], () => {
      throw new Error('the HS key must not be opened');
    }, { aud: 'rp-client', nonce: 'n', iat: NOW_S }, lookup, NOW);
    expect(bare.attestations).toEqual([]);
  });
});

describe('the vault page’s inbox run', () => {
  const vaultId = '5a1d0c3e-7b2f-4e91-8c6d-2f0a9b8e7d61';
  const elementId = '0b7e4d19-2c6a-4f35-9d81-e3a2c5f60b18';

  /** The page's parts the run uses, with the server faked: writes and deletes are logged in order. */
  function fakePage(content: ElementContent<ElementType>) {
    const log: string[] = [];
    const keys = new KeyBox();
    keys.hold(generateKey());
    const stored = sealHolderKeys(keys.use(), vaultId, [he, hs]);
    let record: ElementRecord = { id: elementId, type: 'passport', version: 1, wrapped_key: '', ciphertext: '', updated_at: '2030-01-01T00:00:00.000Z', files: [] };
    const app = {
      vault: { vault_id: vaultId, version: 5, kdf: {}, wrapped_mk: '', recovery_wrapped_mk: '', holder_keys: stored, elements: [], usage: { elements: 1, bytes: 0 }, quota: { elements: 200, bytes: 1 } },
      keys,
      opened: [{ record, content }] as { record: ElementRecord; content?: ElementContent<ElementType> }[],
      summaries: new AttestationSummaries(),
      observeVersion: () => {},
      api: {
        putElement: async (id: string, input: { type: ElementType; version: number; wrapped_key: string; ciphertext: string; file_ids: string[] }) => {
          log.push(`put ${id} v${input.version}`);
          record = { ...record, version: input.version, wrapped_key: input.wrapped_key, ciphertext: input.ciphertext };
          return { id, version: input.version, vault_version: 6 };
        },
      },
      reread: async () => {
        // As the server serves it back: opened again from what was written.
        app.opened = [{ record, content: openElement(keys.use(), { wrappedKey: record.wrapped_key, ciphertext: record.ciphertext }, { id: record.id, type: record.type, version: record.version }) }];
        return true;
      },
    };
    return { app, log };
  }

  function fakeInbox(items: { id: string; jwe: string }[], log: string[], fail = false) {
    return {
      list: async () => {
        if (fail) throw new Error('network');
        return items.map((i) => ({ ...i, client_id: 'kyc-client', verifier_name: 'Zq Passport Checks', created_at: '2030-01-01T00:00:00Z' }));
      },
      remove: async (id: string) => {
        log.push(`delete ${id}`);
        const i = items.findIndex((x) => x.id === id);
        if (i >= 0) items.splice(i, 1);
      },
    };
  }

  it('seals a passing item into its element before deleting it, keeps a failing one, and deletes a duplicate without writing', async () => {
    const content = passport('ZQ7PASS1');
    const good = await issue(kyc, content);
    const bad = await issue(kyc, passport('NOTMINE01'));
    const jwe = (s: string) => encryptAttestation(s, hePub as unknown as JWK);
    const { app, log } = fakePage(content);
    const items = [
      { id: 'aaaaaaaa-0000-4000-8000-000000000001', jwe: await jwe(good) },
      { id: 'aaaaaaaa-0000-4000-8000-000000000002', jwe: await jwe(bad) },
    ];
    const controller = new InboxController(app as never, fakeInbox(items, log) as never, async () => [kyc.info]);
    let changes = 0;
    controller.onChange = () => void changes++;

    expect(await controller.run()).toEqual([{ verifier: 'Zq Passport Checks', elementType: 'passport' }]);
    expect(log).toEqual([`put ${elementId} v2`, 'delete aaaaaaaa-0000-4000-8000-000000000001']);
    expect(sealedOf(app.opened[0]!.content).map((a) => a.sd_jwt)).toEqual([good]);
    expect(controller.failures).toEqual([{ id: 'aaaaaaaa-0000-4000-8000-000000000002', verifier: 'Zq Passport Checks', reason: 'value_mismatch', elementType: 'passport' }]);
    expect(changes).toBe(1);

    // Delivered again (or a reload came between sealing and deleting): deleted, not written.
    log.length = 0;
    items.push({ id: 'aaaaaaaa-0000-4000-8000-000000000003', jwe: await jwe(good) });
    await controller.run();
    expect(log).toEqual(['delete aaaaaaaa-0000-4000-8000-000000000003']);
    expect(controller.failures.map((f) => f.id)).toEqual(['aaaaaaaa-0000-4000-8000-000000000002']);

    // Discard deletes the failed item.
    await controller.discard('aaaaaaaa-0000-4000-8000-000000000002');
    expect(log.at(-1)).toBe('delete aaaaaaaa-0000-4000-8000-000000000002');
    expect(controller.failures).toEqual([]);
  });

  it('judges nothing when the inbox or the verifier list cannot be read, and stops when the vault locks', async () => {
    const content = passport('ZQ7PASS1');
    const item = { id: 'aaaaaaaa-0000-4000-8000-000000000009', jwe: await encryptAttestation(await issue(kyc, content), hePub as unknown as JWK) };
    const { app, log } = fakePage(content);
    const offline = new InboxController(app as never, fakeInbox([item], log, true) as never, async () => [kyc.info]);
    expect(await offline.run()).toEqual([]);
    const noList = new InboxController(app as never, fakeInbox([item], log) as never, async () => {
      throw new VerifierListError();
    });
    expect(await noList.run()).toEqual([]);
    expect(noList.failures).toEqual([]);
    const locked = new InboxController(app as never, fakeInbox([item], log) as never, async () => {
      locked.forget(); // the vault locks while the list is fetched
      return [kyc.info];
    });
    expect(await locked.run()).toEqual([]);
    expect(log).toEqual([]);
  });

  it('reads the verifier list with each verifier’s keys, drops malformed entries, and tells an unreadable list apart', async () => {
    const answer = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    const list = await loadVerifiers(answer(200, { verifiers: [kyc.info, { ...kyc.info, client_id: '' }, { name: 'no keys' }] }));
    expect(list).toEqual([kyc.info]);
    await expect(loadVerifiers(answer(500, {}))).rejects.toThrow(VerifierListError);
    await expect(loadVerifiers(answer(200, { nope: 1 }))).rejects.toThrow(VerifierListError);
    expect(await fetchVerifiers(answer(500, {}))).toEqual([]);
  });
});
