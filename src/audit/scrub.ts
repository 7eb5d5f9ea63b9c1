/**
 * What an audit record may say about client metadata: everything but secrets.
 * Removed wherever they appear: members named like a secret (client_secret,
 * registration_access_token, password, …) and the private members of any JWK.
 */
// Not "token" alone: token_endpoint_auth_method is metadata an operator must see change.
const SECRET_NAME = /secret|password|private|(^|_)token$/i;
const PRIVATE_JWK_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']);

export function scrubSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const isJwk = typeof (value as { kty?: unknown }).kty === 'string';
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_NAME.test(key)) continue;
    if (isJwk && PRIVATE_JWK_MEMBERS.has(key)) continue;
    out[key] = scrubSecrets(v);
  }
  return out as T;
}

/** JSON with keys in order, so that two equal values compare equal however they were built. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface MetadataChange {
  /** The names of the members that changed, sorted. */
  changed: string[];
  /** Their values before (absent members are left out); null when the client is new. */
  before: Record<string, unknown> | null;
  /** Their values after; null when the client is gone. */
  after: Record<string, unknown> | null;
}

/**
 * The before/after of a client's metadata, secrets removed: only the members that
 * changed on an edit; everything on a creation (before null) or a deletion (after null).
 */
export function metadataChange(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined): MetadataChange {
  const b = before ? scrubSecrets(before) : null;
  const a = after ? scrubSecrets(after) : null;
  const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].sort();
  const changed = keys.filter((k) => canonical(b?.[k]) !== canonical(a?.[k]));
  const pick = (m: Record<string, unknown> | null) =>
    m && Object.fromEntries(changed.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
  return { changed, before: pick(b), after: pick(a) };
}
