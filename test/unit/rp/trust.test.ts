/**
 * trustedIssuersFromList reads exactly what the server's GET /verifiers
 * answers (built here with the server's own verifierEntry and checked with its
 * response guard), and an issuer's attested types bound what it may attest.
 */
import { describe, expect, it } from '@jest/globals';
import { trustedIssuersFromList } from '../../../src/rp/index.js';
import { VerifierListSchema } from '../../../src/verifiers/routes.js';
import { verifierEntry } from '../../../src/verifiers/service.js';
import { rpKeyPair } from './helpers.js';
import { verifierKey } from './attestation-fixtures.js';

const enc = await rpKeyPair('ECDH-ES+A256KW', 'enc-1');
const kyc = await verifierKey('kyc-sig-1', 'ES256');
const bank = await verifierKey('bank-sig-1', 'EdDSA');

function metadata(name: string, sig: typeof kyc, types: string[]) {
  return {
    client_name: name,
    scope: 'openid passport',
    verifier: true,
    verifier_attested_types: types,
    verifier_trust_framework: 'example_kyc',
    policy_uri: 'https://verifier.example/policy',
    jwks: { keys: [enc.publicJwk, sig.publicJwk] },
  };
}

const answer = VerifierListSchema.parse({
  verifiers: [verifierEntry('kyc-verifier', metadata('KYC Example', kyc, ['passport', 'identity_card'])), verifierEntry('bank-verifier', metadata('Bank', bank, ['address']))],
});

describe('trustedIssuersFromList', () => {
  it('turns the GET /verifiers answer (object or text) into trusted issuers with signing keys and types', () => {
    const trusted = trustedIssuersFromList(answer);
    expect(trusted).toEqual([
      { issuer: 'kyc-verifier', name: 'KYC Example', trustFramework: 'example_kyc', types: ['passport', 'identity_card'], jwks: { keys: [{ ...kyc.publicJwk }] } },
      { issuer: 'bank-verifier', name: 'Bank', trustFramework: 'example_kyc', types: ['address'], jwks: { keys: [{ ...bank.publicJwk }] } },
    ]);
    expect(trustedIssuersFromList(JSON.stringify(answer))).toEqual(trusted);
  });

  it('keeps only the ids in `only`', () => {
    expect(trustedIssuersFromList(answer, { only: ['bank-verifier', 'gone-verifier'] }).map((t) => t.issuer)).toEqual(['bank-verifier']);
  });

  it('drops element types it does not know, and tolerates members a newer server adds', () => {
    const newer = { verifiers: [{ ...answer.verifiers[0]!, attested_types: ['passport', 'tax_id'], rating: 5 }], next: null };
    expect(trustedIssuersFromList(newer)[0]!.types).toEqual(['passport']);
  });

  it.each([
    ['not JSON', '{'],
    ['no verifiers member', { items: [] }],
    ['a private signing key', { verifiers: [{ ...answer.verifiers[0]!, jwks: { keys: [{ ...kyc.privateJwk }] } }] }],
    ['an encryption key', { verifiers: [{ ...answer.verifiers[0]!, jwks: { keys: [{ ...enc.publicJwk }] } }] }],
    ['an EdDSA alg on a P-256 key', { verifiers: [{ ...answer.verifiers[0]!, jwks: { keys: [{ ...kyc.publicJwk, alg: 'EdDSA' }] } }] }],
    ['no keys', { verifiers: [{ ...answer.verifiers[0]!, jwks: { keys: [] } }] }],
  ])('refuses %s with a TypeError', (_, value) => {
    expect(() => trustedIssuersFromList(value)).toThrow(TypeError);
  });
});
