import type { Config } from './config.js';
import type { DatabaseHandle } from './db/index.js';
import { AccountService } from './accounts/service.js';
import { ClientService } from './clients/service.js';
import { ClientRepository } from './clients/repository.js';
import { Csrf } from './http/csrf.js';
import { createViews, type Views } from './http/views.js';
import { OidcHolder } from './oidc/holder.js';
import { ensureSigningKeys } from './oidc/keys.js';
import { createLogger, type Logger } from './ops/logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { VaultService } from './vault/service.js';
import { ReleaseService } from './passport/service.js';
import { VerifierAwareClientCache, VerifierService } from './verifiers/service.js';
import { AttestationService } from './attestations/service.js';
import { FeedbackService } from './passport/feedback.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { requireMail } from './config.js';
import { MailLinks } from './accounts/mail-links.js';
import { EmailVerification } from './accounts/email-verification.js';
import { PasswordReset } from './accounts/password-reset.js';
import { TotpService } from './accounts/totp.js';
import { PasskeyService } from './accounts/passkeys.js';
import type { PublicAccount } from './accounts/repository.js';
import { TtlCache } from './oidc/adapter.js';
import { ReadCache } from './oidc/token-cache.js';
import type { CacheBus } from './db/notify.js';
import { AccountSessions } from './accounts/sessions.js';
import { ConnectedServices } from './accounts/connected-services.js';
import { WathiqaVerifier } from './verifiers/wathiqa.js';
import { EmailControl, emailCodeKey } from './verifiers/email-control.js';
import { AuditService } from './audit/service.js';
import { AccountAdmin } from './accounts/admin.js';
import { Operators } from './accounts/operators.js';

/** Everything the routes need, built once over one database. */
export interface Services {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  metrics: Metrics;
  views: Views;
  csrf: Csrf;
  oidc: OidcHolder;
  accounts: AccountService;
  clients: ClientService;
  vault: VaultService;
  releases: ReleaseService;
  verifiers: VerifierService;
  attestations: AttestationService;
  mailer: Mailer;
  mailLinks: MailLinks;
  emailVerification: EmailVerification;
  passwordReset: PasswordReset;
  totp: TotpService;
  passkeys: PasskeyService;
  /** The account page's signed-in browsers. */
  sessions: AccountSessions;
  /** The account page's services signed in to. */
  connections: ConnectedServices;
  /** Wathiqa's own verifier (email control): its key and its GET /verifiers entry. */
  wathiqaVerifier: WathiqaVerifier;
  /** Codes mailed to vault email elements, and the attestations issued for them. */
  emailControl: EmailControl;
  /** RP feedback on releases (DESIGN 5.7): POST /passport/errors. */
  feedback: FeedbackService;
  /** The audit trail of administrative changes (issue #13). */
  audit: AuditService;
  /** What operators do to people's accounts: find, show, disable, enable, sign out everywhere. */
  accountAdmin: AccountAdmin;
  /** The operator role: who may use the console. */
  operators: Operators;
  /** This node's cache of access tokens, grants and releases (src/oidc/token-cache.ts). */
  readCache: ReadCache;
}

/** Expects a migrated database. Generates the first signing keys if there are none. */
export async function createServices(config: Config, database: DatabaseHandle, logger = createLogger(config.logLevel)): Promise<Services> {
  const { db } = database;
  const metrics = createMetrics();
  const views = await createViews();
  await ensureSigningKeys(db, config.operatorKey);
  // Secrets stored in clear before migration 0005 (it has no operator key) are sealed now.
  const clientStore = new ClientRepository(db, config.operatorKey);
  await clientStore.sealPlaintextSecrets();
  // Cross-node cache invalidation (migration 0017's triggers, src/db/notify.ts).
  const bus = await database.cacheBus({
    onState: (live, reason) =>
      live ? logger.info('cache invalidation listener back; caches serve again') : logger.warn({ reason }, 'cache invalidation listener lost; caches bypassed until it is back'),
  });
  const cache = new ReadCache(bus);
  const releases = new ReleaseService(db, config.outbound, logger, cache);
  // Wathiqa's own verifier key, made on the first start; listed first in GET /verifiers.
  const wathiqaVerifier = await WathiqaVerifier.create(db, config.issuer, config.operatorKey);
  const verifiers = new VerifierService(db, undefined, [wathiqaVerifier.entry()]);
  // Every client write on this node clears the client cache, and with it the verifier list.
  const clientCache = new VerifierAwareClientCache(verifiers);
  // Accounts as findAccount reads them, for a few seconds; cleared on this node when an address changes or the account is deleted.
  const accountCache = new TtlCache<PublicAccount>(10_000);
  followChanges(bus, accountCache, clientCache);
  const sessions = new AccountSessions(db);
  const audit = new AuditService(db);
  const oidc = await OidcHolder.create({ config, db, views, logger, metrics, releases, statements: database.statements, cache, clientCache, accountCache, sessions, audit });
  requireMail(config, 'email verification and password reset');
  const mailer = createMailer(config, logger);
  const forget = (accountId: string) => accountCache.invalidate(accountId);
  const accounts = new AccountService(db, config, metrics, forget);
  const mailLinks = new MailLinks(db, mailer, config, logger);
  return {
    config,
    database,
    logger,
    metrics,
    views,
    csrf: new Csrf(config.cookieKeys[0]!, config.https),
    oidc,
    accounts,
    clients: new ClientService(db, () => oidc.provider, clientStore, clientCache, config.outbound),
    vault: new VaultService(db, config.vaultQuota),
    releases,
    verifiers,
    attestations: new AttestationService(db),
    mailer,
    mailLinks,
    emailVerification: new EmailVerification(db, accounts, mailLinks, forget, logger),
    passwordReset: new PasswordReset(db, accounts, mailLinks, forget, logger),
    passkeys: new PasskeyService(db, config.issuer),
    // Codes are limited like passwords: the same numbers, their own counters.
    totp: new TotpService(db, accounts, config.operatorKey, {
      account: { max: config.throttle.accountMaxFailures, windowSeconds: config.throttle.accountWindowSeconds, lockSeconds: config.throttle.accountLockSeconds },
      ip: { max: config.throttle.ipMaxFailures, windowSeconds: config.throttle.ipWindowSeconds },
    }),
    sessions,
    connections: new ConnectedServices(db, () => oidc.provider),
    wathiqaVerifier,
    emailControl: new EmailControl(db, mailLinks, mailer, wathiqaVerifier, logger, emailCodeKey(config.operatorKey)),
    feedback: new FeedbackService(db),
    audit,
    accountAdmin: new AccountAdmin(db, sessions, forget),
    operators: new Operators(db),
    readCache: cache,
  };
}

/**
 * The account and client caches keep their TTL, and now also drop an entry as soon as
 * its row changes on any node (a disabled account, a deleted client), and everything
 * when the listener is lost or back. During a listener outage they serve for their TTL,
 * as before the bus; the token cache does not serve at all then.
 */
function followChanges(bus: CacheBus, accounts: TtlCache<PublicAccount>, clients: TtlCache<unknown>): void {
  bus.subscribe((key) => {
    if (key === null) {
      accounts.clear();
      clients.clear();
    } else if (key.startsWith('a:')) accounts.invalidate(key.slice(2));
    else if (key.startsWith('c:')) clients.invalidate(key.slice(2));
  });
}
