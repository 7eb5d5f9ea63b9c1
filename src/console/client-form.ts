import { z } from 'zod';
import type { ClientView } from '../clients/schema.js';
import { SCOPES } from '../oidc/provider.js';
import { RELEASE_ALGS } from '../passport/client-policy.js';
import { ELEMENT_TYPES } from '../protocol/elements/table.js';

/**
 * The client form of the console: what the operator typed, turned into the admin
 * API's client input (and back, to fill the form for an edit). Only the form's own
 * shape is checked here; every rule about clients is the admin operations' (one
 * place), and their refusals are placed next to the field they name.
 */

const text = (max: number) => z.string().max(max).default('');
/** A checkbox group: absent, one value, or several (the form body repeats the name). */
const many = z.union([z.string().max(64), z.array(z.string().max(64)).max(32)]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

export const ClientFormSchema = z.object({
  csrf: z.string().max(128),
  client_name: text(400),
  redirect_uris: text(8192),
  post_logout_redirect_uris: text(8192),
  scope: many,
  public: z.literal('yes').optional(),
  logo_uri: text(2048),
  client_uri: text(2048),
  policy_uri: text(2048),
  tos_uri: text(2048),
  enc_keys: text(65536),
  jwks_uri: text(2048),
  passport_release_alg: z.union([z.literal(''), z.enum(RELEASE_ALGS)]).default(''),
  verifier: z.literal('yes').optional(),
  sig_keys: text(65536),
  attested_types: many,
  trust_framework: text(128),
  version: z.string().max(16).optional(),
});
export type ClientForm = z.infer<typeof ClientFormSchema>;

/** The form's fields that an error can stand next to. */
export const CLIENT_FIELDS = [
  'client_name',
  'redirect_uris',
  'post_logout_redirect_uris',
  'scope',
  'logo_uri',
  'client_uri',
  'policy_uri',
  'tos_uri',
  'enc_keys',
  'jwks_uri',
  'passport_release_alg',
  'sig_keys',
  'attested_types',
  'trust_framework',
] as const;
export type ClientField = (typeof CLIENT_FIELDS)[number];

/** A refusal in the form: a catalog key for the operator's language, and the server's own (English) words. */
export interface FieldError {
  field?: ClientField;
  /** `console.error.<code>`. */
  code: string;
  detail?: string;
}

export const SCOPE_CHOICES = SCOPES;
export const TYPE_CHOICES = ELEMENT_TYPES;
export const RELEASE_ALG_CHOICES = RELEASE_ALGS;

/** Members an operator sets elsewhere (the admin API) that an edit in the console keeps as they are. */
const KEPT_ON_EDIT = [
  'id_token_signed_response_alg',
  'id_token_encrypted_response_alg',
  'id_token_encrypted_response_enc',
  'userinfo_signed_response_alg',
  'userinfo_encrypted_response_alg',
  'userinfo_encrypted_response_enc',
  'passport_scope',
] as const;

const lines = (value: string) =>
  value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

type Jwk = Record<string, unknown>;

class KeysNotJson extends Error {
  constructor(readonly field: 'enc_keys' | 'sig_keys') {
    super('not a JWK or JWKS');
  }
}

/** A pasted JWK, or a JWKS ({"keys": [...]}): its keys. Empty text: none. */
function pastedKeys(value: string, field: 'enc_keys' | 'sig_keys'): Jwk[] {
  if (value.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new KeysNotJson(field);
  }
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)) return (parsed as { keys: Jwk[] }).keys;
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'kty' in parsed) return [parsed as Jwk];
  throw new KeysNotJson(field);
}

/**
 * The admin API's input from the form, or the field whose text could not be read.
 * `current` (an edit) supplies the members the form does not show.
 */
export function clientInput(form: ClientForm, mode: 'create' | 'edit', current?: ClientView): { input: Record<string, unknown> } | { error: FieldError } {
  let enc: Jwk[];
  let sig: Jwk[];
  try {
    enc = pastedKeys(form.enc_keys, 'enc_keys');
    sig = form.verifier ? pastedKeys(form.sig_keys, 'sig_keys') : [];
  } catch (error) {
    if (error instanceof KeysNotJson) return { error: { field: error.field, code: 'keys_json' } };
    throw error;
  }
  const input: Record<string, unknown> = {};
  if (current) for (const key of KEPT_ON_EDIT) if (current[key] !== undefined) input[key] = current[key];
  input.client_name = form.client_name.trim();
  input.redirect_uris = lines(form.redirect_uris);
  input.post_logout_redirect_uris = lines(form.post_logout_redirect_uris);
  input.scope = form.scope.join(' ');
  if (mode === 'create') input.public = form.public === 'yes';
  for (const key of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const) {
    if (form[key].trim()) input[key] = form[key].trim();
  }
  if (enc.length + sig.length > 0) input.jwks = { keys: [...enc, ...sig] };
  if (form.jwks_uri.trim()) {
    input.jwks_uri = form.jwks_uri.trim();
    if (form.passport_release_alg) input.passport_release_alg = form.passport_release_alg;
  }
  if (form.verifier) {
    input.verifier = true;
    input.verifier_attested_types = form.attested_types;
    if (form.trust_framework.trim()) input.verifier_trust_framework = form.trust_framework.trim();
  }
  return { input };
}

const pretty = (keys: unknown[]) => (keys.length ? JSON.stringify({ keys }, null, 2) : '');

/** The form filled with a client, for an edit. Signing keys of a verifier go in their own box. */
export function clientFormValues(client: ClientView): Record<string, unknown> {
  const c = client as ClientView & Record<string, unknown>;
  const verifier = c.verifier === true;
  const keys = ((c.jwks as { keys?: Jwk[] } | undefined)?.keys ?? []) as Jwk[];
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    client_name: str(c.client_name),
    redirect_uris: (c.redirect_uris ?? []).join('\n'),
    post_logout_redirect_uris: ((c.post_logout_redirect_uris as string[] | undefined) ?? []).join('\n'),
    scope: str(c.scope).split(/\s+/).filter(Boolean),
    public: c.token_endpoint_auth_method === 'none' ? 'yes' : undefined,
    logo_uri: str(c.logo_uri),
    client_uri: str(c.client_uri),
    policy_uri: str(c.policy_uri),
    tos_uri: str(c.tos_uri),
    enc_keys: pretty(verifier ? keys.filter((k) => k.use !== 'sig') : keys),
    jwks_uri: str(c.jwks_uri),
    passport_release_alg: c.jwks_uri ? str(c.passport_release_alg) : '',
    verifier: verifier ? 'yes' : undefined,
    sig_keys: pretty(verifier ? keys.filter((k) => k.use === 'sig') : []),
    attested_types: (c.verifier_attested_types as string[] | undefined) ?? [],
    trust_framework: str(c.verifier_trust_framework),
    version: String(c.version ?? ''),
  };
}

/** A new client's form: the scopes most relying parties start with. */
export const NEW_CLIENT_VALUES: Record<string, unknown> = { scope: ['openid', 'email'], attested_types: [] };

/**
 * Whether the key an error names (`key "kid"`, or `key 3` when it has no kid: its place
 * in the registered list, encryption keys first) was pasted in the signing box.
 */
function namesSigningKey(description: string, form?: ClientForm): boolean {
  if (!form?.sig_keys) return false;
  try {
    const enc = pastedKeys(form.enc_keys, 'enc_keys');
    const sig = pastedKeys(form.sig_keys, 'sig_keys');
    const kid = /key "([^"]+)"/.exec(description)?.[1];
    if (kid) return sig.some((k) => k.kid === kid) && !enc.some((k) => k.kid === kid);
    const place = Number(/key (\d+)/.exec(description)?.[1]);
    return Number.isInteger(place) && place > enc.length;
  } catch {
    return false;
  }
}

/**
 * Where an admin-operation refusal belongs in the form, and which sentence says it
 * in the operator's language. The server's description (English, operator-facing)
 * is shown with it. Unknown descriptions stand at the top of the form.
 */
export function placeError(description: string, form?: ClientForm): FieldError {
  const d = description;
  const detail = description;
  if (/^post_logout_redirect_uris/.test(d)) return { field: 'post_logout_redirect_uris', code: 'redirect_uris', detail };
  if (/redirect_uri/.test(d)) return { field: 'redirect_uris', code: 'redirect_uris', detail };
  if (/jwks_uri/.test(d)) return { field: 'jwks_uri', code: 'jwks_uri', detail };
  if (/needs a signing key|signing key must|(^|\s)"sig"/.test(d) && !/names its use/.test(d)) return { field: 'sig_keys', code: 'no_signing_key', detail };
  if (/names its use|needs a "kid"|kid/.test(d)) return { field: namesSigningKey(d, form) ? 'sig_keys' : 'enc_keys', code: 'key_use_kid', detail };
  if (/encryption key|jwks|private key/.test(d)) return { field: namesSigningKey(d, form) ? 'sig_keys' : 'enc_keys', code: 'keys', detail };
  if (/passport_release_alg/.test(d)) return { field: 'passport_release_alg', code: 'release_alg', detail };
  if (/verifier_attested_types/.test(d)) return { field: 'attested_types', code: 'attested_types', detail };
  if (/verifier_trust_framework/.test(d)) return { field: 'trust_framework', code: 'trust_framework', detail };
  for (const field of ['policy_uri', 'logo_uri', 'client_uri', 'tos_uri'] as const) {
    if (d.includes(field)) return { field, code: 'url', detail };
  }
  if (/client_name/.test(d)) return { field: 'client_name', code: 'client_name', detail };
  if (/scope/.test(d)) return { field: 'scope', code: 'scope', detail };
  return { code: 'refused', detail };
}
