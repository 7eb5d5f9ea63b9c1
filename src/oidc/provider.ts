import type { JWK } from 'jose';
import { sql } from 'kysely';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { accountRepository } from '../accounts/repository.js';
import type { Views } from '../http/views.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { adapterFactory } from './adapter.js';
import { SIGNING_ALGS } from './keys.js';
import { ACCOUNT_CLIENT_ID, firstPartyClients, firstPartyGrant } from './first-party.js';

export interface ProviderDeps {
  config: Config;
  db: Database;
  views: Views;
  logger: Logger;
  metrics: Metrics;
}

export const SCOPES = ['openid', 'email', 'offline_access'] as const;
const ENCRYPTION_ALGS: ('ECDH-ES+A256KW' | 'RSA-OAEP-256')[] = ['ECDH-ES+A256KW', 'RSA-OAEP-256'];
const ENCRYPTION_ENCS: 'A256GCM'[] = ['A256GCM'];

/** Token and session lifetimes, in seconds. */
export const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  IdToken: 3600,
  RefreshToken: 14 * 24 * 3600,
  Interaction: 3600,
  Session: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  ClientCredentials: 600,
  DeviceCode: 600,
  BackchannelAuthenticationRequest: 600,
  PreAuthorizedCode: 600,
} as const;

/**
 * Consent is remembered per account and client, not per browser session: a user
 * who signs in again is not asked again until a client asks for more.
 */
async function loadExistingGrant(db: Database, ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const accountId = oidc.session!.accountId!;
  if (clientId === ACCOUNT_CLIENT_ID) return firstPartyGrant(ctx);
  const fromResult = oidc.result?.consent?.grantId;
  const fromSession = oidc.session!.grantIdFor(clientId);
  const grantId =
    fromResult ??
    fromSession ??
    (
      await db
        .selectFrom('oidc_payloads')
        .select('id')
        .where('kind', '=', 'Grant')
        .where(sql<string>`payload->>'accountId'`, '=', accountId)
        .where(sql<string>`payload->>'clientId'`, '=', clientId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
        .orderBy('expires_at', 'desc')
        .limit(1)
        .executeTakeFirst()
    )?.id;
  if (!grantId) return undefined;
  const grant = await oidc.provider.Grant.find(grantId);
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) return undefined;
  if (!fromSession) oidc.session!.grantIdFor(clientId, grantId);
  return grant;
}

export function createProvider(deps: ProviderDeps, jwks: JWK[]): Provider {
  const { config, db, views, logger, metrics } = deps;
  const accounts = accountRepository(db);
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: config.https, path: '/' };

  const configuration: Configuration = {
    adapter: adapterFactory(db),
    clients: firstPartyClients(config.issuer),
    async findAccount(_ctx, sub) {
      const account = await accounts.findById(sub);
      if (!account) return undefined;
      return {
        accountId: account.id,
        async claims() {
          // Email ownership is not verified yet, and we say so.
          return { sub: account.id, email: account.email, email_verified: false };
        },
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: [...SCOPES],
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    rotateRefreshToken: true,
    loadExistingGrant: (ctx) => loadExistingGrant(db, ctx),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    cookies: { keys: config.cookieKeys, long: cookie, short: cookie },
    jwks: { keys: jwks as never },
    ttl: { ...TTL },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    discovery: {
      ui_locales_supported: ['en', 'ar'],
      claim_types_supported: ['normal'],
      service_documentation: `${config.issuer}/`,
    },
    enabledJWA: {
      idTokenSigningAlgValues: [...SIGNING_ALGS],
      userinfoSigningAlgValues: [...SIGNING_ALGS],
      introspectionSigningAlgValues: [...SIGNING_ALGS],
      authorizationSigningAlgValues: [...SIGNING_ALGS],
      requestObjectSigningAlgValues: [...SIGNING_ALGS],
      clientAuthSigningAlgValues: [...SIGNING_ALGS],
      idTokenEncryptionAlgValues: ENCRYPTION_ALGS,
      idTokenEncryptionEncValues: ENCRYPTION_ENCS,
      userinfoEncryptionAlgValues: ENCRYPTION_ALGS,
      userinfoEncryptionEncValues: ENCRYPTION_ENCS,
      introspectionEncryptionAlgValues: ENCRYPTION_ALGS,
      introspectionEncryptionEncValues: ENCRYPTION_ENCS,
      authorizationEncryptionAlgValues: ENCRYPTION_ALGS,
      authorizationEncryptionEncValues: ENCRYPTION_ENCS,
      requestObjectEncryptionAlgValues: ENCRYPTION_ALGS,
      requestObjectEncryptionEncValues: ENCRYPTION_ENCS,
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      encryption: { enabled: true },
      jwtUserinfo: { enabled: true },
      // A client learns about, and may revoke, only the tokens issued to it.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      pushedAuthorizationRequests: { enabled: true },
      userinfo: { enabled: true },
      registration: config.initialAccessToken
        ? { enabled: true, initialAccessToken: config.initialAccessToken }
        : { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) =>
          views.render(ctx, 'logout', { form, clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId }),
        postLogoutSuccessSource: (ctx) =>
          views.render(ctx, 'logged-out', { clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId }),
      },
    },
    async renderError(ctx, out) {
      await views.render(ctx, 'error', { error: out.error, description: out.error_description }, { status: ctx.status >= 400 ? ctx.status : 400 });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;

  provider.on('server_error', (_ctx, error) => logger.error({ err: error }, 'oidc server error'));
  provider.on('access_token.issued', () => metrics.tokensIssued.inc({ type: 'access_token' }));
  provider.on('refresh_token.saved', () => metrics.tokensIssued.inc({ type: 'refresh_token' }));
  provider.on('authorization_code.saved', () => metrics.tokensIssued.inc({ type: 'authorization_code' }));
  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.body?.id_token) metrics.tokensIssued.inc({ type: 'id_token' });
  });
  return provider;
}
