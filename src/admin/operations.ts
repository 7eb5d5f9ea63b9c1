import type { Kysely } from 'kysely';
import { AccountError, type AccountErrorCode } from '../accounts/service.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../accounts/passwords.js';
import type { ClientInput, ClientView } from '../clients/schema.js';
import { migrateToLatest, migrator } from '../db/index.js';
import { HttpError, notFound } from '../http/errors.js';
import { parse } from '../http/guard.js';
import type { KeyInfo } from '../oidc/keys.js';
import type { Services } from '../services.js';
import {
  ClientIdParams,
  ClientInputSchema,
  ListUsersQuery,
  UserIdParams,
  UserInputSchema,
  type Key,
  type MigrationResult,
  type MigrationStatus,
  type User,
} from './schemas.js';

/** Operator-facing English for account refusals (the i18n catalog speaks to end users). */
const ACCOUNT_ERRORS: Record<AccountErrorCode, string> = {
  invalid_email: 'email: not a valid email address',
  too_short: `password: must be at least ${PASSWORD_MIN} characters`,
  too_long: `password: must be at most ${PASSWORD_MAX} characters`,
  too_common: 'password: is on the list of commonly used passwords; choose another',
  email_taken: 'email: an account with this email already exists',
  invalid_credentials: 'invalid email or password',
  account_locked: 'the account is temporarily locked',
  ip_limited: 'too many attempts from this address',
  mail_limited: 'too many messages to this address',
  password_mismatch: 'password: the two passwords differ',
  email_unchanged: 'email: that is already the address',
  already_verified: 'email: already verified',
  confirmation_required: 'the deletion was not confirmed',
};

export function accountHttpError(error: AccountError): HttpError {
  const status = error.code === 'email_taken' ? 409 : 400;
  return new HttpError(status, error.code, ACCOUNT_ERRORS[error.code] ?? error.code);
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

export function toUser(account: { id: string; email: string; created_at: Date | string }): User {
  return { id: account.id, email: account.email, created_at: iso(account.created_at) };
}

export function toKey(key: KeyInfo): Key {
  return {
    kid: key.kid,
    alg: key.alg as Key['alg'],
    status: key.status,
    created_at: iso(key.created_at),
    retired_at: key.retired_at ? iso(key.retired_at) : null,
  };
}

export async function migrationStatus(db: Kysely<unknown>): Promise<MigrationStatus> {
  const all = await migrator(db).getMigrations();
  return {
    applied: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

/** Runs the pending migrations; a failure becomes a 500 that names the migration. */
export async function runMigrations(db: Kysely<unknown>): Promise<MigrationResult> {
  let executed: string[];
  try {
    const result = await migrateToLatest(db);
    executed = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  } catch (error) {
    throw new HttpError(500, 'migration_failed', error instanceof Error ? error.message : String(error));
  }
  return { executed, ...(await migrationStatus(db)) };
}

/**
 * Everything the admin API does, validated with the same schemas whoever calls it:
 * the HTTP routes and the CLI's direct backend. Errors are `HttpError`s.
 */
export function adminOperations(services: Services) {
  const { clients, accounts, oidc, database } = services;
  return {
    async listClients(): Promise<ClientView[]> {
      return clients.list();
    },
    async createClient(input: unknown): Promise<ClientView> {
      const parsed = parse(ClientInputSchema, input);
      return clients.create(parsed as ClientInput);
    },
    async showClient(id: string): Promise<ClientView> {
      const params = parse(ClientIdParams, { id });
      const client = await clients.show(params.id);
      if (!client) throw notFound('no client with this client_id');
      return client;
    },
    async deleteClient(id: string): Promise<void> {
      const params = parse(ClientIdParams, { id });
      if (!(await clients.delete(params.id))) throw notFound('no client with this client_id');
    },
    async listUsers(query: unknown = {}): Promise<{ users: User[]; limit: number; offset: number }> {
      const { limit, offset } = parse(ListUsersQuery, query);
      const rows = await accounts.accounts.list(limit, offset);
      return { users: rows.map(toUser), limit, offset };
    },
    async createUser(input: unknown): Promise<User> {
      const { email, password } = parse(UserInputSchema, input);
      try {
        return toUser(await accounts.create(email, password));
      } catch (error) {
        if (error instanceof AccountError) throw accountHttpError(error);
        throw error;
      }
    },
    async deleteUser(id: string): Promise<void> {
      const params = parse(UserIdParams, { id });
      if (!(await accounts.delete(params.id))) throw notFound('no user with this id');
    },
    async listKeys(): Promise<Key[]> {
      return (await oidc.listKeys()).map(toKey);
    },
    async rotateKeys(): Promise<Key[]> {
      return (await oidc.rotateKeys()).map(toKey);
    },
    migrationStatus(): Promise<MigrationStatus> {
      return migrationStatus(database.db as Kysely<unknown>);
    },
    migrateToLatest(): Promise<MigrationResult> {
      return runMigrations(database.db as Kysely<unknown>);
    },
  };
}

export type AdminOperations = ReturnType<typeof adminOperations>;
