/**
 * openRelease with `verifiers` (DESIGN 5.6, "RP SDK verifies"), end to end with
 * real keys: attestations issued with the SDK's issueAttestation, presented with
 * the protocol module's presentAttestation (as the consent page does), a real
 * Token Status List served by a local HTTP server. Each refusal below is one
 * defence; removing it makes its test fail.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { SignJWT, importJWK } from 'jose';
import { jwsSigner, presentAttestation, sdJwtHasher } from '../../../src/protocol/index.js';
import {
  AttestationExpiredError,
  AttestationRequiredError,
  AttestationRevokedError,
  AttestationStatusError,
  AttestationTypeError,
  createStatusList,
  DisclosureMismatchError,
  issueAttestation,
  KeyBindingError,
  loadReleaseKeys,
  openRelease,
  ReleaseMalformedError,
  releaseFileHashes,
  signStatusList,
  toVerifiedClaims,
  UntrustedIssuerError,
  type OpenReleaseOptions,
  type ReleasedElement,
  type TrustedIssuer,
  type VerifiersOption,
} from '../../../src/rp/index.js';
import { listServer, makeHolder, verifierKey, type Holder, type VerifierKey } from './attestation-fixtures.js';
import { CLIENT_ID, fileEntry, ISSUER, JPEG, NONCE, NOW, NOW_S, PNG, rpKeyPair, samplePayload, sealRelease, SUBJECT } from './helpers.js';

const KYC = 'kyc-verifier';
const BANK = 'bank-verifier';
const DAY = 86400;
const PASSPORT = { document_number: 'P1234567', issuing_country: 'OM', date_of_issuance: '2019-03-12', date_of_expiry: '2029-03-11' };
const PERSON = { given_name: 'Omar', family_name: 'Al-Farsi', birthdate: '1988-11-04' };
const FILES = {
  front_side: fileEntry(1, PNG, 'image/png'),
  selfie: fileEntry(2, JPEG, 'image/jpeg'),
  translation: [fileEntry(3, PNG, 'image/png'), fileEntry(4, JPEG, 'image/jpeg')],
};
const VERIFICATION = { trust_framework: 'example_kyc', evidence: [{ type: 'document', method: 'pipp' }] };
const ASK = { v: 1, data: [{ type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] }, { one_of: ['passport', 'identity_card'], selfie: true, translation: true }] };
const askWith = (extra: Record<string, unknown>) => ({ ...ASK, data: [ASK.data[0], { ...ASK.data[1], ...extra }] });

const rp = await rpKeyPair('ECDH-ES+A256KW', 'rp-ec-1');
const keyring = await loadReleaseKeys(rp.privateJwk);
const kycKey: VerifierKey = await verifierKey('kyc-sig-1', 'ES256');
const bankKey: VerifierKey = await verifierKey('bank-sig-1', 'EdDSA');
const rogueKey: VerifierKey = await verifierKey('kyc-sig-1', 'ES256'); // claims the trusted kid
const holder: Holder = await makeHolder();
const otherHolder: Holder = await makeHolder();
const lists = await listServer();
afterAll(() => lists.close());

const TRUSTED: TrustedIssuer[] = [
  { issuer: KYC, jwks: { keys: [kycKey.publicJwk] } },
  { issuer: BANK, jwks: { keys: [bankKey.publicJwk] } },
];

const passportElement = (attestations: string[], data: Record<string, unknown> = PASSPORT, files: Record<string, unknown> = FILES) =>
  ({ type: 'passport', data, files, attestations }) as unknown as ReleasedElement;

interface AttestOptions {
  issuer?: string;
  key?: VerifierKey;
  type?: 'passport' | 'personal_details';
  data?: Record<string, unknown>;
  fileHashes?: Record<string, string | string[]>;
  to?: Holder;
  expiresAt?: number;
  status?: { idx: number; uri: string };
  issuedAt?: number;
}

/** The verifier's side: an SD-JWT VC over the element as the verifier received it. */
function attest(o: AttestOptions = {}): Promise<string> {
  const type = o.type ?? 'passport';
  return issueAttestation({
    issuer: o.issuer ?? KYC,
    signingKey: (o.key ?? kycKey).privateJwk,
    elementType: type,
    data: o.data ?? (type === 'passport' ? PASSPORT : PERSON),
    fileHashes: o.fileHashes ?? (type === 'passport' ? releaseFileHashes(passportElement([])) : {}),
    holder: (o.to ?? holder).release,
    verification: VERIFICATION,
    ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt }),
    ...(o.status ? { status: o.status } : {}),
    now: new Date(((o.issuedAt ?? NOW_S - DAY) as number) * 1000),
  });
}

interface PresentOptions {
  fields?: readonly string[];
  scans?: readonly string[];
  by?: Holder;
  aud?: string;
  nonce?: string;
  iat?: number;
}

/** The consent page's side: disclosures for the released fields and scans, KB-JWT with HS. */
function present(sdJwt: string, o: PresentOptions = {}): Promise<string> {
  const fields = o.fields ?? Object.keys(PASSPORT);
  const scans = o.scans ?? ['front_side', 'selfie', 'translation'];
  return presentAttestation(sdJwt, { fields, scans }, (o.by ?? holder).sig.privateJwk, { aud: o.aud ?? CLIENT_ID, nonce: o.nonce ?? NONCE, iat: o.iat ?? NOW_S - 5 });
}

function personElement(attestations: string[] = []): ReleasedElement {
  return { type: 'personal_details', data: PERSON, files: {}, attestations } as unknown as ReleasedElement;
}

interface OpenOptions {
  requested?: unknown;
  verifiers?: Partial<VerifiersOption> | null;
  releaseHolder?: Holder | null;
}

async function open(elements: ReleasedElement[], o: OpenOptions = {}) {
  const payload = samplePayload({ elements, ...(o.releaseHolder ? { holder: o.releaseHolder.release } : {}) });
  const options: OpenReleaseOptions = {
    keys: keyring,
    issuer: ISSUER,
    clientId: CLIENT_ID,
    subject: SUBJECT,
    nonce: NONCE,
    now: NOW,
    requested: (o.requested ?? ASK) as OpenReleaseOptions['requested'],
    ...(o.verifiers === null ? {} : { verifiers: { trusted: TRUSTED, allowHttp: true, ...o.verifiers } }),
  };
  return openRelease(await sealRelease(rp, payload), options);
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

/** A status list at a fresh path of the local server, with `set` statuses, signed by `key`. */
async function statusList(set: Record<number, number> = {}, o: { key?: VerifierKey; issuer?: string; bits?: 1 | 2; sub?: string } = {}) {
  const path = `/status/${Math.random().toString(36).slice(2)}`;
  const uri = `${lists.origin}${path}`;
  const list = createStatusList(64, o.bits ?? 2);
  for (const [idx, value] of Object.entries(set)) list.setStatus(Number(idx), value);
  const jwt = await signStatusList({ list, uri: o.sub ?? uri, issuer: o.issuer ?? KYC, signingKey: (o.key ?? kycKey).privateJwk, ttlSeconds: 3600, now: new Date((NOW_S - 60) * 1000) });
  lists.serve(path, jwt);
  return { uri, path, jwt };
}

describe('openRelease with verifiers: what is verified and reported', () => {
  it('verifies every presentation and reports attested and self-asserted fields and scans, by whom', async () => {
    const { uri } = await statusList({ 9: 1 });
    const p = await present(await attest({ status: { idx: 5, uri }, expiresAt: NOW_S + 365 * DAY }), { fields: ['document_number', 'issuing_country', 'date_of_expiry'], scans: ['front_side', 'translation'] });
    const release = await open([personElement(), passportElement([p])]);
    const [person, passport] = release.elements;
    expect(person!.verification).toEqual({ attestations: [], attested: {}, attestedScans: {}, selfAsserted: Object.keys(PERSON), selfAssertedScans: [], ignored: [] });
    expect(passport!.attestations).toEqual([p]);
    expect(passport!.verification).toEqual({
      attestations: [
        {
          issuer: KYC,
          kid: 'kyc-sig-1',
          fields: ['document_number', 'issuing_country', 'date_of_expiry'],
          scans: ['front_side', 'translation'],
          verification: { ...VERIFICATION, time: new Date((NOW_S - DAY) * 1000).toISOString().replace('.000', '') },
          issuedAt: NOW_S - DAY,
          expiresAt: NOW_S + 365 * DAY,
          status: { uri, idx: 5 },
        },
      ],
      attested: { document_number: [KYC], issuing_country: [KYC], date_of_expiry: [KYC] },
      attestedScans: { front_side: [KYC], translation: [KYC] },
      selfAsserted: ['date_of_issuance'],
      selfAssertedScans: ['selfie'],
      ignored: [],
    });
  });

  it('needs every released field and scan attested for a "verified" requirement; it passes when they are', async () => {
    const full = await present(await attest());
    const release = await open([personElement(), passportElement([full])], { requested: askWith({ verified: true }) });
    expect(release.elements[1]!.verification!.selfAsserted).toEqual([]);
    expect(release.elements[1]!.verification!.selfAssertedScans).toEqual([]);
  });

  it('takes attestations from two issuers and lists both per field', async () => {
    const a = await present(await attest());
    const b = await present(await attest({ issuer: BANK, key: bankKey, fileHashes: {} }));
    const release = await open([personElement(), passportElement([a, b])], { requested: askWith({ verifiers: [KYC, BANK] }) });
    expect(release.elements[1]!.verification!.attested.document_number).toEqual([KYC, BANK]);
    expect(release.elements[1]!.verification!.attestedScans.front_side).toEqual([KYC]);
    // BANK alone did not attest the scans: a requirement naming only BANK is not met.
    const error = await refusal(open([personElement(), passportElement([a, b])], { requested: askWith({ verifiers: [BANK] }) }));
    expect(error).toMatchObject({ code: 'attestation_required', missing: ['front_side', 'selfie', 'translation'] });
  });

  it('without the option returns the presentations as unverified strings and no report', async () => {
    const p = await present(await attest());
    const release = await open([personElement(), passportElement([p])], { verifiers: null });
    expect(release.elements[1]!.attestations).toEqual([p]);
    expect(release.elements[1]!.verification).toBeUndefined();
    // …and nothing in them counts: all self-asserted, exactly as a release without attestations.
    const plain = await open([personElement(), passportElement([])], { verifiers: null });
    expect(toVerifiedClaims(release)).toEqual(toVerifiedClaims(plain));
  });

  it('refuses more than 4 presentations on one element, and non-strings', async () => {
    const p = await present(await attest());
    await expect(open([personElement(), passportElement([p, p, p, p, p])])).rejects.toBeInstanceOf(ReleaseMalformedError);
    await expect(open([personElement(), passportElement([{} as never])])).rejects.toBeInstanceOf(ReleaseMalformedError);
  });
});

describe('openRelease with verifiers: disclosures', () => {
  it('refuses a released value that differs from the attested one', async () => {
    const p = await present(await attest());
    const error = await refusal(open([personElement(), passportElement([p], { ...PASSPORT, document_number: 'P7654321' })]));
    expect(error).toBeInstanceOf(DisclosureMismatchError);
    expect(error).toMatchObject({ reason: 'value', field: 'document_number' });
  });

  it('refuses a disclosure whose value was changed (its digest is not in the signed _sd)', async () => {
    const p = await present(await attest());
    const changed = p
      .split('~')
      .map((part) => {
        if (!part || part.includes('.')) return part;
        const [salt, key] = JSON.parse(Buffer.from(part, 'base64url').toString()) as [string, string];
        return key === 'document_number' ? Buffer.from(JSON.stringify([salt, key, 'P7654321'])).toString('base64url') : part;
      })
      .join('~');
    const error = await refusal(open([personElement(), passportElement([changed], { ...PASSPORT, document_number: 'P7654321' })]));
    expect(error).toBeInstanceOf(DisclosureMismatchError);
    expect(error).toMatchObject({ reason: 'not_in_sd', field: 'document_number' });
  });

  it('refuses a disclosure for a field the holder did not release', async () => {
    const p = await present(await attest()); // discloses date_of_issuance…
    const { date_of_issuance: _, ...released } = PASSPORT; // …which the release leaves out
    const error = await refusal(open([personElement(), passportElement([p], released)]));
    expect(error).toBeInstanceOf(DisclosureMismatchError);
    expect(error).toMatchObject({ reason: 'not_released', field: 'date_of_issuance' });
  });

  it('refuses a scan disclosure that does not match the released scan (swapped translation order)', async () => {
    const p = await present(await attest());
    const error = await refusal(open([personElement(), passportElement([p], PASSPORT, { ...FILES, translation: [FILES.translation[1], FILES.translation[0]] })]));
    expect(error).toMatchObject({ reason: 'value', field: 'translation' });
  });

  it('reports a field without disclosure as self-asserted, and a "verified" requirement that needed it fails', async () => {
    const p = await present(await attest(), { fields: ['document_number', 'issuing_country', 'date_of_issuance'] });
    const release = await open([personElement(), passportElement([p])]);
    expect(release.elements[1]!.verification!.selfAsserted).toEqual(['date_of_expiry']);
    const error = await refusal(open([personElement(), passportElement([p])], { requested: askWith({ verified: true }) }));
    expect(error).toBeInstanceOf(AttestationRequiredError);
    expect(error).toMatchObject({ requirement: 1, missing: ['date_of_expiry'] });
  });

  it('refuses a disclosure removed after the key binding (sd_hash)', async () => {
    const parts = (await present(await attest())).split('~');
    const removed = [parts[0], ...parts.slice(2)].join('~');
    const error = await refusal(open([personElement(), passportElement([removed])]));
    expect(error).toBeInstanceOf(KeyBindingError);
    expect(error).toMatchObject({ reason: 'sd_hash' });
  });
});

describe('openRelease with verifiers: binding to the element, the holder, the RP and the sign-in', () => {
  it('refuses a presentation moved to another element type (vct)', async () => {
    const p = await present(await attest());
    const card = { type: 'identity_card', data: PASSPORT, files: { front_side: FILES.front_side, reverse_side: fileEntry(5, PNG, 'image/png') }, attestations: [p] } as unknown as ReleasedElement;
    await expect(open([personElement(), card])).rejects.toBeInstanceOf(AttestationTypeError);
  });

  it('refuses a presentation moved to another holder: cnf is the first holder, the KB-JWT is signed by the second', async () => {
    const issued = await attest({ to: holder });
    const fields = Object.fromEntries([...Object.keys(PASSPORT), 'front_side', 'selfie', 'translation'].map((k) => [k, true]));
    const stolen = await new SDJwtVcInstance({ hasher: sdJwtHasher, hashAlg: 'sha-256', kbSigner: jwsSigner(otherHolder.sig.privateJwk, 'ES256'), kbSignAlg: 'ES256' }).present(issued, fields, {
      kb: { payload: { aud: CLIENT_ID, nonce: NONCE, iat: NOW_S - 5 } },
    });
    const error = await refusal(open([personElement(), passportElement([stolen])]));
    expect(error).toBeInstanceOf(KeyBindingError);
    expect(error).toMatchObject({ reason: 'signature' });
  });

  it('refuses presentations of one release bound to two holders, or not to the release holder', async () => {
    const mine = await present(await attest());
    const theirs = await present(await attest({ type: 'personal_details', to: otherHolder }), { fields: Object.keys(PERSON), by: otherHolder });
    await expect(open([personElement([theirs]), passportElement([mine])])).rejects.toMatchObject({ reason: 'holder' });
    await expect(open([personElement(), passportElement([mine])], { releaseHolder: otherHolder })).rejects.toMatchObject({ reason: 'holder' });
    await expect(open([personElement(), passportElement([mine])], { releaseHolder: holder })).resolves.toBeDefined();
  });

  it.each([
    ['audience', { aud: 'another-rp' }],
    ['nonce', { nonce: 'a-nonce-of-another-sign-in' }],
    ['stale', { iat: NOW_S - 3600 }],
    ['future', { iat: NOW_S + 3600 }],
  ] as const)('refuses a KB-JWT failing on %s', async (reason, kb) => {
    const error = await refusal(open([personElement(), passportElement([await present(await attest(), kb)])]));
    expect(error).toBeInstanceOf(KeyBindingError);
    expect(error).toMatchObject({ reason });
  });

  it('refuses a presentation replayed from an earlier sign-in (older iat, beyond maxKbAgeSeconds)', async () => {
    const earlier = await present(await attest(), { iat: NOW_S - 200 });
    await expect(open([personElement(), passportElement([earlier])])).resolves.toBeDefined(); // within the default 300 s
    await expect(open([personElement(), passportElement([earlier])], { verifiers: { maxKbAgeSeconds: 60 } })).rejects.toMatchObject({ reason: 'stale' });
  });
});

describe('openRelease with verifiers: trust and time', () => {
  it('with ignoreUntrusted: false, refuses an issuer not on the trust list, and an unknown kid', async () => {
    const p = await present(await attest());
    const strict = { ignoreUntrusted: false };
    await expect(open([personElement(), passportElement([p])], { verifiers: { trusted: [TRUSTED[1]!], ...strict } })).rejects.toBeInstanceOf(UntrustedIssuerError);
    const otherKid = [{ issuer: KYC, jwks: { keys: [{ ...kycKey.publicJwk, kid: 'kyc-sig-2' }] } }];
    await expect(open([personElement(), passportElement([p])], { verifiers: { trusted: otherKid, ...strict } })).rejects.toBeInstanceOf(UntrustedIssuerError);
  });

  it('by default skips (and lists) presentations of issuers not on the list, which then vouch for nothing', async () => {
    const unknown = await present(await attest({ issuer: 'unknown-verifier', key: rogueKey }));
    const known = await present(await attest({ issuer: BANK, key: bankKey, fileHashes: {} }));
    const release = await open([personElement(), passportElement([unknown, known])], { verifiers: { trusted: [TRUSTED[1]!] } });
    expect(release.elements[1]!.verification).toMatchObject({ ignored: [0], attestations: [{ issuer: BANK }], selfAssertedScans: ['front_side', 'selfie', 'translation'] });
    // Only untrusted issuers are skipped: a bad signature under a trusted issuer still refuses the release.
    const forged = await present(await attest({ issuer: BANK, key: await verifierKey('bank-sig-1', 'EdDSA'), fileHashes: {} }));
    await expect(open([personElement(), passportElement([forged])])).rejects.toMatchObject({ code: 'attestation_signature_invalid' });
    // Nothing trusted left for a requirement that needs it: a typed refusal.
    const onlyUnknown = await refusal(open([personElement(), passportElement([unknown])], { requested: askWith({ verified: true }), verifiers: { trusted: [TRUSTED[1]!] } }));
    expect(onlyUnknown).toBeInstanceOf(AttestationRequiredError);
  });

  it('refuses an issuer trusted for other element types only', async () => {
    const p = await present(await attest());
    const narrow = [{ ...TRUSTED[0]!, types: ['identity_card' as const] }];
    await expect(open([personElement(), passportElement([p])], { verifiers: { trusted: narrow, ignoreUntrusted: false } })).rejects.toBeInstanceOf(UntrustedIssuerError);
  });

  it('refuses an attestation signed by another key under the trusted kid', async () => {
    const p = await present(await attest({ key: rogueKey }));
    await expect(open([personElement(), passportElement([p])])).rejects.toMatchObject({ code: 'attestation_signature_invalid' });
  });

  it('refuses an expired attestation', async () => {
    const p = await present(await attest({ issuedAt: NOW_S - 30 * DAY, expiresAt: NOW_S - DAY }));
    await expect(open([personElement(), passportElement([p])])).rejects.toBeInstanceOf(AttestationExpiredError);
  });

  it('takes only named verifiers for a "verifiers" requirement', async () => {
    const p = await present(await attest());
    const error = await refusal(open([personElement(), passportElement([p])], { requested: askWith({ verifiers: [BANK] }) }));
    expect(error).toBeInstanceOf(AttestationRequiredError);
    await expect(open([personElement(), passportElement([p])], { requested: askWith({ verifiers: [KYC] }) })).resolves.toBeDefined();
    // A named verifier the RP does not trust is not accepted either.
    await expect(open([personElement(), passportElement([p])], { requested: askWith({ verifiers: [KYC] }), verifiers: { trusted: [TRUSTED[1]!] } })).rejects.toBeInstanceOf(AttestationRequiredError);
  });
});

describe('openRelease with verifiers: the Token Status List', () => {
  it('refuses a revoked attestation (status 1) and a suspended one (status 2)', async () => {
    const { uri } = await statusList({ 3: 1, 4: 2 });
    const revoked = await refusal(open([personElement(), passportElement([await present(await attest({ status: { idx: 3, uri } }))])]));
    expect(revoked).toBeInstanceOf(AttestationRevokedError);
    expect(revoked).toMatchObject({ state: 'revoked', status: 1, issuer: KYC });
    expect((revoked as Error).message).toContain('revoked');
    const suspended = await refusal(open([personElement(), passportElement([await present(await attest({ status: { idx: 4, uri } }))])]));
    expect(suspended).toMatchObject({ state: 'suspended', status: 2 });
    expect((suspended as Error).message).toContain('suspended');
  });

  it('fetches a list once per release, however many attestations name it', async () => {
    const { uri, path } = await statusList();
    const a = await present(await attest({ status: { idx: 1, uri } }));
    const b = await present(await attest({ type: 'personal_details', status: { idx: 2, uri } }), { fields: Object.keys(PERSON) });
    await open([personElement([b]), passportElement([a])]);
    expect(lists.hits.get(path)).toBe(1);
  });

  it('refuses an unreachable list, an error status and a plain-http list without allowHttp', async () => {
    const gone = await present(await attest({ status: { idx: 1, uri: 'http://127.0.0.1:9/status' } }));
    await expect(open([personElement(), passportElement([gone])])).rejects.toBeInstanceOf(AttestationStatusError);
    lists.serve('/status/broken', 500);
    const broken = await present(await attest({ status: { idx: 1, uri: `${lists.origin}/status/broken` } }));
    await expect(open([personElement(), passportElement([broken])])).rejects.toBeInstanceOf(AttestationStatusError);
    const { uri } = await statusList();
    const fine = await present(await attest({ status: { idx: 1, uri } }));
    await expect(open([personElement(), passportElement([fine])], { verifiers: { allowHttp: false } })).rejects.toBeInstanceOf(AttestationStatusError);
  });

  it('refuses a list that times out', async () => {
    const hanging = (async (_url: string, init: RequestInit) =>
      new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(new Error('aborted'))))) as unknown as typeof fetch;
    const p = await present(await attest({ status: { idx: 1, uri: 'https://status.example/list' } }));
    await expect(open([personElement(), passportElement([p])], { verifiers: { fetch: hanging, statusTimeoutMs: 50 } })).rejects.toBeInstanceOf(AttestationStatusError);
  });

  it('refuses a list whose signature was tampered with', async () => {
    const { uri, path, jwt } = await statusList();
    const [h, pl, sig] = jwt.split('.');
    const bytes = Buffer.from(sig!, 'base64url');
    bytes[10] = bytes[10]! ^ 1;
    lists.serve(path, [h, pl, bytes.toString('base64url')].join('.'));
    const p = await present(await attest({ status: { idx: 1, uri } }));
    await expect(open([personElement(), passportElement([p])])).rejects.toBeInstanceOf(AttestationStatusError);
  });

  it('refuses a list signed by another issuer, for another uri, of another typ, expired, or over 16 KiB', async () => {
    const cases: [string, () => Promise<{ uri: string }>][] = [
      ['another issuer key', () => statusList({}, { key: bankKey })],
      ['a sub that is not its uri', () => statusList({}, { sub: `${lists.origin}/status/elsewhere` })],
      [
        'typ JWT',
        async () => {
          const path = '/status/typ';
          const uri = `${lists.origin}${path}`;
          const list = createStatusList(8);
          const jwt = await new SignJWT({ sub: uri, iat: NOW_S, exp: NOW_S + 3600, status_list: { bits: 1, lst: list.compressStatusList() } })
            .setProtectedHeader({ alg: 'ES256', kid: 'kyc-sig-1', typ: 'JWT' })
            .sign(await importJWK(kycKey.privateJwk, 'ES256'));
          lists.serve(path, jwt);
          return { uri };
        },
      ],
      [
        'expired',
        async () => {
          const path = '/status/old';
          const uri = `${lists.origin}${path}`;
          lists.serve(path, await signStatusList({ list: createStatusList(8), uri, issuer: KYC, signingKey: kycKey.privateJwk, ttlSeconds: 60, now: new Date((NOW_S - 7200) * 1000) }));
          return { uri };
        },
      ],
      [
        'too large',
        async () => {
          // Valid in every other way: signed by the issuer, typ, sub, iat, exp; only its size is wrong.
          const path = '/status/huge';
          const uri = `${lists.origin}${path}`;
          const jwt = await new SignJWT({ sub: uri, iat: NOW_S, exp: NOW_S + 3600, status_list: { bits: 1, lst: createStatusList(8).compressStatusList() }, pad: 'x'.repeat(17 * 1024) })
            .setProtectedHeader({ alg: 'ES256', kid: 'kyc-sig-1', typ: 'statuslist+jwt' })
            .sign(await importJWK(kycKey.privateJwk, 'ES256'));
          lists.serve(path, jwt);
          return { uri };
        },
      ],
    ];
    for (const [what, make] of cases) {
      const { uri } = await make();
      const p = await present(await attest({ status: { idx: 1, uri } }));
      const error = await refusal(open([personElement(), passportElement([p])]));
      expect([what, error]).toEqual([what, expect.any(AttestationStatusError)]);
    }
  });

  it('refuses an index outside the list', async () => {
    const { uri } = await statusList();
    const p = await present(await attest({ status: { idx: 1000, uri } }));
    await expect(open([personElement(), passportElement([p])])).rejects.toBeInstanceOf(AttestationStatusError);
  });
});
