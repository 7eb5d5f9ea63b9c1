import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { engines } from '../helpers/db.js';
import { REDIRECT_URI } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { VerifierService } from '../../src/verifiers/service.js';

/**
 * Verifier clients (DESIGN 5.6): one rule set on the three registration paths (the
 * service the CLI uses, the admin API, dynamic registration), and the public list
 * GET /verifiers with signing keys only.
 */
const ADMIN_TOKEN = 'a'.repeat(40);
const INITIAL_ACCESS_TOKEN = 'i'.repeat(40);
const POLICY_URI = 'https://verifier.example/policy';

type Metadata = Record<string, unknown>;

interface Keys {
  enc: JWK;
  es256: JWK;
  eddsa: JWK;
  rs256: JWK;
  es256Private: JWK;
}

async function publicJwk(alg: string, extra: JWK, options: { crv?: string } = {}): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { ...(await exportJWK(publicKey)), ...extra };
}

describe.each(engines())('verifier clients (%s)', (engine) => {
  let server: TestServer;
  let keys: Keys;

  beforeAll(async () => {
    server = await startTestServer(engine, { ADMIN_TOKEN, INITIAL_ACCESS_TOKEN });
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    keys = {
      enc: await publicJwk('ECDH-ES+A256KW', { use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'verifier-enc' }),
      es256: await publicJwk('ES256', { use: 'sig', alg: 'ES256', kid: 'verifier-es256' }),
      eddsa: await publicJwk('EdDSA', { use: 'sig', kid: 'verifier-eddsa' }, { crv: 'Ed25519' }),
      rs256: await publicJwk('RS256', { use: 'sig', alg: 'RS256', kid: 'verifier-rs256' }),
      es256Private: { ...(await exportJWK(privateKey)), use: 'sig', kid: 'verifier-leaky' },
    };
  });
  afterAll(() => server?.close());
  // The reset goes around the client service: drop the list this node keeps.
  beforeEach(async () => {
    await server.database.reset();
    server.services.verifiers.invalidate();
  });

  /** A good verifier; `extra` replaces members (undefined removes one). */
  function verifier(extra: Metadata = {}, sig: JWK = keys.es256): Metadata {
    const metadata: Metadata = {
      client_name: `Verifier ${randomUUID().slice(0, 8)}`,
      redirect_uris: [REDIRECT_URI],
      scope: 'openid passport',
      jwks: { keys: [keys.enc, sig] },
      verifier: true,
      verifier_attested_types: ['passport', 'identity_card'],
      verifier_trust_framework: 'eidas',
      policy_uri: POLICY_URI,
      ...extra,
    };
    for (const [k, v] of Object.entries(metadata)) if (v === undefined) delete metadata[k];
    return metadata;
  }

  type Outcome = { ok: true; client_id: string } | { ok: false; status: number; error?: string; description: string };

  /** The three doors a client comes in by. */
  const paths: Record<string, (metadata: Metadata) => Promise<Outcome>> = {
    async service(metadata) {
      try {
        const client = await server.services.clients.create(metadata as never);
        return { ok: true, client_id: client.client_id };
      } catch (error) {
        const e = error as { status: number; code?: string; description: string };
        return { ok: false, status: e.status, error: e.code, description: e.description };
      }
    },
    async admin(metadata) {
      const response = await fetch(`${server.url}/admin/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(metadata),
      });
      const body = (await response.json()) as { client_id: string; error: string; error_description: string };
      return response.status === 201 ? { ok: true, client_id: body.client_id } : { ok: false, status: response.status, error: body.error, description: body.error_description };
    },
    async dynamic(metadata) {
      const response = await fetch(`${server.url}/reg`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(metadata),
      });
      const body = (await response.json()) as { client_id: string; error: string; error_description: string };
      return response.status === 201 ? { ok: true, client_id: body.client_id } : { ok: false, status: response.status, error: body.error, description: body.error_description };
    },
  };

  const refusals = (): [string, Metadata, RegExp][] => [
    ['no signing key', verifier({ jwks: { keys: [keys.enc] } }), /needs a signing key/],
    ['an RS256 signing key', verifier({}, keys.rs256), /signing key must be ES256 \(EC P-256\) or EdDSA \(OKP Ed25519\), not RSA/],
    ['a signing key with "d"', verifier({}, keys.es256Private), /private key material \("d"\)/],
    ['a signing key without a kid', verifier({}, { ...keys.es256, kid: undefined }), /needs a "kid"/],
    ['a signing key whose alg is not its curve’s', verifier({}, { ...keys.es256, alg: 'ES384' }), /alg must be ES256/],
    ['a signing key off the curve', verifier({}, { ...keys.es256, x: keys.es256.y }), /not a valid public key/],
    ['a key without use', verifier({}, { ...keys.es256, use: undefined }), /names its use/],
    ['no encryption key', verifier({ jwks: { keys: [keys.es256] } }), /encryption key/],
    ['no passport scope', verifier({ scope: 'openid' }), /passport scope/],
    ['jwks_uri instead of jwks', verifier({ jwks: undefined, jwks_uri: 'https://93.184.215.14/jwks' }), /inline in jwks/],
    ['an unknown attested type', verifier({ verifier_attested_types: ['passport', 'tax_return'] }), /unknown element type "tax_return"/],
    ['no attested types', verifier({ verifier_attested_types: [] }), /verifier_attested_types: a non-empty list/],
    ['no trust framework', verifier({ verifier_trust_framework: undefined }), /verifier_trust_framework/],
    ['a trust framework with spaces', verifier({ verifier_trust_framework: 'e idas' }), /verifier_trust_framework/],
    ['an http policy_uri', verifier({ policy_uri: 'http://verifier.example/policy' }), /policy_uri must be an https URL/],
    ['a policy_uri on loopback', verifier({ policy_uri: 'https://127.0.0.1/policy' }), /policy_uri must not point at a loopback/],
    ['no policy_uri', verifier({ policy_uri: undefined }), /needs a policy_uri/],
    ['verifier members without the role', verifier({ verifier: undefined }), /need "verifier": true/],
  ];

  it.each(Object.keys(paths))('refuses a bad verifier through the %s, with a message that names the problem', async (path) => {
    for (const [what, metadata, message] of refusals()) {
      const outcome = await paths[path]!(metadata);
      if (outcome.ok) throw new Error(`${path} accepted a verifier with ${what}`);
      expect([what, outcome.status]).toEqual([what, 400]);
      expect([what, outcome.description]).toEqual([what, expect.stringMatching(message)]);
      if (path === 'dynamic') expect(outcome.error).toBe('invalid_client_metadata');
      // Private key material is never echoed back.
      expect(outcome.description).not.toContain(String(keys.es256Private.d));
    }
    expect(await server.services.clients.list()).toEqual([]);
  });

  it.each(Object.keys(paths))('registers ES256 and EdDSA verifiers through the %s', async (path) => {
    for (const sig of [keys.es256, keys.eddsa]) {
      const outcome = await paths[path]!(verifier({}, sig));
      if (!outcome.ok) throw new Error(`${path} refused a good verifier: ${outcome.description}`);
      const stored = await server.services.clients.show(outcome.client_id);
      expect(stored).toMatchObject({ verifier: true, verifier_attested_types: ['passport', 'identity_card'], verifier_trust_framework: 'eidas', policy_uri: POLICY_URI });
    }
    const { verifiers } = (await (await fetch(`${server.url}/verifiers`)).json()) as { verifiers: { client_id: string; jwks: { keys: JWK[] } }[] };
    // Wathiqa's own verifier (email) comes first; then the registered ones.
    expect(verifiers[0]!.client_id).toBe(server.url);
    expect(verifiers.slice(1).map((v) => v.jwks.keys[0]!.alg)).toEqual(['ES256', 'EdDSA']);
  });

  it('lists only verifiers, with their public signing keys only, cacheable by anyone', async () => {
    const good = await server.services.clients.create({ ...verifier({ logo_uri: 'https://verifier.example/logo.png' }), jwks: { keys: [keys.enc, keys.es256, keys.eddsa] } } as never);
    await server.services.clients.create({ client_name: 'Plain RP', redirect_uris: [REDIRECT_URI] });
    await server.services.clients.create({ client_name: 'Passport RP', redirect_uris: [REDIRECT_URI], scope: 'openid passport', jwks: { keys: [keys.enc, keys.es256] } } as never);

    const response = await fetch(`${server.url}/verifiers`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    const strip = ({ ext: _e, key_ops: _k, ...rest }: JWK) => rest;
    const own = server.services.wathiqaVerifier.entry();
    expect(JSON.parse(text)).toEqual({
      verifiers: [
        // Wathiqa's own verifier (email control), always listed first; its policy is its home page.
        { ...own, policy_uri: `${server.url}/` },
        {
          client_id: good.client_id,
          name: good.client_name,
          attested_types: ['passport', 'identity_card'],
          trust_framework: 'eidas',
          policy_uri: POLICY_URI,
          logo_uri: 'https://verifier.example/logo.png',
          jwks: { keys: [strip(keys.es256), { ...strip(keys.eddsa), alg: 'EdDSA' }] },
        },
      ],
    });
    expect(text).not.toContain(keys.enc.x!);
    expect(text).not.toContain('client_secret');
    expect(text).not.toContain(good.client_secret!);
    expect(text).not.toContain('"d"');

    // Discovery points at it.
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { verifiers_endpoint: string };
    expect(discovery.verifiers_endpoint).toBe(`${server.url}/verifiers`);
    // It takes no parameters.
    expect((await fetch(`${server.url}/verifiers?a=1`, { headers: { accept: 'application/json' } })).status).toBe(400);
  });

  it('publishes members of a stored signing key by name only, and never a stored row that fails the rules', async () => {
    // Rows written around the registration checks (an older version, a hand edit): the list still holds.
    const insert = (clientId: string, metadata: Metadata) =>
      server.database.db
        .insertInto('clients')
        .values({ client_id: clientId, metadata: JSON.stringify({ ...metadata, client_id: clientId }) as never, client_secret_sealed: null, updated_at: new Date() })
        .execute();
    await insert('extra-members', verifier({}, { ...keys.es256, x5u: 'https://evil.example/x', secret_note: 'nope' } as JWK));
    await insert('private-key', verifier({}, keys.es256Private));
    server.services.verifiers.invalidate();
    const { verifiers } = (await (await fetch(`${server.url}/verifiers`)).json()) as { verifiers: { client_id: string; jwks: { keys: JWK[] } }[] };
    expect(verifiers.map((v) => v.client_id)).toEqual([server.url, 'extra-members']);
    expect(Object.keys(verifiers[1]!.jwks.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('shows a new verifier and forgets a deleted one at once on this node, and within the TTL elsewhere', async () => {
    // Wathiqa's own verifier is always there: only the registered ones are compared.
    const listed = async () =>
      ((await (await fetch(`${server.url}/verifiers`)).json()) as { verifiers: { client_id: string }[] }).verifiers.map((v) => v.client_id).filter((id) => id !== server.url);
    // Registered after the (empty) list was cached: it shows at once.
    expect(await listed()).toEqual([]);
    const client = await server.services.clients.create(verifier() as never);
    expect(await listed()).toEqual([client.client_id]);

    // Deleted through the admin API: this node's cached list is dropped with it.
    const deleted = await fetch(`${server.url}/admin/clients/${client.client_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(deleted.status).toBe(204);
    expect(await listed()).toEqual([]);

    // Dynamic registration clears it too (the list above is cached now).
    const registered = await paths.dynamic!(verifier());
    if (!registered.ok) throw new Error(registered.description);
    expect(await listed()).toEqual([registered.client_id]);

    // Another node deletes the row: a node's list lives for its TTL (0 here: gone at once).
    const cached = new VerifierService(server.database.db, 60_000);
    const fresh = new VerifierService(server.database.db, 0);
    expect((await cached.list()).map((v) => v.client_id)).toEqual([registered.client_id]);
    expect((await fresh.list()).map((v) => v.client_id)).toEqual([registered.client_id]);
    await server.database.db.deleteFrom('clients').where('client_id', '=', registered.client_id).execute();
    expect((await cached.list()).map((v) => v.client_id)).toEqual([registered.client_id]);
    expect(await fresh.list()).toEqual([]);
    cached.invalidate();
    expect(await cached.list()).toEqual([]);
  });
});
