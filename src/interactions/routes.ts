import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { z } from 'zod';
import { AccountError, type AccountService } from '../accounts/service.js';
import type { EmailVerification } from '../accounts/email-verification.js';
import { loginResult, requiresMfa, type Amr } from '../accounts/acr.js';
import { TotpError, type TotpService } from '../accounts/totp.js';
import { PasskeyError, type PasskeyService } from '../accounts/passkeys.js';
import type { Csrf } from '../http/csrf.js';
import { HttpError, badRequest } from '../http/errors.js';
import { allowConnectTo } from '../http/headers.js';
import { parse } from '../http/guard.js';
import type { Views } from '../http/views.js';
import type { OidcHolder } from '../oidc/holder.js';
import { asksForPassport, releaseKey } from '../passport/client-policy.js';
import type { ReleaseService } from '../passport/service.js';
import { parsePassportScope } from '../protocol/passport-scope.js';
import { MAX_RECORD_ELEMENTS, MAX_SHARING_RECORD_TEXT_LENGTH, ReleaseRefSchema } from '../protocol/feedback.js';
import { accountCsrfScope } from '../account/api-auth.js';
import { sessionAccountId } from '../account/session.js';
import { isVerifierClient } from '../verifiers/policy.js';

export interface InteractionDeps {
  oidc: OidcHolder;
  accounts: AccountService;
  views: Views;
  csrf: Csrf;
  releases: ReleaseService;
  emailVerification: EmailVerification;
  totp: TotpService;
  passkeys: PasskeyService;
  config: { issuer: string };
}

const Credentials = z.object({
  csrf: z.string(),
  email: z.string().max(320),
  password: z.string().max(4096),
});
const SignUp = Credentials.extend({ password_confirm: z.string().max(4096) });
const Decision = z.object({ csrf: z.string(), decision: z.enum(['allow', 'deny']) });
const CsrfOnly = z.object({ csrf: z.string() });
const Release = z.strictObject({
  csrf: z.string(),
  jwe: z.string().max(300_000),
  file_ids: z.array(z.uuid()).max(200),
  element_types: z.array(z.string().max(64)).min(1).max(20),
  // RP feedback (DESIGN 5.7): the released elements' refs and the sealed sharing record, together or not at all.
  refs: z.array(ReleaseRefSchema).min(1).max(MAX_RECORD_ELEMENTS).optional(),
  sharing_record: z.strictObject({ id: z.uuid(), sealed: z.string().min(1).max(MAX_SHARING_RECORD_TEXT_LENGTH) }).optional(),
});

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

function clientView(client: { clientName?: string; clientId: string; logoUri?: string; policyUri?: string; tosUri?: string; clientUri?: string }) {
  return {
    name: client.clientName ?? client.clientId,
    logoUri: client.logoUri,
    policyUri: client.policyUri,
    tosUri: client.tosUri,
    clientUri: client.clientUri,
  };
}

/**
 * Where "Return to <service>" leads when a consent page is no longer valid: the
 * registered client_uri, else the origin of the redirect URI this request uses
 * (oidc-provider checked it against the registered ones); null for a native app's
 * own scheme. Never the redirect URI itself: without a response it means nothing.
 */
export function returnUri(clientUri: string | undefined, redirectUri: unknown): string | null {
  const web = (value: unknown): URL | undefined => {
    if (typeof value !== 'string') return undefined;
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
    } catch {
      return undefined;
    }
  };
  return web(clientUri)?.href ?? web(redirectUri)?.origin ?? null;
}

function formOf<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse((ctx.request as { body?: unknown }).body);
  if (!parsed.success) throw badRequest('the form is incomplete');
  return parsed.data;
}

const STATUS: Record<string, number> = { ip_limited: 429, account_locked: 429, account_disabled: 403, invalid_credentials: 401, email_taken: 409, otp_locked: 429, otp_invalid: 401, otp_reused: 401 };
const Otp = z.object({ csrf: z.string(), code: z.string().max(64) });
const PasskeyOptions = z.object({ csrf: z.string().max(128) });
/** The browser's assertion, as @simplewebauthn/browser builds it; the library checks the inside. */
const PasskeyAssertion = z.object({
  csrf: z.string().max(128),
  response: z.looseObject({ id: z.string().max(1024), rawId: z.string().max(1024), type: z.literal('public-key'), response: z.looseObject({ clientDataJSON: z.string().max(8192) }) }),
});

/** A password (or a session, for a step-up) that still needs its second factor, kept in the interaction. */
interface PendingLogin {
  accountId: string;
  amr: Amr[];
}
const PENDING = 'wathiqa_pending_login';
const pendingOf = (details: Details): PendingLogin | undefined => (details.result as Record<string, PendingLogin | undefined> | undefined)?.[PENDING];

/** The RP asked for more than one factor and this account has none to give: an error, never less than asked. */
const unmetMfa = { error: 'unmet_authentication_requirements', error_description: 'the request needs a second factor and the account has none set up' };

/**
 * The pages behind oidc-provider's interaction URL: sign in, sign up, consent.
 * Each handler: load the interaction, check the CSRF token, do one thing, finish.
 */
const uiLocalesOf = (details: Details) => (typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined);

export function interactionRouter({ oidc, accounts, views, csrf, releases, emailVerification, totp, passkeys, config }: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '400kb' });

  async function load(ctx: Context): Promise<{ details: Details; provider: Provider }> {
    const provider = oidc.provider;
    try {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== ctx.params.uid) throw new HttpError(400, 'session_expired', 'This sign-in page has expired.');
      ctx.set('Cache-Control', 'no-store');
      return { details, provider };
    } catch (error) {
      if (error instanceof oidcErrors.SessionNotFound || error instanceof HttpError) {
        throw new HttpError(400, 'session_expired', 'This sign-in page has expired. Go back to the service and start again.');
      }
      throw error;
    }
  }

  async function client(provider: Provider, details: Details) {
    const found = await provider.Client.find(String(details.params.client_id));
    if (!found) throw badRequest('unknown client');
    return clientView(found);
  }

  async function page(ctx: Context, provider: Provider, details: Details, extra: Record<string, unknown> = {}, status = 200) {
    const uiLocales = typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined;
    const base = { uid: details.uid, csrf: csrf.token(ctx, details.uid), client: await client(provider, details) };
    if (details.prompt.name === 'consent' && !extra.template && asksForPassport(String(details.params.scope ?? ''))) {
      await views.render(ctx, 'consent-passport', { ...base, ...(await passportPage(ctx, provider, details)), ...extra }, { status, uiLocales });
      return;
    }
    if (details.prompt.name === 'consent' && !extra.template) {
      const account = await accounts.accounts.findById(details.session!.accountId);
      const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      await views.render(
        ctx,
        'consent',
        { ...base, email: account?.email, scopes: promptDetails.missingOIDCScope ?? [], claims: promptDetails.missingOIDCClaims ?? [], remembered: Boolean(details.grantId), ...extra },
        { status, uiLocales },
      );
      return;
    }
    const pending = pendingOf(details);
    const template = (extra.template as 'login' | 'signup' | 'login-otp' | undefined) ?? (pending ? 'login-otp' : 'login');
    const factors = template === 'login-otp' && pending ? await factorsOf(pending.accountId) : {};
    await views.render(ctx, template, { ...base, ...factors, ...extra }, { status, uiLocales });
  }

  /** The client's registered release key material (checked at registration by client-policy). */
  async function releaseTarget(provider: Provider, details: Details) {
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) throw badRequest('unknown client');
    const m = client.metadata() as unknown as { passport_release_alg: string; passport_scope?: unknown; jwks?: { keys?: JWK[] }; jwks_uri?: string; verifier?: unknown };
    // A verifier's release carries the holder's public keys (DESIGN 5.5): the page must know.
    const verifier = isVerifierClient(m);
    return { clientId: client.clientId, alg: m.passport_release_alg, jwks: m.jwks, jwksUri: m.jwks_uri, defaultScope: m.passport_scope, verifier, clientUri: client.clientUri };
  }

  /** What the passport consent page needs to build and encrypt the release in the browser. */
  async function passportPage(ctx: Context, provider: Provider, details: Details) {
    const target = await releaseTarget(provider, details);
    const raw = typeof details.params.passport_scope === 'string' ? details.params.passport_scope : JSON.stringify(target.defaultScope);
    const key = target.jwks ? releaseKey(target.jwks, target.alg) : undefined;
    const accountId = details.session!.accountId;
    const account = await accounts.accounts.findById(accountId);
    const missing = (details.prompt.details as { missingOIDCScope?: string[] }).missingOIDCScope ?? [];
    const jwksUri = key ? null : (target.jwksUri ?? null);
    // The browser fetches a jwks_uri key itself, from the RP's origin: let this page connect there.
    allowConnectTo(ctx, [jwksUri]);
    return {
      email: account?.email,
      scopes: missing.filter((s) => s !== 'passport'),
      release: {
        uid: details.uid,
        issuer: config.issuer,
        client_id: target.clientId,
        sub: accountId,
        nonce: String(details.params.nonce),
        alg: target.alg,
        key: key ?? null,
        jwks_uri: jwksUri,
        thumbprint: key ? await calculateJwkThumbprint(key) : null,
        passport_scope: parsePassportScope(raw),
        verifier: target.verifier,
        vault_csrf: csrf.token(ctx, accountCsrfScope(accountId)),
        return_uri: returnUri(target.clientUri, details.params.redirect_uri),
        expires_at: typeof details.exp === 'number' ? details.exp : null,
      },
    };
  }

  /** Keeps who has shown which factor in the interaction (server-side) until the code comes. */
  async function holdForSecondFactor(details: Details, pending: PendingLogin) {
    details.result = { ...(details.result ?? {}), [PENDING]: pending };
    await details.persist();
  }

  async function factorsOf(accountId: string) {
    const [hasTotp, keys] = await Promise.all([totp.enabled(accountId), passkeys.list(accountId)]);
    return { hasTotp, hasPasskeys: keys.length > 0 };
  }

  function finish(ctx: Context, provider: Provider, result: Record<string, unknown>, merge = false) {
    ctx.respond = false;
    return provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  }

  router.get('/', async (ctx) => {
    const { details, provider } = await load(ctx);
    // A step-up: signed in, but this RP needs a second factor the session has not shown.
    const stepUp = details.prompt.name === 'login' && details.prompt.reasons.includes('mfa_required') && details.session?.accountId;
    if (stepUp && !pendingOf(details)) {
      const accountId = details.session!.accountId;
      const { hasTotp, hasPasskeys } = await factorsOf(accountId);
      if (!hasTotp && !hasPasskeys) return finish(ctx, provider, unmetMfa);
      await holdForSecondFactor(details, { accountId, amr: ['pwd'] });
    }
    await page(ctx, provider, details);
  });

  // Can this consent still be answered? The passport consent page asks when it becomes
  // visible again, when its vault locks for idleness and when the interaction expires.
  router.get('/status', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    let live = false;
    try {
      const { details } = await load(ctx);
      const signedIn = await sessionAccountId(oidc.provider, ctx);
      live = details.prompt.name === 'consent' && signedIn !== undefined && signedIn === details.session?.accountId;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
    }
    ctx.body = { live };
  });

  router.get('/signup', async (ctx) => {
    const { details, provider } = await load(ctx);
    if (details.prompt.name !== 'login') return ctx.redirect(`/interaction/${details.uid}`);
    await page(ctx, provider, details, { template: 'signup' });
  });

  router.post('/login', form, async (ctx) => {
    const { details, provider } = await load(ctx);
    const input = formOf(ctx, Credentials);
    csrf.verify(ctx, details.uid, input.csrf);
    if (details.prompt.name !== 'login') throw badRequest('this step does not ask for a sign-in');
    try {
      // The account's second factors come with it (two statements fewer than asking after).
      const account = await accounts.signIn(input.email, input.password, ctx.ip);
      const needsMfa = requiresMfa(details.params.acr_values);
      if (account.hasTotp || (needsMfa && account.hasPasskeys)) {
        await holdForSecondFactor(details, { accountId: account.id, amr: ['pwd'] });
        return page(ctx, provider, details);
      }
      if (needsMfa) return finish(ctx, provider, unmetMfa);
      await finish(ctx, provider, { login: loginResult(account.id, ['pwd']) });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
      await page(ctx, provider, details, { email: input.email, error: { code: error.code, retryAfterSeconds: error.retryAfterSeconds } }, STATUS[error.code] ?? 400);
    }
  });

  router.post('/signup', form, async (ctx) => {
    const { details, provider } = await load(ctx);
    const input = formOf(ctx, SignUp);
    csrf.verify(ctx, details.uid, input.csrf);
    if (details.prompt.name !== 'login') throw badRequest('this step does not ask for a sign-in');
    const retry = (code: string, retryAfterSeconds = 0) =>
      page(ctx, provider, details, { template: 'signup', email: input.email, error: { code, retryAfterSeconds } }, STATUS[code] ?? 400);
    if (input.password !== input.password_confirm) return retry('password_mismatch');
    try {
      const account = await accounts.signUp(input.email, input.password, ctx.ip);
      // In the background: the relay's time is not the person's (afterSignUp logs a failure; /account offers a resend).
      void emailVerification.afterSignUp(account, views.locale(ctx, uiLocalesOf(details)), ctx.ip);
      // A new account has no second factor yet: an RP that needs one gets the error, the account stays.
      if (requiresMfa(details.params.acr_values)) return finish(ctx, provider, unmetMfa);
      await finish(ctx, provider, { login: loginResult(account.id, ['pwd']) });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
      await retry(error.code, error.retryAfterSeconds);
    }
  });

  router.post('/otp', form, async (ctx) => {
    const { details, provider } = await load(ctx);
    const input = formOf(ctx, Otp);
    csrf.verify(ctx, details.uid, input.csrf);
    const pending = pendingOf(details);
    if (details.prompt.name !== 'login' || !pending) throw badRequest('this step does not ask for a code');
    try {
      await totp.verify(pending.accountId, input.code, ctx.ip);
      await finish(ctx, provider, { login: loginResult(pending.accountId, [...pending.amr, 'otp']) });
    } catch (error) {
      if (!(error instanceof TotpError)) throw error;
      if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
      await page(ctx, provider, details, { error: { code: error.code, retryAfterSeconds: error.retryAfterSeconds } }, STATUS[error.code] ?? 400);
    }
  });

  /** A passkey ceremony for this interaction: the challenge is bound to it and used once. */
  router.post('/passkey/options', json, async (ctx) => {
    const { details } = await load(ctx);
    const input = parse(PasskeyOptions, (ctx.request as { body?: unknown }).body);
    csrf.verify(ctx, details.uid, input.csrf);
    if (details.prompt.name !== 'login') throw badRequest('this step does not ask for a sign-in');
    ctx.body = await passkeys.authenticationOptions(details.uid);
  });

  /** The assertion: a sign-in on its own (a passkey with user verification is two factors), or a pending password's second factor. */
  router.post('/passkey', json, async (ctx) => {
    const { details, provider } = await load(ctx);
    const input = parse(PasskeyAssertion, (ctx.request as { body?: unknown }).body);
    csrf.verify(ctx, details.uid, input.csrf);
    if (details.prompt.name !== 'login') throw badRequest('this step does not ask for a sign-in');
    const pending = pendingOf(details);
    try {
      const signedIn = await passkeys.authenticate(details.uid, input.response as never, pending?.accountId);
      const login = loginResult(signedIn.accountId, [...(pending?.amr ?? []), ...signedIn.amr]);
      ctx.body = { redirect: await provider.interactionResult(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false }) };
    } catch (error) {
      if (!(error instanceof PasskeyError)) throw error;
      if (error.code === 'account_disabled') throw new HttpError(403, error.code, 'this account is disabled');
      throw new HttpError(400, error.code, 'the passkey could not be used to sign in; try again, or use your password');
    }
  });

  router.post('/consent', form, async (ctx) => {
    const { details, provider } = await load(ctx);
    const input = formOf(ctx, Decision);
    csrf.verify(ctx, details.uid, input.csrf);
    if (details.prompt.name !== 'consent') throw badRequest('this step does not ask for consent');
    if (input.decision === 'deny') {
      return finish(ctx, provider, { error: 'access_denied', error_description: 'The user declined the request' });
    }
    // A passport request is allowed only with a release (POST /passport), never by this form.
    if (asksForPassport(String(details.params.scope ?? ''))) throw badRequest('a passport request is approved on its own consent page');
    const accountId = details.session!.accountId;
    const clientId = String(details.params.client_id);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) throw new HttpError(400, 'session_expired', 'This consent has expired. Go back to the service and start again.');
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, provider, { consent: { grantId } }, true);
  });

  // The passport consent: the page posts the release it encrypted; we check what we
  // can see from outside, store it with a new grant and answer where to go next.
  router.post('/passport', json, async (ctx) => {
    const { details, provider } = await load(ctx);
    const input = parse(Release, (ctx.request as { body?: unknown }).body);
    csrf.verify(ctx, details.uid, input.csrf);
    if (details.prompt.name !== 'consent' || !asksForPassport(String(details.params.scope ?? ''))) {
      throw badRequest('this step does not ask for a passport release');
    }
    const accountId = details.session!.accountId;
    const target = await releaseTarget(provider, details);
    const grant = new provider.Grant({ accountId, clientId: target.clientId });
    grant.addOIDCScope(String(details.params.scope));
    const claims = (details.prompt.details as { missingOIDCClaims?: string[] }).missingOIDCClaims;
    if (claims) grant.addOIDCClaims(claims);
    let saved = false;
    const release = await releases
      .create(accountId, target, input, async () => {
        const id = await grant.save();
        saved = true;
        return id;
      })
      .catch(async (error: unknown) => {
        if (saved) await grant.destroy(); // no grant without its release
        throw error;
      });
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId: release.grantId, releaseId: release.id } }, { mergeWithLastSubmission: true });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { redirect_to: redirectTo };
  });

  router.post('/abort', form, async (ctx) => {
    const { details, provider } = await load(ctx);
    csrf.verify(ctx, details.uid, formOf(ctx, CsrfOnly).csrf);
    await finish(ctx, provider, { error: 'access_denied', error_description: 'The user cancelled the sign-in' });
  });

  // "Not you?": start the same authorization request again with a fresh sign-in.
  router.post('/switch', form, async (ctx) => {
    const { details } = await load(ctx);
    csrf.verify(ctx, details.uid, formOf(ctx, CsrfOnly).csrf);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(details.params)) {
      if (typeof value === 'string') params.set(key, value);
    }
    params.set('prompt', 'login');
    ctx.redirect(`/auth?${params}`);
  });

  return router;
}
