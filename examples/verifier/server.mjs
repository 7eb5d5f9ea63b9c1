#!/usr/bin/env node
/**
 * A small verifier for Wathiqa (DESIGN 5.6): a holder signs in with a passport
 * request (an identity document with its scans and a selfie; openid-client 6:
 * authorization code, PKCE S256, state, nonce), the release is opened with
 * wathiqa/rp, automatic checks run (expiry; the MRZ's ICAO 9303 check digits
 * when the reviewer types the MRZ in), and a reviewer approves or rejects. On
 * Approve the verifier issues an SD-JWT VC with the SDK, encrypts it to the
 * holder's key from the release and delivers it to Wathiqa. It publishes its
 * own Token Status List and can revoke what it issued.
 * See docs/verifiers.md, "The example verifier", for the set-up.
 *
 * Configuration (environment):
 *   WATHIQA_ISSUER            the Wathiqa issuer URL                   (default http://localhost:3000)
 *   VERIFIER_PORT             the port to listen on                    (default 4100)
 *   VERIFIER_HOST             the address to listen on                 (default 127.0.0.1)
 *   VERIFIER_PUBLIC_URL       this verifier's origin as others reach it (default http://localhost:$VERIFIER_PORT);
 *                             the status list is published at $VERIFIER_PUBLIC_URL/status-list
 *   VERIFIER_REDIRECT_URI     the registered redirect URI              (default $VERIFIER_PUBLIC_URL/callback)
 *   CLIENT_ID, CLIENT_SECRET  from `wathiqa clients create --verifier …`
 *   VERIFIER_KEY_DIR          the keys from make-key.mjs               (default examples/verifier/.keys)
 *   VERIFIER_TRUST_FRAMEWORK  written into each attestation            (default wathiqa_example; register the same)
 *   VERIFIER_ATTESTATION_DAYS an attestation's lifetime, at most until the document expires (default 365)
 *   VERIFIER_STATUS_LIST_TTL  the status list JWT's ttl, seconds       (default 300)
 *   REVIEWER_PASSWORD         if set, the reviewer pages ask for it (HTTP Basic, user "reviewer");
 *                             if not, they are open, and VERIFIER_HOST must be a loopback address
 *
 * Everything is kept in memory: sessions, submissions and scans (until the
 * decision), what was issued and the status list. It is an example, not a
 * production verifier: no persistence, one process, one reviewer role.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { blockingChecks, expiryCheck, hasMrz, mrzCheck } from './checks.mjs';
import { checkedForm as checkForm, HttpProblem, redirect, reviewerGuard, SCAN_CSP, send } from './http.mjs';
import { attestationsPage, CSS, errorPage, homePage, reviewListPage, reviewPage, submittedPage } from './pages.mjs';
import { createRegistry } from './registry.mjs';

// The compiled SDK (`npm run build`). A verifier outside this repository imports 'wathiqa/rp'.
const sdkUrl = new URL('../../dist/src/rp/index.js', import.meta.url);
let rp;
try {
  rp = await import(sdkUrl.href);
} catch (error) {
  console.error(`cannot load the RP SDK from ${fileURLToPath(sdkUrl)}: run "npm run build" first (${error.code ?? error.message})`);
  process.exit(1);
}
const SDK_NEEDS = ['openRelease', 'fetchScan', 'scansOf', 'loadReleaseKeys', 'memoryJtiStore', 'parsePassportScope', 'ReleaseError', 'AttestationDeliveryError', 'issueAttestation', 'encryptAttestation', 'deliverAttestation', 'releaseFileHashes', 'createStatusList', 'signStatusList'];
const sdkMissing = SDK_NEEDS.filter((name) => rp[name] === undefined);
if (sdkMissing.length) {
  console.error(`the compiled RP SDK lacks ${sdkMissing.join(', ')}: run "npm run build" again`);
  process.exit(1);
}

// ---- configuration -----------------------------------------------------------

const env = process.env;
const ISSUER = env.WATHIQA_ISSUER || 'http://localhost:3000';
const PORT = Number(env.VERIFIER_PORT || 4100);
const HOST = env.VERIFIER_HOST || '127.0.0.1';
const PUBLIC_URL = (env.VERIFIER_PUBLIC_URL || `http://localhost:${PORT}`).replace(/\/$/, '');
const REDIRECT_URI = env.VERIFIER_REDIRECT_URI || `${PUBLIC_URL}/callback`;
const CLIENT_ID = env.CLIENT_ID || '';
const CLIENT_SECRET = env.CLIENT_SECRET || '';
const KEY_DIR = env.VERIFIER_KEY_DIR ? resolve(env.VERIFIER_KEY_DIR) : fileURLToPath(new URL('./.keys/', import.meta.url));
const TRUST_FRAMEWORK = env.VERIFIER_TRUST_FRAMEWORK || 'wathiqa_example';
const ATTESTATION_DAYS = Number(env.VERIFIER_ATTESTATION_DAYS || 365);
const STATUS_LIST_TTL = Number(env.VERIFIER_STATUS_LIST_TTL || 300);
const REVIEWER_PASSWORD = env.REVIEWER_PASSWORD || '';

/** What this verifier checks (DESIGN 5.3): one identity document, every field, its scans and a selfie. */
const DOCUMENT_TYPES = ['passport', 'identity_card', 'driver_license'];
const PASSPORT_SCOPE_TEXT = JSON.stringify({ v: 1, data: [{ one_of: DOCUMENT_TYPES, selfie: true }] });
rp.parsePassportScope(PASSPORT_SCOPE_TEXT); // fail at start-up, not at the first sign-in

function fail(message) {
  console.error(`example verifier: ${message}`);
  process.exit(1);
}

function parseUrl(text, name) {
  try {
    return new URL(text);
  } catch {
    fail(`${name} is not a URL`);
  }
}

const isLocalHost = (url) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
const isLoopback = (host) => ['127.0.0.1', '::1', 'localhost'].includes(host) || host.startsWith('127.');

if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) fail('VERIFIER_PORT must be a port number');
if (!Number.isInteger(ATTESTATION_DAYS) || ATTESTATION_DAYS < 1 || ATTESTATION_DAYS > 3650) fail('VERIFIER_ATTESTATION_DAYS must be a whole number of days, 1 to 3650');
if (!Number.isInteger(STATUS_LIST_TTL) || STATUS_LIST_TTL < 10 || STATUS_LIST_TTL > 86400) fail('VERIFIER_STATUS_LIST_TTL must be 10 to 86400 seconds');
if (!/^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/.test(TRUST_FRAMEWORK)) fail('VERIFIER_TRUST_FRAMEWORK must be 1-64 characters of A-Z a-z 0-9 . _ ~ - (as registered)');
const issuerUrl = parseUrl(ISSUER, 'WATHIQA_ISSUER');
/** http:// only for a Wathiqa on this machine; anything else must be https. */
const LOCAL_HTTP = issuerUrl.protocol === 'http:' && isLocalHost(issuerUrl);
if (issuerUrl.protocol !== 'https:' && !LOCAL_HTTP) fail('WATHIQA_ISSUER must be https:// (http:// only for localhost)');
const publicUrl = parseUrl(PUBLIC_URL, 'VERIFIER_PUBLIC_URL');
if (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash) fail('VERIFIER_PUBLIC_URL must be an origin, such as https://verifier.example (no path)');
// Relying parties fetch the status list from here; the SDK refuses http:// outside tests.
if (publicUrl.protocol !== 'https:' && !(publicUrl.protocol === 'http:' && isLocalHost(publicUrl))) fail('VERIFIER_PUBLIC_URL must be https:// (http:// only for localhost)');
parseUrl(REDIRECT_URI, 'VERIFIER_REDIRECT_URI');
// Without a password anyone who reaches the port is the reviewer: only on this machine.
if (!REVIEWER_PASSWORD && !isLoopback(HOST)) fail(`VERIFIER_HOST is ${HOST}: set REVIEWER_PASSWORD before serving the reviewer pages beyond this machine`);
const STATUS_URI = `${publicUrl.origin}/status-list`;
const SECURE_COOKIE = publicUrl.protocol === 'https:';

// ---- keys --------------------------------------------------------------------

const missing = [!CLIENT_ID && 'CLIENT_ID', !CLIENT_SECRET && 'CLIENT_SECRET'].filter(Boolean);
let encKeys;
let sigKey;
let keyProblem;
try {
  const read = (name) => JSON.parse(readFileSync(join(KEY_DIR, name), 'utf8'));
  encKeys = await rp.loadReleaseKeys(read('enc.private.jwk.json'));
  sigKey = read('sig.private.jwk.json');
  if (typeof sigKey.d !== 'string' || typeof sigKey.kid !== 'string' || !['ES256', 'EdDSA'].includes(sigKey.alg)) {
    throw new Error('sig.private.jwk.json must be a private ES256 or EdDSA JWK with kid and alg');
  }
} catch (error) {
  keyProblem = error.code === 'ENOENT' ? `no keys in ${KEY_DIR}: run "node examples/verifier/make-key.mjs"` : `cannot use the keys in ${KEY_DIR}: ${error.message}`;
}
const ready = missing.length === 0 && !keyProblem;

const registry = ready ? createRegistry({ sdk: rp, uri: STATUS_URI, issuer: CLIENT_ID, signingKey: sigKey, ttlSeconds: STATUS_LIST_TTL }) : undefined;

// ---- OpenID Connect ------------------------------------------------------------

let configuration;
/** Discovery on first use, so the home page works while Wathiqa is still starting. */
async function oidcConfig() {
  configuration ??= oidc
    .discovery(issuerUrl, CLIENT_ID, undefined, oidc.ClientSecretBasic(CLIENT_SECRET), LOCAL_HTTP ? { execute: [oidc.allowInsecureRequests] } : undefined)
    .catch((error) => {
      configuration = undefined;
      throw error;
    });
  return configuration;
}

async function authorizationRequest() {
  const config = await oidcConfig();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid passport',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    passport_scope: PASSPORT_SCOPE_TEXT,
  });
  return { url, verifier, state, nonce };
}

/** How this verifier is registered (GET /verifiers), to warn on the home page about a mismatch. */
let registrationCache;
async function registrationWarnings() {
  if (!ready) return [];
  if (registrationCache && Date.now() - registrationCache.at < 60_000) return registrationCache.warnings;
  let warnings;
  try {
    const response = await fetch(new URL('/verifiers', `${issuerUrl.href.replace(/\/$/, '')}/`), { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { verifiers } = await response.json();
    const me = Array.isArray(verifiers) ? verifiers.find((v) => v?.client_id === CLIENT_ID) : undefined;
    if (!me) warnings = [`Wathiqa does not list ${CLIENT_ID} as a verifier (GET /verifiers): register it with --verifier, or holders' vaults will refuse its attestations.`];
    else {
      warnings = [];
      if (!me.jwks?.keys?.some((k) => k.kid === sigKey.kid)) warnings.push(`The signing key ${sigKey.kid} is not registered with Wathiqa: holders' vaults will refuse its attestations.`);
      if (me.trust_framework !== TRUST_FRAMEWORK) warnings.push(`Registered trust framework "${me.trust_framework}", but attestations say "${TRUST_FRAMEWORK}" (VERIFIER_TRUST_FRAMEWORK).`);
      const unlisted = DOCUMENT_TYPES.filter((t) => !me.attested_types?.includes(t));
      if (unlisted.length) warnings.push(`Not registered to attest ${unlisted.join(', ')} (--attested-type).`);
    }
  } catch (error) {
    warnings = [`Could not read Wathiqa's list of verifiers: ${error.message}.`];
  }
  registrationCache = { at: Date.now(), warnings };
  return warnings;
}

const seenJti = rp.memoryJtiStore();

/** Code → tokens → userinfo → release → scans, all checked; then the automatic checks. */
async function completeSignIn(currentUrl, pending) {
  const config = await oidcConfig();
  const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: pending.verifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
  const idClaims = tokens.claims();
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
  const jwe = userinfo.passport ?? idClaims.passport;
  if (typeof jwe !== 'string') throw new Error('Wathiqa sent no passport claim (was the release approved?)');

  const release = await rp.openRelease(jwe, {
    keys: encKeys,
    issuer: config.serverMetadata().issuer,
    clientId: CLIENT_ID,
    subject: idClaims.sub,
    nonce: pending.nonce,
    requested: PASSPORT_SCOPE_TEXT,
    seenJti,
  });
  // Releases to verifier clients carry the holder's keys; without them there is no one to attest to.
  if (!release.holder) throw new Error('the release carries no holder keys: Wathiqa adds them only for clients registered with --verifier');
  const element = release.elements[0];

  // Fetch every scan now, while the access token is fresh; keep them in memory until the decision.
  const scans = [];
  for (const { slot, index, file } of rp.scansOf(element)) {
    try {
      const scan = await rp.fetchScan(release, file, { accessToken: tokens.access_token });
      scans.push({ slot, index, bytes: scan.bytes, mediaType: scan.mediaType, size: scan.size });
    } catch (error) {
      if (!(error instanceof rp.ReleaseError)) throw error;
      scans.push({ slot, index, error: error.code });
    }
  }
  const broken = scans.filter((s) => s.error);
  const checks = [
    expiryCheck(element.data),
    broken.length
      ? { id: 'scans', label: 'Scans intact', status: 'fail', detail: `${broken.map((s) => `${s.slot}: ${s.error}`).join('; ')}.` }
      : { id: 'scans', label: 'Scans intact', status: 'pass', detail: `${scans.length} scan(s) fetched, decrypted and matching the release's SHA-256.` },
    element.files.selfie
      ? { id: 'selfie', label: 'Selfie', status: 'pass', detail: 'A selfie was shared: compare it with the photo on the document.' }
      : { id: 'selfie', label: 'Selfie', status: 'fail', detail: 'No selfie was shared: this verifier compares the document photo with a selfie.' },
  ];
  return {
    id: randomBytes(18).toString('base64url'),
    createdAt: new Date(),
    state: 'pending',
    sub: release.sub,
    type: element.type,
    data: element.data,
    fileHashes: rp.releaseFileHashes(element),
    holder: release.holder,
    accessToken: tokens.access_token,
    deliverTo: config.serverMetadata().issuer,
    scans,
    checks,
  };
}

// ---- submissions, issuing, revoking --------------------------------------------------

const MAX_CASES = 200;
const cases = new Map();

function addCase(c) {
  cases.set(c.id, c);
  // Oldest first out; decided ones hold no scans, pending ones are the reviewer's backlog.
  while (cases.size > MAX_CASES) cases.delete(cases.keys().next().value);
}

/** After a decision the verifier keeps no scans and no token: it needs neither any more. */
function forgetEvidence(c) {
  c.scans = undefined;
  c.accessToken = undefined;
}

/** Until the document expires (end of that UTC day), and at most VERIFIER_ATTESTATION_DAYS. */
function attestationExpiry(data, now) {
  const limit = Math.floor(now.getTime() / 1000) + ATTESTATION_DAYS * 86400;
  if (typeof data.date_of_expiry !== 'string') return limit;
  return Math.min(limit, Math.floor(Date.parse(`${data.date_of_expiry}T23:59:59Z`) / 1000));
}

/**
 * OIDC4IA `verification`. The evidence says a person inspected images of the
 * document ("vri") and names the document type only: the document's number and
 * dates are selectively disclosable claims, and repeating them here, in the
 * always-visible payload, would disclose them to every RP.
 */
function verificationFor(c, now) {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    trust_framework: TRUST_FRAMEWORK,
    time: at,
    evidence: [
      {
        type: 'document',
        check_details: [{ check_method: 'vri', txn: c.id, time: at }],
        time: at,
        document_details: { type: { passport: 'passport', identity_card: 'idcard', driver_license: 'driving_permit' }[c.type] },
      },
    ],
  };
}

/** The server's answer when delivery fails, in words the reviewer can act on. */
function describeFailure(error) {
  // AttestationDeliveryError's message carries the server's error code, HTTP status and error_description.
  if (error instanceof rp.AttestationDeliveryError) return `Wathiqa refused the attestation: ${error.message}`;
  return `The attestation could not be issued or delivered: ${error?.message ?? error}`;
}

async function approve(c) {
  const now = new Date();
  const idx = registry.allocate();
  const expiresAt = attestationExpiry(c.data, now);
  try {
    const sdJwt = await rp.issueAttestation({
      issuer: CLIENT_ID,
      signingKey: sigKey,
      elementType: c.type,
      data: c.data,
      fileHashes: c.fileHashes,
      holder: c.holder,
      verification: verificationFor(c, now),
      expiresAt,
      status: { idx, uri: STATUS_URI },
      now,
    });
    const jwe = await rp.encryptAttestation(sdJwt, c.holder.enc);
    const { id: deliveredId } = await rp.deliverAttestation({ issuer: c.deliverTo, accessToken: c.accessToken, jwe });
    const record = registry.record({
      caseId: c.id,
      type: c.type,
      documentNumber: c.data.document_number,
      sub: c.sub,
      idx,
      issuedAt: now.getTime(),
      expiresAt,
    });
    c.state = 'approved';
    c.decidedAt = now;
    c.result = { attestationId: record.id, deliveredId, idx, expiresAt, sdJwt };
    c.error = undefined;
    forgetEvidence(c);
  } catch (error) {
    // Nobody holds an attestation with this index: hand it out again.
    registry.release(idx);
    c.state = 'delivery_failed';
    c.error = describeFailure(error);
    console.error(`example verifier: approving ${c.id} failed: ${c.error}`);
  }
}

// ---- sessions (memory) ---------------------------------------------------------

const SESSION_TTL_MS = 30 * 60 * 1000;
const sessions = new Map();

function session(req, res) {
  const sid = /(?:^|;\s*)vf_sid=([A-Za-z0-9_-]{43})/.exec(req.headers.cookie ?? '')?.[1];
  const now = Date.now();
  for (const [id, s] of sessions) if (s.expires < now) sessions.delete(id);
  if (sid && sessions.has(sid)) {
    const s = sessions.get(sid);
    s.expires = now + SESSION_TTL_MS;
    return s;
  }
  const id = randomBytes(32).toString('base64url');
  const s = { id, expires: now + SESSION_TTL_MS, csrf: randomBytes(32).toString('base64url'), cases: new Set() };
  sessions.set(id, s);
  res.setHeader('set-cookie', `vf_sid=${id}; Path=/; HttpOnly; SameSite=Lax${SECURE_COOKIE ? '; Secure' : ''}`);
  return s;
}

// ---- HTTP ------------------------------------------------------------------------

const requireReviewer = reviewerGuard(REVIEWER_PASSWORD);
const checkedForm = (req, s) => checkForm(req, s, publicUrl.origin);

function findCase(id) {
  const c = cases.get(id);
  if (!c) throw new HttpProblem(404, 'Not found', 'There is no submission with this id (ids are random; submissions live in memory until the verifier restarts).');
  return c;
}

const ID = '([A-Za-z0-9_-]{16,32})';
const routes = [
  ['GET', /^\/$/, home],
  ['GET', /^\/style\.css$/, (req, res) => send(res, 200, CSS, 'text/css; charset=utf-8')],
  ['GET', /^\/favicon\.ico$/, (req, res) => send(res, 204, '', 'text/plain')],
  ['GET', /^\/login$/, login],
  ['GET', /^\/callback$/, callback],
  ['GET', new RegExp(`^/submitted/${ID}$`), submitted],
  ['GET', /^\/status-list$/, statusList],
  ['GET', /^\/review$/, reviews],
  ['GET', new RegExp(`^/review/${ID}$`), review],
  ['GET', new RegExp(`^/review/${ID}/scans/(\\d{1,3})$`), scan],
  ['POST', new RegExp(`^/review/${ID}/mrz$`), checkMrz],
  ['POST', new RegExp(`^/review/${ID}/approve$`), approveCase],
  ['POST', new RegExp(`^/review/${ID}/reject$`), rejectCase],
  ['GET', /^\/attestations$/, attestations],
  ['POST', new RegExp(`^/attestations/${ID}/revoke$`), revoke],
];

async function home(req, res) {
  const problems = [...missing.map((name) => `${name} is not set`), ...(keyProblem ? [keyProblem] : [])];
  const types = 'a passport, an identity card or a driving licence';
  send(res, 200, homePage({ issuer: ISSUER, problems, ready, registration: await registrationWarnings(), types }));
}

async function login(req, res) {
  if (!ready) return redirect(res, '/');
  const s = session(req, res);
  let request;
  try {
    request = await authorizationRequest();
  } catch (error) {
    console.error('example verifier: discovery failed:', error.message);
    throw new HttpProblem(502, 'Wathiqa is not reachable', `Could not read ${ISSUER}/.well-known/openid-configuration.`);
  }
  s.pending = { state: request.state, nonce: request.nonce, verifier: request.verifier };
  redirect(res, request.url.href);
}

async function callback(req, res, url) {
  const s = session(req, res);
  const pending = s.pending;
  if (!pending) throw new HttpProblem(400, 'Sign-in expired', 'No sign-in is in progress in this browser. Start again.');
  // An answer without this sign-in's state is not ours: refuse it, and keep the sign-in in progress.
  if (url.searchParams.get('state') !== pending.state) throw new HttpProblem(400, 'Sign-in failed', 'This answer does not belong to the sign-in in progress in this browser.');
  s.pending = undefined; // one use
  if (url.searchParams.has('error')) {
    const code = url.searchParams.get('error');
    throw new HttpProblem(400, 'Sign-in cancelled', code === 'access_denied' ? 'You did not share a document.' : `Wathiqa answered: ${code}`);
  }
  let c;
  try {
    // openid-client compares the URL with the registered redirect URI: rebuild it from REDIRECT_URI.
    c = await completeSignIn(new URL(`${REDIRECT_URI}${url.search}`), pending);
  } catch (error) {
    if (error instanceof rp.ReleaseError) {
      console.error(`example verifier: release refused: ${error.code}`);
      throw new HttpProblem(400, 'The release was refused', `${error.code}: ${error.message}`);
    }
    console.error('example verifier: sign-in failed:', error.code ?? '', error.message, error.cause?.message ?? error.cause?.error ?? '');
    throw new HttpProblem(400, 'Sign-in failed', error.message);
  }
  addCase(c);
  s.cases.add(c.id);
  redirect(res, `/submitted/${c.id}`);
}

function submitted(req, res, url, [id]) {
  const s = session(req, res);
  // The holder's own view: only the browser that signed in sees it.
  if (!s.cases.has(id) || !cases.has(id)) throw new HttpProblem(404, 'Not found', 'No submission with this id in this browser session.');
  send(res, 200, submittedPage(cases.get(id)));
}

async function statusList(req, res) {
  if (!registry) throw new HttpProblem(503, 'Not configured', 'The verifier has no client id or keys yet.');
  const jwt = await registry.jwt();
  send(res, 200, jwt, 'application/statuslist+jwt', {
    // Public: relying parties fetch it. Short HTTP caching, so a revocation shows soon.
    'cache-control': `public, max-age=${Math.min(60, STATUS_LIST_TTL)}`,
    'access-control-allow-origin': '*',
  });
}

function reviews(req, res) {
  requireReviewer(req);
  const order = { pending: 0, delivery_failed: 0, approved: 1, rejected: 1 };
  const list = [...cases.values()].sort((a, b) => order[a.state] - order[b.state] || b.createdAt - a.createdAt);
  send(res, 200, reviewListPage(list));
}

function review(req, res, url, [id]) {
  requireReviewer(req);
  const c = findCase(id);
  const s = session(req, res);
  send(res, 200, reviewPage(c, { csrf: s.csrf, blocking: blockingChecks(c.checks, c.mrz), mrzAvailable: hasMrz(c.type) }));
}

function scan(req, res, url, [id, n]) {
  requireReviewer(req);
  const c = findCase(id);
  const found = c.scans?.[Number(n)];
  if (!found || found.error) throw new HttpProblem(404, 'Not found', 'No such scan in this submission (scans are discarded after the decision).');
  const disposition = found.mediaType === 'application/pdf' ? 'attachment; filename="scan.pdf"' : 'inline';
  send(res, 200, found.bytes, found.mediaType, { 'content-disposition': disposition, 'content-security-policy': SCAN_CSP });
}

/** A POST on a submission still waiting for a decision. */
function openCase(id) {
  const c = findCase(id);
  if (c.state !== 'pending' && c.state !== 'delivery_failed') throw new HttpProblem(409, 'Already decided', `This submission was ${c.state} already.`);
  if (c.busy) throw new HttpProblem(409, 'In progress', 'This submission is being approved right now.');
  return c;
}

async function checkMrz(req, res, url, [id]) {
  requireReviewer(req);
  const s = session(req, res);
  const form = await checkedForm(req, s);
  const c = openCase(id);
  if (!hasMrz(c.type)) throw new HttpProblem(400, 'No MRZ', `A ${c.type.replace(/_/g, ' ')} has no ICAO 9303 MRZ to check.`);
  const text = form.get('mrz') ?? '';
  if (text.trim() === '') {
    // An empty box withdraws an earlier MRZ: the check is optional.
    c.mrzText = undefined;
    c.mrz = undefined;
  } else {
    c.mrzText = text.slice(0, 200);
    c.mrz = mrzCheck(text, c);
  }
  redirect(res, `/review/${c.id}#checks`, 303);
}

async function approveCase(req, res, url, [id]) {
  requireReviewer(req);
  const s = session(req, res);
  await checkedForm(req, s);
  const c = openCase(id);
  const blocking = blockingChecks(c.checks, c.mrz);
  if (blocking.length) throw new HttpProblem(409, 'Approve refused', `A check fails: ${blocking.map((b) => `${b.label} (${b.detail})`).join('; ')}`);
  if (!registry) throw new HttpProblem(503, 'Not configured', 'The verifier has no client id or keys.');
  c.busy = true;
  try {
    await approve(c);
  } finally {
    c.busy = false;
  }
  redirect(res, `/review/${c.id}#result`, 303);
}

async function rejectCase(req, res, url, [id]) {
  requireReviewer(req);
  const s = session(req, res);
  await checkedForm(req, s);
  const c = openCase(id);
  c.state = 'rejected';
  c.decidedAt = new Date();
  c.error = undefined;
  forgetEvidence(c);
  redirect(res, `/review/${c.id}#result`, 303);
}

function attestations(req, res) {
  requireReviewer(req);
  const s = session(req, res);
  send(res, 200, attestationsPage(registry?.list() ?? [], { csrf: s.csrf, statusUri: STATUS_URI }));
}

async function revoke(req, res, url, [id]) {
  requireReviewer(req);
  const s = session(req, res);
  await checkedForm(req, s);
  if (!registry?.get(id)) throw new HttpProblem(404, 'Not found', 'There is no attestation with this id.');
  registry.revoke(id);
  redirect(res, '/attestations', 303);
}

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://verifier.invalid');
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const matching = routes.filter(([, pattern]) => pattern.test(url.pathname));
  if (matching.length === 0) throw new HttpProblem(404, 'Not found', 'There is nothing here.');
  const route = matching.find(([m]) => m === method);
  if (!route) throw new HttpProblem(405, 'Method not allowed', `Use ${matching.map(([m]) => m).join(' or ')}.`, { allow: matching.map(([m]) => m).join(', ') });
  const params = route[1].exec(url.pathname).slice(1);
  await route[2](req, res, url, params);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (res.headersSent) return res.end();
    if (error instanceof HttpProblem) return send(res, error.status, errorPage(error.title, error.message), 'text/html; charset=utf-8', error.headers);
    console.error('example verifier:', error);
    send(res, 500, errorPage('Error', 'Something went wrong.'));
  });
});

server.listen(PORT, HOST, () => {
  console.log(`example verifier listening on http://${HOST}:${server.address().port} (public ${PUBLIC_URL}, issuer ${ISSUER}, redirect ${REDIRECT_URI})`);
  if (ready) console.log(`status list: ${STATUS_URI}`);
  else console.log(`not configured yet: ${[...missing.map((m) => `${m} is not set`), keyProblem].filter(Boolean).join('; ')}`);
  if (!REVIEWER_PASSWORD) console.log('reviewer pages are open to anyone on this machine (set REVIEWER_PASSWORD to protect them)');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
