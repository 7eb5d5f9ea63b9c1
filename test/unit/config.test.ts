import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, estimatedEntropyBits, loadConfig } from '../../src/config.js';

const secrets = { COOKIE_KEYS: 'k'.repeat(32), OPERATOR_KEY: 'A'.repeat(43) };

describe('config', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({}, { DATABASE_URL: 'memory://', ...secrets });
    expect(config.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(config.throttle.accountMaxFailures).toBe(100);
    expect(config.throttle.accountWindowSeconds).toBe(3600);
    expect(config.adminToken).toBeUndefined();
  });

  it('lets the environment win over the files, and derives the issuer from the port', () => {
    const config = loadConfig({ PORT: '4100', LOG_LEVEL: 'debug', DATABASE_URL: 'memory://', ...secrets });
    expect(config.port).toBe(4100);
    expect(config.issuer).toBe('http://localhost:4100');
    expect(config.logLevel).toBe('debug');
  });

  it('chooses the engine from DATABASE_URL', () => {
    expect(loadConfig({}, { DATABASE_URL: 'memory://', ...secrets }).database).toEqual({ kind: 'memory' });
    expect(loadConfig({}, { DATABASE_URL: 'postgres://u@h/db', ...secrets }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(loadConfig({}, { DATA_DIR: '/srv/w', ...secrets }).database).toEqual({ kind: 'pglite', dataDir: '/srv/w/pglite' });
    expect(() => loadConfig({}, { DATABASE_URL: 'mysql://x', ...secrets })).toThrow(/DATABASE_URL/);
  });

  it('names every missing production setting at once', () => {
    let error: unknown;
    try {
      loadConfig({}, { NODE_ENV: 'production', ISSUER: 'http://id.example.com' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('COOKIE_KEYS');
    expect(message).toContain('OPERATOR_KEY');
    expect(message).toContain('https');
  });

  const random = () => randomBytes(32).toString('base64url');
  const strong = () => ({ COOKIE_KEYS: random(), OPERATOR_KEY: random(), ADMIN_TOKEN: random() });

  it('starts in production with explicit secrets and an https issuer', () => {
    const config = loadConfig({}, { NODE_ENV: 'production', ISSUER: 'https://id.example.com/', ...strong() });
    expect(config.issuer).toBe('https://id.example.com');
    expect(config.https).toBe(true);
  });

  it.each([
    ['COOKIE_KEYS', { COOKIE_KEYS: 'k'.repeat(32) }],
    ['COOKIE_KEYS', { COOKIE_KEYS: `${random()},${'ab'.repeat(20)}` }],
    ['OPERATOR_KEY', { OPERATOR_KEY: 'A'.repeat(43) }],
    ['OPERATOR_KEY', { OPERATOR_KEY: Buffer.alloc(32).toString('base64url') }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: '0'.repeat(40) }],
    ['INITIAL_ACCESS_TOKEN', { INITIAL_ACCESS_TOKEN: 'password'.repeat(5) }],
  ])('refuses a low-entropy %s in production, naming the setting and not the value', (name, weak) => {
    const settings = { NODE_ENV: 'production', ISSUER: 'https://id.example.com', ...strong(), ...weak };
    let error: unknown;
    try {
      loadConfig({}, settings);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`${name}`);
    expect((error as Error).message).toMatch(/too little entropy/);
    for (const value of Object.values(weak)) for (const part of value.split(',')) expect((error as Error).message).not.toContain(part);
  });

  it('estimates random secrets far above the floor and repeated ones at zero', () => {
    for (let i = 0; i < 200; i++) expect(estimatedEntropyBits(randomBytes(32))).toBeGreaterThan(128);
    for (let i = 0; i < 200; i++) expect(estimatedEntropyBits(randomBytes(32).toString('base64url'))).toBeGreaterThan(128);
    expect(estimatedEntropyBits('k'.repeat(32))).toBe(0);
    expect(estimatedEntropyBits(new Uint8Array(32))).toBe(0);
  });

  it('refuses private outbound addresses in production and inconsistent HTTP timeouts anywhere', () => {
    expect(() => loadConfig({}, { NODE_ENV: 'production', ISSUER: 'https://id.example.com', ...strong(), OUTBOUND_ALLOW_PRIVATE: 'true' })).toThrow(
      /OUTBOUND_ALLOW_PRIVATE/,
    );
    expect(() => loadConfig({}, { DATABASE_URL: 'memory://', ...secrets, HEADERS_TIMEOUT_SECONDS: 30, REQUEST_TIMEOUT_SECONDS: 10 })).toThrow(
      /HEADERS_TIMEOUT_SECONDS/,
    );
    const config = loadConfig({}, { DATABASE_URL: 'memory://', ...secrets });
    expect(config.http).toEqual({ headersTimeoutSeconds: 20, requestTimeoutSeconds: 120 });
    expect(config.refreshTokenReuseGraceSeconds).toBe(10);
    expect(config.outbound).toEqual({ allowPrivate: false, timeoutMs: 5000 });
  });

  it('refuses short secrets without printing them', () => {
    expect(() => loadConfig({}, { ADMIN_TOKEN: 'short-secret', DATABASE_URL: 'memory://', ...secrets })).toThrow(/ADMIN_TOKEN: must be at least 32/);
    try {
      loadConfig({}, { ADMIN_TOKEN: 'short-secret', DATABASE_URL: 'memory://', ...secrets });
    } catch (e) {
      expect((e as Error).message).not.toContain('short-secret');
    }
  });

  it('generates development secrets once and keeps them, readable by the owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wathiqa-config-'));
    try {
      const first = loadConfig({}, { DATA_DIR: dir });
      const second = loadConfig({}, { DATA_DIR: dir });
      expect(second.cookieKeys).toEqual(first.cookieKeys);
      expect(Buffer.from(second.operatorKey)).toEqual(Buffer.from(first.operatorKey));
      expect(first.operatorKey).toHaveLength(32);
      expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toHaveProperty('OPERATOR_KEY');
      // The first start says it made them and where; later starts say where they were read.
      expect(first.devSecrets).toEqual({ file: join(dir, 'secrets.json'), created: true });
      expect(second.devSecrets).toEqual({ file: join(dir, 'secrets.json'), created: false });
      expect(loadConfig({}, { DATA_DIR: dir, ...secrets }).devSecrets).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
