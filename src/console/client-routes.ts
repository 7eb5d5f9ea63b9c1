import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { ClientView } from '../clients/schema.js';
import { HttpError } from '../http/errors.js';
import { query } from '../http/guard.js';
import { operatorForm, signedInOperator, type ConsoleDeps, type ConsoleOperator } from './auth.js';
import {
  ClientFormSchema,
  NEW_CLIENT_VALUES,
  RELEASE_ALG_CHOICES,
  SCOPE_CHOICES,
  TYPE_CHOICES,
  clientFormValues,
  clientInput,
  placeError,
  type ClientForm,
  type FieldError,
} from './client-form.js';
import { renderConsole } from './page.js';

const ListQuery = z.object({
  q: z.string().max(200).optional(),
  notice: z.enum(['client_deleted']).optional(),
  lang: z.string().max(64).optional(),
});
const ShowQuery = z.object({ notice: z.enum(['client_created', 'client_updated']).optional(), lang: z.string().max(64).optional() });
const CsrfOnly = z.object({ csrf: z.string().max(128) });
const Confirm = CsrfOnly.extend({ confirm: z.literal('yes').optional() });

/** Does the client match the list's search: its name, id or a redirect URI contains the text (any case)? */
function matches(client: ClientView, q: string): boolean {
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return [client.client_name ?? '', client.client_id, ...(client.redirect_uris ?? [])].some((s) => s.toLowerCase().includes(needle));
}

/**
 * Relying parties in the console: list and search, create, edit (on the version the
 * form was loaded with), rotate the secret, delete after a confirmation naming what
 * goes with it. Every change is an admin operation, recorded under the operator.
 */
export function consoleClientRouter(deps: ConsoleDeps): Router {
  const router = new Router({ prefix: '/console/clients' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '256kb' });

  const choices = { scopes: SCOPE_CHOICES, types: TYPE_CHOICES, releaseAlgs: RELEASE_ALG_CHOICES };

  async function showForm(
    ctx: Context,
    operator: ConsoleOperator,
    page: { client?: ClientView; values: Record<string, unknown>; error?: FieldError; conflict?: boolean; notice?: string; status?: number },
  ) {
    const path = page.client ? `/console/clients/${encodeURIComponent(page.client.client_id)}` : '/console/clients/new';
    await renderConsole(ctx, deps, operator, 'console-client', { section: 'clients', path, status: page.status, data: { ...choices, ...page } });
  }

  /** A create or an edit refused by the admin operations: the form again, the refusal next to its field. */
  async function refused(ctx: Context, operator: ConsoleOperator, error: unknown, values: ClientForm, client?: ClientView) {
    if (!(error instanceof HttpError) || (error.status !== 400 && error.status !== 409)) throw error;
    if (error.status === 409) return showForm(ctx, operator, { client, values, conflict: true, status: 409 });
    return showForm(ctx, operator, { client, values, error: placeError(error.description, values), status: 400 });
  }

  router.get('/', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    const { q = '', notice } = query(ctx, ListQuery);
    const clients = (await operator.ops.listClients()).filter((c) => matches(c, q));
    await renderConsole(ctx, deps, operator, 'console-clients', { section: 'clients', path: '/console/clients', data: { clients, q, notice } });
  });

  router.get('/new', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    await showForm(ctx, operator, { values: NEW_CLIENT_VALUES });
  });

  router.post('/', form, async (ctx) => {
    const posted = await operatorForm(deps, ctx, ClientFormSchema);
    if (!posted) return;
    const { operator, input: values } = posted;
    const built = clientInput(values, 'create');
    if ('error' in built) return showForm(ctx, operator, { values, error: built.error, status: 400 });
    let client: ClientView;
    try {
      client = await operator.ops.createClient(built.input);
    } catch (error) {
      return refused(ctx, operator, error, values);
    }
    // A confidential client's secret is shown on this answer only, never in a URL.
    if (client.client_secret) {
      return renderConsole(ctx, deps, operator, 'console-client-secret', { section: 'clients', path: '/console/clients', status: 201, data: { client, created: true } });
    }
    ctx.redirect(`/console/clients/${encodeURIComponent(client.client_id)}?notice=client_created`);
  });

  router.get('/:id', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    const { notice } = query(ctx, ShowQuery);
    const client = await operator.ops.showClient(ctx.params.id!);
    await showForm(ctx, operator, { client, values: clientFormValues(client), notice });
  });

  router.post('/:id', form, async (ctx) => {
    const posted = await operatorForm(deps, ctx, ClientFormSchema);
    if (!posted) return;
    const { operator, input: values } = posted;
    const client = await operator.ops.showClient(ctx.params.id!);
    const built = clientInput(values, 'edit', client);
    if ('error' in built) return showForm(ctx, operator, { client, values, error: built.error, status: 400 });
    // The version the form was loaded with; the operation refuses (409) if the client moved on.
    const version = Number(values.version);
    try {
      await operator.ops.updateClient(client.client_id, built.input, Number.isInteger(version) ? version : undefined);
    } catch (error) {
      return refused(ctx, operator, error, values, client);
    }
    ctx.redirect(`/console/clients/${encodeURIComponent(client.client_id)}?notice=client_updated`);
  });

  router.post('/:id/secret', form, async (ctx) => {
    const posted = await operatorForm(deps, ctx, CsrfOnly);
    if (!posted) return;
    const client = await posted.operator.ops.rotateClientSecret(ctx.params.id!);
    await renderConsole(ctx, deps, posted.operator, 'console-client-secret', { section: 'clients', path: '/console/clients', data: { client, created: false } });
  });

  router.get('/:id/delete', async (ctx) => {
    const operator = await signedInOperator(deps, ctx);
    if (!operator) return;
    const impact = await operator.ops.clientImpact(ctx.params.id!);
    await renderConsole(ctx, deps, operator, 'console-client-delete', { section: 'clients', path: ctx.path, data: { impact } });
  });

  router.post('/:id/delete', form, async (ctx) => {
    const posted = await operatorForm(deps, ctx, Confirm);
    if (!posted) return;
    const { operator, input } = posted;
    if (input.confirm !== 'yes') {
      const impact = await operator.ops.clientImpact(ctx.params.id!);
      const path = `/console/clients/${encodeURIComponent(impact.client_id)}/delete`;
      return renderConsole(ctx, deps, operator, 'console-client-delete', { section: 'clients', path, status: 400, data: { impact, unconfirmed: true } });
    }
    await operator.ops.deleteClient(ctx.params.id!);
    ctx.redirect('/console/clients?notice=client_deleted');
  });

  return router;
}
