import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { parse } from '../http/guard.js';
import { unauthorized } from '../http/errors.js';
import type { OidcHolder } from '../oidc/holder.js';
import type { ReleaseService } from './service.js';

const FileParams = z.strictObject({ id: z.uuid() });

function bearer(ctx: Context): string | undefined {
  return /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(ctx.get('authorization'))?.[1];
}

/** What relying parties fetch with a grant's access token: the scans its release names. */
export function passportRouter({ oidc, releases }: { oidc: OidcHolder; releases: ReleaseService }): Router {
  const router = new Router({ prefix: '/passport' });

  router.get('/files/:id', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    const token = bearer(ctx);
    if (!token) throw unauthorized('an access token is required');
    const { id } = parse(FileParams, ctx.params);
    const file = await releases.fileForToken(oidc.provider, token, id);
    ctx.type = 'application/octet-stream';
    ctx.set('X-Media-Type', file.media_type);
    ctx.body = Buffer.from(file.ciphertext.buffer, file.ciphertext.byteOffset, file.ciphertext.byteLength);
  });

  return router;
}
