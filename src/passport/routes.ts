import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { MAX_ATTESTATION_BYTES, repeatedMember } from '../attestations/header.js';
import type { AttestationService } from '../attestations/service.js';
import { parse } from '../http/guard.js';
import { badRequest, HttpError, unauthorized } from '../http/errors.js';
import type { OidcHolder } from '../oidc/holder.js';
import type { ReleaseService } from './service.js';

const FileParams = z.strictObject({ id: z.uuid() });
const AttestationDelivery = z.strictObject({ jwe: z.string().min(1).max(MAX_ATTESTATION_BYTES) });
const DELIVERY_BODY_LIMIT = '80kb';

/** The delivery body: JSON only, bounded, and the parser's own messages (which may quote the body) never shown. */
const deliveryBody = bodyParser({
  enableTypes: ['json'],
  jsonLimit: DELIVERY_BODY_LIMIT,
  onError(error: Error & { status?: number; type?: string }) {
    if (error.status === 413 || error.type === 'entity.too.large') throw new HttpError(413, 'request_too_large', `the request body is larger than ${DELIVERY_BODY_LIMIT}`);
    if (error instanceof SyntaxError) throw badRequest('malformed JSON body: the body must be a JSON object');
    throw badRequest('the request body could not be read');
  },
});

function bearer(ctx: Context): string | undefined {
  return /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(ctx.get('authorization'))?.[1];
}

/** What relying parties fetch with a grant's access token: the scans its release names. */
export function passportRouter({ oidc, releases, attestations }: { oidc: OidcHolder; releases: ReleaseService; attestations: AttestationService }): Router {
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

  // A verifier delivers an attestation to the holder of the release it received (docs/verifiers.md).
  router.post('/attestations', async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    if (!bearer(ctx)) throw unauthorized('an access token is required');
    if (!ctx.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'send { "jwe": … } as application/json');
    await next();
  }, deliveryBody, async (ctx) => {
    const raw = (ctx.request as { rawBody?: string }).rawBody ?? '';
    // JSON.parse keeps the last of two "jwe" members; which one was meant is ambiguous.
    const repeated = repeatedMember(raw);
    if (repeated !== undefined) throw badRequest(`"${repeated.slice(0, 32)}" is given more than once`);
    const { jwe } = parse(AttestationDelivery, (ctx.request as { body?: unknown }).body);
    ctx.status = 201;
    ctx.body = await attestations.deliver(oidc.provider, bearer(ctx)!, jwe);
  });

  return router;
}
