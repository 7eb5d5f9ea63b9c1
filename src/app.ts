import Koa from 'koa';
import Router from '@koa/router';
import type { Services } from './services.js';
import { accountRouter } from './account/routes.js';
import { emailRouter } from './account/email-routes.js';
import { passwordRouter } from './account/password-routes.js';
import { totpRouter } from './account/totp-routes.js';
import { passkeyRouter } from './account/passkey-routes.js';
import { sessionsRouter } from './account/sessions-routes.js';
import { deleteRouter } from './account/delete-routes.js';
import { adminRouter } from './admin/routes.js';
import { consoleRouters } from './console/routes.js';
import { errorHandler } from './http/error-handler.js';
import { securityHeaders } from './http/headers.js';
import { serveStatic } from './http/static.js';
import { settleWrites } from './http/settle.js';
import { interactionRouter } from './interactions/routes.js';
import { isProviderPath } from './oidc/routes.js';
import { opsRouter } from './ops/health.js';
import { requestLog } from './ops/requests.js';
import { vaultRouter } from './vault/routes.js';
import { passportRouter } from './passport/routes.js';
import { releasesRouter } from './passport/account-routes.js';
import { verifiersRouter } from './verifiers/routes.js';
import { attestationInboxRouter } from './attestations/inbox-routes.js';
import { emailVerificationRouter } from './verifiers/email-routes.js';

export interface AppState {
  shuttingDown: boolean;
}

/** The middleware order, top to bottom, is the order a request meets it. */
export function createApp(services: Services, state: AppState = { shuttingDown: false }): Koa {
  const { config, database, logger, metrics, views, oidc } = services;
  const app = new Koa({ proxy: config.trustProxy });
  app.keys = config.cookieKeys;
  app.silent = true;

  const home = new Router().get('/', (ctx) => views.render(ctx, 'home', { issuer: config.issuer }));
  const ops = opsRouter(database.db, metrics, () => state.shuttingDown);
  const interactions = interactionRouter(services);
  const admin = adminRouter(services, { token: config.adminToken });
  const account = accountRouter(services);
  const email = emailRouter(services);
  const password = passwordRouter(services);
  const factors = totpRouter(services);
  const passkeys = passkeyRouter(services);
  const accountSessions = sessionsRouter(services);
  const accountDelete = deleteRouter(services);
  const vault = vaultRouter(services);
  const passport = passportRouter(services);
  const sharing = releasesRouter(services);
  const verifiers = verifiersRouter(services);
  const inbox = attestationInboxRouter(services);
  const emailVerifier = emailVerificationRouter(services);
  const operatorConsole = consoleRouters(services);

  app.use(requestLog(logger, metrics));
  app.use(errorHandler(views, logger));
  app.use(securityHeaders({ https: config.https }));
  // oidc-provider is a Koa app of its own and writes the response itself. Its paths
  // are disjoint from ours, so token requests skip our routers.
  app.use(async (ctx, next) => {
    if (!isProviderPath(ctx.path)) return next();
    ctx.respond = false;
    await oidc.callback(ctx.req, ctx.res);
  });
  app.use(ops.routes());
  app.use(settleWrites(services.readCache));
  app.use(serveStatic());
  app.use(home.routes());
  app.use(verifiers.routes()).use(verifiers.allowedMethods());
  app.use(interactions.routes()).use(interactions.allowedMethods());
  app.use(account.routes()).use(account.allowedMethods());
  app.use(email.routes()).use(email.allowedMethods());
  app.use(password.routes()).use(password.allowedMethods());
  app.use(factors.routes()).use(factors.allowedMethods());
  app.use(passkeys.api.routes()).use(passkeys.api.allowedMethods());
  app.use(passkeys.forms.routes()).use(passkeys.forms.allowedMethods());
  app.use(accountSessions.routes()).use(accountSessions.allowedMethods());
  app.use(accountDelete.routes()).use(accountDelete.allowedMethods());
  app.use(vault.routes()).use(vault.allowedMethods());
  app.use(passport.routes()).use(passport.allowedMethods());
  app.use(sharing.routes()).use(sharing.allowedMethods());
  app.use(inbox.routes()).use(inbox.allowedMethods());
  app.use(emailVerifier.routes()).use(emailVerifier.allowedMethods());
  for (const router of operatorConsole) app.use(router.routes()).use(router.allowedMethods());
  app.use(admin.routes()).use(admin.allowedMethods());
  return app;
}
