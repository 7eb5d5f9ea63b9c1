import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { loadReleaseKeys, type ReleaseKeyring } from '../../src/rp/index.js';

/**
 * A relying party's release encryption key (ECDH-ES+A256KW, P-256): the public JWK to
 * register with the client, and the SDK's keyring that opens what is released to it.
 */
export async function rpReleaseKey(kid = `rp-enc-${randomUUID()}`): Promise<{ publicJwk: JWK & { kid: string }; keyring: ReleaseKeyring }> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  const marks = { use: 'enc', alg: 'ECDH-ES+A256KW', kid };
  return {
    publicJwk: { ...(await exportJWK(publicKey)), ...marks },
    keyring: await loadReleaseKeys({ ...(await exportJWK(privateKey)), ...marks }),
  };
}
