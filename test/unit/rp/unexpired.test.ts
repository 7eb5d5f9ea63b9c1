import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadReleaseKeys, openRelease, ReleaseError, UnexpiredRequiredError, type OpenReleaseOptions, type ReleaseKeyring } from '../../../src/rp/index.js';
import { CLIENT_ID, ISSUER, NONCE, NOW, REQUESTED, rpKeyPair, sampleElements, samplePayload, sealRelease, SUBJECT, type RpKeyPair } from './helpers.js';

/** Issue #11, point 4: with `"unexpired": true`, the RP SDK refuses an expired document, or one without an expiry date. */
let ec: RpKeyPair;
let keyring: ReleaseKeyring;

beforeAll(async () => {
  ec = await rpKeyPair('ECDH-ES+A256KW', 'rp-ec-1');
  keyring = await loadReleaseKeys({ keys: [ec.privateJwk] });
});

/** REQUESTED with the id document asked unexpired. NOW is 2030-06-01T12:00:00Z. */
const UNEXPIRED = { ...REQUESTED, data: REQUESTED.data.map((item, i) => (i === 1 ? { ...(item as object), unexpired: true } : item)) };

function options(extra: Partial<OpenReleaseOptions> = {}): OpenReleaseOptions {
  return { keys: keyring, issuer: ISSUER, clientId: CLIENT_ID, subject: SUBJECT, nonce: NONCE, now: NOW, requested: UNEXPIRED, ...extra };
}

/** The sample release with the passport's expiry date set (undefined: removed). */
async function releaseExpiring(date: string | undefined): Promise<string> {
  const elements = sampleElements();
  const data = elements[1]!.data;
  if (date === undefined) delete data.date_of_expiry;
  else data.date_of_expiry = date;
  return sealRelease(ec, samplePayload({ elements }));
}

async function failure(jwe: string, extra: Partial<OpenReleaseOptions> = {}): Promise<unknown> {
  return openRelease(jwe, options(extra)).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('openRelease: unexpired', () => {
  it('accepts a document valid today, or that expired yesterday (UTC): a page a day behind UTC still calls it valid', async () => {
    for (const date of ['2031-01-01', '2030-06-01', '2030-05-31']) {
      const release = await openRelease(await releaseExpiring(date), options());
      expect(release.elements[1]!.data).toMatchObject({ date_of_expiry: date });
    }
  });

  it('refuses a document expired before yesterday (UTC), with a typed error that names no value', async () => {
    for (const date of ['2030-05-30', '2020-01-01']) {
      const error = await failure(await releaseExpiring(date));
      expect(error).toBeInstanceOf(UnexpiredRequiredError);
      expect(error).toBeInstanceOf(ReleaseError);
      expect(error).toMatchObject({ code: 'unexpired_required', requirement: 1, reason: 'expired', name: 'UnexpiredRequiredError' });
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(date);
      expect((error as Error).message).not.toContain('P1234567');
    }
  });

  it('refuses a document without an expiry date', async () => {
    expect(await failure(await releaseExpiring(undefined))).toMatchObject({ code: 'unexpired_required', requirement: 1, reason: 'no_expiry_date' });
  });

  it('checks nothing of the kind when the requirement did not ask for it', async () => {
    const release = await openRelease(await releaseExpiring('2020-01-01'), options({ requested: REQUESTED }));
    expect(release.elements[1]!.data).toMatchObject({ date_of_expiry: '2020-01-01' });
    await expect(openRelease(await releaseExpiring(undefined), options({ requested: JSON.stringify(REQUESTED) }))).resolves.toBeDefined();
  });

  it('takes the scope as JSON text too', async () => {
    const error = await failure(await releaseExpiring('2030-05-30'), { requested: JSON.stringify(UNEXPIRED) });
    expect(error).toBeInstanceOf(UnexpiredRequiredError);
  });
});
