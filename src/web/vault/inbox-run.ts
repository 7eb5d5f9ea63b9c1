/**
 * Taking the inbox in, once per unlock (DESIGN 5.6, "Vault"): each item is
 * checked (inbox.ts); one that passes is sealed into its element as a normal
 * element write (new version, state record), and only then deleted from the
 * inbox, so a reload in between finds it already sealed and just deletes it.
 * One that fails is kept, and shown with its reason until the holder discards it.
 * Network trouble or a conflict stops the run quietly: the items wait on the
 * server for the next unlock.
 */
import { openHolderKey, type ElementType, type StoredHolderKey } from '../../protocol/index.js';
import { ApiError } from './api.js';
import type { VaultApp } from './app.js';
import { contentWith, sealContent, sealedOf, withAttestation } from './attestations.js';
import { servedHolderKeys } from './holder-keys.js';
import { checkInboxItem, type HeldElement, type InboxApi, type InboxFailureReason, type InboxItem } from './inbox.js';
import { fileIds } from './scans.js';
import { verifierName, type VerifierInfo } from './verifier-list.js';

export interface InboxFailure {
  /** The inbox item's id (Discard deletes it). */
  id: string;
  /** The verifier's listed name; the server's name or client id for one that is not listed. */
  verifier: string;
  reason: InboxFailureReason;
  elementType?: ElementType;
}

export interface SealedNotice {
  verifier: string;
  elementType: ElementType;
}

/** What became of one delivery JWE. */
export type TakeOutcome =
  | { kind: 'sealed'; notice: SealedNotice }
  | { kind: 'duplicate' }
  | { kind: 'failed'; reason: InboxFailureReason; elementType?: ElementType }
  | { kind: 'stale' };

interface HolderKeysInUse {
  vaultId: string;
  enc: StoredHolderKey;
  sig: StoredHolderKey;
}

/** The parts of the vault page the inbox uses. */
type App = Pick<VaultApp, 'vault' | 'keys' | 'opened' | 'api' | 'summaries' | 'observeVersion' | 'reread'>;

export class InboxController {
  /** Items that failed their check, in inbox order, until discarded. */
  failures: InboxFailure[] = [];
  /** Called when `failures` changed (the documents screen re-renders its notices). */
  onChange: (() => void) | undefined;
  private running = false;
  /** Bumped when the vault locks: a run that was under way stops at its next step. */
  private epoch = 0;

  constructor(
    private readonly app: App,
    private readonly api: InboxApi,
    private readonly verifiers: () => Promise<VerifierInfo[]>,
  ) {}

  /**
   * Checks every pending item; returns what was sealed (for a notice), [] when
   * nothing was. Without the verifier list (it could not be read) nothing is
   * judged: an item is never called untrusted because the list was unreachable.
   */
  async run(): Promise<SealedNotice[]> {
    if (this.running) return [];
    this.running = true;
    const epoch = this.epoch;
    const sealed: SealedNotice[] = [];
    const failures: InboxFailure[] = [];
    let completed = false;
    try {
      const keys = this.holderKeys();
      // Without holder keys nothing can have been delivered (the server refuses it).
      if (!keys) return [];
      const items = await this.api.list();
      if (items.length) {
        const verifiers = await this.verifiers();
        if (epoch !== this.epoch) return [];
        for (const item of items) {
          if (epoch !== this.epoch) return [];
          const outcome = await this.take(item.jwe, verifiers, keys, epoch);
          if (outcome.kind === 'stale') return [];
          if (outcome.kind === 'failed') {
            failures.push({ id: item.id, verifier: this.nameOf(item, verifiers), reason: outcome.reason, ...(outcome.elementType ? { elementType: outcome.elementType } : {}) });
            continue;
          }
          if (outcome.kind === 'sealed') sealed.push(outcome.notice);
          await this.remove(item.id);
        }
      }
      completed = true;
    } catch {
      // Network, a conflict, the vault locked or refused: what is left waits for the next unlock.
    } finally {
      this.running = false;
    }
    if (epoch === this.epoch && completed) {
      this.failures = failures;
      this.onChange?.();
    }
    return epoch === this.epoch ? sealed : [];
  }

  /**
   * One delivery JWE that did not come through the inbox (Wathiqa's own answer to a
   * verified email code): opened, checked and sealed exactly as an inbox item is.
   * Network trouble and conflicts throw; a failed check is returned.
   */
  async accept(jwe: string): Promise<TakeOutcome> {
    const keys = this.holderKeys();
    if (!keys) return { kind: 'failed', reason: 'decrypt' };
    const epoch = this.epoch;
    const verifiers = await this.verifiers();
    return this.take(jwe, verifiers, keys, epoch);
  }

  /** The vault's holder keys as served, while unlocked (undefined before the page made them). */
  private holderKeys(): HolderKeysInUse | undefined {
    const vault = this.app.vault;
    const keys = vault ? servedHolderKeys(vault) : undefined;
    const enc = keys?.find((k) => k.use === 'enc');
    const sig = keys?.find((k) => k.use === 'sig');
    if (!vault || !enc || !sig || !this.app.keys.unlocked) return undefined;
    return { vaultId: vault.vault_id, enc, sig };
  }

  /** Opens and checks one JWE, and seals it into its element when it passes; 'stale' once the vault locked meanwhile. */
  private async take(jwe: string, verifiers: readonly VerifierInfo[], keys: HolderKeysInUse, epoch: number): Promise<TakeOutcome> {
    const he = { key: openHolderKey(this.app.keys.use(), keys.vaultId, keys.enc), kid: keys.enc.public_jwk.kid };
    const outcome = await checkInboxItem({ jwe }, { he, holderSig: keys.sig.public_jwk, verifiers, elements: this.held() });
    if (epoch !== this.epoch) return { kind: 'stale' };
    if (outcome.kind !== 'seal') return outcome;
    const type = await this.seal(outcome.elementId, outcome.sealed, outcome.issuer);
    return { kind: 'sealed', notice: { verifier: outcome.sealed.verifier_name, elementType: type } };
  }

  /** Deletes a failed item (the holder's "Discard"). */
  async discard(id: string): Promise<void> {
    await this.remove(id);
    this.failures = this.failures.filter((f) => f.id !== id);
    this.onChange?.();
  }

  /** The vault locked: forget the notices, stop a run. */
  forget(): void {
    this.epoch += 1;
    this.failures = [];
  }

  private held(): HeldElement[] {
    return this.app.opened.flatMap((o) => (o.content ? [{ id: o.record.id, type: o.record.type, updatedAt: o.record.updated_at, content: o.content }] : []));
  }

  private nameOf(item: InboxItem, verifiers: readonly VerifierInfo[]): string {
    return verifierName(verifiers, item.client_id) ?? (item.verifier_name || item.client_id);
  }

  /** Already gone (another tab took it) is as good as deleted. */
  private async remove(id: string): Promise<void> {
    try {
      await this.api.remove(id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }

  /** Writes the element again with the attestation in its content: the next version, with its state record. */
  private async seal(elementId: string, added: Parameters<typeof withAttestation>[1], issuer: string): Promise<ElementType> {
    const app = this.app;
    const opened = app.opened.find((o) => o.record.id === elementId);
    if (!opened?.content || !app.vault) throw new Error('the element is gone');
    const { record } = opened;
    const current = sealedOf(opened.content);
    const summaries = await app.summaries.all(current);
    const list = withAttestation(current, added, issuer, (a) => summaries[current.indexOf(a)]?.issuer);
    const content = contentWith(opened.content, list);
    const version = record.version + 1;
    const sealed = sealContent(app.keys.use(), { id: record.id, type: record.type, version }, content);
    const result = await app.api.putElement(record.id, { type: record.type, version, wrapped_key: sealed.wrappedKey, ciphertext: sealed.ciphertext, file_ids: fileIds(content.files as never) });
    app.observeVersion(app.vault.vault_id, result.vault_version);
    if (!(await app.reread())) throw new Error('the vault was refused after the write');
    return record.type;
  }
}
