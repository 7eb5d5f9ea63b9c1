import v8 from 'node:v8';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import type { Config } from '../config.js';
import type { DB } from './schema.js';
import { pgliteStatements, pgStatements, type Statements } from './statements.js';
import { rethrowUnavailable } from './unavailable.js';
import { PgCacheBus, PgliteCacheBus, type CacheBus, type PgBusOptions } from './notify.js';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  /** Fixed hot-path statements (prepared on PostgreSQL). */
  statements: Statements;
  engine: 'pglite' | 'postgres';
  /** The embedded engine, when there is one (shared with the CLI over the admin socket). */
  pglite?: PGlite;
  /**
   * The cache-invalidation listener (src/db/notify.ts), started on the first call and
   * stopped by `close`; the server's caches use it, one-off commands never start it.
   */
  cacheBus(options?: PgBusOptions): Promise<CacheBus>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL only: a schema to work in (created if missing); tests use one per file. */
  schema?: string;
  poolSize?: number;
  /** Told about connections that broke (PostgreSQL restart, failover, terminated backend). */
  onConnectionError?: (error: Error) => void;
}

/**
 * How long a request waits for a connection (a new one, or a free one from a busy
 * pool) before it fails with 503, instead of hanging while the database is away.
 */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * The pool as kysely sees it: a connection error (on connect or on a query) becomes
 * DatabaseUnavailableError, so every route answers 503 instead of 500.
 */
function unavailableAware(pool: pg.Pool) {
  type Client = pg.PoolClient;
  const wrapped = new WeakMap<Client, { query: Client['query']; release: Client['release'] }>();
  return {
    async connect() {
      const client = await pool.connect().catch(rethrowUnavailable);
      let view = wrapped.get(client);
      if (!view) {
        view = {
          query: ((...args: Parameters<Client['query']>) =>
            (client.query as (...a: unknown[]) => Promise<unknown>)(...args).catch(rethrowUnavailable)) as Client['query'],
          release: (err?: Error | boolean) => client.release(err),
        };
        wrapped.set(client, view);
      }
      return view;
    },
    end: () => pool.end(),
  };
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const BYTEA_OID = 17;

export async function openDatabase(target: Config['database'], options: OpenOptions = {}): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error('invalid schema name');
    if (options.schema) {
      const admin = new pg.Client({ connectionString: target.url });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
      } finally {
        await admin.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: target.url,
      max: options.poolSize ?? 10,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
      // Fail fast while the database is away, and notice half-open connections after a failover.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // A connection that breaks emits 'error': on the pool when idle, on the client when
    // checked out. Unheard, either kills the process; the pool drops the client and
    // the next request opens a new connection.
    pool.on('error', () => undefined); // reported by the client's own listener below
    pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: unavailableAware(pool) }) });
    if (options.schema) workingSchemas.set(db, options.schema);
    let bus: Promise<PgCacheBus> | undefined;
    return {
      db,
      statements: pgStatements(pool),
      engine: 'postgres',
      cacheBus: (busOptions) =>
        (bus ??= (async () => {
          const started = new PgCacheBus(target.url, busOptions);
          await started.ready();
          return started;
        })()),
      close: async () => {
        if (bus) await (await bus).close();
        await db.destroy();
      },
    };
  }
  // A small buffer cache: PGlite lives in this process's memory, and our working set is small.
  const settings = {
    postgresqlconf: ['shared_buffers = 16MB'],
    // bytea (OID 17) as binary on the way in and one hex decode on the way out:
    // PGlite's defaults convert scans byte by byte (seconds for 10 MB instead of 0.2 s).
    serializers: { [BYTEA_OID]: (value: unknown) => value as string },
    parsers: { [BYTEA_OID]: (text: string) => Buffer.from(text.slice(2), 'hex') },
  };
  // PGlite's 10 MB WebAssembly module compiled once, by the baseline compiler. V8's
  // default also compiles hot functions again with the optimizing one, which keeps
  // 60-70 MB more resident (compiler memory malloc keeps) for about 0.3 ms less CPU per
  // userinfo (bench/results/memory-2026-11-30.md). Read when a module is compiled, so
  // it can be set now; it applies to WebAssembly compiled from here on in this process.
  v8.setFlagsFromString('--liftoff-only');
  // Loaded only here: a server on PostgreSQL never needs the embedded engine's code.
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
  const pglite = target.kind === 'memory' ? new PGlite(settings) : new PGlite(target.dataDir, settings);
  await pglite.waitReady;
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  let bus: Promise<PgliteCacheBus> | undefined;
  return {
    db,
    statements: pgliteStatements(pglite),
    engine: 'pglite',
    pglite,
    cacheBus: () => (bus ??= PgliteCacheBus.start(pglite)),
    close: async () => {
      if (bus) await (await bus).close();
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

/**
 * The schema a handle works in, when it was given one. kysely's migrator looks for
 * its lock table in every schema of the database unless told which: another
 * schema's table (a second install, a test file that did not clean up) would make
 * it skip creating its own, and the migration then fails.
 */
const workingSchemas = new WeakMap<Kysely<any>, string>();

export function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations }, migrationTableSchema: workingSchemas.get(db) });
}

/** Brings the schema to the latest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, { cause: result.error });
  }
  return result;
}

/** `select 1`, failing after `timeoutMs` if the database does not answer (readiness must not hang). */
export async function ping(db: Database, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database ping timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
