import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ROOT } from '../paths.js';
import {
  ClientInputSchema,
  ClientListSchema,
  ClientSchema,
  ErrorSchema,
  KeyListSchema,
  KeySchema,
  MigrationResultSchema,
  MigrationStatusSchema,
  ROUTES,
  AuditEntrySchema,
  ClientImpactSchema,
  ClientUpdateSchema,
  OperatorListSchema,
  UserDetailsSchema,
  UserSummarySchema,
  UserInputSchema,
  UserListSchema,
  UserSchema,
  type RouteSpec,
} from './schemas.js';

type JsonSchema = Record<string, unknown>;

/** Schemas published under components.schemas and referenced by name. */
const NAMED: [string, z.ZodType, 'input' | 'output'][] = [
  ['Error', ErrorSchema, 'output'],
  ['ClientInput', ClientInputSchema, 'input'],
  ['ClientUpdate', ClientUpdateSchema, 'input'],
  ['Client', ClientSchema, 'output'],
  ['ClientImpact', ClientImpactSchema, 'output'],
  ['ClientList', ClientListSchema, 'output'],
  ['UserInput', UserInputSchema, 'input'],
  ['User', UserSchema, 'output'],
  ['UserSummary', UserSummarySchema, 'output'],
  ['UserDetails', UserDetailsSchema, 'output'],
  ['UserList', UserListSchema, 'output'],
  ['OperatorList', OperatorListSchema, 'output'],
  ['AuditEvent', AuditEntrySchema, 'output'],
  ['Key', KeySchema, 'output'],
  ['KeyList', KeyListSchema, 'output'],
  ['MigrationStatus', MigrationStatusSchema, 'output'],
  ['MigrationResult', MigrationResultSchema, 'output'],
];

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // OpenAPI 3.1 speaks JSON Schema 2020-12, zod's default target.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function ref(schema: z.ZodType | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  const named = NAMED.find(([, s]) => s === schema);
  return named ? { $ref: `#/components/schemas/${named[0]}` } : jsonSchema(schema, 'output');
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const ERROR_RESPONSES: Record<string, { description: string }> = {
  400: { description: 'The request is invalid (error: invalid_request or an account error code); the description names the field' },
  401: { description: 'Missing or wrong bearer token (error: unauthorized)' },
};

function operation(spec: RouteSpec): JsonSchema {
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const schema = response.schema === undefined ? undefined : ref(response.schema);
    const media = status === '200' && spec.produces ? spec.produces : 'application/json';
    responses[status] = { description: response.description, ...(schema ? { content: { [media]: { schema } } } : {}) };
  }
  if (spec.body || spec.params || spec.query) responses['400'] ??= { ...ERROR_RESPONSES[400], content: errorContent };
  if (spec.body) {
    responses['413'] ??= { description: 'The body is larger than 64 kB', content: errorContent };
    responses['415'] ??= { description: 'The body is not application/json', content: errorContent };
  }
  if (spec.auth !== false) responses['401'] ??= { ...ERROR_RESPONSES[401], content: errorContent };
  const params = [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')];
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.auth === false ? { security: [] } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(spec.body) } } } } : {}),
    responses,
  };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

let cached: JsonSchema | undefined;

/** The OpenAPI 3.1 document of the admin API, generated from the same zod schemas the routes validate with. */
export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of Object.values(ROUTES) as RouteSpec[]) {
    const path = spec.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    (paths[path] ??= {})[spec.method] = operation(spec);
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Wathiqa admin API',
      version: packageVersion(),
      description:
        'Operator API: clients, users, operators, signing keys, the audit trail and migrations. Every change is recorded in the ' +
        'audit trail with the actor "admin token" (or "CLI on the host" over the socket) and the request address. Enabled on the public listener only when ADMIN_TOKEN is set; ' +
        'the CLI reaches the same API over a unix socket in the data directory. Every answer carries Cache-Control: no-store; ' +
        'errors are JSON {error, error_description}.',
      license: { name: 'AGPL-3.0-only', identifier: 'AGPL-3.0-only' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ adminToken: [] }],
    tags: [
      { name: 'clients', description: 'Relying parties (OIDC clients)' },
      { name: 'users', description: 'User accounts' },
      { name: 'operators', description: 'Who may use the operator console' },
      { name: 'audit', description: 'The audit trail of administrative changes' },
      { name: 'keys', description: 'Signing keys' },
      { name: 'migrations', description: 'Database schema' },
      { name: 'meta', description: 'This document' },
    ],
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'The server\'s ADMIN_TOKEN' },
      },
      schemas: Object.fromEntries(NAMED.map(([name, schema, io]) => [name, jsonSchema(schema, io)])),
    },
  };
  return cached;
}
