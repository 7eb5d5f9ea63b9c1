/**
 * The example verifier's record of what it issued, and its Token Status List
 * (draft-ietf-oauth-status-list): one bit per attestation, 0 valid, 1 revoked.
 * The list and its JWT are the SDK's (createStatusList, signStatusList over
 * @sd-jwt/jwt-status-list); this file only hands out indexes and flips bits.
 *
 * In memory, like the rest of the example: a restart forgets the list, so
 * attestations issued before it read as valid again and their indexes may be
 * handed out anew. A real verifier stores the list and the index counter.
 */
import { randomBytes, randomInt } from 'node:crypto';

/** Entries in the list: 2^14 bits = 2 KiB before compression. */
export const STATUS_LIST_SIZE = 16384;

export function createRegistry({ sdk, uri, issuer, signingKey, ttlSeconds }) {
  const list = sdk.createStatusList(STATUS_LIST_SIZE, 1);
  const taken = new Set();
  const issued = new Map(); // id → record
  let version = 0; // bumped by every change of the list
  let signed; // { jwt, at, version }: re-signed after a change, or when half the ttl has passed

  return {
    uri,
    size: STATUS_LIST_SIZE,

    /**
     * A free index, drawn at random: sequential indexes would tell an RP that sees
     * two attestations which was issued first and roughly how many lie between
     * (the privacy considerations of the Token Status List draft).
     */
    allocate() {
      if (taken.size >= STATUS_LIST_SIZE) throw new Error('the status list is full');
      for (;;) {
        const idx = randomInt(STATUS_LIST_SIZE);
        if (!taken.has(idx)) {
          taken.add(idx);
          return idx;
        }
      }
    },

    /** Gives back an index that no delivered attestation carries (delivery failed). */
    release(idx) {
      taken.delete(idx);
    },

    record(entry) {
      const id = randomBytes(12).toString('base64url');
      const record = { id, ...entry, revokedAt: undefined };
      issued.set(id, record);
      return record;
    },

    /** Newest first. */
    list() {
      return [...issued.values()].sort((a, b) => b.issuedAt - a.issuedAt);
    },

    get(id) {
      return issued.get(id);
    },

    /** Flips the bit; revoking twice is not an error (the bit stays 1). */
    revoke(id, now = new Date()) {
      const record = issued.get(id);
      if (!record) return undefined;
      if (!record.revokedAt) {
        list.setStatus(record.idx, 1);
        record.revokedAt = now;
        version += 1;
      }
      return record;
    },

    status(idx) {
      return list.getStatus(idx);
    },

    /** The signed list (typ statuslist+jwt), cached between changes. */
    async jwt(now = new Date()) {
      const fresh = signed && signed.version === version && now.getTime() - signed.at < (ttlSeconds * 1000) / 2;
      if (fresh) return signed.jwt;
      // A revocation while this signs bumps `version`: the next request signs again.
      const at = version;
      const jwt = await sdk.signStatusList({ list, uri, issuer, signingKey, ttlSeconds, now });
      if (at === version) signed = { jwt, at: now.getTime(), version: at };
      return jwt;
    },
  };
}
