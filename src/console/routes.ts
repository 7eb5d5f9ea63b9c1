import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { z } from 'zod';
import { ACR_MFA } from '../accounts/acr.js';
import { HttpError } from '../http/errors.js';
import { query } from '../http/guard.js';
import { timeAgo } from '../i18n/index.js';
import { CONSOLE_CLIENT_ID } from '../oidc/first-party.js';
import { finishSignIn, signOut, startSignIn } from '../account/first-party-signin.js';
import { operatorForm, signedInOperator, type ConsoleDeps } from './auth.js';
import { auditFilter, auditView, AuditFormQuery } from './audit-view.js';
import { consoleClientRouter } from './client-routes.js';
import { renderConsole, renderRefusal } from './page.js';
import { consoleUserRouter } from './user-routes.js';

const STATE_COOKIE = 'wathiqa_console_state';
const Lang = z.object({ lang: z.string().max(64).optional() });
const KeysQuery = Lang.extend({ notice: z.enum(['keys_rotated']).optional() });
const CsrfOnly = z.object({ csrf: z.string().max(128) });

/**
 * The operator console (issue #13): a first-party OIDC client like /account, whose
 * sign-in asks for a second factor (acr_values). The pages call the admin
 * operations with the operator as the actor: no rule of the admin API is repeated.
 */
export function consoleRouters(deps: ConsoleDeps): Router[] {
  const { config, views, verifiers } = deps;
  const router = new Router({ prefix: '/console' });
  // Only multi-factor will do: a session with the password alone is asked for its second factor.
  const signIn = { issuer: config.issuer, https: config.https, clientId: CONSOLE_CLIENT_ID, path: '/console', stateCookie: STATE_COOKIE, params: { acr_values: ACR_MFA } };
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

  router.get('/', (ctx) => {
    ctx.redirect('/console/clients');
  });

  router.get('/login', (ctx) => startSignIn(ctx, signIn));

  router.get('/callback', async (ctx) => {
    const { error } = finishSignIn(ctx, signIn);
    // The account has no second factor to show: the console says where to set one up.
    if (error === 'unmet_authentication_requirements') return renderRefusal(ctx, deps, 'no_factor');
    if (error) throw new HttpError(400, error, 'The sign-in did not complete.');
    ctx.redirect('/console');
  });

  router.post('/logout', (ctx) => signOut(ctx, signIn));

  router.get('/keys', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    const { notice } = query(ctx, KeysQuery);
    const locale = views.locale(ctx);
    const now = new Date();
    const keys = (await operator.ops.listKeys()).map((k) => ({ ...k, age: timeAgo(locale, new Date(k.created_at), now), retired: k.retired_at ? timeAgo(locale, new Date(k.retired_at), now) : undefined }));
    await renderConsole(ctx, deps, operator, 'console-keys', { section: 'keys', path: '/console/keys', data: { keys, notice } });
  });

  router.post('/keys/rotate', form, async (ctx) => {
    const posted = await operatorForm(deps, ctx, CsrfOnly);
    if (!posted) return;
    await posted.operator.ops.rotateKeys();
    ctx.redirect('/console/keys?notice=keys_rotated');
  });

  router.get('/verifiers', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    query(ctx, Lang);
    const [clients, listing] = await Promise.all([operator.ops.listClients(), verifiers.list()]);
    const listed = new Map(listing.map((entry) => [entry.client_id, entry]));
    const registered = clients.filter((c) => (c as { verifier?: unknown }).verifier === true).map((client) => ({ client, entry: listed.get(client.client_id) }));
    const ids = new Set(clients.map((c) => c.client_id));
    // Listed but not a registered client: Wathiqa's own verifier.
    const builtIn = listing.filter((entry) => !ids.has(entry.client_id));
    await renderConsole(ctx, deps, operator, 'console-verifiers', { section: 'verifiers', path: '/console/verifiers', data: { registered, builtIn } });
  });

  router.get('/audit', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    const filters = query(ctx, AuditFormQuery);
    let page: Awaited<ReturnType<typeof operator.ops.listAudit>> = { events: [], next_before: null };
    let filterError: string | undefined;
    try {
      page = await operator.ops.listAudit(auditFilter(filters));
    } catch (error) {
      // A filter the trail refuses: said next to the filters, the list empty.
      if (!(error instanceof HttpError) || error.status !== 400) throw error;
      filterError = error.description;
    }
    const locale = views.locale(ctx);
    await renderConsole(ctx, deps, operator, 'console-audit', {
      section: 'audit',
      path: '/console/audit',
      status: filterError ? 400 : 200,
      data: { filters, filterError, ...auditView(page, filters, locale) },
    });
  });

  return [router, consoleClientRouter(deps), consoleUserRouter(deps)];
}
