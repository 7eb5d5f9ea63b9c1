import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Csrf } from '../http/csrf.js';
import { parse } from '../http/guard.js';
import type { OidcHolder } from '../oidc/holder.js';
import { accountApiAuth } from '../account/api-auth.js';
import type { VaultService } from './service.js';
import { ElementDelete, ElementDeleteBody, ElementParams, ElementPut, FileParams, FileUpload, HolderKeysPut, RecoveryConfirmation, VaultRewrap, VaultSetup, VaultStateWrite } from './schemas.js';

export interface VaultRouteDeps {
  oidc: OidcHolder;
  vault: VaultService;
  csrf: Csrf;
}

const Empty = z.object({}).strict();

/**
 * The vault API: ciphertext in, ciphertext out. Authenticated by the sign-in
 * session cookie; every write also needs the page's CSRF token in X-CSRF-Token.
 */
export function vaultRouter({ oidc, vault, csrf }: VaultRouteDeps): Router {
  const router = new Router({ prefix: '/api/vault' });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '512kb' });
  // A delete carries the new state record in an (optional) JSON body.
  const jsonDelete = bodyParser({ enableTypes: ['json'], jsonLimit: '512kb', parsedMethods: ['DELETE'] });

  router.use(accountApiAuth({ oidc, csrf }));

  const account = (ctx: Context) => ctx.state.accountId as string;
  const jsonBody = (ctx: Context) => (ctx.request as { body?: unknown }).body;

  router.get('/', async (ctx) => {
    ctx.body = await vault.read(account(ctx));
  });

  router.post('/', json, async (ctx) => {
    ctx.status = 201;
    ctx.body = await vault.setUp(account(ctx), parse(VaultSetup, jsonBody(ctx)));
  });

  router.put('/key', json, async (ctx) => {
    ctx.body = await vault.rewrap(account(ctx), parse(VaultRewrap, jsonBody(ctx)));
  });

  router.put('/state', json, async (ctx) => {
    ctx.body = await vault.recordState(account(ctx), parse(VaultStateWrite, jsonBody(ctx)));
  });

  // The holder confirmed the current recovery code (set-up is complete); 409 when a newer code replaced it.
  router.put('/recovery-confirmation', json, async (ctx) => {
    ctx.body = await vault.confirmRecovery(account(ctx), parse(RecoveryConfirmation, jsonBody(ctx)));
  });

  // Once only: 409 when the vault has holder keys already.
  router.put('/holder-keys', json, async (ctx) => {
    ctx.body = await vault.setHolderKeys(account(ctx), parse(HolderKeysPut, jsonBody(ctx)));
  });

  router.put('/elements/:id', json, async (ctx) => {
    const { id } = parse(ElementParams, ctx.params);
    ctx.body = await vault.putElement(account(ctx), id, parse(ElementPut, jsonBody(ctx)));
  });

  router.delete('/elements/:id', jsonDelete, async (ctx) => {
    const { id } = parse(ElementParams, ctx.params);
    const { version } = parse(ElementDelete, ctx.query);
    const state = parse(ElementDeleteBody, jsonBody(ctx) ?? {});
    ctx.body = await vault.deleteElement(account(ctx), id, version, state);
  });

  // The scan's envelope as raw bytes; its id, media type and wrapped key in the query.
  router.post('/files', async (ctx) => {
    if (!ctx.is('application/octet-stream')) {
      ctx.status = 415;
      ctx.body = { error: 'unsupported_media_type', error_description: 'send the encrypted scan as application/octet-stream' };
      return;
    }
    const meta = parse(FileUpload, ctx.query);
    const length = ctx.request.length;
    ctx.status = 201;
    ctx.body = await vault.uploadFile(account(ctx), meta, ctx.req, length);
  });

  router.get('/files/:id', async (ctx) => {
    const { id } = parse(FileParams, ctx.params);
    parse(Empty, ctx.query);
    const file = await vault.readFile(account(ctx), id);
    ctx.type = 'application/octet-stream';
    ctx.set('X-Wrapped-Key', file.wrapped_key);
    ctx.set('X-Media-Type', file.media_type);
    ctx.body = Buffer.from(file.ciphertext.buffer, file.ciphertext.byteOffset, file.ciphertext.byteLength);
  });

  router.delete('/files/:id', async (ctx) => {
    const { id } = parse(FileParams, ctx.params);
    ctx.body = await vault.deleteFile(account(ctx), id);
  });

  return router;
}
