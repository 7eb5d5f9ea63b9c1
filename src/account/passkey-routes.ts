import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { PasskeyError } from '../accounts/passkeys.js';
import { HttpError } from '../http/errors.js';
import { body } from '../http/guard.js';
import { accountApiAuth } from './api-auth.js';
import { accountForm } from './forms.js';
import { renderAccount, type AccountFormDeps } from './page.js';

export type PasskeyRouteDeps = AccountFormDeps;

const Name = z.string().trim().min(1).max(64);
/** The browser's answer, as @simplewebauthn/browser builds it; the library checks the inside. */
const Registration = z.strictObject({
  name: Name,
  response: z.looseObject({ id: z.string().max(1024), rawId: z.string().max(1024), type: z.literal('public-key'), response: z.looseObject({}) }),
});
const Rename = z.object({ csrf: z.string().max(128), name: Name });
const CsrfOnly = z.object({ csrf: z.string().max(128) });
const Id = z.string().regex(/^[A-Za-z0-9_-]{16,1024}$/);
const STATUS: Record<string, number> = { passkey_failed: 400, passkey_unknown: 404, passkey_limit: 409 };

export const passkeyHttpError = (error: PasskeyError) =>
  new HttpError(STATUS[error.code] ?? 400, error.code, error.code === 'passkey_limit' ? 'this account has the most passkeys allowed' : 'the passkey could not be verified');

/**
 * Passkeys from the account page: registration is a WebAuthn ceremony (JSON, the
 * page script runs it, session + X-CSRF-Token like the vault API); renaming and
 * removing are plain forms on the page.
 */
export function passkeyRouter(deps: PasskeyRouteDeps): { api: Router; forms: Router } {
  const { oidc, csrf, accounts, passkeys } = deps;
  const api = new Router({ prefix: '/api/passkeys' });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb' });
  api.use(accountApiAuth({ oidc, csrf }));
  const accountOf = async (ctx: Context) => (await accounts.accounts.findById(ctx.state.accountId as string))!;

  api.post('/options', async (ctx) => {
    try {
      ctx.body = await passkeys.registrationOptions(await accountOf(ctx));
    } catch (error) {
      throw error instanceof PasskeyError ? passkeyHttpError(error) : error;
    }
  });

  api.post('/', json, async (ctx) => {
    const input = body(ctx, Registration);
    try {
      const passkey = await passkeys.register(ctx.state.accountId as string, input.response as never, input.name);
      ctx.status = 201;
      ctx.body = { id: passkey.id, name: passkey.name };
    } catch (error) {
      throw error instanceof PasskeyError ? passkeyHttpError(error) : error;
    }
  });

  const forms = new Router({ prefix: '/account/passkeys' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const page = deps;

  async function change(ctx: Context, schema: z.ZodType<{ csrf: string }>, act: (accountId: string, id: string, input: Record<string, unknown>) => Promise<void>) {
    const session = await accountForm(deps, ctx, schema);
    if (!session) return ctx.redirect('/account/login');
    const id = Id.safeParse(ctx.params.id);
    try {
      if (!id.success) throw new PasskeyError('passkey_unknown');
      await act(session.account.id, id.data, session.input as Record<string, unknown>);
      ctx.redirect('/account#passkeys');
    } catch (error) {
      if (!(error instanceof PasskeyError)) throw error;
      await renderAccount(ctx, page, session.account, { passkeyError: { code: error.code } }, STATUS[error.code] ?? 400);
    }
  }

  forms.post('/:id/rename', form, (ctx) => change(ctx, Rename, (accountId, id, input) => passkeys.rename(accountId, id, String(input.name))));
  forms.post('/:id/delete', form, (ctx) => change(ctx, CsrfOnly, (accountId, id) => passkeys.remove(accountId, id)));

  return { api, forms };
}
