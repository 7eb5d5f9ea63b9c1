import type { JWK } from 'jose';
import { sql } from 'kysely';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { accountRepository } from '../accounts/repository.js';
import type { Views } from '../http/views.js';
import { loggableUrl, providerFetch, staticUrlProblem } from '../http/outbound.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { commitDeferredConsumes } from './deferred-consume.js';
import { recordSessionActivity } from './session-activity.js';
import type { AccountSessions } from '../accounts/sessions.js';
import { adapterFactory, TtlCache, type ClientCache } from './adapter.js';
import { newClientId } from '../clients/repository.js';
import { registrationActor } from '../audit/actor.js';
import { metadataChange } from '../audit/scrub.js';
import type { AuditService } from '../audit/service.js';
import type { PublicAccount } from '../accounts/repository.js';
import { ACR_MFA, ACR_VALUES, requiresMfa } from '../accounts/acr.js';
import type { Statements } from '../db/statements.js';
import type { ReadCache } from './token-cache.js';
import { ELEMENT_TYPES } from '../protocol/elements/table.js';
import { parsePassportScope, PassportScopeError } from '../protocol/passport-scope.js';
import { asksForPassport, checkPassportClient, PassportClientError, RELEASE_ALGS, RELEASE_ENC } from '../passport/client-policy.js';
import type { ReleaseService } from '../passport/service.js';
import { checkVerifierClient, VERIFIER_METADATA, VerifierClientError } from '../verifiers/policy.js';
import { checkVerifierRegistration } from '../verifiers/registration.js';
import { VERIFIERS_PATH } from '../verifiers/routes.js';
import { SIGNING_ALGS } from './keys.js';
import { firstPartyClients, firstPartyGrant, isFirstParty } from './first-party.js';

export interface ProviderDeps {
  config: Config;
  db: Database;
  views: Views;
  logger: Logger;
  metrics: Metrics;
  releases: ReleaseService;
  statements: Statements;
  clientCache: ClientCache;
  /** Access tokens and grants for the adapter (src/oidc/token-cache.ts). */
  cache?: ReadCache;
  /** Accounts read by findAccount, kept briefly; cleared here when an address or its verification changes. */
  accountCache: TtlCache<PublicAccount>;
  /** Told when a signed-in session is used, for the account page's list of browsers. */
  sessions?: Pick<AccountSessions, 'seen'>;
  /** The audit trail: dynamic registration records the clients it writes. */
  audit?: Pick<AuditService, 'record'>;
}

export const SCOPES = ['openid', 'email', 'offline_access', 'passport'] as const;
export const ENCRYPTION_ALGS: ('ECDH-ES+A256KW' | 'RSA-OAEP-256')[] = ['ECDH-ES+A256KW', 'RSA-OAEP-256'];
export const ENCRYPTION_ENCS: 'A256GCM'[] = ['A256GCM'];

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
  if (isFirstParty(clientId)) return firstPartyGrant(ctx);
  const usable = (grant: InstanceType<Provider['Grant']> | undefined) => grant && grant.accountId === accountId && grant.clientId === clientId ? grant : undefined;
  // The grant this authorization's own consent just produced (a passport one included).
  const fromResult = oidc.result?.consent?.grantId;
  if (fromResult) return usable(await oidc.provider.Grant.find(fromResult));
  // A passport grant belongs to one authorization and its release; never reused,
  // not even when the session remembers it as this client's last grant.
  const fromSession = oidc.session!.grantIdFor(clientId);
  const remembered = fromSession ? usable(await oidc.provider.Grant.find(fromSession)) : undefined;
  if (remembered && !isPassportGrant(remembered)) return remembered;
  const grantId = (
    await db
      .selectFrom('oidc_payloads')
      .select('id')
      .where('kind', '=', 'Grant')
      .where(sql<string>`payload->>'accountId'`, '=', accountId)
      .where(sql<string>`payload->>'clientId'`, '=', clientId)
      .where(sql<boolean>`coalesce(payload->'openid'->>'scope', '') !~ '(^| )passport( |$)'`)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .orderBy('expires_at', 'desc')
      .limit(1)
      .executeTakeFirst()
  )?.id;
  if (!grantId) return undefined;
  const grant = usable(await oidc.provider.Grant.find(grantId));
  if (grant) oidc.session!.grantIdFor(clientId, grantId);
  return grant;
}

function isPassportGrant(grant: InstanceType<Provider['Grant']>): boolean {
  return (grant.getOIDCScope() ?? '').split(' ').includes('passport');
}

/**
 * oidc-provider's prompts, plus one rule: an authorization that asks for `passport`
 * always shows the consent page and produces a new release. A remembered consent
 * covers the standard scopes only.
 */
function interactionPolicyWithPassport() {
  const { Check, base } = interactionPolicy;
  const policy = base();
  // acr_values that accept only multi-factor are required, not voluntary: a session
  // with the password alone is asked for its second factor (or the RP gets an error).
  policy.get('login')!.checks.add(
    new Check('mfa_required', 'the request needs a second factor', 'login_required', (ctx) =>
      ctx.oidc.session?.accountId && requiresMfa(ctx.oidc.params?.acr_values) && ctx.oidc.acr !== ACR_MFA ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
  );
  policy.get('consent')!.checks.add(
    new Check('passport_release', 'every passport request is consented to and produces a new release', 'consent_required', (ctx) =>
      ctx.oidc.requestParamOIDCScopes.has('passport') && !(ctx.oidc.result?.consent as { releaseId?: string } | undefined)?.releaseId
        ? Check.REQUEST_PROMPT
        : Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}

export function createProvider(deps: ProviderDeps, jwks: JWK[]): Provider {
  const { config, db, views, logger, metrics, releases, statements, clientCache, accountCache } = deps;
  const accounts = accountRepository(db);
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: config.https, path: '/' };

  const configuration: Configuration = {
    adapter: adapterFactory(db, statements, clientCache, {
      operatorKey: config.operatorKey,
      cache: deps.cache,
      refreshTokenReuseGraceSeconds: config.refreshTokenReuseGraceSeconds,
      recordClientChange: deps.audit ? recordRegistration(deps.audit) : undefined,
    }),
    clients: firstPartyClients(config.issuer),
    async findAccount(_ctx, sub, token) {
      const account = accountCache.get(sub) ?? (await accounts.findById(sub));
      if (!account) return undefined;
      accountCache.set(sub, account);
      return {
        accountId: account.id,
        async claims(_use, scope) {
          // Verified only while the address a mailed link proved is still the account's.
          const claims: Record<string, unknown> = { sub: account.id, email: account.email, email_verified: account.email_verified_at !== null };
          if (scope.split(' ').includes('passport')) {
            const jwe = await releases.claimFor((token as { grantId?: string } | undefined)?.grantId);
            if (jwe) claims.passport = jwe;
          }
          return claims as { sub: string };
        },
      };
    },
    // acr and amr (RFC 8176) say how the person signed in (a password alone, or a second factor too);
    // under `openid` so every ID token has them, not only those whose request named them.
    claims: { acr: null, amr: null, openid: ['sub', 'acr', 'amr'], email: ['email', 'email_verified'], passport: ['passport'] },
    // Scope claims go in the ID token too: the release reaches an RP that reads only the ID token.
    conformIdTokenClaims: false,
    // oidc-provider's own requests (client jwks_uri, sector_identifier_uri) use our guarded fetcher too.
    fetch: providerFetch(config.outbound, (url, reason) => logger.debug({ url: loggableUrl(url), reason }, 'oidc-provider fetch failed')),
    extraClientMetadata: {
      // The verifier rules first, as the admin API and the CLI apply them: the same message on every path.
      properties: [...VERIFIER_METADATA, 'passport_scope', 'passport_release_alg'],
      validator(ctx, key, _value, metadata) {
        if (key === 'verifier') {
          // The verifier rules (src/verifiers/policy.ts); at registration the server-side ones too.
          try {
            if (ctx) checkVerifierRegistration(metadata as never, config.outbound);
            else checkVerifierClient(metadata as never);
          } catch (error) {
            if (error instanceof VerifierClientError) throw new errors.InvalidClientMetadata(error.message);
            throw error;
          }
          return;
        }
        if (key !== 'passport_release_alg') return;
        // At registration (ctx set) a jwks_uri we would fetch is checked like the admin API does;
        // stored clients are not re-judged on load, the fetcher checks again anyway.
        const jwksUriProblem = ctx && typeof metadata.jwks_uri === 'string' ? staticUrlProblem(metadata.jwks_uri, config.outbound) : undefined;
        if (jwksUriProblem) throw new errors.InvalidClientMetadata(`jwks_uri ${jwksUriProblem}`);
        try {
          Object.assign(metadata, checkPassportClient(metadata as never));
        } catch (error) {
          if (error instanceof PassportClientError) throw new errors.InvalidClientMetadata(error.message);
          throw error;
        }
      },
    },
    extraParams: {
      async passport_scope(ctx, value, client) {
        const scopes = String(ctx.oidc.params?.scope ?? '');
        if (!asksForPassport(scopes)) {
          if (value !== undefined) throw new errors.InvalidRequest('passport_scope needs the passport scope');
          return;
        }
        const metadata = client.metadata() as { passport_release_alg?: string; passport_scope?: unknown };
        if (!metadata.passport_release_alg) {
          throw new errors.InvalidScope('this client is not registered for the passport scope (it has no encryption key)', 'passport');
        }
        if (!ctx.oidc.params?.nonce) throw new errors.InvalidRequest('nonce is required with the passport scope');
        const text = typeof value === 'string' ? value : metadata.passport_scope !== undefined ? JSON.stringify(metadata.passport_scope) : undefined;
        if (text === undefined) throw new errors.InvalidRequest('passport_scope is required with the passport scope');
        try {
          parsePassportScope(text);
        } catch (error) {
          if (error instanceof PassportScopeError) throw new errors.InvalidRequest(`passport_scope is malformed: ${error.message}`);
          throw error;
        }
      },
    },
    scopes: [...SCOPES],
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    rotateRefreshToken: true,
    // A passport grant's tokens live until they expire or the holder revokes the release
    // (DESIGN 5.4), not only while this browser session points at that grant: another
    // sign-in to the same RP would otherwise cut the RP off from the scans it was given.
    expiresWithSession: async (_ctx, source) => !source.scopes.has('offline_access') && !source.scopes.has('passport'),
    loadExistingGrant: (ctx) => loadExistingGrant(db, ctx),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // OIDC Registration's default, and what RPs assume (go-oidc, Spring); ES256, PS256, EdDSA on request.
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    cookies: { keys: config.cookieKeys, long: cookie, short: cookie },
    jwks: { keys: jwks as never },
    ttl: { ...TTL },
    acrValues: [...ACR_VALUES],
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: interactionPolicyWithPassport() },
    discovery: {
      ui_locales_supported: ['en', 'ar'],
      claim_types_supported: ['normal'],
      service_documentation: `${config.issuer}/`,
      passport_scope_parameter_supported: true,
      passport_element_types_supported: ELEMENT_TYPES,
      passport_release_alg_values_supported: [...RELEASE_ALGS],
      passport_release_enc_values_supported: [RELEASE_ENC],
      // passport_scope entries may require attestations: "verified" / "verifiers" (DESIGN 5.6).
      passport_verification_supported: true,
      // Our extension: the public list of verifiers and their signing keys (docs/verifiers.md).
      verifiers_endpoint: `${config.issuer}${VERIFIERS_PATH}`,
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
        ? { enabled: true, initialAccessToken: config.initialAccessToken, idFactory: () => newClientId() }
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
  // Errors are logged by the 'server_error' listener; Koa's printer would write a stack
  // trace to stderr for every slow client cut off by requestTimeout.
  provider.silent = true;
  provider.use(commitDeferredConsumes());
  if (deps.sessions) provider.use(recordSessionActivity(deps.sessions, logger));

  provider.on('server_error', (_ctx, error) => logger.error({ err: error }, 'oidc server error'));
  provider.on('access_token.issued', () => metrics.tokensIssued.inc({ type: 'access_token' }));
  provider.on('refresh_token.saved', () => metrics.tokensIssued.inc({ type: 'refresh_token' }));
  provider.on('authorization_code.saved', () => metrics.tokensIssued.inc({ type: 'authorization_code' }));
  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.body?.id_token) metrics.tokensIssued.inc({ type: 'id_token' });
  });
  return provider;
}

/** Dynamic registration's writes, in the trail: the actor is the client registered, from the request's address. */
function recordRegistration(audit: Pick<AuditService, 'record'>) {
  return (trx: Database, change: { clientId: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }) => {
    const action = change.after === null ? 'client.delete' : change.before === null ? 'client.create' : 'client.update';
    return audit.record(
      trx,
      { actor: registrationActor(change.clientId), ip: Provider.ctx?.ip },
      { action, target: change.clientId, details: { ...metadataChange(change.before, change.after) } },
    );
  };
}
