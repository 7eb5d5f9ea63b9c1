/**
 * Tools for the zero-knowledge tests (DESIGN 2: "no plaintext, no unwrapped key
 * anywhere server-side"): a test server that records, on the server side, every
 * request it receives (method, URL, raw headers and the body bytes exactly as the
 * HTTP parser handed them over) and every log line; a dump of every row of every
 * table; and searches for secrets in all of that, in the encodings a leak could
 * take (UTF-8, Unicode normal forms, percent and form encoding, JSON escapes,
 * base64 and base64url at every alignment, hex), plus a search for any run of a
 * scan's plaintext bytes.
 */
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { createLogger } from '../../src/ops/logger.js';
import type { Engine } from './db.js';
import { startTestServer, type TestServer } from './server.js';

// ---------------------------------------------------------------- recording server

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  /** Header names and values, as received (rawHeaders). */
  rawHeaders: string[];
  /** The body's bytes, in the order the parser pushed them into the request stream. */
  body: Buffer;
}

export interface RecordingServer extends TestServer {
  /** Every request so far, in arrival order (the body fills in as it arrives). */
  readonly requests: RecordedRequest[];
  /** Every log line so far (pino JSON, level debug). */
  readonly logs: string[];
}

/**
 * Tees a request's body: the HTTP parser delivers each body chunk with
 * `req.push(chunk)` (node:_http_common parserOnBody), after the 'request' event,
 * so wrapping `push` on the instance sees every byte before any middleware can,
 * whether or not the app ever reads it (a body the app never reads is dumped by
 * Node, and then the recorded length falls short of Content-Length: the test
 * checks that too).
 */
function tee(req: IncomingMessage): RecordedRequest {
  if (req.readableLength > 0) throw new Error('zero-knowledge recorder: body bytes arrived before the request listener');
  const chunks: Buffer[] = [];
  const entry = {
    method: req.method ?? '',
    url: req.url ?? '',
    rawHeaders: [...req.rawHeaders],
    get body() {
      return Buffer.concat(chunks);
    },
  };
  const push = req.push;
  req.push = function (this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk !== null && chunk !== undefined) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array));
    }
    return push.call(this, chunk, encoding);
  };
  return entry;
}

/**
 * Like startTestServer, plus the recording: a request listener that tees every
 * request before the Koa app sees it, and a logger at level debug writing into
 * memory (`createLogger('debug', stream)`).
 */
export async function startRecordingServer(engine: Engine, overrides: Record<string, unknown> = {}): Promise<RecordingServer> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const requests: RecordedRequest[] = [];
  const server = await startTestServer(
    engine,
    { LOG_LEVEL: 'debug', ...overrides },
    { logger: createLogger('debug', stream), onRequest: (req) => requests.push(tee(req)) },
  );
  return { ...server, requests, logs };
}

/** A header of a recorded request (first occurrence, case-insensitive). */
export function recordedHeader(request: RecordedRequest, name: string): string | undefined {
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]!.toLowerCase() === name.toLowerCase()) return request.rawHeaders[i + 1];
  }
  return undefined;
}

// ---------------------------------------------------------------- database dump

export interface Part {
  label: string;
  bytes: Buffer;
}

export interface DatabaseDump {
  /** Table name → rows, every column; bytea as {bytea: base64}, bigint as text. */
  tables: Record<string, Record<string, unknown>[]>;
  /** JSON of every row of every table, and the raw bytes of every bytea value. */
  parts: Part[];
}

function plain(value: unknown, label: string, raw: Part[]): unknown {
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    raw.push({ label, bytes: Buffer.from(bytes) });
    return { bytea: bytes.toString('base64') };
  }
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((v, i) => plain(v, `${label}[${i}]`, raw));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, `${label}.${k}`, raw)]));
  }
  return value;
}

/** Every row of every table of the current schema (the test's own schema on PostgreSQL). */
export async function dumpDatabase(db: Kysely<any>): Promise<DatabaseDump> {
  const { rows: names } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'
    order by table_name`.execute(db);
  const tables: DatabaseDump['tables'] = {};
  const parts: Part[] = [];
  for (const { table_name: name } of names) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
    const raw: Part[] = [];
    tables[name] = rows.map((row, i) => plain(row, `db ${name}[${i}]`, raw) as Record<string, unknown>);
    parts.push({ label: `db ${name} (JSON)`, bytes: Buffer.from(JSON.stringify(tables[name])) }, ...raw.map((p) => ({ ...p, label: `${p.label} (bytea)` })));
  }
  return { tables, parts };
}

// ---------------------------------------------------------------- needles

export interface Needle {
  label: string;
  bytes: Buffer;
}

/**
 * The base64 and base64url text that encodes `bytes` wherever they sit in a larger
 * encoded message: for each of the three alignments, the characters that depend
 * on these bytes only.
 */
export function base64Cores(bytes: Uint8Array): string[] {
  const out = new Set<string>();
  for (const shift of [0, 1, 2]) {
    const text = Buffer.concat([Buffer.alloc(shift), Buffer.from(bytes), Buffer.alloc(3)]).toString('base64');
    const core = text.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
    out.add(core);
    out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...out];
}

/** Raw bytes and their text encodings: base64/base64url (every alignment), hex in both cases. */
export function byteForms(label: string, bytes: Uint8Array): Needle[] {
  const buffer = Buffer.from(bytes);
  const hex = buffer.toString('hex');
  return [
    { label: `${label} (raw)`, bytes: buffer },
    ...base64Cores(buffer).map((core, i) => ({ label: `${label} (base64 form ${i})`, bytes: Buffer.from(core) })),
    { label: `${label} (hex)`, bytes: Buffer.from(hex) },
    { label: `${label} (HEX)`, bytes: Buffer.from(hex.toUpperCase()) },
  ];
}

const jsonEscaped = (text: string) => text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * A typed secret as a leak could carry it: UTF-8 as typed, NFC, NFKC, percent
 * encoded, form encoded, JSON with \u escapes, and each of those UTF-8 forms in
 * base64/base64url (every alignment) and hex.
 */
export function textForms(label: string, text: string): Needle[] {
  const variants = new Map<string, string>();
  const add = (how: string, value: string) => {
    if (value.length > 0 && ![...variants.values()].includes(value)) variants.set(how, value);
  };
  for (const [how, form] of [['typed', text], ['NFC', text.normalize('NFC')], ['NFKC', text.normalize('NFKC')]] as const) {
    add(how, form);
    add(`${how}, percent-encoded`, encodeURIComponent(form));
    add(`${how}, form-encoded`, new URLSearchParams({ x: form }).toString().slice(2));
    add(`${how}, JSON \\u escapes`, jsonEscaped(form));
  }
  const needles: Needle[] = [];
  for (const [how, value] of variants) {
    const utf8 = Buffer.from(value, 'utf8');
    needles.push({ label: `${label} (${how})`, bytes: utf8 });
    if (how === 'typed' || how === 'NFKC' || how === 'NFC') needles.push(...byteForms(`${label} (${how})`, utf8).slice(1));
  }
  return needles;
}

/** Which needles occur in which parts: "needle label ← part label" for each hit. */
export function findNeedles(parts: readonly Part[], needles: readonly Needle[]): string[] {
  const hits: string[] = [];
  for (const needle of needles) {
    if (needle.bytes.length === 0) continue;
    for (const part of parts) if (part.bytes.includes(needle.bytes)) hits.push(`${needle.label} ← ${part.label}`);
  }
  return hits;
}

// ---------------------------------------------------------------- runs of a scan

/**
 * Every 16-byte window of every part, at every offset, in a Set (as 16-character
 * latin1 strings: the same index as hex strings, half the memory). A run of
 * `run` ≥ 16 bytes of some needle occurs in a part only if the run's first and
 * last 16-byte windows are both in the Set; candidates are confirmed with an
 * exact search, so the answer has no false positives and misses nothing.
 */
export class WindowIndex {
  static readonly WIDTH = 16;
  private readonly windows = new Set<string>();

  constructor(private readonly parts: readonly Part[]) {
    const w = WindowIndex.WIDTH;
    for (const { bytes } of parts) for (let i = 0; i + w <= bytes.length; i++) this.windows.add(bytes.toString('latin1', i, i + w));
  }

  get size(): number {
    return this.windows.size;
  }

  /** The first run of `run` bytes of `needle` found in a part, or undefined. */
  findRun(needle: Uint8Array, run = 32): { offset: number; part: string } | undefined {
    const w = WindowIndex.WIDTH;
    if (run < w) throw new RangeError(`run must be at least ${w} bytes`);
    const buffer = Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength);
    for (let o = 0; o + run <= buffer.length; o++) {
      if (!this.windows.has(buffer.toString('latin1', o, o + w))) continue;
      if (!this.windows.has(buffer.toString('latin1', o + run - w, o + run))) continue;
      const piece = buffer.subarray(o, o + run);
      const part = this.parts.find((p) => p.bytes.includes(piece));
      if (part) return { offset: o, part: part.label };
    }
    return undefined;
  }
}

/**
 * A scan in the forms a leak could take, each searched for runs: the raw bytes
 * (32-byte runs), base64/base64url at each alignment (43-character runs, 32 bytes'
 * worth) and hex (64-character runs).
 */
export function findScanRuns(index: WindowIndex, scan: Uint8Array): string[] {
  const hits: string[] = [];
  const raw = index.findRun(scan, 32);
  if (raw) hits.push(`32 bytes of the scan at offset ${raw.offset} ← ${raw.part}`);
  for (const shift of [0, 1, 2]) {
    const text = Buffer.concat([Buffer.alloc(shift), Buffer.from(scan)]).toString('base64');
    for (const [name, form] of [['base64', text], ['base64url', text.replace(/\+/g, '-').replace(/\//g, '_')]] as const) {
      const hit = index.findRun(Buffer.from(form), 43);
      if (hit) hits.push(`43 characters of the scan's ${name} (alignment ${shift}) at ${hit.offset} ← ${hit.part}`);
    }
  }
  const hex = Buffer.from(scan).toString('hex');
  for (const form of [hex, hex.toUpperCase()]) {
    const hit = index.findRun(Buffer.from(form), 64);
    if (hit) hits.push(`64 characters of the scan's hex at ${hit.offset} ← ${hit.part}`);
  }
  return hits;
}
