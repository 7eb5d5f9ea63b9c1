import { randomUUID } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql } from 'kysely';
import type { Database } from '../db/index.js';

/**
 * The algorithms we sign with, in the order discovery lists them. RS256 is what a
 * client that names none gets (OIDC Registration's default, which many RPs assume).
 */
export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** One key per kind; the RSA key signs both RS256 and PS256 (stored as RS256). */
export const KEY_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type KeyAlg = (typeof KEY_ALGS)[number];

/**
 * How long a retired key stays published: longer than anything it signed lives
 * (ID tokens, signed userinfo and introspection: one hour) plus clock skew.
 */
export const RETIRED_KEY_RETENTION_SECONDS = 24 * 3600;

export interface KeyInfo {
  kid: string;
  alg: string;
  created_at: Date;
  retired_at: Date | null;
  status: 'active' | 'retired';
}

async function generate(alg: KeyAlg): Promise<JWK> {
  const options = alg === 'RS256' ? { modulusLength: 2048, extractable: true } : { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined };
  const { privateKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, options);
  return exportJWK(privateKey);
}

/**
 * Encrypts text under the operator key (compact JWE, dir + A256GCM). `kid` travels in
 * the protected header and is checked on opening, so a sealed value cannot be moved
 * to another row. Signing keys and client secrets are stored this way.
 */
export async function sealText(text: string, kid: string, operatorKey: Uint8Array): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(text)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid }).encrypt(operatorKey);
}

/** Opens what sealText made for `kid`; `what` names the value in errors. */
export async function openSealed(sealed: string, kid: string, operatorKey: Uint8Array, what: string): Promise<string> {
  let result;
  try {
    result = await compactDecrypt(sealed, operatorKey);
  } catch {
    throw new Error(`${what} cannot be decrypted: OPERATOR_KEY differs from the one it was stored under`);
  }
  if (result.protectedHeader.kid !== kid) throw new Error(`${what} is stored under another id`);
  return new TextDecoder().decode(result.plaintext);
}

function seal(jwk: JWK, kid: string, operatorKey: Uint8Array): Promise<string> {
  return sealText(JSON.stringify(jwk), kid, operatorKey);
}

async function unseal(sealed: string, kid: string, operatorKey: Uint8Array): Promise<JWK> {
  return JSON.parse(await openSealed(sealed, kid, operatorKey, `signing key ${kid}`)) as JWK;
}

async function createKeySet(db: Database, operatorKey: Uint8Array): Promise<{ kid: string; alg: string }[]> {
  const rows = await Promise.all(
    KEY_ALGS.map(async (alg) => {
      const kid = randomUUID();
      return { kid, alg, sealed_jwk: await seal(await generate(alg), kid, operatorKey) };
    }),
  );
  await db.insertInto('signing_keys').values(rows).execute();
  return rows.map(({ kid, alg }) => ({ kid, alg }));
}

/** Which keys a rotation retired and which it made (ids and kinds only): what the audit trail records. */
export interface KeyRotation {
  retired: { kid: string; alg: string }[];
  created: { kid: string; alg: string }[];
}

/** Generates the first key set if there is none. Safe when several nodes start at once. */
export async function ensureSigningKeys(db: Database, operatorKey: Uint8Array): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`lock table signing_keys in exclusive mode`.execute(trx);
    const active = await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst();
    if (!active) await createKeySet(trx, operatorKey);
  });
}

/** Retires the active keys (they stay published for the retention period) and creates new ones. */
export async function rotateSigningKeys(
  db: Database,
  operatorKey: Uint8Array,
  audit?: (trx: Database, rotation: KeyRotation) => Promise<void>,
): Promise<KeyInfo[]> {
  await db.transaction().execute(async (trx) => {
    await sql`lock table signing_keys in exclusive mode`.execute(trx);
    const retired = await trx.updateTable('signing_keys').set({ retired_at: new Date() }).where('retired_at', 'is', null).returning(['kid', 'alg']).execute();
    const created = await createKeySet(trx, operatorKey);
    await audit?.(trx, { retired, created });
  });
  return listSigningKeys(db);
}

/** Deletes retired keys past their retention; returns how many. */
export async function removeExpiredKeys(db: Database): Promise<number> {
  const cutoff = new Date(Date.now() - RETIRED_KEY_RETENTION_SECONDS * 1000);
  const result = await db.deleteFrom('signing_keys').where('retired_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listSigningKeys(db: Database): Promise<KeyInfo[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .select(['kid', 'alg', 'created_at', 'retired_at'])
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({ ...r, status: r.retired_at ? 'retired' : 'active' }));
}

/** A fingerprint of the key set, cheap to poll: nodes reload their provider when it changes. */
export async function keySetVersion(db: Database): Promise<string> {
  const row = await db
    .selectFrom('signing_keys')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('created_at').as('newest'), eb.fn.max('retired_at').as('retired')])
    .executeTakeFirstOrThrow();
  return `${row.n}|${row.newest ? new Date(row.newest).toISOString() : ''}|${row.retired ? new Date(row.retired).toISOString() : ''}`;
}

/**
 * Private JWKs for the provider: active keys first (they sign), in SIGNING_ALGS order
 * (discovery lists algorithms in key order), then retired ones (verify only). The RSA
 * key carries no `alg`, so it serves RS256 and PS256 under one kid.
 */
export async function loadSigningJwks(db: Database, operatorKey: Uint8Array): Promise<JWK[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .orderBy(sql`retired_at is not null`)
    .orderBy('created_at', 'desc')
    .execute();
  const rank = (row: { alg: string; retired_at: Date | null }) => (row.retired_at ? KEY_ALGS.length : KEY_ALGS.indexOf(row.alg as KeyAlg));
  const ordered = rows.map((row, i) => ({ row, i })).sort((a, b) => rank(a.row) - rank(b.row) || a.i - b.i);
  return Promise.all(
    ordered.map(async ({ row }) => {
      const jwk: JWK = { ...(await unseal(row.sealed_jwk, row.kid, operatorKey)), kid: row.kid, use: 'sig' };
      if (row.alg !== 'RS256') jwk.alg = row.alg;
      return jwk;
    }),
  );
}
