import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { signInToAccount } from '../helpers/account.js';
import { engines } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue #11, point 3: the vault records whether its recovery code was confirmed
 * (the page checks the code; the server only keeps the outcome), a new code is
 * unconfirmed again, and the account page keeps its reminder until then.
 */
const b64 = (n: number) => randomBytes(n).toString('base64url');
const wrapped = () => b64(72);
const kdf = () => ({ alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 });

describe.each(engines())('recovery code confirmation (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  async function holder(email = 'confirm@example.com') {
    const { agent, csrf } = await signInToAccount(server, email);
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await agent.request(`${server.url}/api/vault${path}`, {
        method,
        headers: { 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const confirm = (recovery_wrapped_mk: unknown) => call('PUT', '/recovery-confirmation', { recovery_wrapped_mk });
    const vault = async () => (await call('GET', '/')).body.vault;
    /** Whether /account shows the reminder (drawn by the server, not hidden). */
    const reminderShown = async () => {
      const html = await (await agent.request(`${server.url}/account`)).text();
      const tag = /<section id="recovery-reminder"[^>]*>/.exec(html)?.[0];
      expect(tag).toBeDefined();
      return !/\shidden[\s>]/.test(tag!);
    };
    return { call, confirm, vault, reminderShown };
  }

  it('starts unconfirmed with a reminder, confirms only the current code, and keeps the vault version', async () => {
    const { call, confirm, vault, reminderShown } = await holder();
    expect(await reminderShown()).toBe(false); // no vault yet: nothing to remind
    expect(await confirm(wrapped())).toMatchObject({ status: 404, body: { error: 'no_vault' } });

    const setup = { vault_id: randomUUID(), kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() };
    expect((await call('POST', '/', setup)).status).toBe(201);
    expect(await vault()).toMatchObject({ version: 1, recovery_confirmed: false });
    expect(await reminderShown()).toBe(true);

    // Another code's wrap: refused, nothing recorded.
    expect(await confirm(wrapped())).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect((await vault()).recovery_confirmed).toBe(false);

    expect(await confirm(setup.recovery_wrapped_mk)).toEqual({ status: 200, body: { recovery_confirmed: true } });
    expect(await confirm(setup.recovery_wrapped_mk)).toEqual({ status: 200, body: { recovery_confirmed: true } }); // again: the same
    expect(await vault()).toMatchObject({ version: 1, recovery_confirmed: true });
    expect(await reminderShown()).toBe(false);
  });

  it('refuses bad input with a JSON error and writes nothing', async () => {
    const { call, vault } = await holder();
    const setup = { vault_id: randomUUID(), kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() };
    await call('POST', '/', setup);
    for (const body of [{}, { recovery_wrapped_mk: 'short' }, { recovery_wrapped_mk: 42 }, { recovery_wrapped_mk: setup.recovery_wrapped_mk, confirmed: true }, '{"recovery_wrapped_mk":', '[]']) {
      const answer = await call('PUT', '/recovery-confirmation', body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
    }
    expect((await call('PUT', '/recovery-confirmation', { recovery_wrapped_mk: setup.recovery_wrapped_mk }, { 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await vault()).recovery_confirmed).toBe(false);
  });

  it('a new recovery code is unconfirmed again; a new passphrase alone keeps the confirmation', async () => {
    const { call, confirm, vault, reminderShown } = await holder();
    const setup = { vault_id: randomUUID(), kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() };
    await call('POST', '/', setup);
    await confirm(setup.recovery_wrapped_mk);

    // A passphrase change (the same recovery wrap, or none sent).
    expect((await call('PUT', '/key', { kdf: kdf(), wrapped_mk: wrapped(), vault_version: 1 })).status).toBe(200);
    expect((await call('PUT', '/key', { kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: setup.recovery_wrapped_mk, vault_version: 2 })).status).toBe(200);
    expect(await vault()).toMatchObject({ version: 3, recovery_confirmed: true });

    // A new code.
    const next = wrapped();
    expect((await call('PUT', '/key', { kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: next, vault_version: 3 })).status).toBe(200);
    expect(await vault()).toMatchObject({ version: 4, recovery_confirmed: false });
    expect(await reminderShown()).toBe(true);
    expect((await confirm(setup.recovery_wrapped_mk)).status).toBe(409); // the old code confirms nothing
    expect((await vault()).recovery_confirmed).toBe(false);
    expect((await confirm(next)).status).toBe(200);
    expect((await vault()).recovery_confirmed).toBe(true);
  });

  it('under parallel requests, confirming a code that a new one replaces never marks the new one confirmed', async () => {
    for (let round = 0; round < 3; round++) {
      const again = await holder(`confirm-${round}@example.com`);
      const setup = { vault_id: randomUUID(), kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() };
      await again.call('POST', '/', setup);
      const next = wrapped();
      const answers = await Promise.all([
        ...Array.from({ length: 8 }, () => again.confirm(setup.recovery_wrapped_mk)),
        again.call('PUT', '/key', { kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: next, vault_version: 1 }),
        ...Array.from({ length: 8 }, () => again.confirm(setup.recovery_wrapped_mk)),
      ]);
      expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
      expect(answers[8]!.status).toBe(200); // the rewrap
      const after = await again.vault();
      expect(after).toMatchObject({ version: 2, recovery_wrapped_mk: next, recovery_confirmed: false });
      // Parallel confirmations of the current code all succeed, once recorded.
      const current = await Promise.all(Array.from({ length: 10 }, () => again.confirm(next)));
      expect(current.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect((await again.vault()).recovery_confirmed).toBe(true);
    }
  });
});
