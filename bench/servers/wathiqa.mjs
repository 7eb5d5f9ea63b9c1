// Wathiqa as the benchmark runs it: the compiled server (dist/), configured by the
// environment like `npm start`, in a process of its own. Extra, bench-only:
// IPC commands to register the clients and the accounts the load needs (with a TOTP
// secret or a passkey through the server's own services and tables), and
// (BENCH_COUNT_QUERIES=1) a count of the SQL statements the database driver sees.
import { generate } from 'otplib';
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

/** `task` over `items`, `size` at a time; results in order. */
async function inBatches(items, size, task) {
  const results = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(task))));
  return results;
}

const config = loadConfig(process.env);
const running = await startServer(config);
const { services } = running;

serveCommands({
  ...baseCommands(() => running.close()),
  async seed({ clientName, redirectUri, accounts, metadata = {} }) {
    const alg = process.env.BENCH_ID_TOKEN_ALG; // unset: the default a client gets (RS256)
    const client = await services.clients.create({ client_name: clientName, redirect_uris: [redirectUri], ...(alg ? { id_token_signed_response_alg: alg } : {}), ...metadata });
    // Four at a time: each is an Argon2 hash on the libuv threadpool (4 threads).
    await inBatches(accounts, 4, ({ email, password }) =>
      services.accounts.create(email, password).catch((error) => {
        if (error?.code !== 'email_taken') throw error;
      }),
    );
    return { clientId: client.client_id, clientSecret: client.client_secret };
  },
  /** Turns TOTP on for each account as the account page does (begin, then a code from the app); returns the secrets. */
  async seedTotp({ emails }) {
    return inBatches(emails, 8, async (email) => {
      const account = await services.accounts.accounts.findByEmail(email);
      const { secret } = await services.totp.begin(account.id, email);
      // The previous step's code, so the current one is still unused for the first sign-in.
      const epoch = Math.floor(Date.now() / 1000) - 30;
      await services.totp.confirm(account.id, await generate({ secret, epoch }), '127.0.0.1');
      return { email, secret, lastStep: Math.floor(epoch / 30) };
    });
  },
  /** The consent each account would have given on its first sign-in (a saved grant, as the consent form saves it). */
  async consent({ emails, clientId, scope }) {
    const { provider } = services.oidc;
    for (const email of emails) {
      const account = await services.accounts.accounts.findByEmail(email);
      const grant = new provider.Grant({ accountId: account.id, clientId });
      grant.addOIDCScope(scope);
      await grant.save();
    }
    return emails.length;
  },
  /** Stores passkeys made by the bench (COSE public keys) as a registration would have. */
  async seedPasskeys({ credentials }) {
    for (const { email, id, publicKey } of credentials) {
      const account = await services.accounts.accounts.findByEmail(email);
      await services.database.db
        .insertInto('account_passkeys')
        .values({ id, account_id: account.id, public_key: Buffer.from(publicKey, 'base64url'), counter: 0, transports: JSON.stringify(['internal']), name: 'Bench', backed_up: false })
        .execute();
    }
    return credentials.length;
  },
  queries({ reset }) {
    const result = Object.fromEntries(queries);
    if (reset) queries.clear();
    return { enabled: counting, statements: result };
  },
  argon2: () => config.argon2,
  threadpool: () => process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
});
