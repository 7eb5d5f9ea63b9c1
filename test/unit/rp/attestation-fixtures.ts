/**
 * Real keys and a real Token Status List server for the attestation tests:
 * verifier signing keys (ES256, EdDSA), holder keys made the vault's way, and a
 * node:http server that serves whatever JWT a test puts at a path.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { generateHolderKey, holderPublicJwk, type HolderPrivateJwk, type HolderPublicJwk } from '../../../src/protocol/index.js';

export interface VerifierKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A verifier's signing key pair, with kid, alg and use as registered. */
export async function verifierKey(kid: string, alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<VerifierKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const meta = { kid, alg, use: 'sig' };
  return { privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...(await exportJWK(publicKey)), ...meta } };
}

export interface HolderKeyPair {
  privateJwk: HolderPrivateJwk;
  publicJwk: HolderPublicJwk;
}

export interface Holder {
  enc: HolderKeyPair;
  sig: HolderKeyPair;
  /** The release's `holder` member. */
  release: { enc: HolderPublicJwk; sig: HolderPublicJwk };
}

/** HE and HS key pairs as the vault makes them (kid = RFC 7638 thumbprint). */
export async function makeHolder(): Promise<Holder> {
  const encKey = await generateHolderKey('enc');
  const sigKey = await generateHolderKey('sig');
  const enc = { privateJwk: encKey, publicJwk: holderPublicJwk(encKey, 'enc') };
  const sig = { privateJwk: sigKey, publicJwk: holderPublicJwk(sigKey, 'sig') };
  return { enc, sig, release: { enc: enc.publicJwk, sig: sig.publicJwk } };
}

export interface ListServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Serve `body` at `path` (200, application/statuslist+jwt); a status instead of a body answers that status. */
  serve(path: string, body: string | number): void;
  /** Requests per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** A local HTTP server for status lists. */
export async function listServer(): Promise<ListServer> {
  const routes = new Map<string, string | number>();
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route === undefined) {
      res.writeHead(404).end();
    } else if (typeof route === 'number') {
      res.writeHead(route).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/statuslist+jwt' }).end(route);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    serve: (path, body) => routes.set(path, body),
    hits,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
