import { z } from 'zod';
import { AUDIT_ACTIONS, type AuditPage } from '../audit/schemas.js';
import { timeAgo, type Locale } from '../i18n/index.js';

export const AUDIT_PAGE = 50;

/** The trail's filter form as the page sends it: empty fields are no filter. The trail's own schema judges the rest. */
export const AuditFormQuery = z.object({
  action: z.string().max(64).optional(),
  actor: z.string().max(254).optional(),
  target: z.string().max(128).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  before: z.string().max(20).optional(),
  lang: z.string().max(64).optional(),
});
export type AuditForm = z.infer<typeof AuditFormQuery>;

/** The choices of the action filter: every action, and each family ("client." is every client change). */
export const ACTION_CHOICES = [...new Set(AUDIT_ACTIONS.map((a) => `${a.split('.')[0]}.`))].flatMap((family) => [family, ...AUDIT_ACTIONS.filter((a) => a.startsWith(family))]);

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "To" a day includes that day: the trail's `until` is exclusive, so it is the next midnight. */
function dayAfter(day: string): string {
  const next = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(next.getTime())) return day;
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

export function auditFilter(form: AuditForm): Record<string, unknown> {
  const filter: Record<string, unknown> = { limit: AUDIT_PAGE };
  for (const key of ['action', 'actor', 'target', 'since', 'before'] as const) {
    const value = form[key]?.trim();
    if (value) filter[key] = value;
  }
  const until = form.until?.trim();
  if (until) filter.until = DAY.test(until) ? dayAfter(until) : until;
  return filter;
}

/** What the page shows of each event; the next page's link keeps the filters. */
export function auditView(page: AuditPage, form: AuditForm, locale: Locale, now = new Date()) {
  const events = page.events.map((event) => {
    const details = event.details as { changed?: unknown; email?: unknown; client_name?: unknown; sessions?: unknown; grants?: unknown; releases?: unknown };
    const changed = Array.isArray(details.changed) ? (details.changed as string[]) : [];
    return {
      ...event,
      when: timeAgo(locale, new Date(event.at), now),
      changed,
      details: JSON.stringify(event.details, null, 2),
    };
  });
  let next: string | undefined;
  if (page.next_before) {
    const params = new URLSearchParams();
    for (const key of ['action', 'actor', 'target', 'since', 'until', 'lang'] as const) {
      const value = form[key]?.trim();
      if (value) params.set(key, value);
    }
    params.set('before', page.next_before);
    next = `/console/audit?${params}`;
  }
  return { events, next, actions: ACTION_CHOICES };
}
