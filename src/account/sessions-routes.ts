import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { z } from 'zod';
import type { AccountService } from '../accounts/service.js';
import { accountForm } from './forms.js';
import { renderAccount, type AccountPageDeps } from './page.js';

export interface SessionsRouteDeps extends AccountPageDeps {
  accounts: AccountService;
}

const CsrfOnly = z.object({ csrf: z.string().max(128) });
/** oidc-provider's session uids are nanoids. */
const SignOut = CsrfOnly.extend({ session: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const Revoke = CsrfOnly.extend({ client_id: z.string().min(1).max(256) });

/**
 * The account page's signed-in browsers and services: sign one browser out, or all
 * but this one; revoke a service. Each answers with a redirect to the page and a
 * notice in its section, or the page with the refusal there.
 */
export function sessionsRouter(deps: SessionsRouteDeps): Router {
  const { sessions, connections } = deps;
  const router = new Router({ prefix: '/account' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

  router.post('/sessions/sign-out', form, async (ctx) => {
    const signedIn = await accountForm(deps, ctx, SignOut);
    if (!signedIn) return ctx.redirect('/account/login');
    const { account, session, input } = signedIn;
    // This browser signs out with the page's own "Sign out", which also ends its sign-ins at services.
    if (input.session === session.uid) return renderAccount(ctx, deps, account, { sessionsError: { code: 'session_current' } }, 400);
    if (!(await sessions.signOut(account.id, input.session))) {
      return renderAccount(ctx, deps, account, { sessionsError: { code: 'session_gone' } }, 404);
    }
    ctx.redirect('/account?notice=signed_out_one#sessions');
  });

  router.post('/sessions/sign-out-others', form, async (ctx) => {
    const signedIn = await accountForm(deps, ctx, CsrfOnly);
    if (!signedIn) return ctx.redirect('/account/login');
    await sessions.signOutOthers(signedIn.account.id, signedIn.session.uid);
    ctx.redirect('/account?notice=signed_out_others#sessions');
  });

  router.post('/services/revoke', form, async (ctx) => {
    const signedIn = await accountForm(deps, ctx, Revoke);
    if (!signedIn) return ctx.redirect('/account/login');
    if (!(await connections.revoke(signedIn.account.id, signedIn.input.client_id))) {
      return renderAccount(ctx, deps, signedIn.account, { servicesError: { code: 'service_gone' } }, 404);
    }
    ctx.redirect('/account?notice=service_revoked#services');
  });

  return router;
}
