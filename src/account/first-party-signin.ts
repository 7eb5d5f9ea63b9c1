/**
 * Signing in to Wathiqa's own pages (/account, /console): an ordinary authorization
 * request of the page's first-party client through our own provider. The code is
 * never redeemed: the session the sign-in leaves is what the pages read. The state
 * lives in a cookie scoped to the page's path.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { query } from '../http/guard.js';

const Login = z.object({ lang: z.string().max(64).optional() });
const Callback = z.object({
  state: z.string().max(512).optional(),
  code: z.string().max(2048).optional(),
  error: z.string().max(256).optional(),
  iss: z.string().max(2048).optional(),
});

export interface FirstPartySignIn {
  issuer: string;
  https: boolean;
  clientId: string;
  /** The page's path: /account or /console (its callback is <path>/callback). */
  path: string;
  stateCookie: string;
  /** Extra authorization parameters (the console asks for acr_values). */
  params?: Record<string, string>;
}

const cookieOptions = (s: FirstPartySignIn) => ({ httpOnly: true, sameSite: 'lax' as const, secure: s.https, path: s.path, overwrite: true });

/** GET <path>/login: to the authorization endpoint, in the page's language when given. */
export function startSignIn(ctx: Context, s: FirstPartySignIn): void {
  const state = randomBytes(16).toString('base64url');
  ctx.cookies.set(s.stateCookie, state, { ...cookieOptions(s), maxAge: 3600_000 });
  const challenge = createHash('sha256').update(randomBytes(32)).digest('base64url');
  const params = new URLSearchParams({
    client_id: s.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${s.issuer}${s.path}/callback`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...s.params,
    state,
  });
  const { lang } = query(ctx, Login);
  if (lang) params.set('ui_locales', lang);
  ctx.redirect(`/auth?${params}`);
}

/** GET <path>/callback: the state checked and spent; the provider's `error`, if any, for the page to answer. */
export function finishSignIn(ctx: Context, s: FirstPartySignIn): { error?: string } {
  const answer = query(ctx, Callback);
  const expected = ctx.cookies.get(s.stateCookie);
  ctx.cookies.set(s.stateCookie, null, cookieOptions(s));
  if (!expected || answer.state !== expected) throw new HttpError(400, 'session_expired', 'This sign-in has expired. Please sign in again.');
  return answer.error ? { error: answer.error } : {};
}

/** POST <path>/logout: the provider's end-session endpoint, back to the home page. */
export function signOut(ctx: Context, s: FirstPartySignIn): void {
  const params = new URLSearchParams({ client_id: s.clientId, post_logout_redirect_uri: `${s.issuer}/` });
  ctx.redirect(`/session/end?${params}`);
}
