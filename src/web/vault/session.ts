/**
 * What an unlocked vault holds in the page, and only here: the master key in a
 * module-private field (never in any storage), and the blob: URLs of decrypted
 * scans. Locking zeroes the key and revokes every URL.
 */
import type { Bytes } from '../../protocol/index.js';

export class LockedError extends Error {
  constructor() {
    super('the vault is locked');
    this.name = 'LockedError';
  }
}

export class KeyBox {
  #mk: Bytes | null = null;

  get unlocked(): boolean {
    return this.#mk !== null;
  }

  /** Takes ownership of `mk`: it is zeroed when dropped. */
  hold(mk: Bytes): void {
    if (this.#mk && this.#mk !== mk) this.#mk.fill(0);
    this.#mk = mk;
  }

  /** The key, for one synchronous protocol call. */
  use(): Bytes {
    if (!this.#mk) throw new LockedError();
    return this.#mk;
  }

  drop(): void {
    this.#mk?.fill(0);
    this.#mk = null;
  }
}

/** blob: URLs of decrypted scans; revoked together when the vault locks. */
export class BlobUrls {
  #urls = new Set<string>();

  /** A URL for the bytes; the caller may zero its copy afterwards (the Blob holds its own). */
  create(bytes: Uint8Array<ArrayBuffer>, type: string): string {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    this.#urls.add(url);
    return url;
  }

  revoke(url: string): void {
    if (this.#urls.delete(url)) URL.revokeObjectURL(url);
  }

  revokeAll(): void {
    for (const url of this.#urls) URL.revokeObjectURL(url);
    this.#urls.clear();
  }

  get size(): number {
    return this.#urls.size;
  }
}
