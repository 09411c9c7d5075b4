// Restores a dump, whole or table by table, refusing to collide with data and reporting every ignored error as a failure.
//
// The table list is planned from the table of contents (`buildRestoreList`), the target is checked before
// anything changes, and pg_restore or psql run with progress and cancellation.
import * as fs from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { formatQualifiedName, quoteIdentAlways, type QualifiedName } from '../postgres/names';
import type { ConnectionParams } from '../profiles/types';
import { runTool, type RunResult } from '../platform/runner';
import { privateTempDir } from '../platform/reaper';
import { checkIntegrity } from './integrity';
import { getServerInfo, withClient } from '../postgres/server';
import { chooseTool, type FoundTool, type ToolInventory } from '../platform/tools';
import { detectDumpFormat, dumpedByMajor, readIdentifierChain, readToc, readTocHeader, RELATION_DESCS, type Toc, type TocEntry } from './toc';
import type { DumpFormat } from './manifest';
import { pgRestoreOptionArgs, refuseSelfConnectingScript, validateRestore, type RestoreChoices } from './restoreOptions';
export { RESTORE_OPTION_HELP, type RestoreChoices } from './restoreOptions';

// ---------------------------------------------------------------------------------------------
// The -L list for chosen tables

export interface RestoreList {
  /** The entries to restore, in archive order (pg_restore restores a list in its order). */
  entries: TocEntry[];
  /** The list file's text: one `pg_restore --list` line per entry. */
  text: string;
}

/** Kinds that belong to a table and are restored with it (its `table` names it). */
const BELONGS_TO_TABLE = new Set(['CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'INDEX', 'TRIGGER', 'RULE', 'POLICY', 'ROW SECURITY', 'DEFAULT', 'STATISTICS']);
const DATA_DESCS = new Set(['TABLE DATA', 'MATERIALIZED VIEW DATA']);
/** Entries about another entry: restored when what they describe is. */
const ABOUT_ANOTHER = new Set(['COMMENT', 'ACL', 'SECURITY LABEL']);

const key = (schema: string | null, name: string) => `${schema ?? ''}\0${name}`;

/**
 * The `pg_restore -L` list that restores exactly the chosen tables: each TABLE and its TABLE DATA,
 * its constraints and foreign keys, indexes, triggers, rules, policies, column defaults, extended
 * statistics, the sequences it owns (with their OWNED BY and SET entries), and the comments, ACLs and
 * security labels on all of those. Dependencies from the archive decide what belongs to what; a list
 * read without them falls back on names. With `dataOnly`, only the rows and the owned sequences' values.
 */
export function buildRestoreList(
  entries: readonly TocEntry[],
  tables: readonly QualifiedName[],
  opts: { dataOnly?: boolean; schemas?: readonly string[] } = {},
): RestoreList {
  if (entries.some((e) => e.dumpId === null)) {
    throw new PgbrError('usage', 'restoring chosen tables needs a custom, directory or tar dump: a plain SQL dump has no table of contents pg_restore can pick from.');
  }
  const relations = new Map<string, TocEntry>();
  for (const e of entries) if (RELATION_DESCS.has(e.desc)) relations.set(key(e.schema, e.tag), e);

  const roots: TocEntry[] = [];
  for (const t of tables) {
    const found = relations.get(key(t.schema, t.name));
    if (!found) throw new PgbrError('usage', notInDumpMessage(t, [...relations.values()]));
    if (!roots.includes(found)) roots.push(found);
  }
  const rootIds = new Set(roots.map((r) => r.dumpId!));
  const rootKeys = new Set(roots.map((r) => key(r.schema, r.tag)));
  const hasDeps = entries.some((e) => e.dependencies !== undefined);
  const dependsOn = (e: TocEntry, ids: Set<number>) => (e.dependencies ?? []).some((d) => ids.has(d));
  const ofRoot = (e: TocEntry) => e.table !== undefined && rootKeys.has(key(e.schema, e.table));

  const byId = new Map(entries.map((e) => [e.dumpId!, e]));
  const chosen = new Set<number>();
  const sequences = new Set<number>();
  const sequenceKeys = new Set<string>();
  for (const e of entries) {
    const id = e.dumpId!;
    if (RELATION_DESCS.has(e.desc)) {
      if (rootIds.has(id) && !opts.dataOnly) chosen.add(id);
    } else if (DATA_DESCS.has(e.desc)) {
      if (hasDeps ? dependsOn(e, rootIds) : rootKeys.has(key(e.schema, e.tag))) chosen.add(id);
    } else if (e.desc === 'SEQUENCE') {
      // A sequence a table owns (serial, identity) depends on the table in the archive.
      if (hasDeps ? dependsOn(e, rootIds) : ofRoot(e)) {
        sequences.add(id);
        sequenceKeys.add(key(e.schema, e.tag));
        if (!opts.dataOnly) chosen.add(id);
      }
    } else if (BELONGS_TO_TABLE.has(e.desc)) {
      // `table` comes from the entry's drop statement or its dependencies (see toc.ts).
      if (!opts.dataOnly && ofRoot(e)) chosen.add(id);
    } else if (e.desc === 'TABLE ATTACH') {
      // Attaching a partition needs both the partition and its parent in the restore.
      const relationDeps = (e.dependencies ?? []).filter((d) => RELATION_DESCS.has(byId.get(d)?.desc ?? ''));
      if (!opts.dataOnly && relationDeps.length > 0 && relationDeps.every((d) => rootIds.has(d))) chosen.add(id);
    }
  }
  if (!hasDeps) {
    // Without dependencies, a serial column's sequence is found through its DEFAULT: <table>_<column>_seq.
    for (const e of entries) {
      if (e.desc !== 'DEFAULT' || !ofRoot(e)) continue;
      const seq = entries.find((s) => s.desc === 'SEQUENCE' && s.schema === e.schema && s.tag === `${e.table}_${e.name}_seq`);
      if (seq && !sequences.has(seq.dumpId!)) {
        sequences.add(seq.dumpId!);
        sequenceKeys.add(key(seq.schema, seq.tag));
        if (!opts.dataOnly) chosen.add(seq.dumpId!);
      }
    }
  }
  // Schemas the target lacks come from the dump's own SCHEMA entries, so their owner, grants and comment come too.
  const schemaKeys = new Set(opts.dataOnly ? [] : (opts.schemas ?? []));
  for (const e of entries) if (e.desc === 'SCHEMA' && schemaKeys.has(e.tag)) chosen.add(e.dumpId!);
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE OWNED BY' && e.desc !== 'SEQUENCE SET') continue;
    if (e.desc === 'SEQUENCE OWNED BY' && opts.dataOnly) continue;
    if (hasDeps ? dependsOn(e, sequences) : sequenceKeys.has(key(e.schema, e.tag))) chosen.add(e.dumpId!);
  }
  if (!opts.dataOnly) {
    for (const e of entries) {
      if (!ABOUT_ANOTHER.has(e.desc)) continue;
      const about = hasDeps
        ? (e.dependencies ?? []).some((d) => chosen.has(d) && byId.get(d)?.desc !== 'ACL')
        : describesChosen(e, rootKeys, sequenceKeys, schemaKeys, entries.filter((x) => chosen.has(x.dumpId!)));
      if (about) chosen.add(e.dumpId!);
    }
  }
  const picked = entries.filter((e) => chosen.has(e.dumpId!));
  return { entries: picked, text: picked.map((e) => e.rawLine).join('\n') + '\n' };
}

/**
 * Leaves out the foreign keys that cannot be created: those of chosen tables whose referenced table is
 * neither among the chosen ones nor in the target (`present`). Comments on them go too. Each one left
 * out gets a warning that says what to do, so the restore still succeeds honestly for what it restored.
 */
export function withoutDanglingForeignKeys(
  list: RestoreList,
  tables: readonly QualifiedName[],
  present: (t: QualifiedName) => boolean,
): { list: RestoreList; warnings: string[]; left: TocEntry[] } {
  const chosen = new Set(tables.map((t) => key(t.schema, t.name)));
  const left = list.entries.filter(
    (e) => e.desc === 'FK CONSTRAINT' && e.references !== undefined && !chosen.has(key(e.references.schema, e.references.name)) && !present(e.references),
  );
  if (left.length === 0) return { list, warnings: [], left };
  const ids = new Set(left.map((e) => e.dumpId));
  const entries = list.entries.filter((e) => !ids.has(e.dumpId) && !(ABOUT_ANOTHER.has(e.desc) && (e.dependencies ?? []).some((d) => ids.has(d))));
  const warnings = left.map((e) => {
    const ref = fmtName(e.references!);
    return `foreign key ${quoteIdentAlways(e.name)} on ${fmtName({ schema: e.schema ?? '', name: e.table ?? '' })} was not restored: it references ${ref}, which is neither restored nor in the target. Restore ${ref} too, then add the constraint again.`;
  });
  return { list: { entries, text: entries.map((e) => e.rawLine).join('\n') + '\n' }, warnings, left };
}

/** Why a table is not in the dump, with the names that differ only in case or schema. */
function notInDumpMessage(t: QualifiedName, relations: TocEntry[]): string {
  const wanted = t.name.toLowerCase();
  const near = relations.filter((r) => r.tag.toLowerCase() === wanted).map((r) => `${quoteIdentAlways(r.schema ?? '')}.${quoteIdentAlways(r.tag)}`);
  const hint = near.length > 0 ? ` Did you mean ${near.join(' or ')}? Quote names that have capitals or special characters.` : ' List the tables in it with pgbr toc.';
  return `table ${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)} is not in this dump.${hint}`;
}

/** Schemas PostgreSQL creates itself or that no dump restores into. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

export interface NeededSchema {
  name: string;
  /** The dump's SCHEMA entry, when it has one (a dump made with --table has none). */
  entry?: TocEntry;
}

/**
 * The schemas the restored entries live in, each with the dump's SCHEMA entry when there is one.
 * `public` counts as having none: pg_dump 15+ writes its entry without a CREATE (initdb makes it).
 */
export function schemasNeeded(all: readonly TocEntry[], restored: readonly TocEntry[]): NeededSchema[] {
  const entries = new Map<string, TocEntry>();
  for (const e of all) if (e.desc === 'SCHEMA' && e.schema === null && e.tag !== 'public') entries.set(e.tag, e);
  const names = new Set<string>();
  for (const e of restored) if (e.schema !== null && !SYSTEM_SCHEMAS.has(e.schema) && !e.schema.startsWith('pg_temp')) names.add(e.schema);
  return [...names].map((name) => {
    const entry = entries.get(name);
    return entry ? { name, entry } : { name };
  });
}

/**
 * For lists without dependencies: whether a COMMENT/ACL tag (`TABLE "Order""s"`, `COLUMN t.c`,
 * `CONSTRAINT c ON t`, `SEQUENCE s`, `INDEX i`) describes a chosen table or something of it.
 */
function describesChosen(e: TocEntry, rootKeys: Set<string>, sequenceKeys: Set<string>, schemaKeys: Set<string>, chosen: TocEntry[]): boolean {
  const m = /^([A-Z]+(?: [A-Z]+)*) /.exec(e.tag);
  if (!m) return false;
  const kind = m[1]!;
  const object = readIdentifierChain(e.tag, m[0].length);
  if (!object) return false;
  const first = object.parts[0]!;
  if (kind === 'SCHEMA') return e.schema === null && schemaKeys.has(first);
  if (kind === 'COLUMN') return rootKeys.has(key(e.schema, first));
  if (RELATION_DESCS.has(kind)) return rootKeys.has(key(e.schema, first));
  if (kind === 'SEQUENCE') return sequenceKeys.has(key(e.schema, first));
  const on = / ON /.exec(e.tag.slice(object.end)) ? readIdentifierChain(e.tag, object.end + 4) : undefined;
  if (on) return rootKeys.has(key(e.schema, on.parts.at(-1)!));
  if (kind === 'INDEX') return chosen.some((c) => c.desc === 'INDEX' && c.schema === e.schema && c.tag === first);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Where a dump came from

export interface DatabaseLocation {
  host?: string;
  port?: number;
  database?: string;
  /** A table-of-contents header names the database only. */
  dbname?: string;
}

const DEFAULT_PORT = 5432;

function sameHost(a: string | undefined, b: string | undefined): boolean {
  const norm = (h: string | undefined) => {
    const v = (h ?? '').trim().toLowerCase();
    // A socket folder, localhost and the loopback addresses all reach the local server.
    return v === '' || v === 'localhost' || v === '127.0.0.1' || v === '::1' || v.startsWith('/') ? 'local' : v;
  };
  return norm(a) === norm(b);
}

/**
 * Whether restoring into `target` means restoring into the very database the dump came from (same
 * host, port and name), so the caller can ask first. A source that names only its database (a TOC
 * header without a manifest) counts as the same when the names match: better one question too many.
 */
export function isSameDatabase(source: DatabaseLocation, target: { host?: string; port?: number; database: string }): boolean {
  const sourceDb = source.database ?? source.dbname;
  if (sourceDb === undefined || sourceDb !== target.database) return false;
  if (source.host === undefined && source.port === undefined) return true;
  return sameHost(source.host, target.host) && (source.port ?? DEFAULT_PORT) === (target.port ?? DEFAULT_PORT);
}

// ---------------------------------------------------------------------------------------------
// Running a restore

export interface RestoreProgress {
  /** Items done so far: objects created, tables loaded, sequence values set, statements run. */
  done: number;
  /** Items expected; 0 when unknown (a plain SQL dump). */
  total: number;
  /** What the tool just did, in its words: `creating TABLE "public.orders"`. */
  item: string;
}

export interface RestoreOptions extends RestoreChoices {
  dumpPath: string;
  /** The server to restore into; its `database` is only where CREATE DATABASE is run from. */
  connection: ConnectionParams;
  password?: string;
  /** The database to restore into. */
  database: string;
  inventory: ToolInventory;
  /** The table of contents, when the caller has read it already. */
  toc?: Toc;
  /** Where to write the tool's full output as well. */
  logFile?: string;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  /** Restore without comparing the dump's files with its manifest's sha256 first (the user chose to). */
  skipChecksum?: boolean;
}

/** Whether the dump's bytes were proven against its manifest before the restore. */
export type ChecksumState = 'intact' | 'no-manifest' | 'skipped';

export interface RestoreResult {
  status: 'succeeded' | 'failed' | 'cancelled';
  checksum: ChecksumState;
  dumpPath: string;
  format: DumpFormat;
  database: string;
  /** The database was created by this restore (and is left in place, even when the restore failed). */
  created: boolean;
  tool: { name: 'pg_restore' | 'psql'; path: string; version: string };
  tables?: QualifiedName[];
  itemsDone: number;
  itemsTotal: number;
  /** The first errors the tool reported, each with the TOC entry it was working on when it says. */
  errors: string[];
  /** pg_restore's `errors ignored on restore: N`, or the ERROR lines psql printed. */
  errorsIgnored: number;
  /** One or two sentences: what happened and, on failure, what to do next. */
  message: string;
  /** Everything the tool wrote to stderr (pg_restore --verbose), cut at LOG_LIMIT characters. */
  log: string;
  logTruncated: boolean;
  logFile?: string;
  /** Options that did not apply to this dump and were ignored. */
  warnings: string[];
  durationMs: number;
  /** The run was cut short from outside (the tool killed, the server gone): the failure says nothing about the dump. */
  interrupted?: string;
}

const FIRST_ERRORS = 10;
const LOG_LIMIT = 8 * 1024 * 1024;
const CORRUPT_PATTERNS =
  /could not read from input file|unexpected end of file|end of file|did not find magic string|corrupt|could not find block ID|could not uncompress data|invalid (?:stored block|distance|code|block type)|incorrect header check|could not read input file|could not open input file|unrecognized data block type|file offset in dump file is too large|expected format .* differs/i;

/** `dbname='my db'` for -d: a name with `=` or a URI prefix would otherwise be read as a connection string. */
export function dbnameConninfo(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** One line per item of a restore's verbose output: pg_restore's `creating`, `processing data`, `executing`. */
const PG_RESTORE_ITEM = /^pg_restore: (creating .*|processing data for table .*|executing .*)$/;

/**
 * Restores a dump into a database. Refuses (PgbrError) before touching anything when the target holds
 * objects the dump would collide with; otherwise runs the tool and returns what happened, where any
 * error, ignored or not, makes the result `failed`.
 */
export async function runRestore(opts: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  // A damaged dump restores damaged rows without a word from pg_restore: its bytes are proven first.
  let checksum: ChecksumState = 'skipped';
  if (!opts.skipChecksum) {
    const integrity = await checkIntegrity(opts.dumpPath, { signal: opts.signal, logger: opts.logger });
    if (integrity.status === 'damaged') throw new PgbrError('damaged', `${integrity.message} Nothing was restored: use another copy of the dump.`);
    checksum = integrity.status;
  }
  const quick = opts.toc ? { toc: opts.toc, complete: true } : await readTocQuick(opts.dumpPath);
  const toc = quick.toc;
  const { format, gzip } = toc;
  validateRestore(opts, format, gzip);
  if (format === 'plain') await refuseSelfConnectingScript(opts.dumpPath, gzip, opts.database);
  const tables = [...(opts.tables ?? [])];
  const warnings: string[] = [];
  if (format === 'plain' && opts.noOwner) warnings.push('no-owner does not apply to a plain SQL dump: it sets owners as it was written.');
  if (format === 'plain' && opts.noPrivileges) warnings.push('no-privileges does not apply to a plain SQL dump: it grants as it was written.');

  const maintenance = opts.connection.database || 'postgres';
  const target: ConnectionParams = { ...opts.connection, database: opts.database };
  const where = `database "${opts.database}"`;

  // Look at the server and the target before anything is changed.
  const { serverMajor, exists } = await withClient(opts.connection, { password: opts.password, database: maintenance }, async (c) => {
    const info = await getServerInfo(c);
    const found = await c.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [opts.database]);
    return { serverMajor: info.major, exists: (found.rowCount ?? 0) > 0 };
  });
  if (opts.create && exists) {
    throw new PgbrError('usage', `${where} already exists: restore into it without create, or choose a new name.`);
  }
  if (!opts.create && !exists) {
    throw new PgbrError('usage', `${where} does not exist: create it first, or restore with create.`);
  }

  const tool = pickTool(opts.inventory, format, serverMajor, toc);
  // A TOC read by another route (pg_restore --list) is what the table choice below must use.
  const fullToc = quick.complete ? toc : await readToc(opts.dumpPath, { pgRestore: tool.path, logger: opts.logger, signal: opts.signal });

  let list: RestoreList | undefined;
  if (tables.length > 0) list = buildRestoreList(fullToc.entries, tables, { dataOnly: opts.dataOnly });
  const recreate = tables.length > 0 && (opts.recreate || opts.clean);

  if (exists) {
    await withClient(target, { password: opts.password }, async (c) => {
      if (tables.length > 0) await checkTablesTarget(c, tables, { dataOnly: !!opts.dataOnly, recreate: !!recreate, where });
      else if (opts.dataOnly) await checkDataOnlyTarget(c, fullToc, where);
      else if (!opts.clean) await checkEmpty(c, where);
    });
  }

  let created = false;
  if (opts.create) {
    await withClient(opts.connection, { password: opts.password, database: maintenance }, (c) => createDatabase(c, opts.database));
    created = true;
  }

  // Schemas the restore needs and the target lacks: the dump's SCHEMA entries where it has them (a whole
  // dump restores those itself), else created here, owned by the restoring user. Data-only needs none.
  if (!opts.dataOnly && format !== 'plain') {
    const needed = schemasNeeded(fullToc.entries, list ? list.entries : fullToc.entries);
    if (needed.length > 0) {
      const made = await withClient(target, { password: opts.password }, (c) => createMissingSchemas(c, needed, { fromDump: !!list }));
      if (list && made.fromDump.length > 0) list = buildRestoreList(fullToc.entries, tables, { schemas: made.fromDump });
      for (const w of made.warnings) {
        warnings.push(w);
        opts.logger?.warn(w);
      }
    }
  }
  if (opts.dataOnly) {
    const emptied = tables.length > 0 ? tables : dumpTables(fullToc);
    await truncateTables(target, opts.password, emptied, where);
  }

  if (list && !opts.dataOnly) {
    const referenced = list.entries.filter((e) => e.desc === 'FK CONSTRAINT' && e.references).map((e) => e.references!);
    const present = exists && referenced.length > 0 ? await withClient(target, { password: opts.password }, (c) => existingTables(c, referenced)) : new Set<string>();
    const checked = withoutDanglingForeignKeys(list, tables, (t) => present.has(key(t.schema, t.name)));
    list = checked.list;
    warnings.push(...checked.warnings);
    for (const w of checked.warnings) opts.logger?.warn(w);
  }

  // The tools roll the whole restore back on an error when it runs in one transaction (pg_restore's
  // --single-transaction implies --exit-on-error; psql runs with ON_ERROR_STOP).
  const oneTransaction = format === 'plain' ? !!opts.singleTransaction : isOneTransaction(opts, !!recreate);
  const run = format === 'plain' ? runPsql(opts, tool, target, gzip) : runPgRestore(opts, tool, list, fullToc, { recreate: !!recreate });
  const outcome = await run;
  const durationMs = Math.round(performance.now() - started);
  const result: RestoreResult = {
    status: outcome.status,
    checksum,
    dumpPath: opts.dumpPath,
    format,
    database: opts.database,
    created,
    tool: { name: tool.name as 'pg_restore' | 'psql', path: tool.path, version: tool.version },
    ...(tables.length > 0 ? { tables } : {}),
    itemsDone: outcome.itemsDone,
    itemsTotal: outcome.itemsTotal,
    errors: outcome.errors,
    errorsIgnored: outcome.errorsIgnored,
    message: '',
    log: outcome.log,
    logTruncated: outcome.logTruncated,
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    warnings,
    durationMs,
    ...(outcome.interrupted ? { interrupted: outcome.interrupted } : {}),
  };
  result.message = describeOutcome(result, outcome.runMessage, { oneTransaction, recreate: !!recreate });
  if (opts.logFile) await fs.writeFile(opts.logFile, outcome.log, { mode: 0o600 });
  opts.logger?.info(`restore of ${opts.dumpPath} into ${opts.database}: ${result.status} (${result.message})`);
  return result;
}

/**
 * Creates the needed schemas the target does not have and the dump cannot create. With `fromDump` (a
 * table restore), those the dump has a SCHEMA entry for are returned instead, for the restore list;
 * a whole restore creates those itself.
 */
async function createMissingSchemas(c: pg.Client, needed: readonly NeededSchema[], o: { fromDump: boolean }): Promise<{ fromDump: string[]; warnings: string[] }> {
  const r = await c.query<{ nspname: string | null; me: string }>(
    'SELECT n.nspname, current_user AS me FROM unnest($1::text[]) AS want(name) LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = want.name',
    [needed.map((s) => s.name)],
  );
  const present = new Set(r.rows.flatMap((row) => (row.nspname === null ? [] : [row.nspname])));
  const me = r.rows[0]?.me ?? 'the restoring user';
  const fromDump: string[] = [];
  const warnings: string[] = [];
  for (const schema of needed) {
    if (present.has(schema.name)) continue;
    if (schema.entry) {
      if (o.fromDump) fromDump.push(schema.name);
      continue;
    }
    try {
      await c.query(`CREATE SCHEMA ${quoteIdentAlways(schema.name)}`);
    } catch (e) {
      throw new PgbrError('auth', `could not create schema ${quoteIdentAlways(schema.name)}, which the restored tables need: ${(e as Error).message}. Create it first, or restore as a role that may.`, { cause: e });
    }
    warnings.push(
      `schema ${quoteIdentAlways(schema.name)} is not in the dump (it was made with chosen tables), so it was created owned by ${quoteIdentAlways(me)}: set its owner and grants if others use it (ALTER SCHEMA ${quoteIdentAlways(schema.name)} OWNER TO …).`,
    );
  }
  return { fromDump, warnings };
}

/**
 * CREATE DATABASE from template0 (a restore must start from nothing, not from whatever was added to
 * template1), with a message that says what to do when the role may not create databases.
 */
export async function createDatabase(c: pg.Client, name: string): Promise<void> {
  try {
    await c.query(`CREATE DATABASE ${quoteIdentAlways(name)} TEMPLATE template0`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = (e as Error).message;
    if (code === '42501') {
      throw new PgbrError('auth', `could not create database "${name}": ${why}. Use a role with CREATEDB, or create the database first.`, { cause: e });
    }
    throw new PgbrError('usage', `could not create database "${name}": ${why}.`, { cause: e });
  }
}

/**
 * The dump's format and, for archives, its table of contents. A plain dump is not scanned (the restore
 * reads it anyway); an archive only pg_restore can list is read again once a pg_restore is chosen.
 */
async function readTocQuick(dumpPath: string): Promise<{ toc: Toc; complete: boolean }> {
  const detected = await detectDumpFormat(dumpPath);
  const bare: Toc = { path: dumpPath, ...detected, header: {}, entries: [], source: detected.format === 'plain' ? 'plain scan' : 'pg_restore --list' };
  if (detected.format === 'plain') return { toc: bare, complete: true };
  try {
    return { toc: await readToc(dumpPath), complete: true };
  } catch (e) {
    if (e instanceof PgbrError && e.kind === 'tool-missing') return { toc: { ...bare, header: (await readTocHeader(dumpPath)) ?? {} }, complete: false };
    throw e;
  }
}

function pickTool(inv: ToolInventory, format: DumpFormat, serverMajor: number, toc: Toc): FoundTool {
  if (format === 'plain') return chooseTool(inv, 'psql', serverMajor);
  const dumpMajor = dumpedByMajor(toc.header);
  if (dumpMajor !== undefined && dumpMajor > serverMajor) {
    // pg_restore must also read the archive, which a pg_restore older than its pg_dump may not.
    try {
      return chooseTool(inv, 'pg_restore', dumpMajor);
    } catch (e) {
      if (e instanceof PgbrError && e.kind === 'tool-version') {
        throw new PgbrError('tool-version', `this dump was made by pg_dump ${dumpMajor}, which pg_restore ${toolMajors(inv)} cannot read: install the version ${dumpMajor} client tools or set pgBackup.binPath.`);
      }
      throw e;
    }
  }
  return chooseTool(inv, 'pg_restore', serverMajor);
}

function toolMajors(inv: ToolInventory): string {
  const majors = inv.installs.filter((i) => i.tools.pg_restore).map((i) => i.major);
  return majors.length ? majors.join('/') : '(none)';
}

/** The relations of a dump that hold rows: what a whole data-only restore empties and loads. */
function dumpTables(toc: Toc): QualifiedName[] {
  const withData = new Set(toc.entries.filter((e) => e.desc === 'TABLE DATA').map((e) => key(e.schema, e.tag)));
  return toc.entries
    .filter((e) => e.desc === 'TABLE' && withData.has(key(e.schema, e.tag)))
    .map((e) => ({ schema: e.schema ?? 'public', name: e.tag }));
}

const fmtName = (t: QualifiedName) => `${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)}`;

/** A database is empty when no table, view, sequence or foreign table lives in a non-system schema (extension objects aside). */
async function checkEmpty(c: pg.Client, where: string): Promise<void> {
  const r = await c.query<{ nspname: string; relname: string; total: string }>(
    `SELECT n.nspname, cl.relname, count(*) OVER () AS total
       FROM pg_catalog.pg_class cl
       JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
      WHERE cl.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = cl.oid AND d.deptype = 'e')
      ORDER BY 1, 2
      LIMIT 3`,
  );
  const first = r.rows[0];
  if (!first) return;
  const examples = r.rows.map((row) => fmtName({ schema: row.nspname, name: row.relname })).join(', ');
  throw new PgbrError(
    'usage',
    `${where} is not empty (${first.total} relations, e.g. ${examples}): restore with clean to replace the dump's objects, or into a new database with create.`,
  );
}

async function existingTables(c: pg.Client, tables: readonly QualifiedName[]): Promise<Set<string>> {
  const r = await c.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, cl.relname
       FROM pg_catalog.pg_class cl
       JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
       JOIN unnest($1::text[], $2::text[]) AS want(nspname, relname) ON want.nspname = n.nspname AND want.relname = cl.relname`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return new Set(r.rows.map((row) => key(row.nspname, row.relname)));
}

async function checkTablesTarget(c: pg.Client, tables: readonly QualifiedName[], o: { dataOnly: boolean; recreate: boolean; where: string }): Promise<void> {
  const existing = await existingTables(c, tables);
  for (const t of tables) {
    const there = existing.has(key(t.schema, t.name));
    if (o.dataOnly && !there) {
      throw new PgbrError('usage', `table ${fmtName(t)} does not exist in ${o.where}, so there is nothing to load rows into: restore it without data-only.`);
    }
    if (!o.dataOnly && !o.recreate && there) {
      throw new PgbrError(
        'usage',
        `table ${fmtName(t)} already exists in ${o.where}: choose data-only (empty it and load the dump's rows) or recreate (drop it and restore it from the dump).`,
      );
    }
  }
}

async function checkDataOnlyTarget(c: pg.Client, toc: Toc, where: string): Promise<void> {
  const tables = dumpTables(toc);
  const existing = await existingTables(c, tables);
  const missing = tables.filter((t) => !existing.has(key(t.schema, t.name)));
  if (missing.length > 0) {
    throw new PgbrError(
      'usage',
      `${missing.length} table(s) of the dump do not exist in ${where} (e.g. ${missing.slice(0, 3).map(fmtName).join(', ')}): a data-only restore needs them; restore the schema first.`,
    );
  }
}

/** A foreign key from a table that is not emptied to one that is: TRUNCATE refuses it. */
export interface TruncateBlocker {
  /** The table the key is on, which keeps its rows. */
  referencing: QualifiedName;
  /** The chosen table it points at. */
  referenced: QualifiedName;
  constraint: string;
}

/**
 * The foreign keys that make `TRUNCATE` of exactly these tables impossible: keys of other tables that
 * point at one of them. Keys among the chosen tables do not count (one statement empties them all).
 */
export async function truncateBlockers(c: pg.Client, tables: readonly QualifiedName[]): Promise<TruncateBlocker[]> {
  if (tables.length === 0) return [];
  const r = await c.query<{ ref_schema: string; ref_table: string; tgt_schema: string; tgt_table: string; conname: string }>(
    `WITH chosen AS (
       SELECT cl.oid FROM pg_catalog.pg_class cl
         JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
         JOIN unnest($1::text[], $2::text[]) AS want(nspname, relname) ON want.nspname = n.nspname AND want.relname = cl.relname)
     SELECT rn.nspname AS ref_schema, rc.relname AS ref_table, tn.nspname AS tgt_schema, tc.relname AS tgt_table, con.conname
       FROM pg_catalog.pg_constraint con
       JOIN pg_catalog.pg_class rc ON rc.oid = con.conrelid
       JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
       JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
       JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE con.contype = 'f'
        AND con.confrelid IN (SELECT oid FROM chosen)
        AND con.conrelid NOT IN (SELECT oid FROM chosen)
      ORDER BY 1, 2, 5`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return r.rows.map((row) => ({
    referencing: { schema: row.ref_schema, name: row.ref_table },
    referenced: { schema: row.tgt_schema, name: row.tgt_table },
    constraint: row.conname,
  }));
}

/** `public.orders references public.customers (orders_customer_id_fkey)`, for the first blockers. */
export function describeTruncateBlockers(blockers: readonly TruncateBlocker[]): string {
  const shown = blockers.slice(0, 3).map((b) => `${formatQualifiedName(b.referencing)} references ${formatQualifiedName(b.referenced)} (${b.constraint})`);
  return shown.join('; ') + (blockers.length > 3 ? `; and ${blockers.length - 3} more` : '');
}

/** What to say when a foreign key rules TRUNCATE out: which key, and the two ways that work. */
export function truncateImpossible(blockers: readonly TruncateBlocker[], where: string): PgbrError {
  return new PgbrError(
    'usage',
    `the rows cannot be replaced in ${where}: TRUNCATE is refused because ${describeTruncateBlockers(blockers)}. Restore the referencing tables too, or use recreate.`,
  );
}

async function truncateTables(target: ConnectionParams, password: string | undefined, tables: readonly QualifiedName[], where: string): Promise<void> {
  if (tables.length === 0) return;
  await withClient(target, { password }, async (c) => {
    const blockers = await truncateBlockers(c, tables);
    if (blockers.length > 0) throw truncateImpossible(blockers, where);
    try {
      // One statement, so foreign keys among the emptied tables do not stand in the way.
      await c.query(`TRUNCATE TABLE ${tables.map(fmtName).join(', ')}`);
    } catch (e) {
      const detail = (e as { message?: string; detail?: string }).detail;
      throw new PgbrError(
        'usage',
        `could not empty the tables in ${where} before loading them: ${(e as Error).message}${detail ? ` (${detail})` : ''}. Include the referencing tables, or restore them with recreate.`,
        { cause: e },
      );
    }
  });
}

interface ToolOutcome {
  status: RestoreResult['status'];
  itemsDone: number;
  itemsTotal: number;
  errors: string[];
  errorsIgnored: number;
  log: string;
  logTruncated: boolean;
  runMessage?: string;
  interrupted?: string;
}

/** The server went away under the restore: a fact about the run, not about the dump. */
const CONNECTION_LOST =
  /server closed the connection unexpectedly|terminating connection due to (?:administrator command|unexpected postmaster exit)|the database system is shutting down|connection to server .* failed|could not connect to server|no connection to the server|SSL SYSCALL error: EOF detected/i;

/** Collects a tool's stderr: the log (bounded), the first errors with their context, the ignored-error count. */
class ToolLog {
  private chunks: string[] = [];
  private size = 0;
  truncated = false;
  errors: string[] = [];
  errorsIgnored = 0;
  private context: string | undefined;
  /** The statement pg_restore printed after an error, kept with it. */
  private lastError: number | undefined;

  add(line: string): void {
    if (this.size < LOG_LIMIT) {
      this.chunks.push(line);
      this.size += line.length + 1;
    } else this.truncated = true;
  }

  get text(): string {
    return this.chunks.join('\n') + (this.chunks.length ? '\n' : '');
  }

  pgRestoreLine(line: string): void {
    this.add(line);
    const ignored = /errors ignored on restore: (\d+)/.exec(line);
    if (ignored) {
      this.errorsIgnored = Number(ignored[1]);
      return;
    }
    const from = /^pg_restore: from TOC entry (.*)$/.exec(line);
    if (from) {
      this.context = from[1];
      return;
    }
    const error = /^pg_restore: error: (.*)$/.exec(line);
    if (error) {
      if (this.errors.length < FIRST_ERRORS) {
        this.errors.push(this.context ? `${error[1]} (TOC entry ${this.context})` : error[1]!);
        this.lastError = this.errors.length - 1;
      }
      this.context = undefined;
      return;
    }
    if (line.startsWith('Command was: ') && this.lastError !== undefined) {
      // The statement's first line is enough to see which object failed.
      this.errors[this.lastError] += ` — ${line.slice('Command was: '.length).trim()}`;
      this.lastError = undefined;
    }
  }

  psqlLine(line: string): void {
    this.add(line);
    // psql:/path/dump.sql:123: ERROR:  relation "orders" already exists
    const m = /^psql:(.*?):(\d+): ERROR: +(.*)$/.exec(line) ?? /^(?:psql: )?ERROR: +(.*)$/.exec(line);
    if (!m) return;
    this.errorsIgnored++;
    if (this.errors.length < FIRST_ERRORS) this.errors.push(m.length === 4 ? `${m[3]} (line ${m[2]})` : m[1]!);
  }
}

/** Whether pg_restore runs in one transaction: asked for, or to keep the old tables when a recreate or data-only load fails. */
export function isOneTransaction(opts: RestoreChoices, recreate: boolean): boolean {
  return !!opts.singleTransaction || recreate || (!!opts.dataOnly && (opts.jobs ?? 1) === 1);
}

async function runPgRestore(opts: RestoreOptions, tool: FoundTool, list: RestoreList | undefined, toc: Toc, o: { recreate: boolean }): Promise<ToolOutcome> {
  const args = ['--verbose', '--dbname', dbnameConninfo(opts.database), ...pgRestoreOptionArgs(opts, { recreate: o.recreate, oneTransaction: isOneTransaction(opts, o.recreate) })];
  let tempDir: string | undefined;
  try {
    if (list) {
      tempDir = await privateTempDir('restore-');
      const listFile = path.join(tempDir, 'restore.list');
      await fs.writeFile(listFile, list.text, { mode: 0o600 });
      args.push('--use-list', listFile);
    }
    args.push(opts.dumpPath);
    const restored = (e: TocEntry) =>
      (!opts.dataOnly || DATA_DESCS.has(e.desc) || e.desc === 'SEQUENCE SET') && !(opts.noPrivileges && (e.desc === 'ACL' || e.desc === 'DEFAULT ACL'));
    const itemsTotal = (list ? list.entries : toc.entries).filter(restored).length;
    const log = new ToolLog();
    let done = 0;
    const result = await runTool({
      file: tool.path,
      args,
      connection: { ...opts.connection, database: opts.database },
      password: opts.password,
      signal: opts.signal,
      logger: opts.logger,
      onStderrLine: (line) => {
        log.pgRestoreLine(line);
        const item = PG_RESTORE_ITEM.exec(line);
        if (item) {
          done++;
          opts.onProgress?.({ done: Math.min(done, itemsTotal || done), total: itemsTotal, item: item[1]! });
        }
      },
    });
    return toOutcome(result, log, done, itemsTotal, 'pg_restore');
  } finally {
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  }
}

async function runPsql(opts: RestoreOptions, tool: FoundTool, target: ConnectionParams, gzip: boolean): Promise<ToolOutcome> {
  let tempDir: string | undefined;
  try {
    let file = opts.dumpPath;
    if (gzip) {
      // The runner feeds stdin from a string only; a private uncompressed copy keeps memory flat.
      tempDir = await privateTempDir('restore-');
      file = path.join(tempDir, 'dump.sql');
      try {
        await pipeline(createReadStream(opts.dumpPath), createGunzip(), createWriteStream(file, { mode: 0o600 }), { signal: opts.signal });
      } catch (e) {
        if (opts.signal?.aborted) return { status: 'cancelled', itemsDone: 0, itemsTotal: 0, errors: [], errorsIgnored: 0, log: '', logTruncated: false };
        const why = (e as Error).message;
        return {
          status: 'failed',
          itemsDone: 0,
          itemsTotal: 0,
          errors: [why],
          errorsIgnored: 0,
          log: '',
          logTruncated: false,
          runMessage: `the dump is truncated or corrupt: it could not be decompressed (${why})`,
        };
      }
    }
    const args = ['-X', '-v', 'ON_ERROR_STOP=1', '--dbname', dbnameConninfo(opts.database)];
    if (opts.singleTransaction) args.push('--single-transaction');
    args.push('-f', file);
    const log = new ToolLog();
    let done = 0;
    const result = await runTool({
      file: tool.path,
      args,
      connection: target,
      password: opts.password,
      signal: opts.signal,
      logger: opts.logger,
      // psql prints a command tag (CREATE TABLE, COPY 200, ...) per statement: one item each.
      onStdoutLine: (line) => {
        if (line.trim() === '') return;
        done++;
        opts.onProgress?.({ done, total: 0, item: line.trim() });
      },
      onStderrLine: (line) => log.psqlLine(line),
    });
    return toOutcome(result, log, done, 0, 'psql');
  } finally {
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  }
}

function toOutcome(result: RunResult, log: ToolLog, done: number, total: number, tool: string): ToolOutcome {
  const base = { itemsDone: done, itemsTotal: total, errors: log.errors, errorsIgnored: log.errorsIgnored, log: log.text, logTruncated: log.truncated };
  if (result.status === 'cancelled') return { ...base, status: 'cancelled' };
  // Honest results: an exit code, an error line, or errors pg_restore "ignored" all mean the restore failed.
  const failed = result.status === 'failed' || log.errors.length > 0 || log.errorsIgnored > 0;
  if (!failed) return { ...base, status: 'succeeded' };
  if (log.errors.length === 0) log.errors.push(result.status === 'failed' ? result.message : `${tool} reported errors`);
  const killed = result.status === 'failed' && result.signal !== undefined ? `${tool} was stopped by ${result.signal} from outside` : undefined;
  const lost = log.errors.find((e) => CONNECTION_LOST.test(e)) ?? (result.status === 'failed' && CONNECTION_LOST.test(result.message) ? result.message : undefined);
  const interrupted = killed ?? (lost !== undefined ? `the connection to the server was lost (${lost.trim()})` : undefined);
  return { ...base, errors: log.errors, status: 'failed', runMessage: result.status === 'failed' ? result.message : undefined, ...(interrupted ? { interrupted } : {}) };
}

function describeOutcome(r: RestoreResult, runMessage: string | undefined, o: { oneTransaction: boolean; recreate: boolean }): string {
  const what = r.tables?.length ? `${r.tables.map(fmtName).join(', ')} from ${r.dumpPath}` : r.dumpPath;
  const seconds = `${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.status === 'succeeded') {
    const left = r.warnings.filter((w) => w.startsWith('foreign key ')).length;
    const note = left > 0 ? ` ${left} foreign key${left === 1 ? ' was' : 's were'} left out because the tables they reference are not there: see the warnings.` : '';
    return `restored ${what} into database "${r.database}" (${r.itemsDone} items, ${seconds}).${note}`;
  }
  // In one transaction a restore cut short is rolled back: nothing of the dump is there, whatever the item count says.
  const rolledBack = o.oneTransaction
    ? r.created
      ? ` It ran in one transaction, so nothing was restored: the database "${r.database}" was created by this restore and holds nothing from the dump (drop it if you do not need it).`
      : ` It ran in one transaction, so nothing was restored${o.recreate ? ': the tables that were there are as they were' : ''}.`
    : undefined;
  if (r.status === 'cancelled') {
    if (rolledBack) return `the restore of ${what} into database "${r.database}" was cancelled.${rolledBack}`;
    return `the restore of ${what} into database "${r.database}" was cancelled: the database holds whatever was restored until then${r.created ? ' (it was created by this restore; drop it if you do not need it)' : ''}.`;
  }
  const first = r.errors[0] ?? runMessage ?? 'unknown error';
  if (r.interrupted) {
    return `the restore of ${what} into database "${r.database}" was interrupted: ${r.interrupted}. This says nothing about the dump; run it again.`;
  }
  // A server's own error ("could not execute query: ERROR: ...") is about the target, never the dump file.
  if (CORRUPT_PATTERNS.test(first) && !/could not execute query|ERROR: /.test(first)) {
    return `the dump is truncated or corrupt: ${r.tool.name} could not read it (${first.replace(/ \(TOC entry.*$/, '')}). Take the dump again or restore an older one.`;
  }
  const count = r.errorsIgnored > 1 ? ` (${r.errorsIgnored} errors)` : '';
  const partial = rolledBack ?? (r.created ? ` The database "${r.database}" was created by this restore and holds a partial restore.` : '');
  return `the restore of ${what} into database "${r.database}" failed${count}: ${first}.${partial} See the log for every error.`;
}
