import type { ClientView } from '../clients/schema.js';
import type { Key, MigrationResult, User } from '../admin/schemas.js';

/** Plain text for people; `--json` prints the data itself instead. */

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

function pairs(entries: [string, string | string[] | undefined][]): string {
  const shown = entries.filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)) as [string, string | string[]][];
  const width = Math.max(...shown.map(([k]) => k.length));
  const out: string[] = [];
  for (const [key, value] of shown) {
    const values = Array.isArray(value) ? value : [value];
    values.forEach((v, i) => out.push(`${(i === 0 ? key : '').padEnd(width)}  ${v}`));
  }
  return out.join('\n') + '\n';
}

const date = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

const clientType = (c: ClientView) => (c.token_endpoint_auth_method === 'none' ? 'public' : 'confidential');

function keyIds(c: ClientView): string | undefined {
  const jwks = c.jwks as { keys?: { kid?: string; kty?: string; use?: string }[] } | undefined;
  if (!jwks?.keys) return undefined;
  return jwks.keys.map((k) => `${k.kid ?? '(no kid)'} ${k.kty ?? ''}${k.use ? ` use=${k.use}` : ''}`.trim()).join(', ');
}

export function clientDetails(c: ClientView): string {
  const s = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : undefined);
  const list = (k: string) => (Array.isArray(c[k]) ? (c[k] as string[]) : undefined);
  return pairs([
    ['client_id', c.client_id],
    ['client_secret', c.client_secret],
    ['name', c.client_name],
    ['type', clientType(c)],
    ['redirect_uris', c.redirect_uris],
    ['post_logout_redirect_uris', list('post_logout_redirect_uris')],
    ['scope', s('scope')],
    ['id_token_alg', s('id_token_signed_response_alg') ?? 'RS256 (default)'],
    ['jwks', keyIds(c)],
    ['jwks_uri', s('jwks_uri')],
    ['logo_uri', s('logo_uri')],
    ['client_uri', s('client_uri')],
    ['policy_uri', s('policy_uri')],
    ['tos_uri', s('tos_uri')],
    ['verifier', c.verifier === true ? 'yes' : undefined],
    ['attested_types', list('verifier_attested_types')],
    ['trust_framework', s('verifier_trust_framework')],
    ['created_at', date(c.created_at)],
  ]);
}

export function clientCreated(c: ClientView): string {
  const head = `Created ${clientType(c)} client "${c.client_name ?? c.client_id}".\n`;
  const note = c.client_secret
    ? 'The client_secret is shown only this once: store it now.\n'
    : 'A public client has no secret; it signs in with PKCE only.\n';
  return `${head}\n${clientDetails(c)}\n${note}`;
}

export function clientList(clients: ClientView[]): string {
  if (clients.length === 0) return 'No clients.\n';
  return table(
    ['CLIENT_ID', 'NAME', 'TYPE', 'CREATED', 'REDIRECT_URIS'],
    clients.map((c) => [c.client_id, c.client_name ?? '', clientType(c), date(c.created_at), c.redirect_uris.join(' ')]),
  );
}

export function userList(users: (User & { operator?: boolean; disabled?: boolean })[], offset: number): string {
  if (users.length === 0) return offset > 0 ? `No users after the first ${offset}.\n` : 'No users.\n';
  const flags = (u: { operator?: boolean; disabled?: boolean }) => [u.operator ? 'operator' : '', u.disabled ? 'disabled' : ''].filter(Boolean).join(',');
  return table(
    ['ID', 'EMAIL', 'CREATED', 'FLAGS'],
    users.map((u) => [u.id, u.email, date(u.created_at), flags(u)]),
  );
}

export function keyList(keys: Key[]): string {
  if (keys.length === 0) return 'No signing keys.\n';
  return table(
    ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRED'],
    keys.map((k) => [k.kid, k.alg, k.status, date(k.created_at), date(k.retired_at)]),
  );
}

export function migrationReport(result: MigrationResult): string {
  const ran = result.executed.length ? `Applied ${result.executed.length} migration(s): ${result.executed.join(', ')}.\n` : 'Nothing to migrate.\n';
  return `${ran}The database is at ${result.applied.at(-1) ?? '(no migrations)'}.\n`;
}
