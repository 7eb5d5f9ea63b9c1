import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_vault.js';
import * as m0003 from './0003_releases.js';
import * as m0004 from './0004_grant_lookup.js';
import * as m0005 from './0005_credential_digests.js';
import * as m0006 from './0006_vault_state.js';
import * as m0007 from './0007_holder_keys.js';
import * as m0008 from './0008_attestation_inbox.js';
import * as m0009 from './0009_account_links.js';
import * as m0010 from './0010_second_factor.js';
import * as m0011 from './0011_passkeys.js';
import * as m0012 from './0012_account_sessions.js';
import * as m0013 from './0013_wathiqa_verifier.js';
import * as m0014 from './0014_release_feedback.js';
import * as m0015 from './0015_recovery_confirmed.js';
import * as m0016 from './0016_operators_audit.js';
import * as m0017 from './0017_cache_invalidation.js';

/** Every migration, in order. Names are their file names; never rename one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_vault': m0002,
  '0003_releases': m0003,
  '0004_grant_lookup': m0004,
  '0005_credential_digests': m0005,
  '0006_vault_state': m0006,
  '0007_holder_keys': m0007,
  '0008_attestation_inbox': m0008,
  '0009_account_links': m0009,
  '0010_second_factor': m0010,
  '0011_passkeys': m0011,
  '0012_account_sessions': m0012,
  '0013_wathiqa_verifier': m0013,
  '0014_release_feedback': m0014,
  '0015_recovery_confirmed': m0015,
  '0016_operators_audit': m0016,
  '0017_cache_invalidation': m0017,
};
