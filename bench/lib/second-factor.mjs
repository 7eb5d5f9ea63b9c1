// Second factors for the sign-in rows, without a browser: TOTP codes from seeded
// secrets (otplib, as an authenticator app computes them) and a software passkey
// (a P-256 key made here, answering the WebAuthn challenge as an authenticator would).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { generate } from 'otplib';
import { hiddenField, REDIRECT_URI } from './flow.mjs';

const STEP = 30;
const sha256 = (data) => createHash('sha256').update(data).digest();
const b64u = (buf) => Buffer.from(buf).toString('base64url');

/**
 * TOTP accounts for concurrent sign-ins. The server accepts a code once per time step
 * (and only a step after the last one used), within one step either way: each account
 * can sign in for steps c-1, c and c+1 of the current step c, in that order, and no
 * two sign-ins of one account are in flight at once. Step c-1 is not used in the last
 * 5 s of a step (it would expire on the way). When no account has a step left, a
 * sign-in waits; `waits` counts those (the pool is too small if it is not 0).
 */
export class TotpPool {
  waits = 0;

  /** `accounts`: [{ email, secret, lastStep }] as the server's seed command returns them. */
  constructor(accounts) {
    this.idle = accounts.map((a) => ({ ...a }));
  }

  async take() {
    for (;;) {
      const now = Date.now() / 1000;
      const c = Math.floor(now / STEP);
      const lo = now - c * STEP < STEP - 5 ? c - 1 : c;
      let best = -1;
      for (let i = 0; i < this.idle.length; i++) {
        const step = Math.max(this.idle[i].lastStep + 1, lo);
        if (step <= c + 1 && (best < 0 || this.idle[i].lastStep < this.idle[best].lastStep)) best = i;
      }
      if (best >= 0) {
        const [account] = this.idle.splice(best, 1);
        account.lastStep = Math.max(account.lastStep + 1, lo);
        const code = await generate({ secret: account.secret, epoch: account.lastStep * STEP + 1 });
        return { email: account.email, code, release: () => this.idle.push(account) };
      }
      this.waits++;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The code page's step: the code for the account taken from the pool. */
export function otpStep(code) {
  return (agent, { url, html, uid }) => agent.submit(url, `/interaction/${uid}/otp`, { csrf: hiddenField(html, 'csrf'), code }, REDIRECT_URI);
}

/** A passkey: a P-256 key pair, its COSE public key for the server, a signature counter. */
export function newPasskey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y } = publicKey.export({ format: 'jwk' });
  // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} in CBOR, as the authenticator reports it at registration.
  const cose = Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
    Buffer.from(x, 'base64url'),
    Buffer.from([0x22, 0x58, 0x20]),
    Buffer.from(y, 'base64url'),
  ]);
  return { id: b64u(randomBytes(16)), privateKey, publicKey: b64u(cose), counter: 0 };
}

/**
 * The authenticator's answer to a `navigator.credentials.get` challenge, in the JSON
 * shape @simplewebauthn/browser posts: authenticatorData = SHA-256(rpId) | flags (UP|UV)
 * | counter, clientDataJSON, and an ES256 signature (DER) over authData | SHA-256(clientDataJSON).
 */
export function assertion(passkey, { challenge, origin, rpId }) {
  passkey.counter++;
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(passkey.counter);
  const authenticatorData = Buffer.concat([sha256(rpId), Buffer.from([0x01 | 0x04]), counter]);
  const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }));
  const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), passkey.privateKey);
  return {
    id: passkey.id,
    rawId: passkey.id,
    type: 'public-key',
    response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authenticatorData), signature: b64u(signature) },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
  };
}

/** The sign-in page's passkey button: options for this interaction, the assertion, then where the page goes. */
export function passkeyStep(passkey) {
  return async (agent, { url, html, uid, server }) => {
    const csrf = hiddenField(html, 'csrf');
    const json = (path, body) =>
      agent.request(new URL(`/interaction/${uid}/${path}`, url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    const optionsResponse = await json('passkey/options', { csrf });
    const options = await optionsResponse.json();
    if (optionsResponse.status !== 200) throw new Error(`passkey options: ${optionsResponse.status} ${JSON.stringify(options)}`);
    const origin = new URL(server.url).origin;
    const answer = await json('passkey', { csrf, response: assertion(passkey, { challenge: options.challenge, origin, rpId: options.rpId ?? new URL(origin).hostname }) });
    const result = await answer.json();
    if (answer.status !== 200 || !result.redirect) throw new Error(`passkey: ${answer.status} ${JSON.stringify(result)}`);
    return agent.follow(new URL(result.redirect, url), {}, REDIRECT_URI);
  };
}
