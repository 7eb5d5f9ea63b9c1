// Wathiqa as the benchmark runs it: the compiled server (dist/), configured by the
// environment like `npm start`, in a process of its own. Extra, bench-only:
// IPC commands to register the client and the accounts the load needs, and
// (BENCH_COUNT_QUERIES=1) a count of the SQL statements the database driver sees.
import { loadConfig } from '../../dist/src/config.js';
import { startServer } from '../../dist/src/server.js';
import { baseCommands, serveCommands } from './ipc.mjs';

const counting = process.env.BENCH_COUNT_QUERIES === '1';
const queries = new Map();
const count = (text) => {
  const key = String(typeof text === 'object' && text ? text.text : text).replace(/\s+/g, ' ').trim();
  queries.set(key, (queries.get(key) ?? 0) + 1);
};
if (counting) {
  // Driver level, so every statement counts, whichever code issued it.
  const pg = (await import('pg')).default;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (text, ...rest) {
    count(text);
    return query.call(this, text, ...rest);
  };
  const { PGlite } = await import('@electric-sql/pglite');
  for (const method of ['query', 'exec']) {
    const original = PGlite.prototype[method];
    PGlite.prototype[method] = function (text, ...rest) {
      count(text);
      return original.call(this, text, ...rest);
    };
  }
}

const config = loadConfig(process.env);
const running = await startServer(config);
const { services } = running;

serveCommands({
  ...baseCommands(() => running.close()),
  async seed({ clientName, redirectUri, accounts }) {
    const alg = process.env.BENCH_ID_TOKEN_ALG; // unset: the default a client gets (RS256)
    const client = await services.clients.create({ client_name: clientName, redirect_uris: [redirectUri], ...(alg ? { id_token_signed_response_alg: alg } : {}) });
    for (const { email, password } of accounts) {
      await services.accounts.create(email, password).catch((error) => {
        if (error?.code !== 'email_taken') throw error;
      });
    }
    return { clientId: client.client_id, clientSecret: client.client_secret };
  },
  queries({ reset }) {
    const result = Object.fromEntries(queries);
    if (reset) queries.clear();
    return { enabled: counting, statements: result };
  },
  argon2: () => config.argon2,
  threadpool: () => process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
});
