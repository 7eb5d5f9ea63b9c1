import { beforeAll, describe, expect, it } from '@jest/globals';
import { newReleaseRef } from '../../../src/protocol/index.js';
import { findElement, loadReleaseKeys, openRelease, ReleaseMalformedError, reportErrors, type OpenReleaseOptions, type ReleaseKeyring } from '../../../src/rp/index.js';
import { CLIENT_ID, ISSUER, NONCE, NOW, REQUESTED, rpKeyPair, sampleElements, samplePayload, sealRelease, SUBJECT, type RpKeyPair } from './helpers.js';

let ec: RpKeyPair;
let keyring: ReleaseKeyring;

beforeAll(async () => {
  ec = await rpKeyPair('ECDH-ES+A256KW', 'rp-ec-feedback');
  keyring = await loadReleaseKeys(ec.privateJwk);
});

const options = (): OpenReleaseOptions => ({ keys: keyring, issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, now: NOW, requested: REQUESTED });

describe('refs in a release (DESIGN 5.7)', () => {
  it('are exposed on each opened element', async () => {
    const refs = sampleElements().map(() => newReleaseRef());
    const elements = sampleElements().map((e, i) => ({ ref: refs[i], ...e }));
    const release = await openRelease(await sealRelease(ec, samplePayload({ elements })), options());
    expect(release.elements.map((e) => e.ref)).toEqual(refs);
    expect(findElement(release, 'passport')!.ref).toBe(refs[1]);
  });

  it('are optional in v1: a release without them opens, its elements have none', async () => {
    const release = await openRelease(await sealRelease(ec, samplePayload()), options());
    expect(release.elements.every((e) => !('ref' in e))).toBe(true);
  });

  it('are refused when malformed or given twice', async () => {
    for (const bad of ['short', 'A'.repeat(23), 42, `${'A'.repeat(21)}=`]) {
      const elements = sampleElements().map((e, i) => (i === 0 ? { ref: bad, ...e } : e));
      await expect(openRelease(await sealRelease(ec, samplePayload({ elements })), options())).rejects.toBeInstanceOf(ReleaseMalformedError);
    }
    const ref = newReleaseRef();
    const twice = sampleElements().map((e, i) => (i < 2 ? { ref, ...e } : e));
    const error = await openRelease(await sealRelease(ec, samplePayload({ elements: twice })), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReleaseMalformedError);
    expect((error as ReleaseMalformedError).issues).toEqual([expect.objectContaining({ path: ['elements', 1, 'ref'], message: 'the same ref appears twice' })]);
  });
});

describe('reportErrors: input checks before anything is sent', () => {
  const neverCalled = (async () => {
    throw new Error('fetch must not be called');
  }) as typeof fetch;
  const base = { issuer: ISSUER, accessToken: 'at', fetch: neverCalled };
  const ref = newReleaseRef();

  it.each([
    ['no issuer', { ...base, issuer: '' }, /issuer/],
    ['no access token', { ...base, accessToken: '' }, /accessToken/],
    ['not an array', { ...base, errors: 'x' as never }, /errors/],
    ['a bad ref', { ...base, errors: [{ ref: 'x', field: 'email', message: 'm' }] }, /errors\.0\.ref/],
    ['field and file', { ...base, errors: [{ ref, field: 'email', file: 'selfie', message: 'm' }] }, /exactly one/],
    ['an unknown slot', { ...base, errors: [{ ref, file: 'back', message: 'm' }] }, /slot name/],
    ['a long message', { ...base, errors: [{ ref, field: 'email', message: 'x'.repeat(301) }] }, /300/],
    ['a control character', { ...base, errors: [{ ref, field: 'email', message: 'a\u0007' }] }, /control/],
  ])('refuses %s with a TypeError', async (_name, input, message) => {
    await expect(reportErrors(input as never)).rejects.toThrow(TypeError);
    await expect(reportErrors(input as never)).rejects.toThrow(message);
  });
});
