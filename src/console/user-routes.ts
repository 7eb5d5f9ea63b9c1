import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { query } from '../http/guard.js';
import { timeAgo } from '../i18n/index.js';
import type { UserDetails } from '../admin/schemas.js';
import { operatorForm, signedInOperator, type ConsoleDeps, type ConsoleOperator } from './auth.js';
import { renderConsole } from './page.js';

const PAGE = 50;
const ListQuery = z.object({
  email: z.string().max(254).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  notice: z.enum(['user_deleted']).optional(),
  lang: z.string().max(64).optional(),
});
const ShowQuery = z.object({
  notice: z.enum(['user_disabled', 'user_enabled', 'user_signed_out', 'unchanged']).optional(),
  lang: z.string().max(64).optional(),
});
const CsrfOnly = z.object({ csrf: z.string().max(128) });
const Confirm = CsrfOnly.extend({ confirm: z.literal('yes').optional() });

/**
 * People's accounts in the console: search by email; one account's state, second
 * factors and signed-in browsers (never its vault, which the server cannot read);
 * disable, enable, sign out everywhere, delete. Each change is an admin operation.
 */
export function consoleUserRouter(deps: ConsoleDeps): Router {
  const router = new Router({ prefix: '/console/users' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

  async function showUser(ctx: Context, operator: ConsoleOperator, user: UserDetails, extra: Record<string, unknown> = {}, status = 200) {
    const locale = deps.views.locale(ctx);
    const now = new Date();
    const ago = (iso: string | null) => (iso ? timeAgo(locale, new Date(iso), now) : undefined);
    const sessions = user.sessions.map((s) => ({ ...s, lastSeen: ago(s.last_seen_at), signedIn: ago(s.signed_in_at) }));
    await renderConsole(ctx, deps, operator, 'console-user', {
      section: 'users',
      path: `/console/users/${user.id}`,
      status,
      data: { user, sessions, self: user.id === operator.id, ...extra },
    });
  }

  router.get('/', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    const { email, offset = 0, notice } = query(ctx, ListQuery);
    const search = email?.trim() || undefined;
    const page = await operator.ops.findUsers({ email: search, limit: PAGE + 1, offset });
    const users = page.users.slice(0, PAGE);
    const more = page.users.length > PAGE;
    await renderConsole(ctx, deps, operator, 'console-users', {
      section: 'users',
      path: '/console/users',
      data: { users, email: search ?? '', offset, next: more ? offset + PAGE : undefined, previous: offset > 0 ? Math.max(0, offset - PAGE) : undefined, notice },
    });
  });

  router.get('/:id', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    const { notice } = query(ctx, ShowQuery);
    await showUser(ctx, operator, await operator.ops.showUser(ctx.params.id!), { notice });
  });

  /** The account's state changes: each answers with the account page and what happened. */
  const changes = {
    disable: (operator: ConsoleOperator, id: string) => operator.ops.disableUser(id).then((r) => (r.changed ? 'user_disabled' : 'unchanged')),
    enable: (operator: ConsoleOperator, id: string) => operator.ops.enableUser(id).then((r) => (r.changed ? 'user_enabled' : 'unchanged')),
    signout: (operator: ConsoleOperator, id: string) => operator.ops.signOutUserEverywhere(id).then(() => 'user_signed_out'),
  };
  for (const [name, change] of Object.entries(changes)) {
    router.post(`/:id/${name}`, form, async (ctx) => {
      const posted = await operatorForm(deps, ctx, CsrfOnly);
      if (!posted) return;
      const notice = await change(posted.operator, ctx.params.id!);
      ctx.redirect(`/console/users/${encodeURIComponent(ctx.params.id!)}?notice=${notice}`);
    });
  }

  router.post('/:id/delete', form, async (ctx) => {
    const posted = await operatorForm(deps, ctx, Confirm);
    if (!posted) return;
    const { operator, input } = posted;
    if (input.confirm !== 'yes') {
      return showUser(ctx, operator, await operator.ops.showUser(ctx.params.id!), { deleteError: 'confirm' }, 400);
    }
    await operator.ops.deleteUser(ctx.params.id!);
    ctx.redirect('/console/users?notice=user_deleted');
  });

  return router;
}
