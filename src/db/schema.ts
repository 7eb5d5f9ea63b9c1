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
  /** Without the client_secret, which is sealed in the column below. */
  metadata: Json<Record<string, unknown>>;
  /** The client secret, encrypted under the operator key (compact JWE, dir + A256GCM). */
  client_secret_sealed: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: Date;
  /** Raised by every write; an edit names the version it was made on (optimistic concurrency). */
  version: ColumnType<number, number | undefined, number>;
}

export interface AccountTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  created_at: CreatedAt;
  updated_at: Date;
  /** When the current address was proven by a mailed link; null until then and after a change. */
  email_verified_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Non-null: the account is an operator (the console), since then. */
  operator_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Non-null: the account cannot sign in, since then. */
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface AccountLinkTable {
  /** SHA-256 of the mailed token (base64url); the token itself is never stored. */
  digest: string;
  account_id: string;
  purpose: 'verify_email' | 'reset_password';
  /** The address the link was sent to. */
  email: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: CreatedAt;
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

export interface VaultTable {
  account_id: string;
  vault_id: string;
  /** bigint: read back as a string by pg, as a number by PGlite; always convert with Number(). */
  version: ColumnType<string | number, number | undefined, number>;
  kdf: Json<Record<string, unknown>>;
  wrapped_mk: string;
  recovery_wrapped_mk: string;
  /** The page's state record (canonical JSON) and its MAC; null until the page writes one. */
  state: ColumnType<string | null, string | null | undefined, string | null>;
  state_mac: ColumnType<string | null, string | null | undefined, string | null>;
  /** Holder keys (DESIGN 5.5): [{use, public_jwk, sealed_private}], null until the page makes them. */
  holder_keys: ColumnType<unknown[] | null, string | null | undefined, string | null>;
  /** When the holder confirmed the current recovery code; null until then (and again after a new code). */
  recovery_confirmed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: CreatedAt;
  updated_at: Date;
}

export interface VaultElementTable {
  id: string;
  account_id: string;
  type: string;
  version: number;
  wrapped_key: string;
  ciphertext: string;
  size: number;
  created_at: CreatedAt;
  updated_at: Date;
}

export interface VaultFileTable {
  id: string;
  account_id: string;
  element_id: string | null;
  media_type: string;
  wrapped_key: string;
  size: number;
  ciphertext: Uint8Array;
  created_at: CreatedAt;
}

export interface ReleaseTable {
  id: Generated<string>;
  grant_id: string;
  account_id: string;
  client_id: string;
  jwe: string;
  element_types: Json<string[]>;
  file_ids: Json<string[]>;
  created_at: CreatedAt;
  revoked_at: Date | null;
  /** Random names of the released elements (DESIGN 5.7); [] before RP feedback. */
  refs: ColumnType<string[], string | undefined, string>;
  /** The release's jti: the sealed record's id (its AD). */
  record_id: string | null;
  /** The sharing record sealed under MK, base64url; never opened here. */
  sharing_record: string | null;
  /** The RP's open errors, replaced by each report. */
  errors: ColumnType<ReleaseErrorRow[], string | undefined, string>;
  errors_at: Date | null;
}

export interface ReleaseErrorRow {
  ref: string;
  field?: string;
  file?: string;
  message: string;
}

/** A verifier's attestation waiting in the holder's inbox: a JWE to the holder's HE key, never opened here. */
export interface AttestationInboxTable {
  id: Generated<string>;
  account_id: string;
  client_id: string;
  release_id: string;
  jwe: string;
  created_at: CreatedAt;
}

export interface AccountTotpTable {
  account_id: string;
  /** The base32 secret, sealed under OPERATOR_KEY (compact JWE, kid bound to the account). */
  secret_sealed: string;
  confirmed_at: Date | null;
  /** The TOTP time step of the last accepted code: a code at or before it is refused. */
  last_time_step: ColumnType<string | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
}

export interface AccountRecoveryCodeTable {
  account_id: string;
  /** SHA-256 of the normalized code (base64url). */
  digest: string;
  used_at: Date | null;
}

export interface AccountPasskeyTable {
  /** The credential id (base64url). */
  id: string;
  account_id: string;
  public_key: Uint8Array;
  counter: ColumnType<string, number | undefined, number>;
  transports: Json<string[]>;
  name: string;
  backed_up: boolean;
  created_at: CreatedAt;
  last_used_at: Date | null;
}

export interface WebauthnChallengeTable {
  challenge: string;
  purpose: 'register' | 'sign_in';
  /** The account (register) or the interaction uid (sign_in) the challenge was made for. */
  binding: string;
  expires_at: Date;
}

/** A signed-in browser as the account page describes it; the session itself is in oidc_payloads (kind 'Session', same uid). */
export interface AccountSessionTable {
  uid: string;
  account_id: string;
  /** A browser family ("Chrome", "Firefox") from the User-Agent; null when none was recognised. */
  browser: string | null;
  /** A system family ("Linux", "iOS"); null when none was recognised. */
  os: string | null;
  /** The client address cut to its network: "203.0.113.x", "2001:db8:1::/48". */
  network: string | null;
  created_at: CreatedAt;
  last_seen_at: Date;
}

/** Wathiqa's own verifier signing key (ES256), sealed under OPERATOR_KEY like the OIDC signing keys. */
export interface WathiqaVerifierKeyTable {
  kid: string;
  alg: string;
  sealed_jwk: string;
  created_at: CreatedAt;
}

/** A code mailed to a vault email element's address: never the address, only SHA-256(salt | email | code). */
export interface EmailControlCodeTable {
  id: Generated<string>;
  account_id: string;
  salt: string;
  digest: string;
  attempts: Generated<number>;
  expires_at: Date;
  created_at: CreatedAt;
}

/** One administrative change (migration 0016). Append-only: a trigger refuses UPDATE and DELETE. */
export interface AuditEventTable {
  /** bigserial: read back as a string by pg, as a number by PGlite. */
  id: ColumnType<string | number, never, never>;
  at: CreatedAt;
  actor_kind: 'operator' | 'admin_token' | 'cli' | 'registration';
  actor_id: string | null;
  actor_label: string;
  ip: string | null;
  action: string;
  target: string | null;
  details: Json<Record<string, unknown>>;
}

export interface DB {
  oidc_payloads: OidcPayloadTable;
  clients: ClientTable;
  accounts: AccountTable;
  throttle: ThrottleTable;
  signing_keys: SigningKeyTable;
  vaults: VaultTable;
  vault_elements: VaultElementTable;
  vault_files: VaultFileTable;
  releases: ReleaseTable;
  attestation_inbox: AttestationInboxTable;
  account_links: AccountLinkTable;
  account_totp: AccountTotpTable;
  account_recovery_codes: AccountRecoveryCodeTable;
  account_passkeys: AccountPasskeyTable;
  webauthn_challenges: WebauthnChallengeTable;
  account_sessions: AccountSessionTable;
  wathiqa_verifier_keys: WathiqaVerifierKeyTable;
  email_control_codes: EmailControlCodeTable;
  audit_events: AuditEventTable;
}

export type AccountRow = Selectable<AccountTable>;
export type NewAccount = Insertable<AccountTable>;
export type ClientRow = Selectable<ClientTable>;
export type SigningKeyRow = Selectable<SigningKeyTable>;
