import { describe, expect, it } from '@jest/globals';
import Koa, { type Context } from 'koa';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { allowConnectTo, CSP, cspOrigin } from '../../src/http/headers.js';
import { accountLinkFor, readReturnTo, rememberReturnName, safeReturnTo, type NameStore } from '../../src/web/vault/return-to.js';

function memoryStore(): NameStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

describe('return_to: only same-origin interaction pages', () => {
  it('accepts /interaction/<uid> and nothing else', () => {
    expect(safeReturnTo('/interaction/aB3_-x9')).toBe('/interaction/aB3_-x9');
    for (const bad of [
      '//evil.example/interaction/x',
      'https://evil.example/interaction/x',
      '/interaction/../account',
      '/interaction/x/passport',
      '/interaction/x?y=1',
      '/interaction/',
      '/interaction/x\n',
      '/account',
      '\\/interaction/x',
      'javascript:alert(1)',
      undefined,
      42,
    ]) {
      expect(safeReturnTo(bad)).toBeUndefined();
    }
  });

  it('builds the account link and reads it back, with the service name from session storage', () => {
    const store = memoryStore();
    const link = accountLinkFor('/interaction/abc');
    expect(link).toBe('/account?return_to=%2Finteraction%2Fabc');
    expect(accountLinkFor('https://evil.example')).toBe('/account');
    rememberReturnName(store, '/interaction/abc', 'Zq Travel');
    rememberReturnName(store, '//evil', 'Evil');
    expect([...store.items.keys()]).toEqual(['wathiqa.return./interaction/abc']);
    expect(readReturnTo(link.slice('/account'.length), store)).toEqual({ path: '/interaction/abc', name: 'Zq Travel' });
    expect(readReturnTo('?return_to=%2Finteraction%2Fother', store)).toEqual({ path: '/interaction/other' });
    expect(readReturnTo('?return_to=https%3A%2F%2Fevil.example', store)).toBeUndefined();
    expect(readReturnTo('', store)).toBeUndefined();
    const throwing: NameStore = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('blocked');
      },
    };
    rememberReturnName(throwing, '/interaction/abc', 'x');
    expect(readReturnTo('?return_to=%2Finteraction%2Fabc', throwing)).toEqual({ path: '/interaction/abc' });
  });
});

describe('CSP for the passport consent page', () => {
  function context(): Context {
    const req = new IncomingMessage(new Socket());
    const res = new ServerResponse(req);
    const ctx = new Koa().createContext(req, res) as Context;
    ctx.set('Content-Security-Policy', CSP);
    return ctx;
  }

  it('adds the origin of the RP’s jwks_uri to connect-src for that response only', () => {
    const ctx = context();
    allowConnectTo(ctx, ['https://rp.example:8443/.well-known/jwks.json?x=1']);
    const csp = String(ctx.response.get('Content-Security-Policy'));
    expect(csp).toContain("connect-src 'self' https://rp.example:8443;");
    expect(csp.replace(' https://rp.example:8443', '')).toBe(CSP);
    expect(CSP).toContain("connect-src 'self';");
  });

  it('adds nothing for anything that is not an http(s) URL, and cannot be used to inject a directive', () => {
    const ctx = context();
    allowConnectTo(ctx, [null, undefined, 'javascript:alert(1)', 'data:text/plain,x', "https://a.example; script-src 'unsafe-inline'"]);
    expect(ctx.response.get('Content-Security-Policy')).toBe(CSP);
    expect(cspOrigin('https://a.example/x;y')).toBe('https://a.example');
    expect(cspOrigin('http://localhost:4000/jwks')).toBe('http://localhost:4000');
    expect(cspOrigin('ftp://a.example')).toBeUndefined();
  });
});
