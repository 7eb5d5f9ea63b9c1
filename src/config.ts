import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CONFIG_DIR } from './paths.js';

/**
 * One schema over config/default.json, config/<NODE_ENV>.json and the environment
 * (which wins). Keys are the environment variable names. Development secrets are
 * generated on first start and kept in DATA_DIR/secrets.json; production refuses
 * to start without explicit ones.
 */
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);
const int = (min: number) => z.coerce.number().int().min(min);
const secret = (min: number) => z.string().min(min, `must be at least ${min} characters`);

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0).max(65535),
  HOST: z.string().min(1),
  ISSUER: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(memory:\/\/|postgres(ql)?:\/\/)/, 'must be memory:// or a postgres:// URL')
    .optional(),
  DATA_DIR: z.string().min(1),
  COOKIE_KEYS: z
    .string()
    .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(secret(32)).min(1))
    .optional(),
  OPERATOR_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes in base64url (43 characters)')
    .optional(),
  ADMIN_TOKEN: secret(32).optional(),
  INITIAL_ACCESS_TOKEN: secret(32).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  TRUST_PROXY: bool,
  ARGON2_MEMORY_KIB: int(8192),
  ARGON2_TIME_COST: int(1),
  ARGON2_PARALLELISM: int(1),
  SIGNIN_ACCOUNT_MAX_FAILURES: int(1),
  SIGNIN_ACCOUNT_WINDOW_SECONDS: int(1),
  SIGNIN_ACCOUNT_LOCK_SECONDS: int(1),
  SIGNIN_IP_MAX_FAILURES: int(1),
  SIGNIN_IP_WINDOW_SECONDS: int(1),
  SIGNUP_IP_MAX: int(1),
  SIGNUP_IP_WINDOW_SECONDS: int(1),
  MAIL_LINKS_PER_ADDRESS: int(1),
  MAIL_LINKS_PER_IP: int(1),
  MAIL_LINKS_WINDOW_SECONDS: int(1),
  VAULT_MAX_ELEMENTS: int(1),
  VAULT_MAX_BYTES: int(1024 * 1024),
  CLEANUP_INTERVAL_SECONDS: int(0),
  SHUTDOWN_GRACE_SECONDS: int(0),
  HEADERS_TIMEOUT_SECONDS: int(1),
  REQUEST_TIMEOUT_SECONDS: int(1),
  REFRESH_TOKEN_REUSE_GRACE_SECONDS: int(0).max(300),
  OUTBOUND_ALLOW_PRIVATE: bool,
  OUTBOUND_TIMEOUT_MS: int(100).max(60_000),
  // Mail goes out through this relay; without it, development writes .eml files instead.
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^/?#\s]+/, 'must be an smtp:// or smtps:// URL (smtp://user:pass@host:587)')
    .pipe(z.url())
    .optional(),
  MAIL_FROM: z.string().trim().min(3),
});

type Raw = z.infer<typeof ConfigSchema>;

export interface Config {
  env: Raw['NODE_ENV'];
  port: number;
  host: string;
  issuer: string;
  https: boolean;
  database: { kind: 'pglite'; dataDir: string } | { kind: 'memory' } | { kind: 'postgres'; url: string };
  dataDir: string;
  cookieKeys: string[];
  operatorKey: Uint8Array;
  adminToken?: string;
  initialAccessToken?: string;
  logLevel: Raw['LOG_LEVEL'];
  trustProxy: boolean;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  throttle: {
    accountMaxFailures: number;
    accountWindowSeconds: number;
    accountLockSeconds: number;
    ipMaxFailures: number;
    ipWindowSeconds: number;
    signupIpMax: number;
    signupIpWindowSeconds: number;
    /** Mailed links (verification, reset): per address or account, and per client IP, per window. */
    mailLinksPerAddress: number;
    mailLinksPerIp: number;
    mailLinksWindowSeconds: number;
  };
  vaultQuota: { maxElements: number; maxBytes: number };
  cleanupIntervalSeconds: number;
  shutdownGraceSeconds: number;
  /** Slow clients: a request must send its headers, and all of itself, within these. */
  http: { headersTimeoutSeconds: number; requestTimeoutSeconds: number };
  /** How long the refresh token just rotated away may still be redeemed once more. */
  refreshTokenReuseGraceSeconds: number;
  /** The guarded fetcher (every outbound request): private addresses allowed only in development. */
  outbound: { allowPrivate: boolean; timeoutMs: number };
  /** Without `smtpUrl`, mail goes to DATA_DIR/outbox outside production (see requireMail). */
  mail: { smtpUrl?: string; from: string };
  /** Where generated development secrets are kept, and whether this start made them (said once at boot). */
  devSecrets?: { file: string; created: boolean };
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Shannon entropy of a string's characters, in bits per character, times its length:
 * a rough bound on how much guessing it takes. Repeated characters, short alphabets
 * and long runs of one character all score low; random base64url of 32 bytes scores
 * about 200 bits.
 */
export function estimatedEntropyBits(value: string | Uint8Array): number {
  const symbols = typeof value === 'string' ? [...value] : [...value];
  const counts = new Map<string | number, number>();
  for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
  let perSymbol = 0;
  for (const n of counts.values()) {
    const p = n / symbols.length;
    perSymbol -= p * Math.log2(p);
  }
  return perSymbol * symbols.length;
}

/** Production secrets must look random: at least 128 bits by the estimate above. */
export const MIN_SECRET_BITS = 128;

function weakSecrets(raw: Raw): string[] {
  const problems: string[] = [];
  const weak = (value: string | Uint8Array) => estimatedEntropyBits(value) < MIN_SECRET_BITS;
  raw.COOKIE_KEYS?.forEach((key, i) => {
    if (weak(key)) problems.push(`COOKIE_KEYS: key ${i + 1} has too little entropy; use 32 random bytes (base64url)`);
  });
  if (raw.OPERATOR_KEY && weak(Buffer.from(raw.OPERATOR_KEY, 'base64url'))) {
    problems.push('OPERATOR_KEY has too little entropy; use 32 random bytes (base64url)');
  }
  if (raw.ADMIN_TOKEN && weak(raw.ADMIN_TOKEN)) problems.push('ADMIN_TOKEN has too little entropy; use 32 random bytes (base64url)');
  if (raw.INITIAL_ACCESS_TOKEN && weak(raw.INITIAL_ACCESS_TOKEN)) {
    problems.push('INITIAL_ACCESS_TOKEN has too little entropy; use 32 random bytes (base64url)');
  }
  return problems;
}

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete parsed.$comment;
  return parsed;
}

const KEYS = Object.keys(ConfigSchema.shape) as (keyof Raw)[];

/** Keeps generated development secrets next to the data, readable by the owner only. */
function devSecrets(dataDir: string | undefined): { COOKIE_KEYS: string; OPERATOR_KEY: string; file?: string; created?: boolean } {
  const fresh = () => ({
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    OPERATOR_KEY: randomBytes(32).toString('base64url'),
  });
  if (!dataDir) return fresh();
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return { ...JSON.parse(readFileSync(file, 'utf8')), file, created: false };
  // The embedded database and these secrets live here: the owner's only.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const secrets = fresh();
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { ...secrets, file, created: true };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Raw, unknown>> = {}): Config {
  const nodeEnv = (overrides.NODE_ENV ?? env.NODE_ENV ?? 'development') as string;
  const merged: Record<string, unknown> = {
    ...readJson(join(CONFIG_DIR, 'default.json')),
    ...readJson(join(CONFIG_DIR, `${nodeEnv}.json`)),
  };
  for (const key of KEYS) if (env[key] !== undefined && env[key] !== '') merged[key] = env[key];
  Object.assign(merged, overrides);

  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`));
  }
  const raw = parsed.data;
  const production = raw.NODE_ENV === 'production';
  const issuer = (raw.ISSUER ?? `http://localhost:${raw.PORT}`).replace(/\/$/, '');
  const https = issuer.startsWith('https://');

  if (production) {
    const missing: string[] = [];
    if (!raw.COOKIE_KEYS) missing.push('COOKIE_KEYS is required in production (comma-separated, 32+ characters each)');
    if (!raw.OPERATOR_KEY) missing.push('OPERATOR_KEY is required in production (32 random bytes, base64url)');
    if (!raw.ISSUER) missing.push('ISSUER is required in production');
    else if (!https) missing.push('ISSUER must be an https:// URL in production');
    if (raw.OUTBOUND_ALLOW_PRIVATE) missing.push('OUTBOUND_ALLOW_PRIVATE must be false in production (it lets clients point the server at private addresses)');
    missing.push(...weakSecrets(raw));
    if (missing.length) throw new ConfigError(missing);
  }
  if (raw.HEADERS_TIMEOUT_SECONDS > raw.REQUEST_TIMEOUT_SECONDS) {
    throw new ConfigError(['HEADERS_TIMEOUT_SECONDS must not exceed REQUEST_TIMEOUT_SECONDS']);
  }

  const dataDir = resolve(raw.DATA_DIR);
  const database: Config['database'] =
    raw.DATABASE_URL === undefined
      ? { kind: 'pglite', dataDir: join(dataDir, 'pglite') }
      : raw.DATABASE_URL.startsWith('memory://')
        ? { kind: 'memory' }
        : { kind: 'postgres', url: raw.DATABASE_URL };

  const secrets =
    raw.COOKIE_KEYS && raw.OPERATOR_KEY
      ? undefined
      : devSecrets(database.kind === 'memory' ? undefined : dataDir);
  const cookieKeys = raw.COOKIE_KEYS ?? [secrets!.COOKIE_KEYS];
  const operatorKey = Buffer.from(raw.OPERATOR_KEY ?? secrets!.OPERATOR_KEY, 'base64url');

  return {
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    issuer,
    https,
    database,
    dataDir,
    cookieKeys,
    operatorKey: new Uint8Array(operatorKey),
    adminToken: raw.ADMIN_TOKEN,
    initialAccessToken: raw.INITIAL_ACCESS_TOKEN,
    logLevel: raw.LOG_LEVEL,
    trustProxy: raw.TRUST_PROXY,
    argon2: { memoryCost: raw.ARGON2_MEMORY_KIB, timeCost: raw.ARGON2_TIME_COST, parallelism: raw.ARGON2_PARALLELISM },
    throttle: {
      accountMaxFailures: raw.SIGNIN_ACCOUNT_MAX_FAILURES,
      accountWindowSeconds: raw.SIGNIN_ACCOUNT_WINDOW_SECONDS,
      accountLockSeconds: raw.SIGNIN_ACCOUNT_LOCK_SECONDS,
      ipMaxFailures: raw.SIGNIN_IP_MAX_FAILURES,
      ipWindowSeconds: raw.SIGNIN_IP_WINDOW_SECONDS,
      signupIpMax: raw.SIGNUP_IP_MAX,
      signupIpWindowSeconds: raw.SIGNUP_IP_WINDOW_SECONDS,
      mailLinksPerAddress: raw.MAIL_LINKS_PER_ADDRESS,
      mailLinksPerIp: raw.MAIL_LINKS_PER_IP,
      mailLinksWindowSeconds: raw.MAIL_LINKS_WINDOW_SECONDS,
    },
    vaultQuota: { maxElements: raw.VAULT_MAX_ELEMENTS, maxBytes: raw.VAULT_MAX_BYTES },
    cleanupIntervalSeconds: raw.CLEANUP_INTERVAL_SECONDS,
    shutdownGraceSeconds: raw.SHUTDOWN_GRACE_SECONDS,
    http: { headersTimeoutSeconds: raw.HEADERS_TIMEOUT_SECONDS, requestTimeoutSeconds: raw.REQUEST_TIMEOUT_SECONDS },
    refreshTokenReuseGraceSeconds: raw.REFRESH_TOKEN_REUSE_GRACE_SECONDS,
    outbound: { allowPrivate: raw.OUTBOUND_ALLOW_PRIVATE, timeoutMs: raw.OUTBOUND_TIMEOUT_MS },
    mail: { smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM },
    ...(secrets?.file ? { devSecrets: { file: secrets.file, created: secrets.created ?? false } } : {}),
  };
}

/**
 * Called at boot by each feature that sends mail (email verification and password
 * reset, so every server): in production without SMTP_URL the server refuses to
 * start, naming the setting, instead of dropping mail into a local outbox nobody reads.
 */
export function requireMail(config: Config, feature: string): void {
  if (config.env === 'production' && !config.mail.smtpUrl) {
    throw new ConfigError([`SMTP_URL is required in production: ${feature} sends mail`]);
  }
}
