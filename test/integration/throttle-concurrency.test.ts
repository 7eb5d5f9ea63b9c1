import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AccountError, AccountService } from '../../src/accounts/service.js';
import type { Config } from '../../src/config.js';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines, testDatabase, type TestDatabase } from '../helpers/db.js';
import { PASSWORD } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const argon2 = { memoryCost: 8192, timeCost: 1, parallelism: 1 };
const throttle: Config['throttle'] = {
  accountMaxFailures: 5,
  accountWindowSeconds: 3600,
  accountLockSeconds: 900,
  ipMaxFailures: 1000,
  ipWindowSeconds: 900,
  signupIpMax: 5,
  signupIpWindowSeconds: 3600,
  mailLinksPerAddress: 3,
  mailLinksPerIp: 1000,
  mailLinksWindowSeconds: 3600,
};

/** The outcome of each call: 'ok' or the AccountError code. */
async function outcomes(calls: Promise<unknown>[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const result of await Promise.allSettled(calls)) {
    const key = result.status === 'fulfilled' ? 'ok' : result.reason instanceof AccountError ? result.reason.code : String(result.reason);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const times = <T>(n: number, fn: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => fn(i));

describe.each(engines())('rate limits under concurrency (%s)', (engine) => {
  let database: TestDatabase;
  const service = (overrides: Partial<Config['throttle']> = {}) => new AccountService(database.db, { argon2, throttle: { ...throttle, ...overrides } });

  beforeAll(async () => {
    database = await testDatabase(engine);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.reset();
  });

  it('lets at most the account limit of simultaneous guesses reach Argon2, then refuses the right password', async () => {
    const accounts = service();
    await accounts.create('victim@example.test', PASSWORD);
    const result = await outcomes(times(150, (i) => accounts.signIn('victim@example.test', `wrong guess ${i}`, '192.0.2.1')));
    expect(result).toEqual({ invalid_credentials: 5, account_locked: 145 });
    await expect(accounts.signIn('victim@example.test', PASSWORD, '192.0.2.2')).rejects.toMatchObject({ code: 'account_locked' });
    const error = (await accounts.signIn('victim@example.test', PASSWORD, '192.0.2.3').catch((e: unknown) => e)) as AccountError;
    expect(error.retryAfterSeconds).toBeGreaterThan(890);
  });

  it('counts unknown emails the same way', async () => {
    const accounts = service();
    const result = await outcomes(times(40, () => accounts.signIn('nobody@example.test', 'wrong guess', '192.0.2.1')));
    expect(result).toEqual({ invalid_credentials: 5, account_locked: 35 });
  });

  it('lets the right password through on the last allowed attempt, and then starts the account afresh', async () => {
    const accounts = service();
    await accounts.create('user@example.test', PASSWORD);
    expect(await outcomes(times(4, () => accounts.signIn('user@example.test', 'typo typo', '192.0.2.1')))).toEqual({ invalid_credentials: 4 });
    await expect(accounts.signIn('user@example.test', PASSWORD, '192.0.2.1')).resolves.toMatchObject({ email: 'user@example.test' });
    expect(await outcomes(times(6, () => accounts.signIn('user@example.test', 'typo typo', '192.0.2.1')))).toEqual({
      invalid_credentials: 5,
      account_locked: 1,
    });
  });

  it('limits simultaneous guesses per IP across accounts, and gives successes back', async () => {
    const accounts = service({ ipMaxFailures: 5 });
    await accounts.create('user@example.test', PASSWORD);
    // Successes do not use up the IP's budget.
    for (let i = 0; i < 8; i++) await accounts.signIn('user@example.test', PASSWORD, '192.0.2.9');
    const result = await outcomes(times(20, (i) => accounts.signIn(`person${i}@example.test`, 'wrong guess', '192.0.2.9')));
    expect(result).toEqual({ invalid_credentials: 5, ip_limited: 15 });
    // A refused IP does not count against the accounts it tried.
    await expect(accounts.signIn('person19@example.test', 'wrong guess', '192.0.2.10')).rejects.toMatchObject({ code: 'invalid_credentials' });
  });

  it('lets exactly the sign-up limit of simultaneous sign-ups from one IP through', async () => {
    const accounts = service();
    const result = await outcomes(times(20, (i) => accounts.signUp(`new${i}@example.test`, PASSWORD, '198.51.100.7')));
    expect(result).toEqual({ ok: 5, ip_limited: 15 });
    const rows = await database.db.selectFrom('accounts').select('email').execute();
    expect(rows).toHaveLength(5);
  });

  it('does not count sign-ups refused for their input', async () => {
    const accounts = service();
    expect(await outcomes(times(10, () => accounts.signUp('not an email', PASSWORD, '198.51.100.8')))).toEqual({ invalid_email: 10 });
    expect(await outcomes(times(10, (i) => accounts.signUp(`a${i}@example.test`, 'password', '198.51.100.8')))).toEqual({ too_common: 10 });
    expect(await outcomes(times(5, (i) => accounts.signUp(`b${i}@example.test`, PASSWORD, '198.51.100.8')))).toEqual({ ok: 5 });
  });
});

describe.each(engines())('rate limits under concurrency over HTTP (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine, { SIGNIN_ACCOUNT_MAX_FAILURES: 5, SIGNUP_IP_MAX: 5 });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A fresh sign-in page: the agent, the interaction's path and the form's CSRF token. */
  async function signInPage() {
    const agent = new FormAgent();
    const { response, url } = await agent.follow(`${server.url}/account/login`);
    const csrf = hiddenField(await response.text(), 'csrf');
    return { agent, url, csrf };
  }

  const post = (agent: FormAgent, url: URL, action: string, fields: Record<string, string>) =>
    agent.request(new URL(`${url.pathname}/${action}`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it('sign-in form: simultaneous wrong passwords get 401 five times, then 429; the right one is refused', async () => {
    await server.services.accounts.create('http-victim@example.test', PASSWORD);
    const { agent, url, csrf } = await signInPage();
    const responses = await Promise.all(
      times(60, (i) => post(agent, url, 'login', { csrf, email: 'http-victim@example.test', password: `wrong guess ${i}` })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(55);
    expect(Number(responses.find((r) => r.status === 429)!.headers.get('retry-after'))).toBeGreaterThan(890);

    const right = await post(agent, url, 'login', { csrf, email: 'http-victim@example.test', password: PASSWORD });
    expect(right.status).toBe(429);
  });

  it('sign-up form: of 20 simultaneous sign-ups from one IP, exactly 5 create an account', async () => {
    const pages = await Promise.all(times(20, () => signInPage()));
    const responses = await Promise.all(
      pages.map(({ agent, url, csrf }, i) =>
        post(agent, url, 'signup', { csrf, email: `http-new${i}@example.test`, password: PASSWORD, password_confirm: PASSWORD }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(statuses.filter((s) => s >= 300 && s < 400)).toHaveLength(5);
    const rows = await server.database.db.selectFrom('accounts').select('email').where('email', 'like', 'http-new%').execute();
    expect(rows).toHaveLength(5);
  });
});
