// The passport scope for the bench, without a browser: a relying party with an
// encryption key, and the consent page's release as the page would post it (a JWE
// made with jose to the RP's key, as the browser makes it; no vault scans). The
// server only checks the header and stores the ciphertext, so the claim that
// userinfo and the ID token carry has the size and shape of a real release.
import { randomUUID } from 'node:crypto';
import { CompactEncrypt, exportJWK, generateKeyPair, importJWK } from 'jose';
import { REDIRECT_URI } from './flow.mjs';

const CTY = 'wathiqa-release+json';
export const PASSPORT_SCOPE = JSON.stringify({ v: 1, data: [{ type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] }, 'email'] });

/** The RP's client metadata for the `passport` scope: a P-256 encryption key (ECDH-ES+A256KW). */
export async function passportClientMetadata() {
  const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  const key = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: `bench-${randomUUID()}` };
  return { scope: 'openid email offline_access passport', jwks: { keys: [key] } };
}

/** The release the page builds: two elements (personal details, email), encrypted to the RP's key. */
async function release(data) {
  const payload = {
    v: 1,
    iss: data.issuer,
    aud: data.client_id,
    sub: data.sub,
    nonce: data.nonce,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    elements: [
      { type: 'personal_details', data: { given_name: 'Amal', family_name: 'Saleh', birthdate: '1991-02-03' }, files: {}, attestations: [] },
      { type: 'email', data: { email: 'amal@example.com' }, files: {}, attestations: [] },
    ],
  };
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: data.alg, enc: 'A256GCM', kid: data.key.kid, cty: CTY })
    .encrypt(await importJWK(data.key, data.alg));
}

/** The passport consent page's step: post the release, then go where the server says. */
export async function passportStep(agent, { url, html, uid }) {
  const csrf = /id="passport-consent"[^>]*data-csrf="([^"]+)"/.exec(html)?.[1];
  const block = /<script type="application\/json" id="passport-release">([^<]*)<\/script>/.exec(html)?.[1];
  if (!csrf || !block) throw new Error('not the passport consent page');
  const data = JSON.parse(block);
  if (!data.key) throw new Error('the passport client has no inline encryption key');
  const response = await agent.request(new URL(`/interaction/${uid}/passport`, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ csrf, jwe: await release(data), file_ids: [], element_types: ['personal_details', 'email'] }),
  });
  const body = await response.json();
  if (response.status !== 200 || !body.redirect_to) throw new Error(`passport release: ${response.status} ${JSON.stringify(body)}`);
  return agent.follow(new URL(body.redirect_to, url), {}, REDIRECT_URI);
}
