import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Config } from './config.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from './db/index.js';
import { adminSocketPath, DataDirLock } from './db/lock.js';
import { createApp, type AppState } from './app.js';
import { adminRouter } from './admin/routes.js';
import { errorHandler } from './http/error-handler.js';
import { createServices, type Services } from './services.js';
import { removeExpired } from './oidc/adapter.js';
import { removeExpiredKeys } from './oidc/keys.js';
import { createLogger, type Logger } from './ops/logger.js';

export interface RunningServer {
  url: string;
  services: Services;
  server: Server;
  /** The admin socket, when the database is the embedded one (the CLI talks to it). */
  adminSocket?: string;
  close(): Promise<void>;
}

const KEY_POLL_MS = 30_000;
/** How often Node checks open connections against headersTimeout and requestTimeout (its default is 30 s). */
const CONNECTION_CHECK_MS = 1000;

/**
 * The public HTTP server. Slow clients: headers and the whole request must arrive
 * within the configured timeouts (408, then the socket is closed). Shutdown: once
 * `draining()` is true every response says `Connection: close`, and a connection is
 * closed as soon as its response is done, so a drain ends with the last response.
 */
function httpServer(config: Config, handler: (req: IncomingMessage, res: ServerResponse) => void, draining: () => boolean) {
  const inFlight = new Set<ServerResponse>();
  const server = createServer(
    {
      headersTimeout: config.http.headersTimeoutSeconds * 1000,
      requestTimeout: config.http.requestTimeoutSeconds * 1000,
      connectionsCheckingInterval: CONNECTION_CHECK_MS,
    },
    (req, res) => {
      if (draining()) res.setHeader('Connection', 'close');
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
      // Closes the connection a response ends on even if its headers went out before the drain.
      res.once('finish', () => draining() && setImmediate(() => server.closeIdleConnections()));
      handler(req, res);
    },
  );
  server.keepAliveTimeout = 65_000;
  return {
    server,
    /** Stops listening; idle connections close now, busy ones after their response. */
    drain(): Promise<void> {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      return closed;
    },
  };
}

function listen(server: Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Opens the database, migrates, builds the app and listens. Background chores:
 * expired rows are cleaned up, and the signing keys are re-read when another node
 * rotated them.
 */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const lock = config.database.kind === 'pglite' ? DataDirLock.acquire(config.dataDir) : undefined;
  let database: DatabaseHandle | undefined;
  try {
    database = await openDatabase(config.database, {
      onConnectionError: (error) =>
        logger.warn({ sqlstate: (error as { code?: string }).code, reason: error.message }, 'database connection lost; reconnecting on demand'),
    });
    await migrateToLatest(database.db);
    const services = await createServices(config, database, logger);
    const state: AppState = { shuttingDown: false };
    const app = createApp(services, state);
    const http = httpServer(config, app.callback(), () => state.shuttingDown);
    const { server } = http;
    await listen(server, config.port, config.host);
    const { port } = server.address() as AddressInfo;
    const url = `http://localhost:${port}`;

    let adminServer: Server | undefined;
    let adminSocket: string | undefined;
    if (config.database.kind === 'pglite') {
      adminSocket = adminSocketPath(config.dataDir);
      rmSync(adminSocket, { force: true });
      const adminApp = new Koa();
      adminApp.silent = true;
      const router = adminRouter(services, { local: true });
      adminApp.use(errorHandler(services.views, logger)).use(router.routes()).use(router.allowedMethods());
      adminServer = createServer(adminApp.callback());
      // Created with 0600 permissions: only the server's own user reaches it.
      const previous = process.umask(0o177);
      try {
        await listen(adminServer, adminSocket);
      } finally {
        process.umask(previous);
      }
    }

    const chores = setInterval(() => {
      void (async () => {
        await removeExpired(database!.db);
        await removeExpiredKeys(database!.db);
        await services.accounts.removeStaleCounters();
        await services.mailLinks.links.removeStale();
        await services.vault.removeUnattachedFiles();
        await services.sessions.removeStale();
        await services.emailControl.removeStale();
      })().catch((err) => logger.warn({ err }, 'cleanup failed'));
    }, Math.max(1, config.cleanupIntervalSeconds) * 1000);
    const keyWatch = setInterval(() => {
      services.oidc.refreshIfChanged().then(
        (changed) => changed && logger.info('signing keys changed; provider reloaded'),
        (err) => logger.warn({ err }, 'signing key check failed'),
      );
    }, KEY_POLL_MS);
    chores.unref();
    keyWatch.unref();
    if (config.cleanupIntervalSeconds === 0) clearInterval(chores);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        state.shuttingDown = true;
        clearInterval(chores);
        clearInterval(keyWatch);
        const closed = Promise.all([
          http.drain(),
          adminServer ? new Promise<void>((r) => adminServer!.close(() => r())) : undefined,
        ]);
        // The grace period is for stragglers only: the drain ends with the last response.
        const grace = setTimeout(() => server.closeAllConnections(), config.shutdownGraceSeconds * 1000);
        await closed;
        clearTimeout(grace);
        await database!.close();
        if (adminSocket) rmSync(adminSocket, { force: true });
        lock?.release();
      })());

    logger.info({ url: config.issuer, port, engine: database.engine }, 'listening');
    // Said at every start, loudest on the first: where the generated secrets live (the path, never their values).
    if (config.devSecrets) {
      const where = { file: config.devSecrets.file };
      if (config.devSecrets.created) logger.warn(where, 'development secrets generated (cookie keys, operator key); they are kept in this file, readable by you only; set COOKIE_KEYS and OPERATOR_KEY instead in production');
      else logger.info(where, 'development secrets read from this file');
    }
    return { url, services, server, adminSocket, close };
  } catch (error) {
    await database?.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
}
