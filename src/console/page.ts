import type { Context } from 'koa';
import type { ConsoleTemplate, Views } from '../http/views.js';
import type { ConsoleOperator } from './auth.js';

/** The console's sections, in the order of its navigation. */
export const SECTIONS = ['clients', 'verifiers', 'keys', 'users', 'audit'] as const;
export type Section = (typeof SECTIONS)[number];

/** Why the console refuses a browser; each is its own page, 403. */
export type Refusal = 'not_operator' | 'no_factor' | 'csrf';

/**
 * A console page: the navigation, who is signed in and the form token come with every
 * one. `path` is where the language switcher leads (a page answering a POST has no
 * GET address of its own).
 */
export async function renderConsole(
  ctx: Context,
  { views }: { views: Views },
  operator: ConsoleOperator,
  template: ConsoleTemplate,
  page: { section: Section; path: string; status?: number; data?: Record<string, unknown> },
): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  await views.render(
    ctx,
    template,
    { operatorEmail: operator.email, csrf: operator.csrf, section: page.section, sections: SECTIONS, ...page.data },
    { status: page.status ?? 200, switcherPath: page.path },
  );
}

export async function renderRefusal(ctx: Context, { views }: { views: Views }, reason: Refusal): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  await views.render(ctx, 'console-refused', { reason }, { status: 403, switcherPath: '/console' });
}
