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

export function query<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  return parse(schema, ctx.query);
}
