import type Provider from 'oidc-provider';
import { createProvider, type ProviderDeps } from './provider.js';
import { keySetVersion, listSigningKeys, loadSigningJwks, rotateSigningKeys, type KeyInfo } from './keys.js';

/**
 * oidc-provider takes its signing keys at construction. The holder rebuilds the
 * provider when the key set changes (after `wathiqa keys rotate` on any node),
 * so every node follows a rotation within one poll interval.
 */
export class OidcHolder {
  #provider!: Provider;
  #callback!: ReturnType<Provider['callback']>;
  #version = '';

  private constructor(private readonly deps: ProviderDeps) {}

  static async create(deps: ProviderDeps): Promise<OidcHolder> {
    const holder = new OidcHolder(deps);
    await holder.reload();
    return holder;
  }

  get provider(): Provider {
    return this.#provider;
  }

  /** The provider's request handler; re-read on every request so a reload takes effect at once. */
  get callback(): ReturnType<Provider['callback']> {
    return this.#callback;
  }

  async reload(): Promise<void> {
    const { db, config } = this.deps;
    const version = await keySetVersion(db);
    const jwks = await loadSigningJwks(db, config.operatorKey);
    this.#provider = createProvider(this.deps, jwks);
    this.#callback = this.#provider.callback();
    this.#version = version;
  }

  /** Reloads when another node changed the key set; cheap enough to call every few seconds. */
  async refreshIfChanged(): Promise<boolean> {
    const version = await keySetVersion(this.deps.db);
    if (version === this.#version) return false;
    await this.reload();
    return true;
  }

  async rotateKeys(audit?: Parameters<typeof rotateSigningKeys>[2]): Promise<KeyInfo[]> {
    const keys = await rotateSigningKeys(this.deps.db, this.deps.config.operatorKey, audit);
    await this.reload();
    return keys;
  }

  listKeys(): Promise<KeyInfo[]> {
    return listSigningKeys(this.deps.db);
  }
}
