import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { accountApiAuth } from '../account/api-auth.js';
import type { Csrf } from '../http/csrf.js';
import { parse } from '../http/guard.js';
import type { OidcHolder } from '../oidc/holder.js';
import type { AttestationService } from './service.js';

const ItemParams = z.strictObject({ id: z.uuid() });

/**
 * The holder's attestation inbox (session cookie, CSRF header on writes, like the
 * vault API): the page lists the items, opens and checks each, seals it into its
 * element and then deletes it here.
 */
export function attestationInboxRouter({ oidc, csrf, attestations }: { oidc: OidcHolder; csrf: Csrf; attestations: AttestationService }): Router {
  const router = new Router({ prefix: '/api/attestations' });
  router.use(accountApiAuth({ oidc, csrf }));
  const account = (ctx: Context) => ctx.state.accountId as string;

  router.get('/', async (ctx) => {
    ctx.body = { attestations: await attestations.list(account(ctx)) };
  });

  router.delete('/:id', async (ctx) => {
    const { id } = parse(ItemParams, ctx.params);
    await attestations.remove(account(ctx), id);
    ctx.status = 204;
  });

  return router;
}
