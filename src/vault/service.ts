import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { badRequest, conflict, HttpError, notFound } from '../http/errors.js';
import { ENVELOPE_OVERHEAD } from '../protocol/aead.js';
import { MAX_FILE_CIPHERTEXT_BYTES as MAX_FILE_UPLOAD_BYTES, MAX_SCAN_BYTES } from '../protocol/elements/scans.js';
import { decodeStateRecord, encodeStateRecord, stateRecord, type StateRecord } from '../protocol/state.js';
import type { ElementPut, FileUpload, HolderKeysPut, RecoveryConfirmation, SignedStateInput, VaultRewrap, VaultSetup } from './schemas.js';
import { vaultRepository } from './repository.js';

export interface VaultQuota {
  maxElements: number;
  maxBytes: number;
}

const noVault = () => new HttpError(404, 'no_vault', 'the vault is not set up yet');
const tooLarge = () => new HttpError(413, 'request_too_large', `a scan may be at most ${MAX_SCAN_BYTES} bytes`);

/**
 * The vault as the server sees it: opaque envelopes with owners, versions and sizes.
 * Every write runs in one transaction that locks the vault row and bumps its
 * version, so concurrent writers are serialized and a stale one gets a 409 with
 * nothing written.
 */
export class VaultService {
  constructor(
    private readonly db: Database,
    private readonly quota: VaultQuota,
  ) {}

  /**
   * `state`: the page's record for the version this write produces. A write that
   * changes the vault without one clears the stored record (it would describe a
   * state that no longer exists). `changesState: false` (unattached scans) keeps
   * the version and the record.
   */
  private write<T>(
    accountId: string,
    fn: (trx: Database, repo: ReturnType<typeof vaultRepository>) => Promise<T>,
    options: { state?: SignedStateInput; changesState?: boolean | ((trx: Database) => Promise<boolean>) } = {},
  ) {
    const state = signedState(options.state ?? {});
    return this.db.transaction().execute(async (trx) => {
      const repo = vaultRepository(trx);
      const locked = await repo.lock(accountId);
      if (!locked) throw noVault();
      if (state && state.record.vault_version !== Number(locked.version) + 1) {
        throw conflict('the vault changed since the state record was made; reload it');
      }
      const changes = typeof options.changesState === 'function' ? await options.changesState(trx) : options.changesState ?? true;
      const result = await fn(trx, repo);
      if (!changes) return { ...result, vault_version: Number(locked.version) };
      const vaultVersion = await repo.bumpVersion(accountId);
      if (state) await this.checkState(repo, accountId, state);
      await trx
        .updateTable('vaults')
        .set({ state: state?.text ?? null, state_mac: state?.mac ?? null })
        .where('account_id', '=', accountId)
        .execute();
      return { ...result, vault_version: vaultVersion };
    });
  }

  /**
   * The server cannot check the MAC (it has no MK): it checks only that the
   * record describes exactly what it now stores, so an honest page's mistake is
   * refused at once instead of alarming the holder at the next unlock.
   */
  private async checkState(repo: ReturnType<typeof vaultRepository>, accountId: string, state: { record: StateRecord; text: string }) {
    const vault = (await repo.find(accountId))!;
    const [elements, files] = await Promise.all([repo.elements(accountId), repo.files(accountId)]);
    const filesOf = new Map<string, string[]>();
    for (const f of files) if (f.element_id) filesOf.set(f.element_id, [...(filesOf.get(f.element_id) ?? []), f.id]);
    const expected = stateRecord({
      vaultId: vault.vault_id,
      vaultVersion: Number(vault.version),
      keys: { kdf: vault.kdf, wrappedMk: vault.wrapped_mk, recoveryWrappedMk: vault.recovery_wrapped_mk },
      elements: elements.map((e) => ({ id: e.id, version: e.version, files: filesOf.get(e.id) ?? [] })),
      holderKeys: holderKeyIdsOf(vault.holder_keys),
    });
    if (encodeStateRecord(expected) !== state.text) throw badRequest('state: the record does not describe the vault after this write');
  }

  async read(accountId: string) {
    const repo = vaultRepository(this.db);
    const vault = await repo.find(accountId);
    if (!vault) return { vault: null };
    const [elements, files, usage] = await Promise.all([repo.elements(accountId), repo.files(accountId), repo.usage(accountId)]);
    return {
      vault: {
        vault_id: vault.vault_id,
        version: Number(vault.version),
        kdf: vault.kdf,
        wrapped_mk: vault.wrapped_mk,
        recovery_wrapped_mk: vault.recovery_wrapped_mk,
        // The page's last state record and its MAC (DESIGN 5.8), or null.
        state: vault.state ?? null,
        state_mac: vault.state_mac ?? null,
        // [{use, public_jwk, sealed_private}] (DESIGN 5.5), or [] before the page made them.
        holder_keys: vault.holder_keys ?? [],
        // Whether the holder confirmed the current recovery code (issue #11): a reminder's switch, not a secret.
        recovery_confirmed: vault.recovery_confirmed_at !== null,
        elements: elements.map((e) => ({
          id: e.id,
          type: e.type,
          version: e.version,
          wrapped_key: e.wrapped_key,
          ciphertext: e.ciphertext,
          updated_at: e.updated_at.toISOString(),
          files: files.filter((f) => f.element_id === e.id).map(({ element_id: _e, ...f }) => f),
        })),
        usage,
        quota: { elements: this.quota.maxElements, bytes: this.quota.maxBytes },
      },
    };
  }

  async setUp(accountId: string, input: VaultSetup) {
    const state = signedState(input);
    if (state) {
      const expected = stateRecord({
        vaultId: input.vault_id,
        vaultVersion: 1,
        keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk },
        elements: [],
        holderKeys: holderKeyIdsOf(input.holder_keys),
      });
      if (encodeStateRecord(expected) !== state.text) throw badRequest('state: the record does not describe the new vault');
    }
    const row = await this.db
      .insertInto('vaults')
      .values({
        account_id: accountId,
        vault_id: input.vault_id,
        kdf: JSON.stringify(input.kdf),
        wrapped_mk: input.wrapped_mk,
        recovery_wrapped_mk: input.recovery_wrapped_mk,
        state: state?.text ?? null,
        state_mac: state?.mac ?? null,
        holder_keys: input.holder_keys ? JSON.stringify(input.holder_keys) : null,
        updated_at: new Date(),
      })
      .onConflict((oc) => oc.doNothing())
      .returning('version')
      .executeTakeFirst();
    if (!row) throw conflict('the vault is already set up (or that vault id is taken)');
    return { vault_version: Number(row.version) };
  }

  /** A new passphrase: MK re-wrapped (and optionally a new recovery wrap), in one statement. */
  rewrap(accountId: string, input: VaultRewrap) {
    return this.write(accountId, async (trx, repo) => {
      const vault = (await repo.find(accountId))!;
      if (Number(vault.version) !== input.vault_version) throw conflict('the vault changed since it was read; reload it');
      await trx
        .updateTable('vaults')
        .set({
          kdf: JSON.stringify(input.kdf),
          wrapped_mk: input.wrapped_mk,
          // A new recovery code is unconfirmed until the holder types part of it back.
          ...(input.recovery_wrapped_mk && input.recovery_wrapped_mk !== vault.recovery_wrapped_mk
            ? { recovery_wrapped_mk: input.recovery_wrapped_mk, recovery_confirmed_at: null }
            : {}),
        })
        .where('account_id', '=', accountId)
        .execute();
      return {};
    }, { state: input });
  }

  /**
   * The holder showed the page they kept the recovery code. The server cannot
   * check that (it never sees the code): the page checked a group typed back
   * against the code it showed, or opened the recovery wrap with a typed code.
   * The request names the recovery wrap it confirms, so confirming a code that a
   * newer one replaced meanwhile (another tab) is a 409 and confirms nothing.
   * Not a vault change: no version bump, no state record.
   */
  async confirmRecovery(accountId: string, input: RecoveryConfirmation): Promise<{ recovery_confirmed: true }> {
    const row = await this.db
      .updateTable('vaults')
      .set({ recovery_confirmed_at: sql<Date>`coalesce(recovery_confirmed_at, now())` })
      .where('account_id', '=', accountId)
      .where('recovery_wrapped_mk', '=', input.recovery_wrapped_mk)
      .returning('account_id')
      .executeTakeFirst();
    if (row) return { recovery_confirmed: true };
    if (!(await vaultRepository(this.db).find(accountId))) throw noVault();
    throw conflict('a newer recovery code replaced this one; confirm the new code');
  }

  /** For the account page's reminder: no vault, or whether its recovery code is confirmed. */
  async recoveryStatus(accountId: string): Promise<'none' | 'confirmed' | 'unconfirmed'> {
    const row = await this.db.selectFrom('vaults').select('recovery_confirmed_at').where('account_id', '=', accountId).executeTakeFirst();
    if (!row) return 'none';
    return row.recovery_confirmed_at ? 'confirmed' : 'unconfirmed';
  }

  /** A state record alone, for the current state (a vault set up before records existed). */
  recordState(accountId: string, input: { vault_version: number } & SignedStateInput) {
    return this.write(accountId, async (_trx, repo) => {
      const vault = (await repo.find(accountId))!;
      if (Number(vault.version) !== input.vault_version) throw conflict('the vault changed since it was read; reload it');
      return {};
    }, { state: input });
  }

  /**
   * Holder keys for a vault that has none (set up before them). Set once: a
   * second call is a 409, so nobody holding the session can swap them through
   * the API (the server itself could, in its database; the page's state record
   * then refuses the vault).
   */
  setHolderKeys(accountId: string, input: HolderKeysPut) {
    return this.write(accountId, async (trx, repo) => {
      const vault = (await repo.find(accountId))!;
      if (vault.holder_keys) throw conflict('the vault has holder keys already');
      if (Number(vault.version) !== input.vault_version) throw conflict('the vault changed since it was read; reload it');
      await trx.updateTable('vaults').set({ holder_keys: JSON.stringify(input.holder_keys) }).where('account_id', '=', accountId).execute();
      return {};
    }, { state: input });
  }

  /** Creates (version 1) or replaces (version = current + 1) an element and attaches its files. */
  putElement(accountId: string, id: string, input: ElementPut) {
    return this.write(accountId, async (trx, repo) => {
      const existing = await repo.element(accountId, id);
      const size = input.ciphertext.length + input.wrapped_key.length;
      if (existing) {
        if (existing.type !== input.type) throw badRequest('type: an element keeps its type; create a new element instead');
        if (input.version !== existing.version + 1) throw conflict(`stale version: the element is at version ${existing.version}`);
      } else {
        const taken = await trx.selectFrom('vault_elements').select('id').where('id', '=', id).executeTakeFirst();
        if (taken) throw notFound('no such element'); // another holder's: as if it did not exist
        if (input.version !== 1) throw conflict('stale version: the element does not exist; create it with version 1');
      }
      const usage = await repo.usage(accountId);
      if (!existing && usage.elements + 1 > this.quota.maxElements) quotaFail(`at most ${this.quota.maxElements} elements per vault`);
      if (usage.bytes - (existing?.size ?? 0) + size > this.quota.maxBytes) quotaFail(`at most ${this.quota.maxBytes} bytes per vault`);

      const fileIds = [...new Set(input.file_ids)];
      if (fileIds.length) {
        const owned = await trx
          .selectFrom('vault_files')
          .select(['id', 'element_id'])
          .where('account_id', '=', accountId)
          .where('id', 'in', fileIds)
          .execute();
        const usable = owned.filter((f) => f.element_id === null || f.element_id === id);
        if (usable.length !== fileIds.length) throw notFound('a file_ids entry is not an unattached scan of this vault');
      }

      const now = new Date();
      if (existing) {
        await trx
          .updateTable('vault_elements')
          .set({ version: input.version, wrapped_key: input.wrapped_key, ciphertext: input.ciphertext, size, updated_at: now })
          .where('id', '=', id)
          .execute();
      } else {
        await trx
          .insertInto('vault_elements')
          .values({ id, account_id: accountId, type: input.type, version: input.version, wrapped_key: input.wrapped_key, ciphertext: input.ciphertext, size, updated_at: now })
          .execute();
      }
      // Scans the element no longer names are gone with its old version.
      await trx
        .deleteFrom('vault_files')
        .where('element_id', '=', id)
        .$if(fileIds.length > 0, (q) => q.where('id', 'not in', fileIds))
        .execute();
      if (fileIds.length) {
        await trx.updateTable('vault_files').set({ element_id: id }).where('account_id', '=', accountId).where('id', 'in', fileIds).execute();
      }
      return { id, version: input.version };
    }, { state: input });
  }

  deleteElement(accountId: string, id: string, version: number, state: SignedStateInput = {}) {
    return this.write(accountId, async (trx, repo) => {
      const existing = await repo.element(accountId, id);
      if (!existing) throw notFound('no such element');
      if (existing.version !== version) throw conflict(`stale version: the element is at version ${existing.version}`);
      await trx.deleteFrom('vault_elements').where('id', '=', id).execute(); // its files cascade
      return {};
    }, { state });
  }

  /**
   * Reads the upload as it streams and stops at the limit: an oversized body is
   * refused before it is kept anywhere.
   */
  async uploadFile(accountId: string, meta: FileUpload, body: Readable, declaredLength?: number) {
    if (declaredLength !== undefined && declaredLength > MAX_FILE_UPLOAD_BYTES) throw tooLarge();
    const repo = vaultRepository(this.db);
    if (!(await repo.find(accountId))) throw noVault();
    const usage = await repo.usage(accountId);
    if (usage.bytes + (declaredLength ?? 0) > this.quota.maxBytes) quotaFail(`at most ${this.quota.maxBytes} bytes per vault`);

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > MAX_FILE_UPLOAD_BYTES) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    if (size < ENVELOPE_OVERHEAD + 1) throw badRequest('the body is too short to be an encrypted scan');
    const ciphertext = Buffer.concat(chunks, size);

    return this.write(accountId, async (trx, repo) => {
      const now = await repo.usage(accountId);
      if (now.bytes + size > this.quota.maxBytes) quotaFail(`at most ${this.quota.maxBytes} bytes per vault`);
      const inserted = await trx
        .insertInto('vault_files')
        .values({ id: meta.id, account_id: accountId, element_id: null, media_type: meta.media_type, wrapped_key: meta.wrapped_key, size, ciphertext })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) throw conflict('that file id is taken');
      return { id: meta.id, size };
    }, { changesState: false }); // an unattached scan is not part of the state
  }

  async readFile(accountId: string, id: string) {
    const file = await vaultRepository(this.db).file(accountId, id);
    if (!file) throw notFound('no such file');
    return file;
  }

  deleteFile(accountId: string, id: string) {
    // Only removing a scan an element names changes the state (and clears the record).
    const attached = async (trx: Database) =>
      (await trx.selectFrom('vault_files').select('element_id').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst())?.element_id != null;
    return this.write(accountId, async (trx) => {
      const result = await trx.deleteFrom('vault_files').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound('no such file');
      return {};
    }, { changesState: attached });
  }

  /** Uploads never attached to an element (an abandoned form) are removed after a day. */
  async removeUnattachedFiles(): Promise<void> {
    await this.db
      .deleteFrom('vault_files')
      .where('element_id', 'is', null)
      .where('created_at', '<', sql<Date>`now() - interval '1 day'`)
      .execute();
  }
}

/** Both or neither; the record must be canonical and well formed (the MAC only the page can check). */
function signedState(input: SignedStateInput): { record: StateRecord; text: string; mac: string } | undefined {
  if (input.state === undefined && input.state_mac === undefined) return undefined;
  if (input.state === undefined || input.state_mac === undefined) throw badRequest('state and state_mac go together');
  const record = decodeStateRecord(input.state);
  if (!record) throw badRequest('state: not the canonical text of a state record');
  return { record, text: input.state, mac: input.state_mac };
}

/** The kids of stored (already validated) holder keys, for the state record. */
function holderKeyIdsOf(keys: unknown): string[] {
  return Array.isArray(keys) ? keys.map((k) => (k as { public_jwk: { kid: string } }).public_jwk.kid) : [];
}

function quotaFail(what: string): never {
  throw new HttpError(403, 'quota_exceeded', what);
}
