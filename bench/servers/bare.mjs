// The reference: bare oidc-provider (the version Wathiqa uses), its default
// in-memory adapter, the same client configuration as Wathiqa's (confidential
// client, client_secret_basic, PKCE, RS256 ID tokens (the default for a client that names none), refresh-token rotation,
// opaque access tokens, userinfo with sub + email) and a trivial in-memory
// findAccount. Its interaction URL signs the account named by `login_hint` in and
// grants what is asked at once: no pages, no passwords (the bench's sign-in row is
// measured on Wathiqa only; this server is the reference for tokens and userinfo).
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { baseCommands, serveCommands } from './ipc.mjs';
import { SIGNING_ALGS } from '../../dist/src/oidc/keys.js';
import { ENCRYPTION_ALGS, ENCRYPTION_ENCS, TTL } from '../../dist/src/oidc/provider.js';

const port = Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';
const issuer = process.env.ISSUER ?? `http://${host}:${port}`;

// Same three signing keys as Wathiqa (RS256 signs the default client's ID tokens).
async function key(alg) {
  const options = alg === 'RS256' ? { modulusLength: 2048, extractable: true } : { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined };
  const { privateKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, options);
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: randomBytes(8).toString('hex') };
}
const jwks = { keys: [await key('ES256'), await key('EdDSA'), await key('RS256')] };

const accounts = new Map(); // accountId -> email
const clients = [];
const cookieKeys = [randomBytes(32).toString('base64url')];
const cookie = { httpOnly: true, sameSite: 'lax', secure: false, path: '/' };
// The same algorithms and lifetimes as Wathiqa's provider (the compiled constants).
const SIGNING = [...SIGNING_ALGS];
const ENC_ALGS = ENCRYPTION_ALGS;
const ENC_ENCS = ENCRYPTION_ENCS;

let provider;
function build() {
  provider = new Provider(issuer, {
    // No `adapter`: oidc-provider's default in-memory one.
    clients,
    async findAccount(_ctx, sub) {
      const email = accounts.get(sub);
      if (!email) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email, email_verified: false }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'email', 'offline_access'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    rotateRefreshToken: true,
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: process.env.BENCH_ID_TOKEN_ALG ?? 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    cookies: { keys: cookieKeys, long: cookie, short: cookie },
    jwks,
    ttl: { ...TTL },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    enabledJWA: {
      idTokenSigningAlgValues: SIGNING,
      userinfoSigningAlgValues: SIGNING,
      introspectionSigningAlgValues: SIGNING,
      authorizationSigningAlgValues: SIGNING,
      requestObjectSigningAlgValues: SIGNING,
      clientAuthSigningAlgValues: SIGNING,
      idTokenEncryptionAlgValues: ENC_ALGS,
      idTokenEncryptionEncValues: ENC_ENCS,
      userinfoEncryptionAlgValues: ENC_ALGS,
      userinfoEncryptionEncValues: ENC_ENCS,
      introspectionEncryptionAlgValues: ENC_ALGS,
      introspectionEncryptionEncValues: ENC_ENCS,
      authorizationEncryptionAlgValues: ENC_ALGS,
      authorizationEncryptionEncValues: ENC_ENCS,
      requestObjectEncryptionAlgValues: ENC_ALGS,
      requestObjectEncryptionEncValues: ENC_ENCS,
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      encryption: { enabled: true },
      jwtUserinfo: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
  });

  // Interactions: sign in whoever `login_hint` names, grant what is missing.
  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    ctx.respond = false;
    if (details.prompt.name === 'login') {
      const accountId = String(details.params.login_hint ?? '');
      if (!accounts.has(accountId)) throw new Error('unknown login_hint');
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId } }, { mergeWithLastSubmission: false });
    }
    const accountId = details.session.accountId;
    const clientId = String(details.params.client_id);
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });
  // A /readyz like Wathiqa's, so start-up is timed the same way.
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/readyz') return next();
    ctx.body = { status: 'ready' };
  });
  return provider;
}

const server = createServer();
server.keepAliveTimeout = 65_000;
let handler = build().callback();
server.on('request', (req, res) => handler(req, res));
await new Promise((resolve) => server.listen(port, host, resolve));

serveCommands({
  ...baseCommands(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  ),
  // Static clients are read at construction: rebuild the provider (storage is module-wide).
  async seed({ redirectUri, accounts: list }) {
    const client = {
      client_id: randomBytes(16).toString('base64url'),
      client_secret: randomBytes(32).toString('base64url'),
      client_name: 'Bench',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid email offline_access', // Wathiqa's client default
    };
    clients.push(client);
    for (const { email } of list) accounts.set(email, email);
    handler = build().callback();
    return { clientId: client.client_id, clientSecret: client.client_secret };
  },
  queries: () => ({ enabled: false, statements: {} }),
});
