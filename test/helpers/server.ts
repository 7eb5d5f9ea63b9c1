import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createApp } from '../../src/app.js';
import { createServices, type Services } from '../../src/services.js';
import { createLogger, type Logger } from '../../src/ops/logger.js';
import { testDatabase, type Engine, type TestDatabase } from './db.js';

export interface TestServer {
  url: string;
  config: Config;
  services: Services;
  database: TestDatabase;
  close(): Promise<void>;
}

/** Fixed test secrets: generated per run, never written anywhere. */
export function testSecrets() {
  return {
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    OPERATOR_KEY: randomBytes(32).toString('base64url'),
  };
}

/**
 * A real listening server on a free port, with the issuer set to its address.
 * The port is taken first so the issuer is known before the provider is built.
 */
export interface TestServerOptions {
  /** Defaults to a silent logger. */
  logger?: Logger;
  /** Sees each request before the app does (the zero-knowledge tests record them). */
  onRequest?: (req: IncomingMessage) => void;
}

export async function startTestServer(engine: Engine, overrides: Record<string, unknown> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  // Its own data directory: mail without SMTP_URL lands in DATA_DIR/outbox, never in the checkout.
  const dataDir = mkdtempSync(join(tmpdir(), 'wathiqa-test-'));
  const config = loadConfig(
    {},
    {
      NODE_ENV: 'test',
      ISSUER: url,
      DATABASE_URL: 'memory://',
      LOG_LEVEL: 'silent',
      ARGON2_MEMORY_KIB: 8192,
      ARGON2_TIME_COST: 1,
      CLEANUP_INTERVAL_SECONDS: 0,
      DATA_DIR: dataDir,
      ...testSecrets(),
      ...overrides,
    },
  );
  const database = await testDatabase(engine);
  const services = await createServices(config, database, options.logger ?? createLogger('silent'));
  const app = createApp(services).callback();
  server.on('request', (req, res) => {
    options.onRequest?.(req);
    void app(req, res);
  });
  return {
    url,
    config,
    services,
    database,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
