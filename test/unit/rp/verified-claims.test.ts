import { describe, expect, it } from '@jest/globals';
import { openRelease, toVerifiedClaims } from '../../../src/rp/index.js';
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
