import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { DataDirLock } from '../../src/db/lock.js';
import { startServer } from '../../src/server.js';
import { CSP } from '../../src/http/headers.js';
import { ROOT } from '../../src/paths.js';
import { PROCESS_START_TIMEOUT_MS } from '../helpers/timeouts.js';

const quiet = { LOG_LEVEL: 'silent', PORT: 0, HOST: '127.0.0.1' } as const;

describe('the server on the embedded database', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wathiqa-server-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps clients, accounts and signing keys across a restart', async () => {
    const config = () => loadConfig({}, { ...quiet, DATA_DIR: dir });
    let running = await startServer(config());
    const client = await running.services.clients.create({ client_name: 'Keeps', redirect_uris: ['http://localhost:4000/cb'] });
    await running.services.accounts.create('kept@example.com', 'correct horse battery staple');
    const jwks = await (await fetch(`${running.url}/jwks`)).json();
    await running.close();
    expect(existsSync(DataDirLock.path(dir))).toBe(false);

    running = await startServer(config());
    try {
      expect(await running.services.clients.show(client.client_id)).toMatchObject({ client_name: 'Keeps' });
      expect(await running.services.accounts.signIn('kept@example.com', 'correct horse battery staple', '127.0.0.1')).toMatchObject({ email: 'kept@example.com' });
      expect(await (await fetch(`${running.url}/jwks`)).json()).toEqual(jwks);
    } finally {
      await running.close();
    }
  });

  it('refuses a second process on the same data directory', async () => {
    const running = await startServer(loadConfig({}, { ...quiet, DATA_DIR: dir }));
    try {
      await expect(startServer(loadConfig({}, { ...quiet, DATA_DIR: dir }))).rejects.toThrow(/in use by process/);
    } finally {
      await running.close();
    }
  });

  it('answers health, readiness and metrics, with security headers', async () => {
    const running = await startServer(loadConfig({}, { ...quiet, DATA_DIR: dir }));
    try {
      const health = await fetch(`${running.url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get('content-security-policy')).toBe(CSP);
      expect(CSP).toContain("object-src 'none'");
      expect(CSP).toContain("base-uri 'none'");
      expect(CSP).toContain("frame-ancestors 'none'");
      expect(CSP).not.toContain('unsafe-inline');
      expect(health.headers.get('referrer-policy')).toBe('no-referrer');
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');
      expect(health.headers.get('strict-transport-security')).toBeNull(); // plain http here

      expect(await (await fetch(`${running.url}/readyz`)).json()).toEqual({ status: 'ready', database: 'ok' });
      await fetch(`${running.url}/.well-known/openid-configuration`);
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toContain('wathiqa_http_request_duration_seconds_bucket');
      expect(metrics).toContain('route="/.well-known/openid-configuration"');
      expect(metrics).toContain('wathiqa_sign_ins_total');
      expect(metrics).toContain('wathiqa_tokens_issued_total');
    } finally {
      await running.close();
    }
  });

  it('sets HSTS and Secure cookies behind an https issuer', async () => {
    const running = await startServer(loadConfig({}, { ...quiet, DATA_DIR: dir, ISSUER: 'https://id.example.com', TRUST_PROXY: true }));
    try {
      const response = await fetch(`${running.url}/healthz`);
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);

      const client = await running.services.clients.create({ client_name: 'Secure', redirect_uris: ['https://rp.example/cb'] });
      const auth = new URL(`${running.url}/auth`);
      auth.search = new URLSearchParams({
        client_id: client.client_id,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: 'https://rp.example/cb',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }).toString();
      const started = await fetch(auth, { redirect: 'manual', headers: { 'x-forwarded-proto': 'https', host: 'id.example.com' } });
      expect(started.status).toBe(303);
      const cookies = started.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const cookie of cookies) {
        expect(cookie.toLowerCase()).toContain('secure');
        expect(cookie.toLowerCase()).toContain('httponly');
        expect(cookie.toLowerCase()).toContain('samesite=lax');
      }
    } finally {
      await running.close();
    }
  });

  it('drains and exits cleanly on SIGTERM, logging JSON without secrets', async () => {
    const main = join(ROOT, 'dist/src/main.js');
    expect(existsSync(main)).toBe(true); // built by `npm test`'s pretest step
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), PROCESS_START_TIMEOUT_MS);
      child.stdout.on('data', () => {
        const m = /"port":(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const response = await fetch(`http://127.0.0.1:${port}/token`, {
      method: 'POST',
      headers: { authorization: 'Basic c2VjcmV0OnNlY3JldA==', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=very-secret-refresh-token',
    });
    expect(response.status).toBe(401);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(existsSync(DataDirLock.path(dir))).toBe(false);
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(out).not.toContain('very-secret-refresh-token');
    expect(out).not.toContain('c2VjcmV0OnNlY3JldA');
    expect(out).toContain('"path":"/token"');
  });
});
