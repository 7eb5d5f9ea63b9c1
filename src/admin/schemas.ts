import { z } from 'zod';
import { ClientInputSchema, ClientUpdateSchema } from '../clients/schema.js';
import { KEY_ALGS, SIGNING_ALGS } from '../oidc/keys.js';
import { AuditEntrySchema, AuditExportQuery, AuditListQuery, AuditPageSchema } from '../audit/schemas.js';

/**
 * The admin API's shapes, written once: the routes validate with them, the OpenAPI
 * document is generated from them, and the CLI's direct backend uses the same
 * operations (src/admin/operations.ts).
 */

export { ClientInputSchema, ClientUpdateSchema, AuditEntrySchema, AuditExportQuery, AuditListQuery, AuditPageSchema };

export const ErrorSchema = z
  .object({
    error: z.string().meta({ description: 'A machine-readable code, e.g. invalid_request, unauthorized, not_found, too_common' }),
    error_description: z.string().meta({ description: 'A readable English explanation; never echoes secrets' }),
  })
  .meta({ description: 'Every error answer of the admin API' });

// Client ids are 16 random bytes in base64url; accept any base64url token so older ids still resolve.
export const ClientIdParams = z
  .object({ id: z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'must be a client_id (letters, digits, - and _)') })
  .strict();

export const UserIdParams = z.object({ id: z.uuid('must be a UUID') }).strict();

export const ListUsersQuery = z
  .object({
    email: z.string().trim().min(1).max(254).optional().meta({ description: 'Only accounts whose address contains this (any case)' }),
    limit: z.coerce.number().int().min(1).max(1000).default(100).meta({ description: 'At most this many users (1–1000)' }),
    offset: z.coerce.number().int().min(0).default(0).meta({ description: 'Skip this many users (ordered by creation)' }),
  })
  .strict();

export const UserInputSchema = z
  .object({
    email: z.string().max(254).meta({ format: 'email' }),
    password: z.string().max(1024).meta({
      description: 'At least 8 and at most 256 characters, not on the list of common passwords',
      writeOnly: true,
    }),
  })
  .strict();
export type UserInput = z.infer<typeof UserInputSchema>;

export const UserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  created_at: z.iso.datetime(),
});
export type User = z.infer<typeof UserSchema>;

/** A user as the lists show it: never anything of the vault, which the server cannot read anyway. */
export const UserSummarySchema = UserSchema.extend({
  email_verified: z.boolean(),
  operator: z.boolean().meta({ description: 'May use the operator console' }),
  disabled: z.boolean().meta({ description: 'Cannot sign in' }),
});
export type UserSummary = z.infer<typeof UserSummarySchema>;

export const UserDetailsSchema = UserSummarySchema.extend({
  email_verified_at: z.iso.datetime().nullable(),
  operator_since: z.iso.datetime().nullable(),
  disabled_at: z.iso.datetime().nullable(),
  factors: z.object({
    totp: z.boolean().meta({ description: 'An authenticator app is set up' }),
    recovery_codes_left: z.number().int(),
    passkeys: z.number().int(),
  }),
  sessions: z
    .array(
      z.object({
        browser: z.string().nullable(),
        os: z.string().nullable(),
        network: z.string().nullable().meta({ description: 'The address cut to its network (203.0.113.x)' }),
        signed_in_at: z.iso.datetime().nullable(),
        last_seen_at: z.iso.datetime().nullable(),
      }),
    )
    .meta({ description: 'Signed-in browsers' }),
});
export type UserDetails = z.infer<typeof UserDetailsSchema>;

export const UserChangeSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  changed: z.boolean().meta({ description: 'False when the account was already in that state (nothing was recorded)' }),
});
export type UserChange = z.infer<typeof UserChangeSchema>;

export const SignOutResultSchema = UserChangeSchema.extend({ sessions: z.number().int().meta({ description: 'How many browsers were signed out' }) });
export type SignOutResult = z.infer<typeof SignOutResultSchema>;

export const OperatorInputSchema = z.object({ email: z.string().max(254).meta({ format: 'email' }) }).strict();

export const OperatorSchema = z.object({ id: z.uuid(), email: z.string(), operator_since: z.iso.datetime() });
export type OperatorView = z.infer<typeof OperatorSchema>;
export const OperatorListSchema = z.object({ operators: z.array(OperatorSchema) });

export const ClientImpactSchema = z
  .object({
    client_id: z.string(),
    client_name: z.string().nullable(),
    grants: z.number().int().meta({ description: "People's grants to the client, deleted with it" }),
    tokens: z.number().int().meta({ description: 'Live access and refresh tokens, deleted with it' }),
    releases: z.number().int().meta({ description: 'Passport releases not revoked: they stop being served' }),
  })
  .meta({ description: 'What deleting the client takes with it' });
export type ClientImpactView = z.infer<typeof ClientImpactSchema>;

export const UserListSchema = z.object({
  users: z.array(UserSummarySchema),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const ClientSchema = z
  .looseObject({
    client_id: z.string(),
    client_secret: z.string().optional().meta({ description: 'Present only in the answer to create, for confidential clients' }),
    client_name: z.string().optional(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()).optional(),
    scope: z.string().optional(),
    grant_types: z.array(z.string()).optional(),
    response_types: z.array(z.string()).optional(),
    token_endpoint_auth_method: z.enum(['none', 'client_secret_basic']).optional(),
    jwks: z.looseObject({ keys: z.array(z.looseObject({ kty: z.string() })) }).optional(),
    jwks_uri: z.string().optional(),
    logo_uri: z.string().optional(),
    client_uri: z.string().optional(),
    policy_uri: z.string().optional(),
    tos_uri: z.string().optional(),
    id_token_signed_response_alg: z.enum(SIGNING_ALGS).optional().meta({ description: 'Absent: RS256' }),
    verifier: z.boolean().optional().meta({ description: 'True for a verifier (docs/verifiers.md); listed publicly at GET /verifiers' }),
    verifier_attested_types: z.array(z.string()).optional().meta({ description: 'The element types a verifier attests' }),
    verifier_trust_framework: z.string().optional().meta({ description: 'The trust framework a verifier works under' }),
    created_at: z.iso.datetime().optional(),
    updated_at: z.iso.datetime().optional(),
    version: z.number().int().optional().meta({ description: 'Raised by every change; an edit (PUT) names the version it was made on' }),
  })
  .meta({ description: 'A registered client: its OAuth 2.0 / OpenID Connect metadata (RFC 7591 names)' });

export const ClientListSchema = z.object({ clients: z.array(ClientSchema) });

export const KeySchema = z.object({
  kid: z.string(),
  alg: z.enum(KEY_ALGS).meta({ description: 'The key kind: the RS256 key signs PS256 too' }),
  status: z.enum(['active', 'retired']).meta({ description: 'Active keys sign; retired keys stay published for verification' }),
  created_at: z.iso.datetime(),
  retired_at: z.iso.datetime().nullable(),
});
export type Key = z.infer<typeof KeySchema>;

export const KeyListSchema = z.object({ keys: z.array(KeySchema) });

export const MigrationStatusSchema = z.object({
  applied: z.array(z.string()).meta({ description: 'Migrations already applied, in order' }),
  pending: z.array(z.string()).meta({ description: 'Migrations not applied yet, in order' }),
});
export type MigrationStatus = z.infer<typeof MigrationStatusSchema>;

export const MigrationResultSchema = z.object({
  executed: z.array(z.string()).meta({ description: 'Migrations this call applied (empty when already up to date)' }),
  applied: z.array(z.string()),
  pending: z.array(z.string()),
});
export type MigrationResult = z.infer<typeof MigrationResultSchema>;

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface Response {
  description: string;
  schema?: z.ZodType;
}

/** One admin endpoint: what it takes and what it answers. The router and the OpenAPI document both read this table. */
export interface RouteSpec {
  operationId: string;
  method: Method;
  /** Koa-router style (`/admin/clients/:id`). */
  path: string;
  summary: string;
  tag: 'clients' | 'users' | 'operators' | 'keys' | 'audit' | 'migrations' | 'meta';
  /** The media type of a 200 answer that is not JSON (the audit export's JSON lines). */
  produces?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, Response>;
  /** False only for the OpenAPI document itself. */
  auth?: boolean;
}

const noContent = (description: string): Response => ({ description });

export const ROUTES = {
  openapi: {
    operationId: 'getOpenApi',
    method: 'get',
    path: '/admin/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tag: 'meta',
    auth: false,
    responses: { 200: { description: 'The OpenAPI document' } },
  },
  listClients: {
    operationId: 'listClients',
    method: 'get',
    path: '/admin/clients',
    summary: 'List registered clients (without secrets)',
    tag: 'clients',
    responses: { 200: { description: 'The clients, oldest first', schema: ClientListSchema } },
  },
  createClient: {
    operationId: 'createClient',
    method: 'post',
    path: '/admin/clients',
    summary: 'Register a client; the answer carries the client_secret, shown this once',
    tag: 'clients',
    body: ClientInputSchema,
    responses: { 201: { description: 'The new client, with client_id and (unless public) client_secret', schema: ClientSchema } },
  },
  showClient: {
    operationId: 'showClient',
    method: 'get',
    path: '/admin/clients/:id',
    summary: 'Show one client (without its secret)',
    tag: 'clients',
    params: ClientIdParams,
    responses: { 200: { description: 'The client', schema: ClientSchema }, 404: { description: 'No such client', schema: ErrorSchema } },
  },
  updateClient: {
    operationId: 'updateClient',
    method: 'put',
    path: '/admin/clients/:id',
    summary: 'Edit a client: replaces what an operator sets (not whether it is public, nor its secret); needs the version it was loaded at',
    tag: 'clients',
    params: ClientIdParams,
    body: ClientUpdateSchema,
    responses: {
      200: { description: 'The client after the edit, with its new version', schema: ClientSchema },
      404: { description: 'No such client', schema: ErrorSchema },
      409: { description: 'The client changed since that version (error: conflict); nothing was written', schema: ErrorSchema },
    },
  },
  rotateClientSecret: {
    operationId: 'rotateClientSecret',
    method: 'post',
    path: '/admin/clients/:id/secret',
    summary: 'Replace a confidential client’s secret; the answer carries the new one, shown this once. The old one stops working at once',
    tag: 'clients',
    params: ClientIdParams,
    responses: {
      200: { description: 'The client with its new client_secret', schema: ClientSchema },
      400: { description: 'A public client has no secret', schema: ErrorSchema },
      404: { description: 'No such client', schema: ErrorSchema },
    },
  },
  clientImpact: {
    operationId: 'clientImpact',
    method: 'get',
    path: '/admin/clients/:id/impact',
    summary: 'What deleting the client would take with it',
    tag: 'clients',
    params: ClientIdParams,
    responses: { 200: { description: 'Counts', schema: ClientImpactSchema }, 404: { description: 'No such client', schema: ErrorSchema } },
  },
  deleteClient: {
    operationId: 'deleteClient',
    method: 'delete',
    path: '/admin/clients/:id',
    summary: 'Delete a client and everything issued to it (grants, tokens, sessions with it)',
    tag: 'clients',
    params: ClientIdParams,
    responses: { 204: noContent('Deleted'), 404: { description: 'No such client', schema: ErrorSchema } },
  },
  listUsers: {
    operationId: 'listUsers',
    method: 'get',
    path: '/admin/users',
    summary: 'List user accounts, oldest first; email= finds by part of the address',
    tag: 'users',
    query: ListUsersQuery,
    responses: { 200: { description: 'A page of users', schema: UserListSchema } },
  },
  createUser: {
    operationId: 'createUser',
    method: 'post',
    path: '/admin/users',
    summary: 'Create a user account',
    tag: 'users',
    body: UserInputSchema,
    responses: {
      201: { description: 'The new account', schema: UserSchema },
      409: { description: 'An account with this email exists (error: email_taken)', schema: ErrorSchema },
    },
  },
  showUser: {
    operationId: 'showUser',
    method: 'get',
    path: '/admin/users/:id',
    summary: 'One account: its state, second factors and signed-in browsers (never anything of its vault)',
    tag: 'users',
    params: UserIdParams,
    responses: { 200: { description: 'The account', schema: UserDetailsSchema }, 404: { description: 'No such user', schema: ErrorSchema } },
  },
  disableUser: {
    operationId: 'disableUser',
    method: 'post',
    path: '/admin/users/:id/disable',
    summary: 'Stop the account signing in, and end its sessions, grants and tokens',
    tag: 'users',
    params: UserIdParams,
    responses: { 200: { description: 'Done (changed: false when it was already disabled)', schema: UserChangeSchema }, 404: { description: 'No such user', schema: ErrorSchema } },
  },
  enableUser: {
    operationId: 'enableUser',
    method: 'post',
    path: '/admin/users/:id/enable',
    summary: 'Let a disabled account sign in again',
    tag: 'users',
    params: UserIdParams,
    responses: { 200: { description: 'Done (changed: false when it was not disabled)', schema: UserChangeSchema }, 404: { description: 'No such user', schema: ErrorSchema } },
  },
  signOutUser: {
    operationId: 'signOutUser',
    method: 'post',
    path: '/admin/users/:id/signout',
    summary: 'Sign the account out of every browser (its grants to services stay)',
    tag: 'users',
    params: UserIdParams,
    responses: { 200: { description: 'Done', schema: SignOutResultSchema }, 404: { description: 'No such user', schema: ErrorSchema } },
  },
  deleteUser: {
    operationId: 'deleteUser',
    method: 'delete',
    path: '/admin/users/:id',
    summary: 'Delete a user account and everything that names it (vault, releases, inbox, sessions, grants, tokens)',
    tag: 'users',
    params: UserIdParams,
    responses: { 204: noContent('Deleted'), 404: { description: 'No such user', schema: ErrorSchema } },
  },
  listOperators: {
    operationId: 'listOperators',
    method: 'get',
    path: '/admin/operators',
    summary: 'Accounts with the operator role (they may use /console)',
    tag: 'operators',
    responses: { 200: { description: 'The operators, oldest grant first', schema: OperatorListSchema } },
  },
  grantOperator: {
    operationId: 'grantOperator',
    method: 'post',
    path: '/admin/operators/grant',
    summary: 'Give an account the operator role',
    tag: 'operators',
    body: OperatorInputSchema,
    responses: { 200: { description: 'Done (changed: false when it was already an operator)', schema: UserChangeSchema }, 404: { description: 'No account with this email', schema: ErrorSchema } },
  },
  revokeOperator: {
    operationId: 'revokeOperator',
    method: 'post',
    path: '/admin/operators/revoke',
    summary: 'Take the operator role from an account',
    tag: 'operators',
    body: OperatorInputSchema,
    responses: { 200: { description: 'Done (changed: false when it was no operator)', schema: UserChangeSchema }, 404: { description: 'No account with this email', schema: ErrorSchema } },
  },
  exportAudit: {
    operationId: 'exportAudit',
    method: 'get',
    path: '/admin/audit',
    summary: 'The audit trail as JSON lines (application/x-ndjson), oldest first, one AuditEvent per line',
    tag: 'audit',
    query: AuditExportQuery,
    produces: 'application/x-ndjson',
    responses: { 200: { description: 'One JSON object per line', schema: AuditEntrySchema } },
  },
  listKeys: {
    operationId: 'listKeys',
    method: 'get',
    path: '/admin/keys',
    summary: 'List signing keys (ids and algorithms only, never key material)',
    tag: 'keys',
    responses: { 200: { description: 'Active and retired keys, newest first', schema: KeyListSchema } },
  },
  rotateKeys: {
    operationId: 'rotateKeys',
    method: 'post',
    path: '/admin/keys/rotate',
    summary: 'Retire the active signing keys and create new ones; retired keys stay published for 24 hours',
    tag: 'keys',
    responses: { 200: { description: 'The key set after the rotation', schema: KeyListSchema } },
  },
  migrationStatus: {
    operationId: 'migrationStatus',
    method: 'get',
    path: '/admin/migrations',
    summary: 'Applied and pending database migrations',
    tag: 'migrations',
    responses: { 200: { description: 'Migration status', schema: MigrationStatusSchema } },
  },
  migrateToLatest: {
    operationId: 'migrateToLatest',
    method: 'post',
    path: '/admin/migrations/latest',
    summary: 'Apply every pending migration',
    tag: 'migrations',
    responses: {
      200: { description: 'What ran', schema: MigrationResultSchema },
      500: { description: 'A migration failed (error: migration_failed); nothing of it was applied', schema: ErrorSchema },
    },
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
