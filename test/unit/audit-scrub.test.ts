import { describe, expect, it } from '@jest/globals';
import { metadataChange, scrubSecrets } from '../../src/audit/scrub.js';
import { cliActor } from '../../src/audit/actor.js';

describe('scrubSecrets', () => {
  it('removes secrets by name at any depth, and the private members of JWKs', () => {
    const scrubbed = scrubSecrets({
      client_id: 'abc',
      client_secret: 's3cret',
      registration_access_token: 'rat',
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      nested: { password: 'pw', keep: 1, list: [{ initial_access_token: 'iat', ok: true }] },
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'X', y: 'Y', d: 'PRIVATE', kid: 'k1', use: 'sig' }, { kty: 'oct', k: 'SYMMETRIC', kid: 'k2' }] },
    });
    expect(scrubbed).toEqual({
      client_id: 'abc',
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      nested: { keep: 1, list: [{ ok: true }] },
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'X', y: 'Y', kid: 'k1', use: 'sig' }, { kty: 'oct', kid: 'k2' }] },
    });
    expect(JSON.stringify(scrubbed)).not.toMatch(/s3cret|rat"|"pw"|iat"|PRIVATE|SYMMETRIC/);
  });

  it('keeps a "d" that is not in a JWK, and leaves scalars and dates alone', () => {
    const at = new Date(0);
    expect(scrubSecrets({ d: 4, at })).toEqual({ d: 4, at });
    expect(scrubSecrets('text')).toBe('text');
    expect(scrubSecrets(null)).toBeNull();
  });
});

describe('metadataChange', () => {
  const before = { client_id: 'c', client_name: 'Old', redirect_uris: ['https://a/cb'], scope: 'openid', jwks: { keys: [{ kty: 'EC', x: '1', y: '2' }] }, client_secret: 'one' };

  it('names only what changed, with its values before and after, whatever the key order', () => {
    const after = { scope: 'openid', jwks: { keys: [{ y: '2', x: '1', kty: 'EC' }] }, redirect_uris: ['https://a/cb', 'https://b/cb'], client_name: 'New', client_id: 'c', logo_uri: 'https://a/logo.png', client_secret: 'two' };
    expect(metadataChange(before, after)).toEqual({
      changed: ['client_name', 'logo_uri', 'redirect_uris'],
      before: { client_name: 'Old', redirect_uris: ['https://a/cb'] },
      after: { client_name: 'New', logo_uri: 'https://a/logo.png', redirect_uris: ['https://a/cb', 'https://b/cb'] },
    });
  });

  it('a new secret alone is no metadata change, and never shows', () => {
    const change = metadataChange(before, { ...before, client_secret: 'two' });
    expect(change).toEqual({ changed: [], before: {}, after: {} });
  });

  it('gives everything, scrubbed, on creation and deletion', () => {
    const created = metadataChange(null, before);
    expect(created.before).toBeNull();
    expect(created.after).toEqual({ client_id: 'c', client_name: 'Old', redirect_uris: ['https://a/cb'], scope: 'openid', jwks: before.jwks });
    const deleted = metadataChange(before, null);
    expect(deleted.after).toBeNull();
    expect(deleted.changed).toEqual(['client_id', 'client_name', 'jwks', 'redirect_uris', 'scope']);
    expect(JSON.stringify([created, deleted])).not.toContain('one');
  });
});

describe('cliActor', () => {
  it('names the OS user when known', () => {
    expect(cliActor('ops')).toEqual({ kind: 'cli', label: 'CLI on the host (ops)' });
    expect(cliActor(undefined)).toEqual({ kind: 'cli', label: 'CLI on the host' });
    expect(cliActor('  ')).toEqual({ kind: 'cli', label: 'CLI on the host' });
  });
});
