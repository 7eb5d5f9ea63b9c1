/**
 * Authentication context classes (`acr`) and methods (`amr`, RFC 8176) this provider
 * reports in ID tokens. Two classes: a password alone, or more than one factor.
 */
export const ACR_PASSWORD = 'urn:wathiqa:acr:pwd';
export const ACR_MFA = 'urn:wathiqa:acr:mfa';
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA] as const;

/** Names RPs already use for "multi-factor" (OpenID PAPE, and ours). */
const MFA_CLASSES = new Set<string>([ACR_MFA, 'http://schemas.openid.net/pape/policies/2007/06/multi-factor', 'mfa']);
const SINGLE_FACTOR = new Set<string>([ACR_PASSWORD]);

export type Amr = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'mfa';

/**
 * True when `acr_values` accepts only multi-factor: it names a multi-factor class
 * and no single-factor one. OpenID Connect makes acr_values voluntary; we are
 * stricter for multi-factor, so an RP that asks for it never silently gets less.
 * Values we do not know are left voluntary.
 */
export function requiresMfa(acrValues: unknown): boolean {
  if (typeof acrValues !== 'string') return false;
  const values = acrValues.split(' ').filter(Boolean);
  return values.some((v) => MFA_CLASSES.has(v)) && !values.some((v) => SINGLE_FACTOR.has(v));
}

/** The login result for oidc-provider: amr as used, acr from it. */
export function loginResult(accountId: string, amr: readonly Amr[]) {
  const multi = new Set(amr.filter((m) => m !== 'mfa')).size > 1 || amr.includes('mfa');
  return {
    accountId,
    amr: multi ? [...new Set([...amr, 'mfa' as const])] : [...amr],
    acr: multi ? ACR_MFA : ACR_PASSWORD,
  };
}

/** True when a sign-in (a session's acr and amr) used more than one factor: what the console asks of operators. */
export function usedSecondFactor(auth: { acr?: unknown; amr?: unknown } | undefined): boolean {
  if (!auth) return false;
  return auth.acr === ACR_MFA || (Array.isArray(auth.amr) && auth.amr.includes('mfa'));
}
