/**
 * The passport consent page (DESIGN 5.4), in the browser: who asks and for what,
 * the RP's key fingerprint, unlocking the vault, the exact values and scans that
 * will leave (a choice per one_of, optional fields that can be left out), and on
 * approval the release: built here, encrypted here to the RP's key, posted as a
 * JWE the server cannot open.
 *
 * Held in memory only while unlocked: MK (KeyBox), the decrypted elements and
 * blob: URLs of decrypted scans. Locking (idle, leaving the page) forgets them.
 * Nothing here is logged.
 */
import {
  localDate,
  openHolderKey,
  releaseHolder,
  requiresVerification,
  VaultIntegrityError,
  type AttestationSummary,
  type ElementType,
  type FileLink,
  type HolderPrivateJwk,
  type PassportRequirement,
  type ReleaseHolder,
  type SignedState,
  type StateChange,
  type StateCheck,
} from '../../protocol/index.js';
import { ApiError, NetworkError, VaultApi, type VaultRecord } from '../vault/api.js';
import { AttestationSummaries, sealedOf } from '../vault/attestations.js';
import { focusQuietly, h, replace, uid } from '../vault/dom.js';
import type { EditorHost, Notice } from '../vault/editor-host.js';
import { errorText } from '../vault/errors.js';
import { displayValue, formatBytes, formatDate, isLtrValue } from '../vault/groups.js';
import type { Translator, Vars } from '../vault/i18n.js';
import { IDLE_LOCK_MS, IdleTimer } from '../vault/idle.js';
import { openRecords, type OpenedElement } from '../vault/opened.js';
import { accountLinkFor, rememberReturnName, type NameStore } from '../vault/return-to.js';
import { observeVersion, type VersionStore } from '../vault/rollback.js';
import { mediaTypeName, openScan } from '../vault/scans.js';
import { checkServedVault, elementProblemsText, refusalText, signChange } from '../vault/state.js';
import { servedHolderKeys } from '../vault/holder-keys.js';
import { BlobUrls, KeyBox, LockedError } from '../vault/session.js';
import { verifiedList } from '../vault/ui/attestations.js';
import { busy, messageBox, screenHeading, type MessageBox } from '../vault/ui/common.js';
import { editorScreen } from '../vault/ui/editor.js';
import { unlockForm } from '../vault/ui/unlock-form.js';
import { postRelease } from './api.js';
import { attachPresentations, liveAttestations, offeredFor, type SummaryLookup } from './attested.js';
import type { ReleaseData } from './data.js';
import {
  absentFields,
  buildRelease,
  candidatesFor,
  describeRequirement,
  fileKeysFrom,
  leavingFields,
  leavingScans,
  listOf,
  missingScans,
  MissingScanError,
  summaryOf,
  unreadableFor,
  writtenFor,
  type Choice,
  type LeavingScan,
  type Readable,
} from './model.js';
import { encryptRelease, ReleaseKeyError, resolveReleaseKey, type Fetch, type ResolvedKey } from './release-key.js';
import { interactionLive, isStaleAnswer, msUntil } from './stale.js';
import { fetchVerifiers, fittingVerifiers, namedVerifiers, type VerifierInfo } from './verifiers.js';
import { answersExpiry, expiryOf, needsExpiryConfirmation } from './expiry.js';
import { expiryBadge } from '../vault/ui/expiry.js';
import { ConsentFeedback, sealedFeedback } from './feedback.js';
import { ReleasesApi } from '../vault/releases.js';

export interface ConsentOptions {
  /** #passport-consent: the page's interactive part. */
  root: HTMLElement;
  /** Where "what is asked" goes (#passport-asks); the root when absent. */
  asksSlot?: HTMLElement | null;
  /** The server-rendered decline form: the Share button goes next to Decline. */
  decision: HTMLElement | null;
  /** Where the RP key's fingerprint is shown (server-rendered for a registered key). */
  keySlot: HTMLElement | null;
  tr: Translator;
  data: ReleaseData;
  clientName: string;
  /** The interaction's CSRF token. */
  csrf: string;
  storage?: VersionStore;
  session?: NameStore;
  fetch?: Fetch;
  idleMs?: number;
}

type ScanState = { url: string } | { error: unknown };

export class ConsentPage implements EditorHost {
  readonly tr: Translator;
  readonly data: ReleaseData;
  readonly api: VaultApi;
  readonly keys = new KeyBox();
  readonly blobs = new BlobUrls();
  readonly idle: IdleTimer;
  vault: VaultRecord | null = null;
  opened: OpenedElement[] = [];

  private readonly options: ConsentOptions;
  private readonly requirements: PassportRequirement[];
  private readonly stage = h('div', { class: 'passport-stage' });
  private readonly banner = messageBox('danger');
  /** What the state record check found (DESIGN 5.8). */
  private readonly stateBanner = messageBox('danger');
  private readonly share: HTMLButtonElement;
  private readonly accountLink: string;
  private readonly keyPromise: Promise<ResolvedKey>;
  private keyProblem: ReleaseKeyError | undefined;
  /** The element picked per requirement (index → element id). */
  private readonly selected = new Map<number, string>();
  /** Optional fields the holder unticked, per element id. */
  private readonly excluded = new Map<string, Set<string>>();
  /** Decrypted and checked scans, per file id. */
  private readonly scans = new Map<string, Promise<ScanState>>();
  private shareAlert: MessageBox = messageBox('alert');
  /** Summaries of the attestations sealed in the opened elements, read once after unlocking. */
  readonly summaries = new AttestationSummaries();
  private readonly resolved = new Map<string, AttestationSummary | undefined>();
  private readonly lookup: SummaryLookup = (sdJwt) => this.resolved.get(sdJwt);
  /** GET /verifiers, fetched only when the RP asks for verification (names and links). */
  private readonly verifierList: Promise<VerifierInfo[]>;
  private sent = false;
  /** The served vault's state check under MK (DESIGN 5.8): writes from this page sign the next record from it. */
  private state: { vault: VaultRecord; check: StateCheck } | undefined;
  /** Cleanups of the open editor (chosen scans' bytes), run when the vault locks. */
  private readonly forgetHooks = new Set<() => void>();
  /** The requirement a document is being added or completed for, and the vault before the write. */
  private editing: { index: number; before: OpenedElement[] } | undefined;
  /** The request can no longer be answered (expired, answered elsewhere, signed out). */
  private stale = false;
  private readonly staleBox = messageBox('alert');
  /** Expired documents the holder ticked "share it anyway" for (element ids). */
  private readonly expiredShared = new Set<string>();
  /** RP feedback (DESIGN 5.7): open errors on the holder's documents. */
  private readonly feedback: ConsentFeedback;

  constructor(options: ConsentOptions) {
    this.options = options;
    this.tr = options.tr;
    this.data = options.data;
    this.requirements = options.data.passport_scope.data;
    this.api = new VaultApi(options.data.vault_csrf);
    const path = `/interaction/${options.data.uid}`;
    rememberReturnName(options.session, path, options.clientName);
    this.accountLink = accountLinkFor(path);
    this.feedback = new ConsentFeedback(new ReleasesApi(options.data.vault_csrf, options.fetch), options.tr);
    this.share = h('button', { type: 'button', class: 'button button-primary', hidden: true, 'data-share': '' }, this.t('passport.share', { client: options.clientName }));
    this.share.addEventListener('click', () => void this.approve());
    options.decision?.prepend(this.share);
    this.idle = new IdleTimer({ timeoutMs: options.idleMs ?? IDLE_LOCK_MS, target: document, onIdle: () => this.lock() });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return;
      this.idle.check();
      // Back after a while: the request may have expired, or been answered in another tab.
      void this.checkLive();
    });
    const expiry = msUntil(options.data.expires_at);
    if (expiry !== undefined) setTimeout(() => void this.checkLive(), expiry + 1000);
    // Writes from the in-page editor carry the next state record, like the vault page's.
    this.api.signer = { sign: (change) => this.signState(change) };
    window.addEventListener('pagehide', () => this.forget());
    this.keyPromise = resolveReleaseKey(options.data, options.fetch);
    this.verifierList = this.requirements.some(requiresVerification) ? fetchVerifiers(options.fetch) : Promise.resolve([]);
    // Never an unhandled rejection: the problem is shown, and checked again on approval.
    this.keyPromise.catch((err: unknown) => {
      this.keyProblem = err instanceof ReleaseKeyError ? err : new ReleaseKeyError('no_key');
    });
  }

  t = (key: string, vars?: Vars): string => this.tr.t(key, vars);

  private get client(): string {
    return this.options.clientName;
  }

  async start(): Promise<void> {
    if (this.options.asksSlot) {
      replace(this.options.asksSlot, this.asks());
      replace(this.options.root, this.staleBox.el, this.banner.el, this.stateBanner.el, this.stage);
    } else {
      replace(this.options.root, this.staleBox.el, this.asks(), this.banner.el, this.stateBanner.el, this.stage);
    }
    void this.showKey();
    this.showStage(h('p', { class: 'vault-loading', role: 'status' }, this.t('vault.loading')));
    try {
      const vault = await this.refresh();
      if (!vault) this.showNoVault();
      else this.showUnlock();
    } catch (err) {
      this.fatal(err);
    }
  }

  /** What the RP asks for, in plain words: one item per requirement. */
  private asks(): HTMLElement {
    const headingId = uid('asks');
    const scopeItems = this.requirements.map((requirement) => {
      const text = describeRequirement(this.t, this.tr.locale, requirement);
      return h(
        'li',
        { class: 'ask' },
        h('span', { class: 'ask-title' }, text.title),
        text.details.length || requiresVerification(requirement)
          ? h('ul', { class: 'ask-details' }, ...text.details.map((d) => h('li', null, d)), requiresVerification(requirement) ? this.verificationAsked(requirement) : null)
          : null,
      );
    });
    return h(
      'section',
      { class: 'passport-asks', 'aria-labelledby': headingId },
      h('h2', { id: headingId }, this.t('passport.asks_heading', { client: this.client })),
      h('ol', { class: 'ask-list' }, ...scopeItems),
    );
  }

  /** "Must be verified by …": named verifiers by their listed names once the list is here. */
  private verificationAsked(requirement: PassportRequirement): HTMLElement {
    const say = (list: readonly VerifierInfo[]) =>
      requirement.verifiers
        ? this.t('passport.verify.required_by', { client: this.client, verifiers: listOf(this.tr.locale, namedVerifiers(requirement, list), 'disjunction') })
        : this.t('passport.verify.required', { client: this.client });
    const item = h('li', { class: 'ask-verify' }, say([]));
    void this.verifierList.then((list) => replace(item, say(list)));
    return item;
  }

  /**
   * Verification is required, and no document of the vault has a live
   * attestation that fits: say so, and list the verifiers that attest this kind of document.
   */
  private verificationBlock(requirement: PassportRequirement): HTMLElement {
    const types = listOf(this.tr.locale, requirement.one_of.map((type) => this.t(`element.${type}`)), 'disjunction');
    const links = h('div', { class: 'share-verifiers' });
    void this.verifierList.then((list) => {
      const fitting = fittingVerifiers(requirement, list);
      replace(
        links,
        fitting.length
          ? h('p', null, this.t('passport.verify.list', { types }))
          : h('p', null, this.t('passport.verify.none', { types })),
        fitting.length
          ? h('ul', { class: 'share-verifier-list' }, ...fitting.map((v) => h('li', null, h('a', { href: v.policy_uri, rel: 'noopener noreferrer', target: '_blank', dir: 'auto' }, v.name))))
          : null,
      );
    });
    return h(
      'div',
      { class: 'vault-message vault-message-alert share-verify', 'data-verify': '' },
      h('p', null, this.t('passport.verify.blocked', { client: this.client })),
      links,
    );
  }

  /** The holder's public keys for a verifier's release; undefined when the vault has none yet. */
  private holderForRelease(): ReleaseHolder | undefined {
    const keys = this.vault ? servedHolderKeys(this.vault) : undefined;
    return keys && keys.length ? releaseHolder(keys) : undefined;
  }

  /** The elements offered for requirement `index` (for a verified one: with a fitting, live attestation; for an unexpired one: not expired). */
  private candidates(index: number): Readable[] {
    const requirement = this.requirements[index]!;
    return offeredFor(requirement, this.opened, this.lookup, new Date()).filter((e) => answersExpiry(requirement, e, localDate()));
  }

  /** A chosen expired document whose "share it anyway" is not ticked (issue #11). */
  private get expiryUnconfirmed(): boolean {
    return this.requirements.some((_, index) => {
      const element = this.chosen(index);
      return element !== undefined && needsExpiryConfirmation(element, localDate()) && !this.expiredShared.has(element.record.id);
    });
  }

  /** Why Share cannot work whatever the holder picks: a required verification no document has, or a verifier and no holder keys. */
  private get blockedBy(): 'verification' | 'holder_keys' | undefined {
    if (this.keys.unlocked && this.requirements.some((r, index) => requiresVerification(r) && this.candidates(index).length === 0)) return 'verification';
    if (this.data.verifier && this.keys.unlocked && !this.holderForRelease()) return 'holder_keys';
    return undefined;
  }

  /** The HS private key, opened under MK (it signs the key-binding JWTs of presentations). */
  private holderSigningKey(): HolderPrivateJwk {
    const stored = this.vault ? servedHolderKeys(this.vault)?.find((k) => k.use === 'sig') : undefined;
    if (!this.vault || !stored) throw new Error('no holder keys');
    return openHolderKey(this.keys.use(), this.vault.vault_id, stored);
  }

  /** The RP key's fingerprint: checked for a registered key, fetched from the RP for jwks_uri. */
  private async showKey(): Promise<void> {
    const slot = this.options.keySlot;
    const origin = this.data.jwks_uri ? new URL(this.data.jwks_uri).origin : undefined;
    if (slot && origin) {
      replace(slot, this.t('passport.key_fetching', { client: this.client, origin }));
      slot.hidden = false;
    }
    try {
      const resolved = await this.keyPromise;
      if (slot && resolved.origin) {
        replace(
          slot,
          h('span', { class: 'key-label' }, this.t('passport.key_fingerprint')),
          ' ',
          h('code', { dir: 'ltr', class: 'fingerprint' }, resolved.thumbprint),
          h('span', { class: 'key-origin' }, this.t('passport.key_from', { client: this.client, origin: resolved.origin })),
          h('span', { class: 'key-explain' }, this.t('passport.key_explain', { client: this.client })),
        );
      }
    } catch (err) {
      const problem = err instanceof ReleaseKeyError ? err.problem : 'no_key';
      const box = messageBox('danger');
      box.show(this.t(problem === 'mismatch' ? 'passport.key_mismatch' : 'passport.key_failed', { client: this.client, origin: origin ?? '' }));
      if (slot) {
        replace(slot, box.el);
        slot.hidden = false;
      } else {
        this.banner.show(box.el.textContent ?? '');
      }
      this.updateShare();
    }
  }

  /** Fetches the vault record and checks its version against the highest this browser saw. */
  async refresh(): Promise<VaultRecord | null> {
    const vault = await this.api.read();
    this.vault = vault;
    if (vault) this.observeVersion(vault.vault_id, vault.version);
    return vault;
  }

  /** Records a vault version the server reported; warns on a rollback. */
  observeVersion(vaultId: string, version: number): void {
    const check = observeVersion(this.options.storage, vaultId, version);
    if (check.rolledBack) this.banner.show(this.t('vault.rollback', { served: version, seen: check.seen }));
  }

  /** The record for a write from the in-page editor: the checked state plus the change. */
  private signState(change: StateChange): SignedState {
    // Only from the check of the vault served last: never sign on top of a record that was not checked.
    if (!this.vault || this.state?.vault !== this.vault) throw new LockedError();
    return signChange(this.keys.use(), this.vault, this.state.check, change);
  }

  errorText(err: unknown, fallback?: string): string {
    return errorText(this.t, err, fallback);
  }

  onForget(hook: () => void): () => void {
    this.forgetHooks.add(hook);
    return () => this.forgetHooks.delete(hook);
  }

  private showStage(node: HTMLElement, focus?: HTMLElement | null): void {
    replace(this.stage, node);
    // While reviewing (or editing for a requirement), each requirement has its own block: the summary above would say it twice.
    const editing = node.classList.contains('passport-editor');
    if (this.options.asksSlot) this.options.asksSlot.hidden = node.classList.contains('passport-review') || editing;
    // While editing, Save and Cancel are the page's actions: Decline next to them would read as the editor's.
    if (this.options.decision) this.options.decision.hidden = editing;
    if (focus !== undefined) focusQuietly(focus);
  }

  private fatal(err: unknown): void {
    const box = messageBox('alert');
    box.show(errorText(this.t, err, 'vault.load_failed'));
    this.showStage(h('section', null, box.el), box.el);
    this.updateShare();
  }

  private showNoVault(): void {
    const heading = screenHeading(this.t('passport.no_vault_heading'), 'h2');
    this.showStage(
      h(
        'section',
        { class: 'passport-step passport-no-vault' },
        heading,
        h('p', null, this.t('passport.no_vault', { client: this.client })),
        h('p', { class: 'actions' }, h('a', { href: this.accountLink, class: 'button button-primary' }, this.t('passport.no_vault_link'))),
      ),
    );
    this.updateShare();
  }

  private showUnlock(notice?: string): void {
    const { form } = unlockForm(
      { t: this.t, refresh: () => this.refresh(), errorText: (err) => errorText(this.t, err) },
      {
        submitLabel: this.t('passport.unlock_submit'),
        onUnlocked: (mk) => this.unlocked(mk),
        onNoVault: () => this.showNoVault(),
      },
    );
    const noticeBox = messageBox('status');
    if (notice) noticeBox.show(notice);
    const section = h(
      'section',
      { class: 'passport-step passport-unlock' },
      screenHeading(this.t('passport.unlock_heading'), 'h2'),
      noticeBox.el,
      h('p', { class: 'lead' }, this.t('passport.unlock_intro')),
      form,
      h('p', { class: 'switch-flow' }, h('a', { href: this.accountLink }, this.t('vault.unlock.forgot'))),
    );
    // Focus moves only after a lock; on arrival the holder reads what is asked first.
    this.showStage(section, notice ? section.querySelector<HTMLElement>('.vault-heading') : null);
    this.updateShare();
  }

  private unlocked(mk: Uint8Array<ArrayBuffer>): void {
    this.keys.hold(mk);
    if (!this.openVault()) return;
    this.idle.start();
    this.showStage(h('p', { class: 'vault-loading', role: 'status' }, this.t('vault.loading')));
    void Promise.all([this.readAttestations(), this.feedback.load(() => this.keys.use(), this.vault!.vault_id)]).then(() => {
      if (!this.keys.unlocked) return;
      this.selectFirst();
      this.showReview();
    });
  }

  /**
   * Checks the served vault against its state record under MK and decrypts what it
   * allows. False (key dropped, unlock screen again) when the whole vault is refused:
   * nothing leaves from a vault that does not match its record, nor any element it refuses.
   */
  private openVault(): boolean {
    const mk = this.keys.use();
    const records = this.vault?.elements ?? [];
    const check = this.vault ? checkServedVault(mk, this.vault, this.options.storage) : undefined;
    if (check?.refused) {
      this.forget();
      this.stateBanner.show(refusalText(this.t, check.refused));
      this.showUnlock();
      return false;
    }
    this.state = this.vault && check ? { vault: this.vault, check } : undefined;
    const problems = check && elementProblemsText(this.t, check);
    if (problems) this.stateBanner.show(problems);
    else this.stateBanner.clear();
    const opened = openRecords(mk, records.filter((r) => !check?.refusedElements.has(r.id)));
    this.opened = records.map((record) => opened.find((o) => o.record === record) ?? { record });
    return true;
  }

  /** A requirement nothing is picked for gets its first candidate. */
  private selectFirst(): void {
    for (const index of this.requirements.keys()) {
      const first = this.candidates(index)[0];
      if (first && !this.candidates(index).some((c) => c.record.id === this.selected.get(index))) this.selected.set(index, first.record.id);
    }
  }

  /** Adds (or completes) a document for requirement `index` with the vault's own editor, here. */
  private edit(index: number, type: ElementType, existing?: Readable): void {
    this.editing = { index, before: this.opened.slice() };
    const screen = editorScreen(this, type, existing);
    const note = h('p', { class: 'hint passport-editor-note' }, this.t('passport.editor_note', { client: this.client }));
    screen.querySelector('.lead')?.after(note);
    this.showStage(h('div', { class: 'passport-editor' }, screen), screen.querySelector<HTMLElement>('.vault-heading'));
    this.updateShare();
  }

  /** The editor was left without saving: back to the review as it was. */
  leaveEditor(): void {
    this.editing = undefined;
    this.showReview();
  }

  /**
   * After the editor's write (or a conflict): the vault is read again, checked and
   * decrypted; what the holder picked and unticked is kept, and the document just
   * written is picked for the requirement it was made for.
   */
  async editorDone(notice: Notice): Promise<void> {
    const editing = this.editing;
    this.editing = undefined;
    try {
      await this.refresh();
      if (!this.keys.unlocked || !this.openVault()) return;
      await this.readAttestations();
      if (!this.keys.unlocked) return;
      if (editing) {
        const written = writtenFor(this.requirements[editing.index]!, editing.before, this.opened);
        if (written && this.candidates(editing.index).some((c) => c.record.id === written)) this.selected.set(editing.index, written);
      }
      this.selectFirst();
      this.showReview(notice);
    } catch (err) {
      this.fatal(err);
    }
  }

  /** Asks the server whether the request can still be answered; marks the page stale when not. */
  private async checkLive(): Promise<void> {
    if (this.stale || this.sent) return;
    if ((await interactionLive(this.data.uid, this.options.fetch)) === false) this.markStale();
  }

  /**
   * The request cannot be answered any more: Share (and Decline) are disabled and the
   * page offers the way back to the service. The vault stays as it is: a document
   * being added is still the holder's to save.
   */
  private markStale(): void {
    if (this.stale || this.sent) return;
    this.stale = true;
    const target = this.data.return_uri;
    this.staleBox.show(
      this.t('passport.stale', { client: this.client }),
      target
        ? h('p', { class: 'actions' }, h('a', { href: target, class: 'button button-secondary', rel: 'noopener noreferrer', 'data-return': '' }, this.t('passport.return_to', { client: this.client })))
        : h('p', null, this.t('passport.return_none', { client: this.client })),
    );
    this.staleBox.el.classList.add('passport-stale');
    for (const button of this.options.decision?.querySelectorAll('button') ?? []) button.disabled = true;
    this.updateShare();
    this.staleBox.el.scrollIntoView({ block: 'nearest' });
  }

  /** Reads the summaries of every sealed attestation (issuer, dates, what it covers): they decide what is offered. */
  private async readAttestations(): Promise<void> {
    const sealed = this.opened.flatMap((o) => sealedOf(o.content));
    const summaries = await this.summaries.all(sealed);
    sealed.forEach((a, i) => this.resolved.set(a.sd_jwt, summaries[i]));
  }

  /** Forgets MK, the decrypted elements and the scans' blob URLs. */
  forget(): void {
    for (const hook of this.forgetHooks) hook();
    this.forgetHooks.clear();
    this.editing = undefined;
    this.state = undefined;
    this.idle.stop();
    this.keys.drop();
    this.blobs.revokeAll();
    this.scans.clear();
    this.summaries.clear();
    this.resolved.clear();
    this.feedback.forget();
    this.opened = [];
  }

  lock(): void {
    if (this.sent) return;
    void this.checkLive();
    this.forget();
    this.showUnlock(this.t('vault.locked_idle', { minutes: Math.round((this.options.idleMs ?? IDLE_LOCK_MS) / 60000) }));
  }

  private chosen(index: number): Readable | undefined {
    const id = this.selected.get(index);
    return this.candidates(index).find((c) => c.record.id === id);
  }

  private get complete(): boolean {
    return this.keys.unlocked && this.blockedBy === undefined && this.requirements.every((_, index) => this.chosen(index) !== undefined && !this.feedback.blocks(this.chosen(index)));
  }

  private updateShare(): void {
    const reviewing = this.keys.unlocked && this.stage.querySelector('.passport-review') !== null;
    this.share.hidden = !reviewing;
    this.share.disabled = !reviewing || !this.complete || this.expiryUnconfirmed || this.keyProblem !== undefined || this.sent || this.stale;
  }

  private showReview(notice?: Notice): void {
    const heading = screenHeading(this.t('passport.review_heading'), 'h2');
    const noticeBox = messageBox(notice?.kind ?? 'status');
    if (notice) noticeBox.show(notice.text);
    this.shareAlert = messageBox('alert');
    const blocks = this.requirements.map((requirement, index) => this.requirementBlock(requirement, index));
    const blocked = this.blockedBy;
    const missing = !blocked && !this.requirements.every((_, index) => this.chosen(index) !== undefined);
    this.showStage(
      h(
        'section',
        { class: 'passport-step passport-review' },
        heading,
        noticeBox.el,
        h('p', { class: 'lead' }, this.t('passport.review_intro', { client: this.client })),
        ...blocks,
        missing ? h('p', { class: 'vault-message vault-message-alert share-blocked' }, this.t('passport.share_blocked')) : null,
        blocked === 'verification' ? h('p', { class: 'vault-message vault-message-alert share-blocked' }, this.t('passport.verify.share_blocked', { client: this.client })) : null,
        blocked === 'holder_keys'
          ? h(
              'div',
              { class: 'vault-message vault-message-alert share-blocked share-holder-keys' },
              h('p', null, this.t('passport.holder_keys_missing', { client: this.client })),
              h('p', null, h('a', { href: this.accountLink, class: 'button button-secondary button-small' }, this.t('passport.holder_keys_link'))),
            )
          : null,
        this.shareAlert.el,
        h('p', { class: 'hint share-note' }, this.t('passport.share_note', { client: this.client })),
      ),
      heading,
    );
    this.updateShare();
  }

  private requirementBlock(requirement: PassportRequirement, index: number): HTMLElement {
    const { t } = this;
    const text = describeRequirement(t, this.tr.locale, requirement);
    const candidates = this.candidates(index);
    const headingId = uid('req');
    const preview = h('div', { class: 'share-preview' });
    const block = h('section', { class: 'share-req', 'aria-labelledby': headingId, 'data-requirement': index }, h('h3', { id: headingId }, text.title));

    if (candidates.length === 0 && candidatesFor(requirement, this.opened).length === 0) {
      block.classList.add('share-req-missing');
      block.append(
        h('p', { class: 'share-missing' }, t('passport.missing', { types: text.title })),
        h('p', { class: 'hint' }, t('passport.missing_add', { client: this.client })),
        h('ul', { class: 'share-add' }, ...requirement.one_of.map((type) => h('li', null, this.editButton(t(`vault.add.${type}`), () => this.edit(index, type), 'add')))),
      );
    } else if (candidates.length) {
      if (candidates.length > 1) {
        const name = uid('pick');
        const radios = candidates.map((candidate) => {
          const id = uid('pick-option');
          const summary = summaryOf(candidate);
          const label = summary ? t('passport.choice', { type: t(`element.${candidate.record.type}`), summary }) : t(`element.${candidate.record.type}`);
          const input = h('input', { type: 'radio', name, id, value: candidate.record.id, checked: this.selected.get(index) === candidate.record.id });
          input.addEventListener('change', () => {
            if (!input.checked) return;
            this.selected.set(index, candidate.record.id);
            this.renderPreview(preview, requirement, index);
          });
          const verifiers = liveAttestations(candidate, this.lookup, new Date()).map((a) => a.sealed.verifier_name);
          return h(
            'div',
            { class: 'share-option' },
            input,
            h('label', { for: id }, h('span', { dir: 'auto' }, label), expiryBadge(t, this.tr.locale, expiryOf(candidate, localDate()), 'passport'), verifiers.length ? h('span', { class: 'hint share-option-verified' }, t('passport.verified_by', { verifiers: listOf(this.tr.locale, verifiers) })) : null),
          );
        });
        block.append(h('fieldset', { class: 'share-choice' }, h('legend', null, t('passport.choose')), ...radios));
      }
      block.append(preview);
      this.renderPreview(preview, requirement, index);
    }
    if (requiresVerification(requirement) && candidates.length === 0) {
      block.classList.add('share-req-missing');
      block.append(this.verificationBlock(requirement));
    }
    // Right under the heading: why a document the holder has is not among those offered.
    if (requirement.unexpired) block.firstElementChild!.after(...this.notOfferedExpired(requirement, index));
    if (unreadableFor(requirement, this.opened).length) block.append(h('p', { class: 'hint share-unreadable' }, t('passport.unreadable')));
    return block;
  }

  /** Under "unexpired": the holder's documents left out because they expired (or have no expiry date), and why. */
  private notOfferedExpired(requirement: PassportRequirement, index: number): HTMLElement[] {
    const today = localDate();
    const offered = new Set(this.candidates(index).map((c) => c.record.id));
    const left = offeredFor(requirement, this.opened, this.lookup, new Date()).filter((e) => !offered.has(e.record.id) && !answersExpiry(requirement, e, today));
    if (!left.length) return [];
    const items = left.map((element) => {
      const summary = summaryOf(element);
      const name = summary ? this.t('passport.choice', { type: this.t(`element.${element.record.type}`), summary }) : this.t(`element.${element.record.type}`);
      const expiry = expiryOf(element, today);
      return h(
        'li',
        { dir: 'auto' },
        expiry.date
          ? this.t('passport.unexpired.expired_item', { document: name, date: formatDate(this.tr.locale, expiry.date) })
          : this.t('passport.unexpired.undated_item', { document: name }),
      );
    });
    return [
      h(
        'div',
        { class: 'vault-message vault-message-alert share-expired-out', 'data-not-offered': '' },
        h('p', null, this.t('passport.unexpired.not_offered', { client: this.client })),
        h('ul', null, ...items),
        h('p', null, h('a', { href: this.accountLink, class: 'button button-secondary button-small' }, this.t('passport.unexpired.update'))),
      ),
    ];
  }

  /** The chosen document's expiry mark, and for an expired one the "share it anyway" box that Share waits for. */
  private expiryPanel(element: Readable): HTMLElement | null {
    const expiry = expiryOf(element, localDate());
    const badge = expiryBadge(this.t, this.tr.locale, expiry, 'passport');
    if (expiry.status !== 'expired') return badge;
    const id = element.record.id;
    const boxId = uid('share-expired');
    const hintId = `${boxId}-hint`;
    const box = h('input', { type: 'checkbox', id: boxId, checked: this.expiredShared.has(id), 'aria-describedby': hintId, 'data-expired-confirm': '' });
    box.addEventListener('change', () => {
      if (box.checked) this.expiredShared.add(id);
      else this.expiredShared.delete(id);
      this.updateShare();
    });
    return h(
      'div',
      { class: 'share-expired' },
      badge,
      h('div', { class: 'share-expired-confirm' }, box, h('label', { for: boxId }, this.t('passport.expiry.confirm', { client: this.client }))),
      h('p', { class: 'hint', id: hintId }, this.t('passport.expiry.confirm_hint', { client: this.client })),
    );
  }

  /** Exactly what leaves for this requirement: the values, and the scans decrypted here. */
  private renderPreview(container: HTMLElement, requirement: PassportRequirement, index: number): void {
    const element = this.chosen(index);
    if (!element) return replace(container);
    const { t } = this;
    const id = element.record.id;
    const excluded = this.excluded.get(id) ?? new Set<string>();
    this.excluded.set(id, excluded);

    const rows = leavingFields(requirement, element).map((field) => {
      const shown = displayValue(this.tr.locale, field.kind, field.value, (g) => t(`gender.${g}`));
      const value = h('span', { class: 'share-value', dir: isLtrValue(field.kind, field.name) ? 'ltr' : 'auto' }, shown);
      if (!field.optional) return h('li', { class: 'share-field' }, h('span', { class: 'share-label' }, t(field.labelKey)), value);
      const checkboxId = uid('share-field');
      const box = h('input', { type: 'checkbox', id: checkboxId, checked: !excluded.has(field.name), 'data-field': field.name });
      box.addEventListener('change', () => {
        if (box.checked) excluded.delete(field.name);
        else excluded.add(field.name);
        item.classList.toggle('share-field-off', !box.checked);
      });
      const item = h('li', { class: `share-field share-optional${excluded.has(field.name) ? ' share-field-off' : ''}` }, box, h('label', { for: checkboxId }, h('span', { class: 'share-label' }, t(field.labelKey)), value));
      return item;
    });
    const hasOptional = leavingFields(requirement, element).some((f) => f.optional);
    const absent = absentFields(requirement, element).map((name) => t(`field.${name}`));
    const scans = leavingScans(requirement, element);
    const lacking = missingScans(requirement, element).map((slot) => t(slot.labelKey));
    const incomplete = lacking.length > 0 || absent.length > 0;
    const type = t(`element.${element.record.type}`);

    const live = liveAttestations(element, this.lookup, new Date());
    replace(
      container,
      this.expiryPanel(element),
      // An RP's open error is corrected here too, with the same editor.
      this.feedback.box(element, () => this.editButton(t('passport.feedback.edit'), () => this.edit(index, element.record.type, element), 'complete')),
      verifiedList(this, sealedOf(element.content), this.summaries),
      live.length ? h('p', { class: 'hint share-verified-note' }, t('passport.verified_sent', { client: this.client })) : null,
      rows.length ? h('ul', { class: 'share-fields' }, ...rows) : null,
      hasOptional ? h('p', { class: 'hint' }, t('passport.optional_hint')) : null,
      absent.length ? h('p', { class: 'hint share-absent' }, t('passport.absent', { fields: listOf(this.tr.locale, absent) })) : null,
      scans.length ? h('div', { class: 'share-scans' }, h('h4', null, t('passport.scans_heading')), h('ul', { class: 'share-scan-list' }, ...scans.map((scan) => this.scanTile(element, scan)))) : null,
      lacking.length ? h('p', { class: 'hint share-lacking' }, t('passport.scans_missing', { client: this.client, slots: listOf(this.tr.locale, lacking) })) : null,
      // What is missing or wrong is fixed here, with the vault's editor; then back to this review.
      h(
        'p',
        { class: 'share-edit' },
        this.editButton(t(incomplete ? 'passport.complete' : 'passport.edit', { type }), () => this.edit(index, element.record.type, element), incomplete ? 'complete' : 'edit'),
      ),
    );
    this.updateShare(); // another document may need the expired-document box, or have an open error
  }

  /** A button that opens the editor: "+ Add a passport", "Complete this passport", or a quiet "Edit this passport". */
  private editButton(label: string, open: () => void, kind: 'add' | 'complete' | 'edit'): HTMLButtonElement {
    const classes = { add: 'button button-add button-small', complete: 'button button-secondary button-small', edit: 'link-button' };
    const button = h('button', { type: 'button', class: classes[kind], 'data-edit': kind }, kind === 'add' ? h('span', { class: 'plus', 'aria-hidden': 'true' }, '+') : null, label);
    button.addEventListener('click', open);
    return button;
  }

  private scanLabel(scan: LeavingScan): string {
    const label = this.t(scan.slot.labelKey);
    if (!scan.slot.multiple || scan.count === 1) return label;
    return this.t('vault.scan.numbered', { slot: label, number: new Intl.NumberFormat(this.tr.locale).format(scan.index + 1) });
  }

  private scanTile(element: Readable, scan: LeavingScan): HTMLElement {
    const { t } = this;
    const label = this.scanLabel(scan);
    const frame = h('div', { class: 'share-scan-frame' }, h('span', { class: 'hint', role: 'status' }, t('vault.scan.loading')));
    const tile = h(
      'li',
      { class: 'share-scan' },
      frame,
      h('p', { class: 'share-scan-caption' }, h('span', { class: 'share-scan-name' }, label), h('span', { class: 'hint' }, t('vault.scan.meta', { type: mediaTypeName(scan.link.media_type), size: formatBytes(this.tr.locale, scan.link.size) }))),
    );
    void this.decryptScan(element, scan.link).then((state) => {
      if ('url' in state) {
        replace(
          frame,
          scan.link.media_type === 'application/pdf'
            ? h('a', { href: state.url, target: '_blank', rel: 'noopener', class: 'scan-pdf' }, t('vault.scan.open_pdf', { slot: label }))
            : h('img', { src: state.url, alt: t('vault.scan.alt', { slot: label }), class: 'share-scan-image' }),
        );
      } else {
        tile.classList.add('share-scan-bad');
        replace(frame, h('p', { class: 'field-error' }, state.error instanceof ApiError || state.error instanceof NetworkError ? errorText(t, state.error) : t('vault.scan.bad')));
      }
    });
    return tile;
  }

  /** Downloads, decrypts and checks a scan against its element's link, once. */
  private decryptScan(element: Readable, link: FileLink): Promise<ScanState> {
    let pending = this.scans.get(link.id);
    if (!pending) {
      pending = (async (): Promise<ScanState> => {
        try {
          if (!element.record.files.some((f) => f.id === link.id)) throw new MissingScanError();
          const download = await this.api.downloadFile(link.id);
          const bytes = openScan(this.keys.use(), link, download);
          const url = this.blobs.create(bytes, link.media_type);
          bytes.fill(0);
          return { url };
        } catch (error) {
          this.scans.delete(link.id); // a later attempt may succeed (network)
          return { error };
        }
      })();
      this.scans.set(link.id, pending);
    }
    return pending;
  }

  private shareErrorText(err: unknown): string {
    if (err instanceof ReleaseKeyError) return this.t(err.problem === 'mismatch' ? 'passport.key_mismatch' : 'passport.key_failed', { client: this.client, origin: this.data.jwks_uri ? new URL(this.data.jwks_uri).origin : '' });
    if (err instanceof VaultIntegrityError || err instanceof MissingScanError) return this.t('passport.error.scan');
    if (err instanceof ApiError) {
      if (err.code === 'csrf' || err.status === 401 || err.status === 429) return errorText(this.t, err);
      return this.t('passport.error.send');
    }
    if (err instanceof NetworkError || err instanceof LockedError) return errorText(this.t, err);
    return this.t('passport.error.send');
  }

  /** Builds the release from what the page shows, encrypts it to the RP and posts it. */
  private async approve(): Promise<void> {
    if (this.sent || this.stale || !this.complete || this.expiryUnconfirmed) return;
    await busy(this.share, this.t('passport.sharing'), async () => {
      this.shareAlert.clear();
      try {
        const key = await this.keyPromise;
        const choices: Choice[] = this.requirements.map((requirement, index) => {
          const element = this.chosen(index)!;
          return { requirement, element, excluded: this.excluded.get(element.record.id) ?? new Set() };
        });
        // Every scan that leaves was decrypted here and is the one its element names.
        for (const choice of choices) {
          for (const scan of leavingScans(choice.requirement, choice.element)) {
            const state = await this.decryptScan(choice.element, scan.link);
            if ('error' in state) throw state.error instanceof ApiError || state.error instanceof NetworkError ? state.error : new MissingScanError();
          }
        }
        const context = { issuer: this.data.issuer, clientId: this.data.client_id, sub: this.data.sub, nonce: this.data.nonce };
        // A verifier gets the holder's keys, as served and checked under MK at unlock (DESIGN 5.5).
        const holder = this.data.verifier ? this.holderForRelease() : undefined;
        if (this.data.verifier && !holder) throw new Error('no holder keys'); // Share is disabled then; never send without them
        const built = buildRelease(context, choices, fileKeysFrom(this.keys.use()), { holder });
        // Each released element's live attestations, presented for exactly its released fields and scans (DESIGN 5.6).
        const binding = { aud: this.data.client_id, nonce: this.data.nonce, iat: built.payload.iat };
        await attachPresentations(built.payload.elements, choices.map((c) => c.element), () => this.holderSigningKey(), binding, this.lookup, new Date());
        const jwe = await encryptRelease(built.payload, key);
        const feedback = sealedFeedback(this.keys.use(), this.vault!.vault_id, built, { id: this.data.client_id, name: this.client });
        const next = await postRelease(this.data.uid, { csrf: this.options.csrf, jwe, file_ids: built.fileIds, element_types: built.elementTypes, ...feedback });
        this.sent = true;
        this.forget();
        window.location.assign(next);
      } catch (err) {
        if (isStaleAnswer(err)) this.markStale();
        else this.shareAlert.show(this.shareErrorText(err));
      }
    });
    if (this.sent) {
      this.share.disabled = true;
      this.share.textContent = this.t('passport.sharing');
    }
  }
}
