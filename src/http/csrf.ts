import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { HttpError } from './errors.js';

const COOKIE = 'wathiqa_csrf';

/**
 * Per-browser secret in an HttpOnly cookie; the form token is its HMAC bound to
 * the interaction, so a token leaked from one page is useless for another browser
 * or another interaction.
 */
export class Csrf {
  constructor(
    private readonly key: string,
    private readonly secure: boolean,
  ) {}

  private secret(ctx: Context): string {
    let value = ctx.cookies.get(COOKIE);
    if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
      value = randomBytes(32).toString('base64url');
      ctx.cookies.set(COOKIE, value, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', overwrite: true });
    }
    return value;
  }

  private mac(secret: string, scope: string): string {
    return createHmac('sha256', this.key).update(`csrf|${scope}|${secret}`).digest('base64url');
  }

  token(ctx: Context, scope: string): string {
    return this.mac(this.secret(ctx), scope);
  }

  verify(ctx: Context, scope: string, token: unknown): void {
    const secret = ctx.cookies.get(COOKIE);
    const expected = secret ? Buffer.from(this.mac(secret, scope)) : undefined;
    const given = Buffer.from(typeof token === 'string' ? token : '');
    if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new HttpError(403, 'csrf', 'Your session expired or the form was sent twice. Please try again.');
    }
  }
}
