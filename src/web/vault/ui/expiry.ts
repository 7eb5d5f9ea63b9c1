/** The "Expired on …" / "Expires on …" mark of an identity document, on the vault page and the consent page. */
import type { ExpiryStatus } from '../../../protocol/index.js';
import { h } from '../dom.js';
import { formatDate } from '../groups.js';

type T = (key: string, vars?: Readonly<Record<string, string | number>>) => string;

/** `prefix`: the catalog the page has (vault.expiry.* or passport.expiry.*). Nothing for a valid or undated document. */
export function expiryBadge(t: T, locale: string, expiry: { status: ExpiryStatus; date?: string | undefined }, prefix: 'vault' | 'passport'): HTMLElement | null {
  if (!expiry.date || (expiry.status !== 'expired' && expiry.status !== 'soon')) return null;
  return h(
    'p',
    { class: `expiry-badge expiry-${expiry.status}`, 'data-expiry': expiry.status },
    h('span', { class: 'expiry-icon', 'aria-hidden': 'true' }),
    t(`${prefix}.expiry.${expiry.status}`, { date: formatDate(locale, expiry.date) }),
  );
}
