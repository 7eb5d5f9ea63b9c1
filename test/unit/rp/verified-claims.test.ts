import { describe, expect, it } from '@jest/globals';
import { openRelease, toVerifiedClaims, type Release } from '../../../src/rp/index.js';
import { CLIENT_ID, fileEntry, ISSUER, NONCE, NOW, PNG, REQUESTED, rpKeyPair, samplePayload, sealRelease, SUBJECT } from './helpers.js';

describe('toVerifiedClaims', () => {
  it('maps a release to one self-asserted OIDC4IA verified_claims entry', async () => {
    const pair = await rpKeyPair('ECDH-ES+A256KW', 'k1');
    const options = { keys: pair.privateJwk, issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, now: NOW };
    const release = await openRelease(await sealRelease(pair, samplePayload()), { ...options, requested: REQUESTED });
    expect(toVerifiedClaims(release)).toEqual({
      verified_claims: [
        {
          verification: {
            trust_framework: 'wathiqa_self_asserted',
            evidence: [
              {
                type: 'document',
                document_details: {
                  type: 'passport',
                  document_number: 'P1234567',
                  issuer: { country: 'OM' },
                  date_of_issuance: '2019-03-12',
                  date_of_expiry: '2029-03-11',
                },
              },
            ],
          },
          claims: {
            given_name: 'Omar',
            family_name: 'Al-Farsi',
            birthdate: '1988-11-04',
            address: { street_address: 'Building 1042, Road 3521\nFlat 21', locality: 'Manama', postal_code: '335', country: 'BH' },
            email: 'omar@example.com',
          },
        },
      ],
    });

    const full = samplePayload({
      elements: [
        {
          type: 'personal_details',
          data: { given_name: 'Omar', family_name: 'Al-Farsi', given_name_native: 'عمر', birthdate: '1988-11-04', gender: 'male', nationality: 'OM', country_of_residence: 'BH', place_of_birth: 'Muscat' },
          files: {},
          attestations: [],
        },
        {
          type: 'identity_card',
          data: { document_number: 'X1', issuing_country: 'AE' },
          files: { front_side: fileEntry(1, PNG, 'image/png'), reverse_side: fileEntry(2, PNG, 'image/png') },
          attestations: [],
        },
        { type: 'phone_number', data: { phone_number: '+97336001234' }, files: {}, attestations: [] },
      ],
    });
    const claims = toVerifiedClaims(await openRelease(await sealRelease(pair, full), options));
    expect(claims.verified_claims[0].claims).toEqual({
      given_name: 'Omar',
      family_name: 'Al-Farsi',
      birthdate: '1988-11-04',
      gender: 'male',
      nationalities: ['OM'],
      phone_number: '+97336001234',
    });
    expect(claims.verified_claims[0].verification.evidence).toEqual([
      { type: 'document', document_details: { type: 'idcard', document_number: 'X1', issuer: { country: 'AE' } } },
    ]);
  });
});

describe('toVerifiedClaims with verified attestations', () => {
  const KYC = 'kyc-verifier';
  const BANK = 'bank-verifier';
  const kycVerification = { trust_framework: 'example_kyc', time: '2030-05-31T12:00:00Z', evidence: [{ type: 'electronic_record' }] };
  const bankVerification = { trust_framework: 'de_aml', time: '2030-05-30T08:00:00Z', evidence: [{ type: 'document', method: 'pipp' }] };
  const report = (issuer: string, verification: Record<string, unknown>, fields: string[], scans: string[] = []) => ({
    issuer,
    kid: `${issuer}-1`,
    fields,
    scans,
    verification: verification as never,
    issuedAt: 1906459200,
    expiresAt: undefined,
    status: undefined,
  });
  const verification = (data: Record<string, unknown>, reports: ReturnType<typeof report>[]) => {
    const attested: Record<string, string[]> = {};
    for (const r of reports) for (const f of r.fields) (attested[f] ??= []).push(r.issuer);
    return { attestations: reports, attested, attestedScans: {}, selfAsserted: Object.keys(data).filter((f) => !attested[f]), selfAssertedScans: [] };
  };
  const person = { given_name: 'Omar', family_name: 'Al-Farsi', birthdate: '1988-11-04' };
  const passport = { document_number: 'P1234567', issuing_country: 'OM', date_of_expiry: '2029-03-11' };
  const address = { street_address: 'Building 1042, Road 3521', street_address_2: 'Flat 21', locality: 'Manama', country: 'BH' };

  function release(elements: { type: string; data: Record<string, unknown>; reports: ReturnType<typeof report>[] }[]): Release {
    return {
      v: 1,
      iss: ISSUER,
      aud: CLIENT_ID,
      sub: SUBJECT,
      nonce: NONCE,
      iat: 0,
      jti: '00000000-0000-4000-8000-000000000000',
      elements: elements.map(({ type, data, reports }) => ({ type, data, files: {}, attestations: reports.map(() => 'presentation'), verification: verification(data, reports) })),
    } as unknown as Release;
  }

  it('puts attested values under each issuer’s own verification, and the rest in the self-asserted entry', () => {
    const out = toVerifiedClaims(
      release([
        { type: 'personal_details', data: person, reports: [report(KYC, kycVerification, Object.keys(person))] },
        { type: 'passport', data: passport, reports: [report(BANK, bankVerification, ['document_number', 'issuing_country'], ['front_side'])] },
        // Only the first street line attested: the street claim (both lines) stays self-asserted.
        { type: 'address', data: address, reports: [report(KYC, kycVerification, ['street_address', 'locality', 'country'])] },
        { type: 'email', data: { email: 'omar@example.com' }, reports: [] },
      ]),
    );
    expect(out).toEqual({
      verified_claims: [
        {
          verification: { ...kycVerification, verifier: { organization: KYC } },
          claims: { ...person, address: { locality: 'Manama', country: 'BH' } },
        },
        {
          verification: {
            ...bankVerification,
            verifier: { organization: BANK },
            evidence: [{ type: 'document', method: 'pipp', document_details: { type: 'passport', document_number: 'P1234567', issuer: { country: 'OM' } } }],
          },
          claims: {},
        },
        {
          verification: { trust_framework: 'wathiqa_self_asserted', evidence: [{ type: 'document', document_details: { type: 'passport', date_of_expiry: '2029-03-11' } }] },
          claims: { address: { street_address: 'Building 1042, Road 3521\nFlat 21' }, email: 'omar@example.com' },
        },
      ],
    });
  });

  it('keeps a verifier the attestation names, adds document details as evidence, and drops an empty self-asserted entry', () => {
    const named = { trust_framework: 'eidas', time: '2030-05-31T12:00:00Z', verifier: { organization: 'Acme KYC Ltd', txn: 't-1' } };
    const out = toVerifiedClaims(release([{ type: 'passport', data: passport, reports: [report(KYC, named, Object.keys(passport))] }]));
    expect(out.verified_claims).toEqual([
      {
        verification: { ...named, evidence: [{ type: 'document', document_details: { type: 'passport', ...{ document_number: 'P1234567', issuer: { country: 'OM' }, date_of_expiry: '2029-03-11' } } }] },
        claims: {},
      },
    ]);
  });

  it('gives one entry per issuer and verification, and leaves a release without attestations as before', () => {
    const out = toVerifiedClaims(
      release([
        { type: 'personal_details', data: person, reports: [report(KYC, kycVerification, ['given_name']), report(BANK, bankVerification, ['given_name', 'family_name'])] },
        { type: 'email', data: { email: 'omar@example.com' }, reports: [report(KYC, kycVerification, ['email'])] },
      ]),
    );
    expect(out.verified_claims.map((e) => [e.verification.trust_framework, e.claims])).toEqual([
      ['example_kyc', { given_name: 'Omar', email: 'omar@example.com' }],
      ['de_aml', { given_name: 'Omar', family_name: 'Al-Farsi' }],
      ['wathiqa_self_asserted', { birthdate: '1988-11-04' }],
    ]);
    const none = release([{ type: 'personal_details', data: person, reports: [] }]);
    expect(toVerifiedClaims(none)).toEqual({ verified_claims: [{ verification: { trust_framework: 'wathiqa_self_asserted' }, claims: person }] });
  });
});
