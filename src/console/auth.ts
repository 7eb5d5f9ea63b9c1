import type { Context } from 'koa';
import type { z } from 'zod';
import { currentAuthentication } from '../account/session.js';
import { adminOperations, type AdminOperations } from '../admin/operations.js';
import { operatorActor } from '../audit/actor.js';
import { HttpError } from '../http/errors.js';
import type { Services } from '../services.js';
import { renderRefusal } from './page.js';

/** The console's forms carry a token bound to the browser and the operator. */
export const consoleCsrfScope = (accountId: string) => `console|${accountId}`;

export interface ConsoleOperator {
  id: string;
  email: string;
  csrf: string;
  /** The admin operations, recording every change as this operator from this request's address. */
  ops: AdminOperations;
}

export type ConsoleDeps = Services;

async function hasSecondFactor({ totp, passkeys }: ConsoleDeps, accountId: string): Promise<boolean> {
  const [app, keys] = await Promise.all([totp.enabled(accountId), passkeys.list(accountId)]);
  return app || keys.length > 0;
}

/**
 * Who may use this console page, or undefined when the answer is already given:
 * nobody signed in → the console's sign-in; not an operator → 403 page; an operator
 * whose session used one factor → the sign-in again, which asks for the second
 * (acr_values), or a page saying to set one up when the account has none.
 */
export async function signedInOperator(deps: ConsoleDeps, ctx: Context): Promise<ConsoleOperator | undefined> {
  ctx.set('Cache-Control', 'no-store');
  const auth = await currentAuthentication(deps.oidc.provider, ctx);
  if (!auth) {
    ctx.redirect('/console/login');
    return undefined;
  }
  const operator = await deps.operators.find(auth.accountId);
  if (!operator) {
    await renderRefusal(ctx, deps, 'not_operator');
    return undefined;
  }
  if (!auth.mfa) {
    if (await hasSecondFactor(deps, operator.id)) ctx.redirect('/console/login');
    else await renderRefusal(ctx, deps, 'no_factor');
    return undefined;
  }
  return {
    id: operator.id,
    email: operator.email,
    csrf: deps.csrf.token(ctx, consoleCsrfScope(operator.id)),
    ops: adminOperations(deps, { actor: operatorActor(operator.id, operator.email), ip: ctx.ip }),
  };
}

/**
 * A form posted in the console: the operator, and the form read through `schema`
 * after its CSRF token is checked (a missing or wrong token: the 403 page that says
 * so, nothing done). Undefined when the answer is already given.
 */
export async function operatorForm<S extends z.ZodType>(deps: ConsoleDeps, ctx: Context, schema: S): Promise<{ operator: ConsoleOperator; input: z.infer<S> } | undefined> {
  const operator = await signedInOperator(deps, ctx);
  if (!operator) return undefined;
  const body = ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>;
  try {
    deps.csrf.verify(ctx, consoleCsrfScope(operator.id), body.csrf);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    await renderRefusal(ctx, deps, 'csrf');
    return undefined;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', 'the form is incomplete');
  return { operator, input: parsed.data };
}
