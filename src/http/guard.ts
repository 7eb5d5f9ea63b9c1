import type { Context } from 'koa';
import type { z } from 'zod';
import { badRequest } from './errors.js';

/** "field: message; other.field: message" — names the problem without echoing values. */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(formatZodError(result.error));
  return result.data;
}

/** Reads the parsed request body (set by the body parser) through a schema. */
export function body<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  return parse(schema, (ctx.request as { body?: unknown }).body);
}

/**
 * Reads the query string through a schema. Koa gives a repeated parameter as an array;
 * none of ours takes one, and which copy wins is ambiguous, so a repeat is refused by name.
 */
export function query<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const repeated = Object.entries(ctx.query).filter(([, v]) => Array.isArray(v)).map(([k]) => k.slice(0, 64));
  if (repeated.length) throw badRequest(repeated.map((k) => `${k}: must be given once`).join('; '));
  return parse(schema, ctx.query);
}
