/**
 * The vault page's controller: which screen shows, what the page holds while
 * unlocked, and what locking forgets. Screens (ui/*.ts) build their DOM and
 * call back into it.
 *
 * Held in memory only while unlocked: MK (KeyBox), the decrypted elements
 * (`opened`) and blob: URLs of decrypted scans (BlobUrls). Nothing secret is
 * written to any storage; localStorage holds only the highest vault version seen.
 */
import { generateHolderKeys, sealHolderKeys, type SignedState, type StateChange, type StateCheck, type StateProblem } from '../../protocol/index.js';
import { ApiError, VaultApi, type VaultRecord } from './api.js';
import { focusQuietly, h, replace } from './dom.js';
import { IDLE_LOCK_MS, IdleTimer } from './idle.js';
import type { Translator, Vars } from './i18n.js';
import { observeVersion, type VersionStore } from './rollback.js';
import { BlobUrls, KeyBox } from './session.js';
import { errorText } from './errors.js';
import { servedHolderKeys } from './holder-keys.js';
import { openRecords, type OpenedElement } from './opened.js';
import { AttestationSummaries } from './attestations.js';
import type { InboxApi } from './inbox.js';
import type { EmailVerifierApi } from './email-verifier.js';
import { InboxController } from './inbox-run.js';
import { loadVerifiers } from './verifier-list.js';
import { checkServedVault, elementProblemsText, refusalText, signChange } from './state.js';
import type { ReturnTarget } from './return-to.js';
import { messageBox } from './ui/common.js';
import { loadErrors, type ElementError } from './feedback.js';
import type { ReleasesApi } from './releases.js';

import type { EditorHost, Notice } from './editor-host.js';

export type { OpenedElement } from './opened.js';
export type { Notice } from './editor-host.js';

export type ScreenName =
  | 'loading'
  | 'setup'
  | 'recovery-code'
  | 'confirm-code'
  | 'unlock'
  | 'recover'
  | 'new-passphrase'
  | 'documents'
  | 'editor'
  | 'change-passphrase'
  | 'new-code'
  | 'error';

export interface Screens {
  setup(app: VaultApp): HTMLElement;
  unlock(app: VaultApp): HTMLElement;
  documents(app: VaultApp): HTMLElement;
}

export interface AppOptions {
  root: HTMLElement;
  tr: Translator;
  api: VaultApi;
  email: string;
  screens: Screens;
  storage?: VersionStore;
  idleMs?: number;
  /** Where "Back to <service>" leads: a consent page that sent the holder here. */
  returnTo?: ReturnTarget;
  /** The attestation inbox; without it, delivered attestations are not taken in. */
  inbox?: InboxApi;
  /** Wathiqa's own email verifier; without it (or the inbox) email elements offer no verification. */
  emailVerifier?: EmailVerifierApi;
  /** The sharing history's API: RP feedback on released elements is read from it after unlocking. */
  releases?: ReleasesApi;
}

export class VaultApp implements EditorHost {
  readonly tr: Translator;
  readonly api: VaultApi;
  readonly email: string;
  readonly returnTo: ReturnTarget | undefined;
  readonly keys = new KeyBox();
  readonly blobs = new BlobUrls();
  /** Summaries of the attestations sealed in opened elements (forgotten with them). */
  readonly summaries = new AttestationSummaries();
  /** Attestations delivered by verifiers, taken in after each unlock (DESIGN 5.6). */
  readonly inbox: InboxController | undefined;
  /** Wathiqa verifying the address of an email element (ui/email-verify.ts). */
  readonly emailVerifier: EmailVerifierApi | undefined;
  /** The last vault record the server sent (ciphertext and metadata only). */
  vault: VaultRecord | null = null;
  /** Whether `vault` was read at least once (null then means: no vault). */
  vaultRead = false;
  opened: OpenedElement[] = [];
  /** Shown at the top of the next screen. */
  notice: Notice | undefined;
  readonly idle: IdleTimer;
  private readonly root: HTMLElement;
  private readonly banner = messageBox('danger');
  /** What the state record check found (DESIGN 5.8); apart from the version warning, so neither hides the other. */
  private readonly stateBanner = messageBox('danger');
  /** The state check of `vault` under MK, made once per served vault. */
  private state: { vault: VaultRecord; check: StateCheck } | null = null;
  private readonly view: HTMLElement;
  private readonly screens: Screens;
  private readonly storage: VersionStore | undefined;
  screen: ScreenName = 'loading';
  /** The account page's recovery-code reminder (ui/recovery-reminder.ts): told of every screen and every vault read. */
  reminder: { update(): void } | undefined;
  /** What to show once the vault is unlocked instead of the documents (the reminder's "make a new code"), once. */
  afterUnlock: (() => void) | undefined;
  /** RP feedback (DESIGN 5.7): open errors mapped to elements through the sealed records, read after each unlock. */
  errors: ElementError[] = [];
  private readonly releases: ReleasesApi | undefined;
  /** Cleanups of the current screen (pending scan bytes), run when the vault locks. */
  private readonly forgetHooks = new Set<() => void>();

  constructor(options: AppOptions) {
    this.tr = options.tr;
    this.api = options.api;
    this.email = options.email;
    this.returnTo = options.returnTo;
    this.root = options.root;
    this.screens = options.screens;
    this.storage = options.storage;
    this.inbox = options.inbox ? new InboxController(this, options.inbox, () => loadVerifiers()) : undefined;
    this.emailVerifier = options.emailVerifier;
    this.releases = options.releases;
    this.view = h('div', { class: 'vault-view' });
    replace(this.root, this.banner.el, this.stateBanner.el, this.view);
    this.api.signer = { sign: (change) => this.signState(change) };
    this.idle = new IdleTimer({
      timeoutMs: options.idleMs ?? IDLE_LOCK_MS,
      target: document,
      onIdle: () => this.lock('idle'),
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.idle.check();
    });
    // Leaving the page (or entering the back/forward cache) locks: a page restored
    // from that cache must not show decrypted documents without a key.
    window.addEventListener('pagehide', () => {
      if (this.keys.unlocked) this.lock('button');
    });
  }

  t = (key: string, vars?: Vars): string => this.tr.t(key, vars);

  /** Replaces the current screen and moves focus to its heading (or `focus`). */
  show(name: ScreenName, node: HTMLElement, focus?: HTMLElement | null): void {
    this.screen = name;
    this.view.dataset.screen = name;
    replace(this.view, node);
    this.reminder?.update();
    focusQuietly(focus ?? node.querySelector<HTMLElement>('.vault-heading'));
  }

  /** The notice for the next screen, once. */
  takeNotice(): Notice | undefined {
    const notice = this.notice;
    this.notice = undefined;
    return notice;
  }

  /** A rendered notice (status or alert) for the top of a screen, or nothing. */
  noticeBox(): HTMLElement | null {
    const notice = this.takeNotice();
    if (!notice) return null;
    const box = messageBox(notice.kind);
    box.show(notice.text);
    return box.el;
  }

  async start(): Promise<void> {
    this.show('loading', h('p', { class: 'vault-loading', role: 'status' }, this.t('vault.loading')));
    try {
      const vault = await this.refresh();
      if (!vault) this.show('setup', this.screens.setup(this));
      else this.show('unlock', this.screens.unlock(this));
    } catch (err) {
      this.fatal(err);
    }
  }

  /** Back from a side screen: the documents while unlocked, else the unlock (or set-up) screen. */
  home(): void {
    if (this.keys.unlocked) this.showDocuments();
    else if (this.vault) this.show('unlock', this.screens.unlock(this));
    else void this.start();
  }

  /** A page that cannot go on: says why, offers the way forward. */
  fatal(err: unknown): void {
    const box = messageBox('alert');
    const signIn = err instanceof ApiError && err.status === 401;
    box.show(signIn ? this.t('vault.signed_out') : this.errorText(err, 'vault.load_failed'), signIn ? h('p', null, h('a', { href: '/account/login' }, this.t('vault.sign_in_again'))) : undefined);
    this.show('error', h('section', null, box.el), box.el);
  }

  /** Fetches the vault, checks its version against the highest seen, and keeps it. */
  async refresh(): Promise<VaultRecord | null> {
    const vault = await this.api.read();
    this.vault = vault;
    this.vaultRead = true;
    if (vault) this.observeVersion(vault.vault_id, vault.version);
    this.reminder?.update();
    return vault;
  }

  /** Records a vault version the server reported; warns (and keeps warning) on a rollback. */
  observeVersion(vaultId: string, version: number): void {
    const check = observeVersion(this.storage, vaultId, version);
    if (check.rolledBack) this.banner.show(this.t('vault.rollback', { served: version, seen: check.seen }));
  }

  /** The served vault checked against its state record under MK (the key must be held). */
  stateCheck(): StateCheck {
    const vault = this.vault;
    if (!vault) throw new Error('no vault');
    if (this.state?.vault !== vault) this.state = { vault, check: checkServedVault(this.keys.use(), vault, this.storage) };
    return this.state.check;
  }

  /** The record for a write (VaultApi's signer): the checked state plus the change. */
  private signState(change: StateChange): SignedState {
    const check = this.stateCheck();
    const vault = this.vault!;
    const filled: StateChange =
      change.kind === 'keys' && !change.keys.recoveryWrappedMk ? { kind: 'keys', keys: { ...change.keys, recoveryWrappedMk: vault.recovery_wrapped_mk } } : change;
    return signChange(this.keys.use(), vault, check, filled);
  }

  /** The served vault does not match its record: forget the key, say why, offer the unlock screen again. */
  refuse(problem: StateProblem): void {
    this.forget();
    this.stateBanner.show(refusalText(this.t, problem));
    this.show('unlock', this.screens.unlock(this));
  }

  /** Checks the state; false (and the vault refused) when it must not be opened. */
  private acceptState(): boolean {
    const check = this.stateCheck();
    if (check.refused) {
      this.refuse(check.refused);
      return false;
    }
    const text = elementProblemsText(this.t, check);
    if (text) this.stateBanner.show(text);
    else this.stateBanner.clear();
    return true;
  }

  /** Decrypts every element with MK; an element that fails, or that the state record refuses, is kept, marked unreadable. */
  decryptAll(): void {
    const refused = this.state?.vault === this.vault ? this.state.check.refusedElements : new Set<string>();
    const records = this.vault?.elements ?? [];
    const opened = openRecords(this.keys.use(), records.filter((r) => !refused.has(r.id)));
    this.opened = records.map((record) => opened.find((o) => o.record === record) ?? { record });
  }

  /** After unlock, recovery or set-up: hold MK, check the state, watch for idleness, show the documents. */
  unlocked(mk: Uint8Array<ArrayBuffer>, notice?: Notice, options: { watchIdle?: boolean } = {}): void {
    this.keys.hold(mk);
    if (!this.acceptState()) return;
    if (options.watchIdle !== false) this.idle.start();
    this.notice = notice;
    this.decryptAll();
    const next = this.afterUnlock;
    this.afterUnlock = undefined;
    if (next) next();
    else this.showDocuments();
    void this.completeVault().then(() => this.takeInbox());
    void this.readFeedback();
  }

  /** Reads the RPs' open errors; when there are some for the documents shown, shows them. */
  private async readFeedback(): Promise<void> {
    const vault = this.vault;
    if (!this.releases || !vault) return;
    try {
      const errors = await loadErrors(this.releases, () => this.keys.use(), vault.vault_id);
      if (!this.keys.unlocked) return;
      this.errors = errors;
      if (errors.length && this.screen === 'documents') this.showDocuments();
    } catch {
      // Read again at the next unlock; the documents do not depend on it.
    }
  }

  /** Takes delivered attestations in; when some were sealed, the documents screen shows them (if it is the one shown). */
  private async takeInbox(): Promise<void> {
    const sealed = (await this.inbox?.run()) ?? [];
    if (!sealed.length || !this.keys.unlocked || this.screen !== 'documents') return;
    const text = sealed.map((s) => this.t('vault.attest.added', { verifier: s.verifier, type: this.t(`element.${s.elementType}`) })).join(' ');
    this.notice = { kind: 'status', text };
    this.showDocuments();
  }

  /**
   * Quietly brings an older vault up to date, once its state check passed:
   * - one set up before state records gets its first at the first unlock where
   *   every element opens (trust on first use: until then only the version counter protects it);
   * - then one set up before holder keys (DESIGN 5.5) gets them, with the record naming them.
   */
  private async completeVault(): Promise<void> {
    try {
      if (!this.vault || !this.keys.unlocked) return;
      let check = this.stateCheck();
      if (check.refused) return;
      if (!check.verified) {
        if (this.opened.some((o) => !o.content)) return;
        await this.api.putState({ vault_version: this.vault.version, ...this.signState({ kind: 'none' }) });
        await this.refresh();
        if (!this.vault || !this.keys.unlocked) return;
        check = this.stateCheck();
        if (!check.verified || check.refused) return;
      }
      const vault = this.vault;
      if (servedHolderKeys(vault)?.length !== 0) return;
      const made = await generateHolderKeys();
      // MK is taken after the wait: the vault may have been locked (or re-read) meanwhile.
      if (this.vault !== vault || !this.keys.unlocked) return;
      await this.api.putHolderKeys({ holder_keys: sealHolderKeys(this.keys.use(), vault.vault_id, made), vault_version: vault.version });
      if (this.vault === vault) await this.refresh();
    } catch {
      // Tried again at the next unlock; any write in between carries a record anyway.
    }
  }

  showDocuments(): void {
    // Previews and thumbnails of the screen being left are not needed any more.
    this.blobs.revokeAll();
    this.show('documents', this.screens.documents(this));
  }

  /** Re-reads the vault after a write: refreshed, checked and decrypted again; false when locked or refused. */
  async reread(): Promise<boolean> {
    await this.refresh();
    if (!this.keys.unlocked || !this.acceptState()) return false;
    this.decryptAll();
    return true;
  }

  /** Re-reads the vault after a write (or a conflict) and shows the documents with a notice. */
  async reloadDocuments(notice?: Notice): Promise<void> {
    try {
      if (!(await this.reread())) return;
      this.notice = notice;
      this.showDocuments();
    } catch (err) {
      this.fatal(err);
    }
  }

  /** The editor was left: back to the documents. */
  leaveEditor(): void {
    this.showDocuments();
  }

  /** After the editor's write (or conflict): the documents again, re-read, with its notice. */
  editorDone(notice: Notice): Promise<void> {
    return this.reloadDocuments(notice);
  }

  /** Registers a cleanup to run when the key is dropped; returns its removal. */
  onForget(hook: () => void): () => void {
    this.forgetHooks.add(hook);
    return () => this.forgetHooks.delete(hook);
  }

  /** Drops the key and everything decrypted. */
  forget(): void {
    for (const hook of this.forgetHooks) hook();
    this.forgetHooks.clear();
    this.idle.stop();
    this.keys.drop();
    this.blobs.revokeAll();
    this.summaries.clear();
    this.inbox?.forget();
    this.errors = [];
    this.opened = [];
    this.state = null;
  }

  lock(reason: 'button' | 'idle'): void {
    this.forget();
    this.notice = { kind: 'status', text: this.t(reason === 'idle' ? 'vault.locked_idle' : 'vault.locked', { minutes: Math.round(IDLE_LOCK_MS / 60000) }) };
    // The screen (and with it every decrypted value in the DOM) is replaced.
    this.show('unlock', this.screens.unlock(this));
  }

  /** The translated message for an error from the API or the page. */
  errorText(err: unknown, fallback = 'vault.error.generic'): string {
    return errorText(this.t, err, fallback);
  }
}
