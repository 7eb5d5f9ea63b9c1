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
import type { FeedbackService } from './feedback.js';
import { ErrorReportSchema } from '../protocol/feedback.js';

const FileParams = z.strictObject({ id: z.uuid() });
const AttestationDelivery = z.strictObject({ jwe: z.string().min(1).max(MAX_ATTESTATION_BYTES) });
const DELIVERY_BODY_LIMIT = '80kb';
/** 50 errors of 300 characters, even if every character is sent as a \u escape. */
const REPORT_BODY_LIMIT = '100kb';

/** An RP's JSON body: JSON only, bounded, and the parser's own messages (which may quote the body) never shown. */
function jsonBody(limit: string) {
  return bodyParser({
    enableTypes: ['json'],
    jsonLimit: limit,
    onError(error: Error & { status?: number; type?: string }) {
      if (error.status === 413 || error.type === 'entity.too.large') throw new HttpError(413, 'request_too_large', `the request body is larger than ${limit}`);
      if (error instanceof SyntaxError) throw badRequest('malformed JSON body: the body must be a JSON object');
      throw badRequest('the request body could not be read');
    },
  });
}
const deliveryBody = jsonBody(DELIVERY_BODY_LIMIT);
const reportBody = jsonBody(REPORT_BODY_LIMIT);

/** A member given twice: JSON.parse keeps the last, and which one was meant is ambiguous. */
function refuseRepeatedMembers(ctx: Context): void {
  const repeated = repeatedMember((ctx.request as { rawBody?: string }).rawBody ?? '');
  if (repeated !== undefined) throw badRequest(`"${repeated.slice(0, 32)}" is given more than once`);
}

function bearer(ctx: Context): string | undefined {
  return /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(ctx.get('authorization'))?.[1];
}

/** What relying parties fetch with a grant's access token: the scans its release names. */
export function passportRouter({ oidc, releases, attestations, feedback }: { oidc: OidcHolder; releases: ReleaseService; attestations: AttestationService; feedback: FeedbackService }): Router {
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
    refuseRepeatedMembers(ctx);
    const { jwe } = parse(AttestationDelivery, (ctx.request as { body?: unknown }).body);
    ctx.status = 201;
    ctx.body = await attestations.deliver(oidc.provider, bearer(ctx)!, jwe);
  });

  // An RP reports what is wrong with released data (DESIGN 5.7, docs/rp-sdk.md "Reporting errors").
  router.post('/errors', async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    if (!bearer(ctx)) throw unauthorized('an access token is required');
    if (!ctx.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'send { "errors": [ … ] } as application/json');
    await next();
  }, reportBody, async (ctx) => {
    refuseRepeatedMembers(ctx);
    const { errors } = parse(ErrorReportSchema, (ctx.request as { body?: unknown }).body);
    ctx.body = await feedback.report(oidc.provider, bearer(ctx)!, errors);
  });

  return router;
}
