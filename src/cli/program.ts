import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import type { ClientInput } from '../clients/schema.js';
import { SIGNING_ALGS, type SigningAlg } from '../oidc/keys.js';
import { ROOT } from '../paths.js';
import { ELEMENT_TYPES } from '../protocol/elements/table.js';
import { connect, type Backend } from './backend.js';
import { CliError, oneLine, usageError } from './errors.js';
import { clientCreated, clientDetails, clientList, json, keyList, migrationReport, userList } from './format.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** All of standard input (for --password-stdin). */
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function integer(min: number) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`must be a whole number, at least ${min}`);
    return Number(value);
  };
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Private JWK members: an RP registers public keys only; its private key never leaves it. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

export function readJwksFile(path: string): ClientInput['jwks'] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the JWKS file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`the JWKS file ${path} is not valid JSON`);
  }
  // A single JWK is accepted too.
  const jwks = (parsed && typeof parsed === 'object' && 'kty' in parsed ? { keys: [parsed] } : parsed) as { keys?: unknown };
  if (!jwks || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) {
    throw new CliError(`the JWKS file ${path} must hold a JWK Set ({"keys": [...]}) or a single JWK`);
  }
  for (const key of jwks.keys as Record<string, unknown>[]) {
    if (key && typeof key === 'object' && PRIVATE_MEMBERS.some((m) => m in key)) {
      throw new CliError(`the JWKS file ${path} contains private key material; register the public key(s) only`);
    }
  }
  return jwks as ClientInput['jwks'];
}

async function readPassword(io: Io): Promise<string> {
  const text = await io.readStdin();
  // One trailing newline is the end of the line typed or echoed, not part of the password.
  return text.replace(/\r?\n$/, '');
}

/** The log level for a direct backend: silent unless the operator asked for logs. */
function cliLogLevel(env: NodeJS.ProcessEnv, configured: string): string {
  return env.LOG_LEVEL ? configured : 'silent';
}

export function buildProgram(io: Io): Command {
  async function withBackend<T>(work: (backend: Backend) => Promise<T>): Promise<T> {
    let config;
    try {
      config = loadConfig(io.env);
    } catch (error) {
      if (error instanceof ConfigError) throw new CliError(`invalid configuration: ${error.problems.join('; ')}`);
      throw error;
    }
    const backend = await connect(config, cliLogLevel(io.env, config.logLevel));
    try {
      return await work(backend);
    } finally {
      await backend.close();
    }
  }

  const print = (asJson: boolean | undefined, value: unknown, human: () => string) => io.stdout(asJson ? json(value) : human());

  const program = new Command('wathiqa')
    .description(
      'Operate a Wathiqa server: clients, users, operators, signing keys, the audit trail, migrations.\n\n' +
        'Every change is recorded in the audit trail as "CLI on the host (<OS user>)".\n\n' +
        'Reads the same configuration as the server (environment, config/*.json). With the embedded ' +
        'database, a running server is reached through its admin socket in DATA_DIR; otherwise the ' +
        'database is opened directly.',
    )
    .version(version(), '-V, --version')
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`wathiqa: ${s.replace(/^error: /, '')}`),
    });

  // ---- clients -------------------------------------------------------------
  const clients = program.command('clients').description('Register, list, show and delete relying parties (OIDC clients)');

  clients
    .command('create')
    .description('Register a client; prints its client_id and (unless --public) its client_secret, shown only once')
    .requiredOption('--name <name>', 'the name users see on the consent page')
    .option('--redirect-uri <uri>', 'an exact redirect URI (repeat for several; at least one)', collect, [])
    .option('--post-logout-redirect-uri <uri>', 'where RP-initiated logout may return (repeatable)', collect, [])
    .option('--scope <scopes>', 'space-separated scopes the client may ask for (default: "openid email offline_access")')
    .option('--public', 'a public client (no secret; PKCE only), e.g. a single-page or native app')
    .addOption(new Option('--jwks-file <path>', 'the client\'s public keys (JWK Set or single JWK, JSON file)').conflicts('jwksUri'))
    .option('--jwks-uri <url>', 'where the client publishes its public keys')
    .option('--logo-uri <url>', 'logo shown on the consent page')
    .option('--policy-uri <url>', 'privacy policy link shown on the consent page')
    .option('--tos-uri <url>', 'terms of service link shown on the consent page')
    .addOption(new Option('--id-token-alg <alg>', 'how its ID tokens are signed (default: RS256, what most RPs expect)').choices(SIGNING_ALGS))
    .option(
      '--verifier',
      'a verifier (docs/verifiers.md): needs --jwks-file with a "use": "enc" and an ES256/EdDSA "use": "sig" key, ' +
        '--attested-type, --trust-framework and an https --policy-uri; the passport scope is added',
    )
    .option('--attested-type <type>', `an element type the verifier attests (repeatable): ${ELEMENT_TYPES.join(', ')}`, collect, [])
    .option('--trust-framework <name>', 'the trust framework the verifier works under, e.g. eidas')
    .option('--json', 'print the client as JSON')
    .action(async (opts: {
      name: string;
      redirectUri: string[];
      postLogoutRedirectUri: string[];
      scope?: string;
      public?: boolean;
      jwksFile?: string;
      jwksUri?: string;
      logoUri?: string;
      policyUri?: string;
      tosUri?: string;
      idTokenAlg?: SigningAlg;
      verifier?: boolean;
      attestedType: string[];
      trustFramework?: string;
      json?: boolean;
    }) => {
      if (opts.redirectUri.length === 0) throw usageError('clients create: give at least one --redirect-uri');
      if (!opts.verifier && (opts.attestedType.length || opts.trustFramework !== undefined)) {
        throw usageError('clients create: --attested-type and --trust-framework go with --verifier');
      }
      const input: ClientInput = {
        client_name: opts.name,
        redirect_uris: opts.redirectUri,
        ...(opts.postLogoutRedirectUri.length ? { post_logout_redirect_uris: opts.postLogoutRedirectUri } : {}),
        ...(opts.scope !== undefined ? { scope: opts.scope } : opts.verifier ? { scope: 'openid passport' } : {}),
        ...(opts.public ? { public: true } : {}),
        ...(opts.jwksFile ? { jwks: readJwksFile(opts.jwksFile) } : {}),
        ...(opts.jwksUri ? { jwks_uri: opts.jwksUri } : {}),
        ...(opts.logoUri ? { logo_uri: opts.logoUri } : {}),
        ...(opts.policyUri ? { policy_uri: opts.policyUri } : {}),
        ...(opts.tosUri ? { tos_uri: opts.tosUri } : {}),
        ...(opts.idTokenAlg ? { id_token_signed_response_alg: opts.idTokenAlg } : {}),
        // The rules are the server's (src/verifiers/policy.ts): the CLI passes the values on.
        ...(opts.verifier
          ? { verifier: true, verifier_attested_types: opts.attestedType, ...(opts.trustFramework !== undefined ? { verifier_trust_framework: opts.trustFramework } : {}) }
          : {}),
      };
      const client = await withBackend((b) => b.createClient(input));
      print(opts.json, client, () => clientCreated(client));
    });

  clients
    .command('list')
    .description('List clients (secrets are never shown again)')
    .option('--json', 'print the clients as a JSON array')
    .action(async (opts: { json?: boolean }) => {
      const list = await withBackend((b) => b.listClients());
      print(opts.json, list, () => clientList(list));
    });

  clients
    .command('show')
    .description('Show one client')
    .argument('<client_id>')
    .option('--json', 'print the client as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const client = await withBackend((b) => b.showClient(id));
      print(opts.json, client, () => clientDetails(client));
    });

  clients
    .command('delete')
    .description('Delete a client and every grant and token issued to it')
    .argument('<client_id>')
    .option('--json', 'print {"deleted": client_id} as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withBackend((b) => b.deleteClient(id));
      print(opts.json, { deleted: id }, () => `Deleted client ${id}.\n`);
    });

  clients
    .command('rotate-secret')
    .description('Replace a confidential client\'s secret; prints the new one, shown only once (the old one stops working at once)')
    .argument('<client_id>')
    .option('--json', 'print the client with its new client_secret as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const client = await withBackend((b) => b.rotateClientSecret(id));
      print(opts.json, client, () => `New secret for client ${id} (shown only once):\n\n  client_secret  ${client.client_secret}\n`);
    });

  // ---- users ---------------------------------------------------------------
  const users = program.command('users').description('Create, list, disable and delete user accounts; grant the operator role');

  /** A change that may already have been made: says so rather than failing. */
  const userChange = (name: string, verb: string, already: string, work: (b: Backend, arg: string) => Promise<{ email: string; changed: boolean }>, what = '<id>', whatHelp = 'the account id (a UUID, see users list)') =>
    users
      .command(name)
      .description(verb)
      .argument(what, whatHelp)
      .option('--json', 'print {id, email, changed} as JSON')
      .action(async (arg: string, opts: { json?: boolean }) => {
        const result = await withBackend((b) => work(b, arg));
        print(opts.json, result, () => (result.changed ? `${name}: done for ${result.email}.\n` : `${name}: nothing to do, ${result.email} ${already}.\n`));
      });

  userChange('grant-operator', 'Give the account with this email the operator role (the console at /console, which also asks for a second factor)', 'is already an operator', (b, email) => b.grantOperator(email), '<email>', 'the account\'s email address');
  userChange('revoke-operator', 'Take the operator role from the account with this email', 'is no operator', (b, email) => b.revokeOperator(email), '<email>', 'the account\'s email address');
  userChange('disable', 'Stop an account signing in, and end its sessions, grants and tokens', 'is already disabled', (b, id) => b.disableUser(id));
  userChange('enable', 'Let a disabled account sign in again', 'is not disabled', (b, id) => b.enableUser(id));

  users
    .command('create')
    .description('Create an account (prefer --password-stdin: a password in the command line lands in shell history)')
    .requiredOption('--email <email>', 'the account\'s email address')
    .addOption(new Option('--password <password>', 'the sign-in password').conflicts('passwordStdin'))
    .option('--password-stdin', 'read the password from standard input (one trailing newline is dropped)')
    .option('--json', 'print the account as JSON')
    .action(async (opts: { email: string; password?: string; passwordStdin?: boolean; json?: boolean }) => {
      if (opts.password === undefined && !opts.passwordStdin) throw usageError('users create: give --password-stdin or --password');
      const password = opts.passwordStdin ? await readPassword(io) : opts.password!;
      const user = await withBackend((b) => b.createUser({ email: opts.email, password }));
      print(opts.json, user, () => `Created user ${user.email} (${user.id}).\n`);
    });

  users
    .command('list')
    .description('List accounts, oldest first')
    .option('--limit <n>', 'at most this many (1-1000)', integer(1), 100)
    .option('--offset <n>', 'skip this many', integer(0), 0)
    .option('--json', 'print the accounts as a JSON array')
    .action(async (opts: { limit: number; offset: number; json?: boolean }) => {
      const page = await withBackend((b) => b.listUsers({ limit: opts.limit, offset: opts.offset }));
      print(opts.json, page.users, () => userList(page.users, page.offset));
    });

  users
    .command('delete')
    .description('Delete an account and its sessions, grants and tokens')
    .argument('<id>', 'the account id (a UUID, see users list)')
    .option('--json', 'print {"deleted": id} as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withBackend((b) => b.deleteUser(id));
      print(opts.json, { deleted: id }, () => `Deleted user ${id}.\n`);
    });

  // ---- keys ----------------------------------------------------------------
  const keys = program.command('keys').description('List and rotate the signing keys');

  keys
    .command('list')
    .description('List signing keys (ids only; key material never leaves the database)')
    .option('--json', 'print the keys as a JSON array')
    .action(async (opts: { json?: boolean }) => {
      const list = await withBackend((b) => b.listKeys());
      print(opts.json, list, () => keyList(list));
    });

  keys
    .command('rotate')
    .description('Retire the active keys and create new ones; retired keys stay published for 24 hours')
    .option('--json', 'print the key set after the rotation as a JSON array')
    .action(async (opts: { json?: boolean }) => {
      const list = await withBackend((b) => b.rotateKeys());
      print(opts.json, list, () => `Rotated the signing keys. New tokens are signed with the active keys.\n\n${keyList(list)}`);
    });

  // ---- audit ---------------------------------------------------------------
  program
    .command('audit')
    .description('Print the audit trail of administrative changes as JSON lines, oldest first')
    .option('--action <action>', 'one action (client.update) or a prefix ending in "." (client.)')
    .option('--actor <actor>', 'a kind (operator, admin_token, cli, registration), an account id, or part of an operator\'s email')
    .option('--target <id>', 'a client_id or account id')
    .option('--since <instant>', 'ISO 8601 date or date-time: events at or after it')
    .option('--until <instant>', 'ISO 8601 date or date-time: events before it')
    .action(async (opts: Record<string, string | undefined>) => {
      const filter = Object.fromEntries(Object.entries(opts).filter((e): e is [string, string] => e[1] !== undefined));
      io.stdout(await withBackend((b) => b.exportAudit(filter)));
    });

  // ---- migrate -------------------------------------------------------------
  program
    .command('migrate')
    .description('Apply pending database migrations')
    .option('--json', 'print {executed, applied, pending} as JSON')
    .action(async (opts: { json?: boolean }) => {
      const result = await withBackend((b) => b.migrate());
      print(opts.json, result, () => migrationReport(result));
    });

  return program;
}

/** Runs the CLI; returns the exit code. Expected errors are one line on stderr. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version asked for: success. Anything else commander refused is a usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      return 2;
    }
    if (error instanceof CliError) {
      io.stderr(`wathiqa: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`wathiqa: ${oneLine(message)}\n`);
    if (io.env.WATHIQA_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return 1;
  }
}
