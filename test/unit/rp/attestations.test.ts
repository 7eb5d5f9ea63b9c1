/**
 * verifyPresentation against real SD-JWT VCs issued and presented with the
 * OpenWallet Foundation packages (issuer ES256, holder ES256 in cnf.jwk).
 */
import { describe, expect, it } from '@jest/globals';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import type { JWK } from 'jose';
import {
  AttestationExpiredError,
  AttestationSignatureError,
  AttestationTypeError,
  DisclosureMismatchError,
  KeyBindingError,
  ReleaseError,
  UntrustedIssuerError,
  verifyPresentation,
  type VerifyPresentationContext,
} from '../../../src/rp/index.js';

const VERIFIER = 'example-verifier';
const RP = 'example-rp';
const NONCE = 'n-0S6_WzA2Mj';
const NOW = new Date('2030-06-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const DATA = { given_name: 'Amina', family_name: 'Haddad', birthdate: '1990-04-12', document_number: 'X1234567' };
const FRONT = 'Kx1b0m0Q2q6cRr4m1u9WZc8n6bqz9QfN3h0vY4sD1aE';

async function keyPair(kid?: string) {
  const { publicKey, privateKey } = await ES256.generateKeyPair();
  return { publicJwk: { ...(publicKey as JWK), ...(kid ? { kid, alg: 'ES256', use: 'sig' } : {}) }, privateJwk: privateKey as JWK };
}

const issuerKeys = await keyPair('v-sig-1');
const holderKeys = await keyPair();
const otherHolder = await keyPair();
const rogueIssuer = await keyPair('v-sig-1');

async function issue(opts: { vct?: string; exp?: number; signer?: JWK; iss?: string; data?: Record<string, unknown> } = {}) {
  const sdjwt = new SDJwtVcInstance({
    signer: await ES256.getSigner(opts.signer ?? issuerKeys.privateJwk),
    signAlg: 'ES256',
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
  });
  const fields = { ...(opts.data ?? DATA), front: FRONT };
  return sdjwt.issue(
    {
      iss: opts.iss ?? VERIFIER,
      iat: NOW_S - 86400,
      exp: opts.exp ?? NOW_S + 365 * 86400,
      vct: opts.vct ?? 'urn:wathiqa:element:passport:1',
      cnf: { jwk: holderKeys.publicJwk },
      verification: { trust_framework: 'wathiqa_example', time: '2030-05-31T12:00:00Z', evidence: [{ type: 'document' }] },
      ...fields,
    } as never,
    { _sd: Object.keys(fields) } as never,
    { header: { kid: 'v-sig-1' } },
  );
}

async function present(credential: string, fields: string[], kb: { aud?: string; nonce?: string; iat?: number; key?: JWK } = {}) {
  const sdjwt = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', kbSigner: await ES256.getSigner(kb.key ?? holderKeys.privateJwk), kbSignAlg: 'ES256' });
  return sdjwt.present(credential, Object.fromEntries(fields.map((f) => [f, true])), {
    kb: { payload: { aud: kb.aud ?? RP, nonce: kb.nonce ?? NONCE, iat: kb.iat ?? NOW_S - 5 } },
  });
}

function ctx(over: Partial<VerifyPresentationContext> = {}): VerifyPresentationContext {
  return {
    elementType: 'passport',
    releasedData: { given_name: DATA.given_name, family_name: DATA.family_name, birthdate: DATA.birthdate },
    releasedFileHashes: { front: FRONT },
    audience: RP,
    nonce: NONCE,
    trusted: [{ issuer: VERIFIER, jwks: { keys: [issuerKeys.publicJwk] } }],
    now: NOW,
    ...over,
  };
}

/** Replaces the disclosure for `field` by one with another value, same salt. */
function swapDisclosure(presentation: string, field: string, value: unknown): string {
  return presentation
    .split('~')
    .map((part) => {
      if (!part || part.includes('.')) return part;
      const [salt, key] = JSON.parse(Buffer.from(part, 'base64url').toString()) as [string, string, unknown];
      return key === field ? Buffer.from(JSON.stringify([salt, key, value])).toString('base64url') : part;
    })
    .join('~');
}

describe('verifyPresentation', () => {
  it('verifies a presentation and tells attested fields from self-asserted ones', async () => {
    const p = await present(await issue(), ['given_name', 'family_name', 'front']);
    const result = await verifyPresentation(p, ctx());
    expect(result.issuer).toBe(VERIFIER);
    expect(result.attested).toEqual(['given_name', 'family_name']);
    expect(result.selfAsserted).toEqual(['birthdate']);
    expect(result.attestedScans).toEqual(['front']);
    expect(result.verification).toMatchObject({ trust_framework: 'wathiqa_example' });
  });

  it('refuses a disclosed value that differs from the released value', async () => {
    const p = await present(await issue(), ['given_name', 'family_name']);
    const err = await verifyPresentation(p, ctx({ releasedData: { ...ctx().releasedData, given_name: 'Amira' } })).catch((e) => e);
    expect(err).toBeInstanceOf(DisclosureMismatchError);
    expect(err).toMatchObject({ reason: 'value', field: 'given_name' });
    expect(err).toBeInstanceOf(ReleaseError);
  });

  it('refuses a changed disclosure (its digest is not in the signed _sd)', async () => {
    const p = swapDisclosure(await present(await issue(), ['given_name']), 'given_name', 'Amira');
    const err = await verifyPresentation(p, ctx({ releasedData: { given_name: 'Amira' } })).catch((e) => e);
    expect(err).toBeInstanceOf(DisclosureMismatchError);
    expect(err).toMatchObject({ reason: 'not_in_sd' });
  });

  it('refuses a disclosure for a field the holder did not release', async () => {
    const p = await present(await issue(), ['given_name', 'document_number']);
    const err = await verifyPresentation(p, ctx()).catch((e) => e);
    expect(err).toBeInstanceOf(DisclosureMismatchError);
    expect(err).toMatchObject({ reason: 'not_released', field: 'document_number' });
  });

  it('refuses a presentation with a disclosure removed after key binding (sd_hash)', async () => {
    const p = await present(await issue(), ['given_name', 'family_name']);
    const parts = p.split('~');
    const removed = [parts[0], ...parts.slice(2)].join('~');
    const err = await verifyPresentation(removed, ctx()).catch((e) => e);
    expect(err).toBeInstanceOf(KeyBindingError);
    expect(err).toMatchObject({ reason: 'sd_hash' });
  });

  it('refuses an unknown issuer and an unknown key', async () => {
    const p = await present(await issue({ iss: 'someone-else' }), ['given_name']);
    await expect(verifyPresentation(p, ctx())).rejects.toBeInstanceOf(UntrustedIssuerError);
    const q = await present(await issue(), ['given_name']);
    await expect(verifyPresentation(q, ctx({ trusted: [{ issuer: VERIFIER, jwks: { keys: [{ ...issuerKeys.publicJwk, kid: 'other' }] } }] }))).rejects.toBeInstanceOf(UntrustedIssuerError);
  });

  it('refuses an attestation signed by a key that only claims the trusted kid', async () => {
    const p = await present(await issue({ signer: rogueIssuer.privateJwk }), ['given_name']);
    await expect(verifyPresentation(p, ctx())).rejects.toBeInstanceOf(AttestationSignatureError);
  });

  it('refuses a tampered issuer signature', async () => {
    const p = await present(await issue(), ['given_name']);
    const [jwt, ...rest] = p.split('~');
    const [h, pl, sig] = jwt!.split('.');
    const bytes = Buffer.from(sig!, 'base64url');
    bytes[5] = bytes[5]! ^ 1;
    const tampered = [[h, pl, bytes.toString('base64url')].join('.'), ...rest].join('~');
    await expect(verifyPresentation(tampered, ctx())).rejects.toBeInstanceOf(AttestationSignatureError);
  });

  it('refuses a wrong vct (a presentation moved to another element type)', async () => {
    const p = await present(await issue({ vct: 'urn:wathiqa:element:identity_card:1' }), ['given_name']);
    await expect(verifyPresentation(p, ctx())).rejects.toBeInstanceOf(AttestationTypeError);
  });

  it('refuses an expired attestation', async () => {
    const p = await present(await issue({ exp: NOW_S - 3600 }), ['given_name']);
    await expect(verifyPresentation(p, ctx())).rejects.toBeInstanceOf(AttestationExpiredError);
  });

  it.each([
    ['audience', { aud: 'another-rp' }],
    ['nonce', { nonce: 'another-nonce' }],
    ['signature', { key: otherHolder.privateJwk }],
    ['stale', { iat: NOW_S - 3600 }],
    ['future', { iat: NOW_S + 3600 }],
  ] as const)('refuses a KB-JWT failing on %s', async (reason, kb) => {
    const p = await present(await issue(), ['given_name'], kb);
    const err = await verifyPresentation(p, ctx()).catch((e) => e);
    expect(err).toBeInstanceOf(KeyBindingError);
    expect(err).toMatchObject({ reason });
  });

  it('refuses a presentation without a KB-JWT', async () => {
    const sdjwt = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256' });
    const p = await sdjwt.present(await issue(), { given_name: true } as never);
    const err = await verifyPresentation(p, ctx()).catch((e) => e);
    expect(err).toMatchObject({ reason: 'missing' });
  });
});
