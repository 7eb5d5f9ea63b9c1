import type { Kysely } from 'kysely';
import { AccountError, type AccountErrorCode } from '../accounts/service.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../accounts/passwords.js';
import type { AccountDetails, AccountSummary } from '../accounts/admin.js';
import type { AuditContext } from '../audit/actor.js';
import { metadataChange } from '../audit/scrub.js';
import type { AuditEvent } from '../audit/service.js';
import type { AuditPage } from '../audit/schemas.js';
import type { ClientInput, ClientView } from '../clients/schema.js';
import type { Database } from '../db/index.js';
import { migrateToLatest, migrator } from '../db/index.js';
import { AuditService } from '../audit/service.js';
import { badRequest, HttpError, notFound } from '../http/errors.js';
import { parse } from '../http/guard.js';
import type { KeyInfo } from '../oidc/keys.js';
import type { Services } from '../services.js';
import {
  ClientIdParams,
  ClientInputSchema,
  ListUsersQuery,
  OperatorInputSchema,
  UserIdParams,
  UserInputSchema,
  type ClientImpactView,
  type Key,
  type MigrationResult,
  type MigrationStatus,
  type OperatorView,
  type SignOutResult,
  type User,
  type UserChange,
  type UserDetails,
  type UserSummary,
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
  account_disabled: 'the account is disabled',
};

export function accountHttpError(error: AccountError): HttpError {
  const status = error.code === 'email_taken' ? 409 : 400;
  return new HttpError(status, error.code, ACCOUNT_ERRORS[error.code] ?? error.code);
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

export function toUser(account: { id: string; email: string; created_at: Date | string }): User {
  return { id: account.id, email: account.email, created_at: iso(account.created_at) };
}

const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

export function toUserSummary(account: AccountSummary): UserSummary {
  return { ...toUser(account), email_verified: account.email_verified, operator: account.operator, disabled: account.disabled };
}

export function toUserDetails(account: AccountDetails): UserDetails {
  return {
    ...toUserSummary(account),
    email_verified_at: isoOrNull(account.email_verified_at),
    operator_since: isoOrNull(account.operator_since),
    disabled_at: isoOrNull(account.disabled_at),
    factors: account.factors,
    sessions: account.sessions.map((s) => ({
      browser: s.browser,
      os: s.os,
      network: s.network,
      signed_in_at: isoOrNull(s.signedInAt),
      last_seen_at: isoOrNull(s.lastSeenAt),
    })),
  };
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

/**
 * Runs the pending migrations; a failure becomes a 500 that names the migration.
 * What ran is recorded in the audit trail afterwards (the migrator keeps its own
 * transactions; the trail's table may be among what it just made).
 */
export async function runMigrations(db: Kysely<unknown>, context?: AuditContext): Promise<MigrationResult> {
  let executed: string[];
  try {
    const result = await migrateToLatest(db);
    executed = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  } catch (error) {
    throw new HttpError(500, 'migration_failed', error instanceof Error ? error.message : String(error));
  }
  if (context && executed.length > 0) {
    await new AuditService(db as Database).record(db as Database, context, { action: 'migrate', details: { executed } });
  }
  return { executed, ...(await migrationStatus(db)) };
}

/**
 * Everything the admin API does, validated with the same schemas whoever calls it:
 * the HTTP routes, the CLI's direct backend and the operator console. Errors are
 * `HttpError`s. Every change is recorded in the audit trail under `context` (who,
 * from where), in the change's own transaction.
 */
export function adminOperations(services: Services, context: AuditContext) {
  const { clients, accounts, accountAdmin, operators, oidc, database, audit } = services;
  /** A hook that records `event` (built from what the change saw) in the change's transaction. */
  const recording =
    <T extends unknown[]>(event: (...change: T) => AuditEvent) =>
    (trx: Database, ...change: T) =>
      audit.record(trx, context, event(...change));
  const clientEvent = (action: AuditEvent['action']) =>
    recording((change: { clientId: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }) => ({
      action,
      target: change.clientId,
      details: { ...metadataChange(change.before, change.after) },
    }));
  const userEvent = (action: AuditEvent['action']) => recording((account: { id: string; email: string }) => ({ action, target: account.id, details: { email: account.email } }));
  const userId = (id: string) => parse(UserIdParams, { id }).id;
  const noUser = () => notFound('no user with this id');
  /**
   * An operator may not disable or delete the account they act from: one slip would lock
   * the last operator out of the console. Another operator, the admin API or the CLI can.
   */
  const notOwnAccount = (id: string) => {
    if (context.actor.kind === 'operator' && context.actor.id === id) {
      throw new HttpError(409, 'own_account', 'an operator cannot disable or delete their own account; another operator, the admin API or the CLI can');
    }
    return id;
  };
  const change = (outcome: { account: { id: string; email: string }; changed: boolean } | undefined, missing = noUser): UserChange => {
    if (!outcome) throw missing();
    return { id: outcome.account.id, email: outcome.account.email, changed: outcome.changed };
  };
  const operatorEmail = (input: unknown) => {
    const { email } = parse(OperatorInputSchema, input);
    try {
      return accounts.normalizeEmail(email);
    } catch (error) {
      if (error instanceof AccountError) throw accountHttpError(error);
      throw error;
    }
  };
  const noAccountWithEmail = () => notFound('no user with this email');
  /** Accounts, oldest first; `email` finds by part of the address. */
  async function findUsers(query: unknown = {}): Promise<{ users: UserSummary[]; limit: number; offset: number }> {
    const { limit, offset, email } = parse(ListUsersQuery, query);
    const rows = await accountAdmin.find({ email, limit, offset });
    return { users: rows.map(toUserSummary), limit, offset };
  }

  return {
    context,
    async listClients(): Promise<ClientView[]> {
      return clients.list();
    },
    async createClient(input: unknown): Promise<ClientView> {
      const parsed = parse(ClientInputSchema, input);
      return clients.create(parsed as ClientInput, clientEvent('client.create'));
    },
    async showClient(id: string): Promise<ClientView> {
      const params = parse(ClientIdParams, { id });
      const client = await clients.show(params.id);
      if (!client) throw notFound('no client with this client_id');
      return client;
    },
    /** An edit made on version `expected`; a client changed since: 409 conflict, nothing written. */
    async updateClient(id: string, input: unknown, expected: unknown): Promise<ClientView> {
      const params = parse(ClientIdParams, { id });
      if (input === null || typeof input !== 'object' || Array.isArray(input)) throw badRequest('the client must be a JSON object');
      return clients.update(params.id, { ...(input as object), version: expected } as never, clientEvent('client.update'));
    },
    /** The new secret is in the answer, this once; the record says only that it was replaced. */
    async rotateClientSecret(id: string): Promise<ClientView> {
      const params = parse(ClientIdParams, { id });
      return clients.rotateSecret(
        params.id,
        recording((change: { clientId: string; before: Record<string, unknown> | null }) => ({
          action: 'client.secret.rotate',
          target: change.clientId,
          details: { client_name: change.before?.client_name ?? null, replaced: 'client_secret' },
        })),
      );
    },
    async clientImpact(id: string): Promise<ClientImpactView> {
      const params = parse(ClientIdParams, { id });
      const impact = await clients.impact(params.id);
      if (!impact) throw notFound('no client with this client_id');
      return impact;
    },
    /** Deletes the client; answers what went with it (counted just before). */
    async deleteClient(id: string): Promise<ClientImpactView> {
      const params = parse(ClientIdParams, { id });
      const impact = await clients.impact(params.id);
      if (!impact) throw notFound('no client with this client_id');
      const deleted = await clients.delete(
        params.id,
        recording((change: { clientId: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }) => ({
          action: 'client.delete',
          target: change.clientId,
          details: { ...metadataChange(change.before, change.after), grants: impact.grants, tokens: impact.tokens, releases: impact.releases },
        })),
      );
      if (!deleted) throw notFound('no client with this client_id');
      return impact;
    },
    listUsers: findUsers,
    /** The console's search: the same as listUsers. */
    findUsers,
    async showUser(id: string): Promise<UserDetails> {
      const details = await accountAdmin.details(userId(id));
      if (!details) throw noUser();
      return toUserDetails(details);
    },
    async createUser(input: unknown): Promise<User> {
      const { email, password } = parse(UserInputSchema, input);
      try {
        return toUser(await accounts.create(email, password, userEvent('user.create')));
      } catch (error) {
        if (error instanceof AccountError) throw accountHttpError(error);
        throw error;
      }
    },
    async deleteUser(id: string): Promise<void> {
      if (!(await accounts.delete(notOwnAccount(userId(id)), userEvent('user.delete')))) throw noUser();
    },
    async disableUser(id: string): Promise<UserChange> {
      return change(await accountAdmin.disable(notOwnAccount(userId(id)), userEvent('user.disable')));
    },
    async enableUser(id: string): Promise<UserChange> {
      return change(await accountAdmin.enable(userId(id), userEvent('user.enable')));
    },
    async signOutUserEverywhere(id: string): Promise<SignOutResult> {
      const outcome = await accountAdmin.signOutEverywhere(
        userId(id),
        recording((account: { id: string; email: string }, sessions: number) => ({ action: 'user.signout', target: account.id, details: { email: account.email, sessions } })),
      );
      return { ...change(outcome), sessions: outcome?.result ?? 0 };
    },
    async listOperators(): Promise<OperatorView[]> {
      return (await operators.list()).map((o) => ({ id: o.id, email: o.email, operator_since: iso(o.operator_since) }));
    },
    async grantOperator(input: unknown): Promise<UserChange> {
      return change(await operators.grant(operatorEmail(input), userEvent('operator.grant')), noAccountWithEmail);
    },
    async revokeOperator(input: unknown): Promise<UserChange> {
      return change(await operators.revoke(operatorEmail(input), userEvent('operator.revoke')), noAccountWithEmail);
    },
    async listKeys(): Promise<Key[]> {
      return (await oidc.listKeys()).map(toKey);
    },
    async rotateKeys(): Promise<Key[]> {
      const keys = await oidc.rotateKeys(recording((rotation) => ({ action: 'keys.rotate', details: { ...rotation } })));
      return keys.map(toKey);
    },
    /** A page of the trail, newest first (the console). */
    listAudit(filter: unknown = {}): Promise<AuditPage> {
      return audit.list(filter);
    },
    /** The trail as JSON lines, oldest first; the filter is checked before the first line. */
    exportAudit(filter: unknown = {}): AsyncGenerator<string> {
      return audit.exportLines(filter);
    },
    migrationStatus(): Promise<MigrationStatus> {
      return migrationStatus(database.db as Kysely<unknown>);
    },
    migrateToLatest(): Promise<MigrationResult> {
      return runMigrations(database.db as Kysely<unknown>, context);
    },
  };
}

export type AdminOperations = ReturnType<typeof adminOperations>;
