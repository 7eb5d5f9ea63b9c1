/**
 * The translated sentence for an error from the vault API or the page. Shared by
 * the vault page and the passport consent page, so both say the same thing.
 */
import { ApiError, NetworkError } from './api.js';
import type { Vars } from './i18n.js';
import { LockedError } from './session.js';
import { refusalText, VaultStateError } from './state.js';

export function errorText(t: (key: string, vars?: Vars) => string, err: unknown, fallback = 'vault.error.generic'): string {
  if (err instanceof NetworkError) return t('vault.network_error');
  if (err instanceof LockedError) return t('vault.locked');
  if (err instanceof VaultStateError) return refusalText(t, err.problem);
  if (err instanceof ApiError) {
    if (err.status === 401) return t('vault.signed_out');
    if (err.code === 'csrf') return t('vault.session_changed');
    if (err.code === 'quota_exceeded') return t('vault.quota_exceeded');
    if (err.status === 409) return t('vault.conflict');
    if (err.status === 413) return t('vault.scan.too_large');
    if (err.status === 429) return t('vault.too_many_requests');
  }
  return t(fallback);
}
