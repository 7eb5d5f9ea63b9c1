import { request } from 'node:http';
import { userInfo } from 'node:os';
import { CLI_USER_HEADER, cliActor } from '../audit/actor.js';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import type { Config } from '../config.js';
import type { ClientInput, ClientView } from '../clients/schema.js';
import { openDatabase, type DatabaseHandle } from '../db/index.js';
import { adminSocketPath, DataDirLock } from '../db/lock.js';
import { HttpError } from '../http/errors.js';
import { adminOperations, runMigrations, type AdminOperations } from '../admin/operations.js';
import type { ClientImpactView, Key, MigrationResult, MigrationStatus, User, UserChange, UserInput, UserSummary } from '../admin/schemas.js';
import { createServices } from '../services.js';
import { createLogger } from '../ops/logger.js';
import { CliError } from './errors.js';

export interface UserPage {
  users: UserSummary[];
  limit: number;
  offset: number;
}

/** One method per operation; the CLI does not care whether a server is in between. */
export interface Backend {
  readonly kind: 'socket' | 'direct';
  /** Where the work is done, for messages ("through the server (pid 123)"). */
  readonly description: string;
  listClients(): Promise<ClientView[]>;
  createClient(input: ClientInput): Promise<ClientView>;
  showClient(id: string): Promise<ClientView>;
  deleteClient(id: string): Promise<ClientImpactView | void>;
  rotateClientSecret(id: string): Promise<ClientView>;
  listUsers(page: { limit?: number; offset?: number }): Promise<UserPage>;
  createUser(input: UserInput): Promise<User>;
  deleteUser(id: string): Promise<void>;
  disableUser(id: string): Promise<UserChange>;
  enableUser(id: string): Promise<UserChange>;
  grantOperator(email: string): Promise<UserChange>;
  revokeOperator(email: string): Promise<UserChange>;
  /** The audit trail as JSON lines (filters as the admin API's query). */
  exportAudit(filter: Record<string, string>): Promise<string>;
  listKeys(): Promise<Key[]>;
  rotateKeys(): Promise<Key[]>;
  migrationStatus(): Promise<MigrationStatus>;
  migrate(): Promise<MigrationResult>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// socket: a running server owns the embedded database; ask its admin API.
// ---------------------------------------------------------------------------

interface Answer {
  status: number;
  body: unknown;
}

/** The OS user the CLI runs as, for the audit trail's "CLI on the host (user)"; none when it cannot be read. */
function osUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

function send(socketPath: string, method: string, path: string, body?: unknown, raw = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath,
        path,
        method,
        headers: {
          host: 'localhost',
          accept: 'application/json',
          ...(osUser() ? { [CLI_USER_HEADER]: osUser() } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : { 'content-length': 0 }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? (raw && (res.statusCode ?? 0) < 400 ? text : JSON.parse(text)) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED']);

export class SocketBackend implements Backend {
  readonly kind = 'socket';
  readonly description: string;

  constructor(
    private readonly socketPath: string,
    private readonly dataDir: string,
    private readonly pid: number,
    /** How long to wait for a server that is still starting (its socket not yet listening). */
    private readonly waitMs = 15_000,
  ) {
    this.description = `the running server (pid ${pid})`;
  }

  private async call<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
    const deadline = Date.now() + this.waitMs;
    let answer: Answer;
    for (;;) {
      try {
        answer = await send(this.socketPath, method, path, body, raw);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        // Nothing reached the server, so trying again cannot do anything twice.
        if (RETRYABLE.has(code) && Date.now() < deadline && DataDirLock.holder(this.dataDir) !== undefined) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        throw new CliError(
          `process ${this.pid} holds the embedded database in ${this.dataDir} but its admin socket ${this.socketPath} does not answer (${code || (error as Error).message}); ` +
            `if no Wathiqa server is running, remove ${DataDirLock.path(this.dataDir)}`,
        );
      }
    }
    if (answer.status >= 400) {
      const b = (answer.body ?? {}) as { error?: string; error_description?: string };
      throw new CliError(b.error_description ?? `the server answered ${answer.status}`, 1, b.error);
    }
    return answer.body as T;
  }

  async listClients() {
    return (await this.call<{ clients: ClientView[] }>('GET', '/admin/clients')).clients;
  }
  createClient(input: ClientInput) {
    return this.call<ClientView>('POST', '/admin/clients', input);
  }
  showClient(id: string) {
    return this.call<ClientView>('GET', `/admin/clients/${encodeURIComponent(id)}`);
  }
  async deleteClient(id: string) {
    await this.call('DELETE', `/admin/clients/${encodeURIComponent(id)}`);
  }
  rotateClientSecret(id: string) {
    return this.call<ClientView>('POST', `/admin/clients/${encodeURIComponent(id)}/secret`);
  }
  disableUser(id: string) {
    return this.call<UserChange>('POST', `/admin/users/${encodeURIComponent(id)}/disable`);
  }
  enableUser(id: string) {
    return this.call<UserChange>('POST', `/admin/users/${encodeURIComponent(id)}/enable`);
  }
  grantOperator(email: string) {
    return this.call<UserChange>('POST', '/admin/operators/grant', { email });
  }
  revokeOperator(email: string) {
    return this.call<UserChange>('POST', '/admin/operators/revoke', { email });
  }
  async exportAudit(filter: Record<string, string>) {
    const qs = new URLSearchParams(filter).toString();
    return (await this.call<string | undefined>('GET', `/admin/audit${qs ? `?${qs}` : ''}`, undefined, true)) ?? '';
  }
  listUsers(page: { limit?: number; offset?: number }) {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    if (page.offset !== undefined) query.set('offset', String(page.offset));
    const qs = query.toString();
    return this.call<UserPage>('GET', `/admin/users${qs ? `?${qs}` : ''}`);
  }
  createUser(input: UserInput) {
    return this.call<User>('POST', '/admin/users', input);
  }
  async deleteUser(id: string) {
    await this.call('DELETE', `/admin/users/${encodeURIComponent(id)}`);
  }
  async listKeys() {
    return (await this.call<{ keys: Key[] }>('GET', '/admin/keys')).keys;
  }
  async rotateKeys() {
    return (await this.call<{ keys: Key[] }>('POST', '/admin/keys/rotate')).keys;
  }
  migrationStatus() {
    return this.call<MigrationStatus>('GET', '/admin/migrations');
  }
  migrate() {
    return this.call<MigrationResult>('POST', '/admin/migrations/latest');
  }
  async close() {}
}

// ---------------------------------------------------------------------------
// direct: nobody holds the database; open it, work, close it.
// ---------------------------------------------------------------------------

/** Turns the operations' HttpErrors into CLI errors with the same text as the API's. */
async function translate<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof HttpError) throw new CliError(error.description, 1, error.code);
    throw error;
  }
}

export class DirectBackend implements Backend {
  readonly kind = 'direct';
  readonly description: string;
  #ops?: Promise<AdminOperations>;

  private constructor(
    private readonly config: Config,
    private readonly database: DatabaseHandle,
    private readonly lock: DataDirLock | undefined,
    private readonly logLevel: string,
  ) {
    this.description = `the ${database.engine === 'postgres' ? 'PostgreSQL' : 'embedded'} database`;
  }

  static async open(config: Config, logLevel: string): Promise<DirectBackend> {
    let lock: DataDirLock | undefined;
    if (config.database.kind === 'pglite') {
      try {
        lock = DataDirLock.acquire(config.dataDir);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
    }
    try {
      const database = await openDatabase(config.database, { poolSize: 2 });
      return new DirectBackend(config, database, lock, logLevel);
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  /** Migrations first (the services expect the latest schema), then the services themselves. */
  private ops(): Promise<AdminOperations> {
    return (this.#ops ??= (async () => {
      const context = { actor: cliActor(osUser()) };
      // Recorded in the audit trail when it applies anything, like `wathiqa migrate`.
      await runMigrations(this.database.db as Kysely<unknown>, context);
      // Logs go to stderr so that stdout carries only the command's output.
      const logger = createLogger(this.logLevel, pino.destination({ dest: 2, sync: true }));
      return adminOperations(await createServices(this.config, this.database, logger), context);
    })());
  }

  private async run<T>(work: (ops: AdminOperations) => Promise<T>): Promise<T> {
    return translate(this.ops().then(work));
  }

  listClients() {
    return this.run((o) => o.listClients());
  }
  createClient(input: ClientInput) {
    return this.run((o) => o.createClient(input));
  }
  showClient(id: string) {
    return this.run((o) => o.showClient(id));
  }
  deleteClient(id: string) {
    return this.run((o) => o.deleteClient(id));
  }
  listUsers(page: { limit?: number; offset?: number }) {
    return this.run((o) => o.listUsers(Object.fromEntries(Object.entries(page).filter(([, v]) => v !== undefined))));
  }
  createUser(input: UserInput) {
    return this.run((o) => o.createUser(input));
  }
  deleteUser(id: string) {
    return this.run((o) => o.deleteUser(id));
  }
  rotateClientSecret(id: string) {
    return this.run((o) => o.rotateClientSecret(id));
  }
  disableUser(id: string) {
    return this.run((o) => o.disableUser(id));
  }
  enableUser(id: string) {
    return this.run((o) => o.enableUser(id));
  }
  grantOperator(email: string) {
    return this.run((o) => o.grantOperator({ email }));
  }
  revokeOperator(email: string) {
    return this.run((o) => o.revokeOperator({ email }));
  }
  exportAudit(filter: Record<string, string>) {
    return this.run(async (o) => {
      let text = '';
      for await (const line of o.exportAudit(filter)) text += line;
      return text;
    });
  }
  listKeys() {
    return this.run((o) => o.listKeys());
  }
  rotateKeys() {
    return this.run((o) => o.rotateKeys());
  }
  migrationStatus() {
    return this.run((o) => o.migrationStatus());
  }
  /** Needs no services: just the migrator, reporting what ran. */
  migrate() {
    return translate(runMigrations(this.database.db as Kysely<unknown>, { actor: cliActor(osUser()) }));
  }

  async close() {
    try {
      await this.database.close();
    } finally {
      this.lock?.release();
    }
  }
}

/**
 * The socket when a live server holds the embedded database (PGlite admits one
 * process per data directory); otherwise the database itself.
 */
export async function connect(config: Config, logLevel: string): Promise<Backend> {
  if (config.database.kind === 'pglite') {
    const pid = DataDirLock.holder(config.dataDir);
    if (pid !== undefined && pid !== process.pid) {
      return new SocketBackend(adminSocketPath(config.dataDir), config.dataDir, pid);
    }
  }
  return DirectBackend.open(config, logLevel);
}
