import Sequencer from '@jest/test-sequencer';

/**
 * Longest files first, so that the last minutes of a run are not one slow file on
 * one worker while the other idles. Jest does this from its cache of the last run's
 * times; a clean clone (CI) has none and Jest falls back to file size, which put the
 * slowest file (the CLI's) in the middle. Without a cached time, a file's time is
 * taken from ESTIMATES (seconds, rounded, from full runs on the loaded 2-core CI
 * machine; only their order matters) or, for a file not listed, from its size.
 */
const ESTIMATES = {
  'test/integration/cli.test.ts': 230,
  'test/e2e/layout.test.ts': 130,
  'test/e2e/holder-keys.test.ts': 130,
  'test/e2e/page-language.test.ts': 120,
  'test/e2e/second-factor.test.ts': 110,
  'test/integration/credential-storage.test.ts': 110,
  'test/integration/faults.test.ts': 110,
  'test/e2e/console.test.ts': 105,
  'test/e2e/recovery-expiry.test.ts': 100,
  'test/e2e/vault-rollback.test.ts': 100,
  'test/integration/holder-keys.test.ts': 100,
  'test/e2e/passkeys.test.ts': 100,
  'test/e2e/email-verifier.test.ts': 100,
  'test/integration/email-verifier.test.ts': 95,
  'test/integration/throttle-concurrency.test.ts': 90,
  'test/integration/recovery-confirmation.test.ts': 90,
  'test/integration/second-factor.test.ts': 90,
  'test/e2e/signin-button.test.ts': 90,
  'test/integration/storage.test.ts': 90,
  'test/e2e/account-mail.test.ts': 90,
  'test/integration/refresh-grace.test.ts': 80,
  'test/integration/server.test.ts': 80,
  'test/integration/oidc-flow.test.ts': 80,
  'test/integration/account-links.test.ts': 75,
  'test/integration/verifiers.test.ts': 75,
  'test/integration/audit.test.ts': 75,
  'test/integration/oidc-features.test.ts': 65,
  'test/integration/id-token-alg.test.ts': 65,
  'test/e2e/consent-complete.test.ts': 60,
  'test/e2e/rp-feedback.test.ts': 60,
  'test/e2e/account-sessions.test.ts': 55,
  'test/e2e/verification-journey.test.ts': 50,
  'test/e2e/fields.test.ts': 50,
  'test/integration/vault-api.test.ts': 50,
  'test/integration/passport-errors.test.ts': 45,
  'test/e2e/consent-verification.test.ts': 45,
  'test/e2e/vault.test.ts': 40,
  'test/e2e/attestations.test.ts': 40,
  'test/e2e/vault-security.test.ts': 40,
  'test/integration/bad-input.test.ts': 35,
  'test/integration/consent-status.test.ts': 35,
  'test/unit/web-recovery.test.ts': 30,
  'test/integration/oidc-negatives.test.ts': 30,
  'test/e2e/signin.test.ts': 30,
  'test/unit/protocol/recovery.test.ts': 25,
  'test/integration/outbound.test.ts': 25,
  'test/e2e/passport.test.ts': 25,
  'test/unit/build-stamp.test.ts': 20,
  'test/integration/mail.test.ts': 20,
};

/** Seconds per byte for files not listed: a 20 kB file counts as 2 s, below every listed file. */
const SECONDS_PER_BYTE = 1e-4;

export default class SlowestFirst extends Sequencer {
  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    const relative = test.path.slice(test.context.config.rootDir.length + 1).split('\\').join('/');
    const seconds = ESTIMATES[relative] ?? (test.context.hasteFS.getSize(test.path) ?? 0) * SECONDS_PER_BYTE;
    return seconds * 1000;
  }
}
