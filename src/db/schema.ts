import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Table types. JSON columns are written as strings and read back parsed. */
type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface OidcPayloadTable {
  kind: string;
  id: string;
  payload: Json<Record<string, unknown>>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
}

export interface ClientTable {
  client_id: string;
  metadata: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: Date;
}

export interface AccountTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  created_at: CreatedAt;
  updated_at: Date;
}

export interface ThrottleTable {
  key: string;
  window_start: Date;
  count: number;
  locked_until: Date | null;
}

export interface SigningKeyTable {
  kid: string;
  alg: string;
  /** The private JWK, encrypted under the operator key (compact JWE, dir + A256GCM). */
  sealed_jwk: string;
  created_at: CreatedAt;
  retired_at: Date | null;
}

export interface DB {
  oidc_payloads: OidcPayloadTable;
  clients: ClientTable;
  accounts: AccountTable;
  throttle: ThrottleTable;
  signing_keys: SigningKeyTable;
}

export type AccountRow = Selectable<AccountTable>;
export type NewAccount = Insertable<AccountTable>;
export type ClientRow = Selectable<ClientTable>;
export type SigningKeyRow = Selectable<SigningKeyTable>;
