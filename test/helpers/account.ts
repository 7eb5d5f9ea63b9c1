import { FormAgent, hiddenField } from './agent.js';
import { PASSWORD } from './flow.js';
import type { TestServer } from './server.js';

/** Signs in to the holder's account pages; returns the agent and the page's vault CSRF token. */
export async function signInToAccount(server: TestServer, email: string, agent = new FormAgent()) {
  const account = await server.services.accounts.create(email, PASSWORD);
  const { response, url } = await agent.follow(`${server.url}/account/login`);
  const html = await response.text();
  const uid = url.pathname.split('/')[2]!;
  const done = await agent.submit(url, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password: PASSWORD });
  if (done.url.pathname !== '/account') throw new Error(`expected /account, ended at ${done.url.href}`);
  const page = await done.response.text();
  const csrf = /data-csrf="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no CSRF token on the account page');
  return { agent, csrf, accountId: account.id };
}
