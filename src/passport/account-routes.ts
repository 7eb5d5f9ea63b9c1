import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { accountApiAuth } from '../account/api-auth.js';
import type { Csrf } from '../http/csrf.js';
import { notFound } from '../http/errors.js';
import { parse } from '../http/guard.js';
import type { OidcHolder } from '../oidc/holder.js';
import type { ReleaseService } from './service.js';

const ReleaseParams = z.strictObject({ id: z.uuid() });

/** The holder's sharing history: what went to whom and when, and revocation. */
export function releasesRouter({ oidc, csrf, releases }: { oidc: OidcHolder; csrf: Csrf; releases: ReleaseService }): Router {
  const router = new Router({ prefix: '/api/releases' });
  router.use(accountApiAuth({ oidc, csrf }));
  const account = (ctx: Context) => ctx.state.accountId as string;

  router.get('/', async (ctx) => {
    const rows = await releases.list(account(ctx));
    const names = new Map<string, string>();
    for (const row of rows) {
      if (!names.has(row.client_id)) {
        const client = await oidc.provider.Client.find(row.client_id);
        names.set(row.client_id, client?.clientName ?? row.client_id);
      }
    }
    ctx.body = {
      releases: rows.map((r) => ({
        id: r.id,
        client_id: r.client_id,
        client_name: names.get(r.client_id),
        element_types: r.element_types,
        created_at: r.created_at.toISOString(),
        revoked_at: r.revoked_at?.toISOString() ?? null,
        // RP feedback (DESIGN 5.7): whether a sealed record exists, and the RP's open errors (untrusted text).
        has_record: Boolean(r.has_record),
        errors: r.errors,
        errors_at: r.errors_at?.toISOString() ?? null,
      })),
    };
  });

  // The sealed record of what was sent; only the holder's page can open it.
  router.get('/:id/record', async (ctx) => {
    const { id } = parse(ReleaseParams, ctx.params);
    const row = await releases.releases.record(account(ctx), id);
    if (!row?.sharing_record || !row.record_id) throw notFound('no sharing record for this release');
    ctx.body = { id: row.id, client_id: row.client_id, record_id: row.record_id, sealed: row.sharing_record };
  });

  router.post('/:id/revoke', async (ctx) => {
    const { id } = parse(ReleaseParams, ctx.params);
    if (!(await releases.revoke(account(ctx), id))) throw notFound('no such release');
    ctx.body = { id, revoked: true };
  });

  return router;
}
