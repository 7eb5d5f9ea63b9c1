/**
 * What the document editor (ui/editor.ts) needs from the page it runs in: the
 * vault page (VaultApp) and the passport consent page both provide it, so a
 * document added while consenting is made by the same editor, sealed with the
 * same keys and written with the same state record (DESIGN 5.8) as on /account.
 */
import type { AttestationSummaries } from './attestations.js';
import type { VaultApi, VaultRecord } from './api.js';
import type { Translator, Vars } from './i18n.js';
import type { BlobUrls, KeyBox } from './session.js';

export interface Notice {
  kind: 'status' | 'alert';
  text: string;
}

export interface EditorHost {
  readonly tr: Translator;
  t(key: string, vars?: Vars): string;
  /** MK, for one synchronous sealing call at a time. */
  readonly keys: Pick<KeyBox, 'use'>;
  /** Thumbnails of chosen scans (revoked when the page locks). */
  readonly blobs: Pick<BlobUrls, 'create' | 'revoke'>;
  /** Writes carry the page's state record: its VaultApi has a signer while unlocked. */
  readonly api: Pick<VaultApi, 'uploadFile' | 'putElement' | 'deleteFile'>;
  readonly summaries: AttestationSummaries;
  readonly vault: VaultRecord | null;
  /** A vault version the server reported after a write. */
  observeVersion(vaultId: string, version: number): void;
  /** Registers a cleanup for when the key is dropped; returns its removal. */
  onForget(hook: () => void): () => void;
  errorText(err: unknown, fallback?: string): string;
  /** The editor was left without saving. */
  leaveEditor(): void;
  /** A write happened (or conflicted): re-read the vault, then show the page again with `notice`. */
  editorDone(notice: Notice): Promise<void>;
}
