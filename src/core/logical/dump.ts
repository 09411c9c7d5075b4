// Logical backups with pg_dump: exact table picks, exact counts in pg_dump's snapshot, and nothing under the final name until it is checked.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { PgbrError, errorMessage } from '../platform/errors';
import { pathExists } from '../platform/fsutil';
import { claimPartial, finalizeWithProof, isClaimedPartial, ProofNotSaved, releasePartial } from '../platform/partials';
import { privateTempDir } from '../platform/reaper';
import { silentLogger, type Logger } from '../platform/log';
import { exactSchemaPattern, exactTablePattern, formatQualifiedName, quoteIdentAlways, sameName, type QualifiedName } from '../postgres/names';
import type { ConnectionParams } from '../profiles/types';
import { runTool, type RunResult } from '../platform/runner';
import { getServerInfo, withClient } from '../postgres/server';
import { chooseTool, type FoundTool, type ToolInventory } from '../platform/tools';
import { checksumDump } from './checksum';
import { manifestPathFor, manifestText, withFileKey, type DumpFormat, type DumpManifest, type TableRowCount } from './manifest';
import { DEFAULT_NAME_TEMPLATE, dumpExtension, expandNameTemplate, splitDumpFileName, uniqueDumpPath } from './naming';
import { extraDumpArgs, formatCompression, hasDataSection, manifestOptions, parseCompression, validateDumpOptions, type Compression, type DumpContentOptions } from './options';
import { tableSizes, watchOutputSize } from './outputSize';
import { DumpProgressTracker, untranslatedMessagesEnv, type DumpProgress } from './progress';
import { plural } from '../platform/plural';

export { formatCompression, parseCompression, validateDumpOptions, type Compression, type CompressionMethod, type DumpContentOptions, type DumpSection } from './options';

export interface PlanInput extends DumpContentOptions {
  /** Major version of the pg_dump that will run. */
  toolMajor: number;
  /** Where pg_dump writes: the `.partial` file or folder. */
  outputPath: string;
  /** `pg_export_snapshot()` of the transaction the row counts are taken in. */
  snapshot?: string;
  /** Directory-format workers when `jobs` is not given. */
  defaultJobs?: number;
  /** Where the `--filter` file will be written (pg_dump 17+); without it, picks always go in `--table`. */
  filterFilePath?: string;
}

export interface DumpPlan {
  format: DumpFormat;
  /** pg_dump's arguments. The database and the connection travel in the environment, never here. */
  args: string[];
  /** Contents for the file at `filterFilePath`, when the plan uses `--filter`. */
  filterText?: string;
  /** Workers, when the dump runs in parallel. */
  jobs?: number;
  compression?: Compression;
  /** `.dump`, `.tar`, `.sql`, `.sql.gz`, or none for a directory. */
  extension: string;
}

const FORMAT_FLAG: Record<DumpFormat, string> = { custom: 'custom', directory: 'directory', tar: 'tar', plain: 'plain' };
const FIRST_WITH_COMPRESSION_METHODS = 16;
const FIRST_WITH_FILTER = 17;

function usage(message: string): PgbrError {
  return new PgbrError('usage', message);
}

/** An identifier in a `--filter` file: quoted like -t, plus the file's own escapes for backslash and newline. */
function filterIdent(id: string): string {
  return `"${id.replace(/\\/g, '\\\\').replace(/"/g, '""').replace(/\n/g, '\\n')}"`;
}

function filterPattern(q: QualifiedName): string {
  return `${filterIdent(q.schema)}.${filterIdent(q.name)}`;
}

/**
 * The pg_dump arguments for a dump: pure, so what runs is what the tests check. Picked tables are
 * exact patterns (`"public"."x*y"` cannot match `xay`, `public` cannot pull in `public2`).
 */
export function planDump(input: PlanInput): DumpPlan {
  validateDumpOptions(input);
  const format = input.format ?? 'custom';
  const compression = input.compression === undefined ? undefined : parseCompression(input.compression);
  if (compression && (compression.method === 'lz4' || compression.method === 'zstd') && input.toolMajor < FIRST_WITH_COMPRESSION_METHODS) {
    // The tools are fine for the server; the option asks for more than they can do: a usage error.
    throw new PgbrError(
      'usage',
      `${compression.method} compression needs pg_dump ${FIRST_WITH_COMPRESSION_METHODS} or newer, and the one for this server is ${input.toolMajor}: use gzip, or install the PostgreSQL ${FIRST_WITH_COMPRESSION_METHODS}+ client tools`,
    );
  }

  const args = ['--verbose', '--no-password', `--format=${FORMAT_FLAG[format]}`, `--file=${input.outputPath}`];
  if (input.snapshot) args.push(`--snapshot=${input.snapshot}`);

  let jobs: number | undefined;
  if (format === 'directory') {
    jobs = input.jobs ?? Math.max(1, Math.floor(input.defaultJobs ?? 1));
    if (jobs > 1) args.push(`--jobs=${jobs}`);
  }

  if (compression) {
    if (compression.method === 'none') args.push('--compress=0');
    else if (compression.method === 'gzip') args.push(`--compress=${compression.level ?? 6}`);
    else args.push(`--compress=${formatCompression(compression)}`);
  }

  if (input.schemaOnly) args.push('--schema-only');
  if (input.dataOnly) args.push('--data-only');
  for (const s of input.sections ?? []) args.push(`--section=${s}`);
  if (input.noOwner) args.push('--no-owner');
  if (input.noPrivileges) args.push('--no-privileges');
  args.push(...extraDumpArgs(input));

  const tables = input.tables ?? [];
  const excludes = input.excludeTables ?? [];
  const schemas = tables.length > 0 ? [] : (input.schemas ?? []);
  // A picked name that matches nothing must fail the dump, not silently leave the table out.
  if (tables.length > 0 || schemas.length > 0) args.push('--strict-names');

  const names = [...tables, ...excludes];
  // A carriage return inside a quoted name is dropped by the filter-file reader; -t takes it as is.
  const useFilter =
    input.toolMajor >= FIRST_WITH_FILTER &&
    input.filterFilePath !== undefined &&
    names.length + schemas.length > 0 &&
    !names.some((q) => /\r/.test(q.schema + q.name)) &&
    !schemas.some((s) => s.includes('\r'));
  let filterText: string | undefined;
  if (useFilter) {
    const lines = [
      ...schemas.map((s) => `include schema ${filterIdent(s)}`),
      ...tables.map((q) => `include table ${filterPattern(q)}`),
      ...excludes.map((q) => `exclude table ${filterPattern(q)}`),
    ];
    filterText = lines.join('\n') + '\n';
    args.push(`--filter=${input.filterFilePath}`);
  } else {
    for (const s of schemas) args.push(`--schema=${exactSchemaPattern(s)}`);
    for (const q of tables) args.push(`--table=${exactTablePattern(q)}`);
    for (const q of excludes) args.push(`--exclude-table=${exactTablePattern(q)}`);
  }

  return {
    format,
    args,
    ...(filterText !== undefined ? { filterText } : {}),
    ...(jobs !== undefined && jobs > 1 ? { jobs } : {}),
    ...(compression ? { compression } : {}),
    extension: dumpExtension(format, format === 'plain' && compression?.method === 'gzip'),
  };
}

export interface DumpConnection {
  params: ConnectionParams;
  password?: string;
}

export interface DumpOutput {
  /** The folder the dump is written to; created when missing. */
  folder: string;
  /** Default `{db}_{yyyyMMdd-HHmmss}`. */
  nameTemplate?: string;
  /** A file or folder name the user chose, kept as is unless taken (then `-2`, `-3`, ...). */
  fileName?: string;
}

export interface DumpOptions extends DumpContentOptions {
  connection: DumpConnection;
  /** The profile's name, recorded in the manifest and usable in the name template. */
  profile: string;
  database: string;
  output: DumpOutput;
  /** The installed client tools; the pg_dump used is the closest one not older than the server. */
  tools: ToolInventory;
  signal?: AbortSignal;
  onProgress?: (p: DumpProgress) => void;
  logger?: Logger;
  /** The clock for names and the manifest (tests). */
  now?: () => Date;
  /** How often the size of what pg_dump wrote is read for progress (default 500 ms). */
  progressIntervalMs?: number;
}

export interface DumpResult {
  path: string;
  manifest: DumpManifest;
  /** The name the dump was to have, when a file there already had it and the dump got the next free one. */
  requestedPath?: string;
}

/** The line plain pg_dump output ends with when it completed. */
export const DUMP_END_MARKER = '-- PostgreSQL database dump complete';

/** The table kinds whose rows pg_dump copies: ordinary and partitioned tables. */
const COUNTED_KINDS = new Set(['r', 'p']);
/** What `pg_dump -t` can match: tables, views, materialized views, sequences, foreign tables. */
const PICKABLE_KINDS = new Set(['r', 'p', 'v', 'm', 'S', 'f']);

/**
 * Dumps one database. Counts are exact and taken in the snapshot pg_dump uses; the result appears
 * under its final name only after pg_dump succeeded and the dump was read back, and never replaces
 * an existing file. Any failure or cancel removes what was written.
 */
export async function runDump(opts: DumpOptions): Promise<DumpResult> {
  validateDumpOptions(opts);
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const format = opts.format ?? 'custom';
  const { params, password } = opts.connection;
  throwIfCancelled(opts.signal, opts.database);

  const startedAt = now();
  const startedMs = performance.now();
  let partial: string | undefined;
  let filterDir: string | undefined;

  try {
    const dumped = await withClient(params, { password, database: opts.database, applicationName: 'pgbr dump' }, async (client) => {
      const server = await getServerInfo(client);
      const dumpTool = chooseTool(opts.tools, 'pg_dump', server.major);
      const restoreTool = format === 'plain' ? undefined : chooseTool(opts.tools, 'pg_restore', dumpTool.major);
      // Refuse what this pg_dump cannot do before anything is written.
      const { extension } = planDump({ ...opts, toolMajor: dumpTool.major, outputPath: '' });

      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      // The transaction idles while pg_dump works and counts can take long: a role's timeouts must not end it (pg_dump clears its own too).
      await client.query(`SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0`);
      const snapshot = await singleValue<string>(client, 'SELECT pg_catalog.pg_export_snapshot() AS v');
      const backendPid = await singleValue<number>(client, 'SELECT pg_catalog.pg_backend_pid() AS v');
      const counted = hasDataSection(opts) ? await tablesToCount(client, opts) : [];
      await refuseUnreadable(client, counted, params.user ?? 'this user', opts.database);

      const target = await reserveOutput(opts, format, extension, now());
      partial = target.partial;
      if (dumpTool.major >= FIRST_WITH_FILTER) filterDir = await privateTempDir('filter-');
      const plan = planDump({
        ...opts,
        toolMajor: dumpTool.major,
        outputPath: partial,
        snapshot,
        // More workers than tables only costs connections.
        defaultJobs: Math.min(os.availableParallelism(), Math.max(1, counted.length)),
        ...(filterDir ? { filterFilePath: path.join(filterDir, 'filter') } : {}),
      });
      if (plan.filterText !== undefined && filterDir) {
        await fs.writeFile(path.join(filterDir, 'filter'), plan.filterText, { mode: 0o600, flag: 'wx' });
      }

      const progress = new DumpProgressTracker(counted, opts.onProgress, await tableSizes(client, counted));
      progress.setPhase('starting');
      const watcher = watchOutputSize(partial, (bytes) => progress.setBytesWritten(bytes), opts.progressIntervalMs);
      const stopOnFailure = new AbortController();
      const signal = opts.signal ? AbortSignal.any([opts.signal, stopOnFailure.signal]) : stopOnFailure.signal;
      const dumping = runTool({
        file: dumpTool.path,
        args: plan.args,
        connection: { ...params, database: opts.database },
        password,
        env: untranslatedMessagesEnv(),
        signal,
        onStderrLine: (line) => {
          logger.trace(line);
          progress.onLine(line);
        },
        logger,
        label: 'pg_dump',
      });

      const counter = new RowCounter(client, backendPid, () => cancelBackend(opts.connection, opts.database, backendPid, logger));
      void dumping.then((r) => {
        if (r.status !== 'succeeded') counter.stop();
      });
      const stopCounting = () => counter.stop();
      opts.signal?.addEventListener('abort', stopCounting, { once: true });
      let countError: unknown;
      const counting = counter.count(counted).catch((e: unknown) => {
        countError = e;
        stopOnFailure.abort();
        return [] as TableRowCount[];
      });

      const [result, rowCounts] = await Promise.all([dumping, counting]).finally(() => watcher.stop());
      opts.signal?.removeEventListener('abort', stopCounting);
      throwIfCancelled(opts.signal, opts.database);
      if (result.status === 'failed') throw toolFailure('pg_dump', result);
      if (countError !== undefined) {
        throw new PgbrError('tool-failed', `the dump of "${opts.database}" failed: could not count its rows: ${errorMessage(countError)}`, { cause: countError });
      }
      if (result.status === 'cancelled') throw cancelledError(opts.database);
      // Dump and counts are done; closing the read-only transaction is housekeeping that must not cost the dump.
      await client.query('COMMIT').catch((e: unknown) => logger.debug(`ending the snapshot transaction: ${errorMessage(e)}`));
      progress.complete('verifying');
      return { server, dumpTool, restoreTool, snapshot, rowCounts, plan, target, progress };
    });

    await checkReadable(dumped.target.partial, format, dumped.plan, dumped.restoreTool, opts.signal, logger);
    const { sha256, sizeBytes } = await checksumDump(dumped.target.partial, opts.signal);
    throwIfCancelled(opts.signal, opts.database);

    const manifest: DumpManifest = {
      manifestVersion: 1,
      kind: 'database',
      profile: opts.profile,
      host: params.host ?? '',
      port: params.port ?? 5432,
      user: params.user ?? '',
      database: opts.database,
      serverVersion: dumped.server.version,
      tool: 'pg_dump',
      toolVersion: dumped.dumpTool.version,
      format,
      options: manifestOptions(opts, dumped.plan),
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      durationMs: Math.round(performance.now() - startedMs),
      sizeBytes,
      sha256,
      snapshot: dumped.snapshot,
      rowCounts: dumped.rowCounts,
    };
    const finalPath = await finalizeOutput(dumped.target.partial, dumped.target.final, format === 'directory', manifest);
    partial = undefined;
    dumped.progress.setPhase('done');
    logger.info(`Dumped ${opts.database} to ${finalPath} (${sizeBytes} bytes, ${plural(dumped.rowCounts.length, 'table')} counted)`);
    return { path: finalPath, manifest: withFileKey(manifest, finalPath), ...(finalPath !== dumped.target.requested ? { requestedPath: dumped.target.requested } : {}) };
  } catch (e) {
    if (partial !== undefined) await discardPartial(partial, logger);
    if (opts.signal?.aborted) throw cancelledError(opts.database);
    throw e;
  } finally {
    if (filterDir) await fs.rm(filterDir, { recursive: true, force: true });
  }
}

async function singleValue<T>(client: pg.Client, sql: string): Promise<T> {
  const result = await client.query<{ v: T }>(sql);
  const row = result.rows[0];
  if (!row) throw new Error(`no result from ${sql}`);
  return row.v;
}

/**
 * The tables whose rows the dump holds, read in the snapshot: the picked ones (each must exist),
 * or every ordinary and partitioned table outside system schemas and extensions, minus exclusions.
 */
async function tablesToCount(client: pg.Client, opts: DumpOptions): Promise<QualifiedName[]> {
  // A table whose rows are left out has no rows to count, and a verification nothing to compare.
  const excludes = [...(opts.excludeTables ?? []), ...(opts.excludeTableData ?? [])];
  const keep = (q: QualifiedName) => !excludes.some((x) => sameName(x, q));
  if (opts.tables?.length) {
    const picked = opts.tables;
    const found = await client.query<{ nspname: string; relname: string; relkind: string }>(
      `SELECT n.nspname, c.relname, c.relkind::text AS relkind
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [picked.map((q) => q.schema), picked.map((q) => q.name)],
    );
    const kinds = new Map(found.rows.map((r) => [`${r.nspname}\0${r.relname}`, r.relkind]));
    const counted: QualifiedName[] = [];
    for (const q of picked) {
      const kind = kinds.get(`${q.schema}\0${q.name}`);
      if (kind === undefined || !PICKABLE_KINDS.has(kind)) {
        throw usage(
          `there is no table ${formatQualifiedName(q)} in database "${opts.database}": check the name (quoted names are case-sensitive) and the schema`,
        );
      }
      if (COUNTED_KINDS.has(kind) && keep(q) && !counted.some((c) => sameName(c, q))) counted.push(q);
    }
    return counted;
  }

  const schemas = opts.schemas?.length ? [...opts.schemas] : null;
  if (schemas) {
    const found = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY($1::text[])`, [schemas]);
    const missing = schemas.filter((s) => !found.rows.some((r) => r.nspname === s));
    if (missing.length > 0) throw usage(`there is no schema ${missing.map(quoteIdentAlways).join(', ')} in database "${opts.database}": check the name`);
  }
  const all = await client.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, c.relname
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND c.relpersistence <> 't'
        AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
        AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`,
    [schemas],
  );
  return all.rows.map((r) => ({ schema: r.nspname, name: r.relname })).filter(keep);
}

/**
 * pg_dump locks and copies every table it dumps, which needs SELECT on it. Saying which tables are
 * unreadable, all at once and before anything is written, beats pg_dump stopping at the first one.
 */
async function refuseUnreadable(client: pg.Client, tables: readonly QualifiedName[], user: string, database: string): Promise<void> {
  if (tables.length === 0) return;
  const result = await client.query<{ s: string; n: string }>(
    `SELECT t.s, t.n FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, n, i)
      WHERE NOT pg_catalog.has_table_privilege(pg_catalog.format('%I.%I', t.s, t.n), 'SELECT')
      ORDER BY t.i`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  if (result.rows.length === 0) return;
  const names = result.rows.map((r) => formatQualifiedName({ schema: r.s, name: r.n }));
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  throw new PgbrError(
    'tool-failed',
    `user "${user}" may not read ${shown} in database "${database}" (no SELECT privilege), so pg_dump would fail: grant SELECT, leave ${names.length === 1 ? 'that table' : 'those tables'} out of the dump, or dump as a role that can read ${names.length === 1 ? 'it' : 'them'}`,
  );
}

/** Counts rows one table after another in the exporting transaction; `stop()` cancels the count in flight. */
class RowCounter {
  private stopped = false;
  private busy = false;

  constructor(
    private readonly client: pg.Client,
    private readonly backendPid: number,
    private readonly cancelQuery: () => Promise<void>,
  ) {}

  async count(tables: readonly QualifiedName[]): Promise<TableRowCount[]> {
    const counts: TableRowCount[] = [];
    for (const t of tables) {
      if (this.stopped) throw new Error('counting stopped');
      this.busy = true;
      try {
        // ONLY: the rows this table itself holds, which is what its TABLE DATA entry carries;
        // an inheritance child or partition is counted as a table of its own.
        const result = await this.client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ONLY ${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)}`,
        );
        counts.push({ schema: t.schema, table: t.name, rows: Number(result.rows[0]?.n ?? 0) });
      } finally {
        this.busy = false;
      }
    }
    return counts;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // A count of a large table can run for minutes; the server cancels it rather than finishing for nobody.
    if (this.busy && this.backendPid > 0) void this.cancelQuery();
  }
}

async function cancelBackend(connection: DumpConnection, database: string, pid: number, logger: Logger): Promise<void> {
  try {
    await withClient(connection.params, { password: connection.password, database, connectTimeoutMs: 3000 }, (c) =>
      c.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid]),
    );
  } catch (e) {
    logger.debug(`could not cancel the row count: ${errorMessage(e)}`);
  }
}

export interface ReservedOutput {
  final: string;
  partial: string;
  /** The name asked for; `final` differs when it was taken. */
  requested: string;
}

/**
 * Picks the final name and creates its `.partial` exclusively, so two dumps started at the same
 * second cannot write into each other.
 */
async function reserveOutput(opts: DumpOptions, format: DumpFormat, extension: string, date: Date): Promise<ReservedOutput> {
  await fs.mkdir(opts.output.folder, { recursive: true });
  const name = outputName(opts, format, extension, date);
  return reservePartial(opts.output.folder, name.base, name.extension, format === 'directory');
}

function outputName(opts: DumpOptions, format: DumpFormat, extension: string, date: Date): { base: string; extension: string } {
  const chosen = opts.output.fileName;
  if (chosen === undefined) {
    const template = opts.output.nameTemplate ?? DEFAULT_NAME_TEMPLATE;
    return { base: expandNameTemplate(template, { db: opts.database, profile: opts.profile, format, date }), extension };
  }
  if (format === 'directory') return { base: chosen, extension: '' };
  const split = splitDumpFileName(chosen);
  // A name without an extension gets the format's, so dump lists recognise the file.
  return { base: split.base, extension: split.extension || extension };
}

/** Finds a free name and creates `<name>.partial` (a file, or a folder for a directory dump) exclusively. */
export async function reservePartial(folder: string, base: string, extension: string, directory: boolean): Promise<ReservedOutput> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const final = await uniqueDumpPath(folder, base, extension);
    const partial = `${final}.partial`;
    try {
      if (directory) await fs.mkdir(partial, { mode: 0o700 });
      else await (await fs.open(partial, 'wx', 0o600)).close();
      claimPartial(partial);
      return { final, partial, requested: path.join(folder, `${base}${extension}`) };
    } catch (e) {
      // Taken between the check and the create: another dump got there first.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(`cannot create ${partial}`, e);
    }
  }
  throw new PgbrError('io', `no free dump name in ${folder} for ${base}${extension}: remove old dumps or choose another name`);
}

/**
 * Gives the finished `.partial` its final name with its manifest beside it, never replacing a file:
 * the manifest is written first (exclusively), then the dump is hard-linked to the name (a link
 * fails when the name exists, where a rename would silently overwrite it). A final-named dump
 * therefore always has its manifest. Returns the name taken (the next free one if `final` is taken).
 */
export async function finalizeOutput(partial: string, final: string, directory: boolean, manifest: DumpManifest): Promise<string> {
  const { base, extension } = directory ? { base: path.basename(final), extension: '' } : splitDumpFileName(path.basename(final));
  async function* candidates(): AsyncGenerator<string> {
    yield final;
    for (let attempt = 0; attempt < 100; attempt++) {
      yield await uniqueDumpPath(path.dirname(final), base, extension, async (f) => f !== partial && (await pathExists(f)));
    }
  }
  let taken: string | undefined;
  try {
    taken = await finalizeWithProof({
      partial,
      candidates: candidates(),
      proofPathFor: manifestPathFor,
      proofText: (target) => manifestText(withFileKey(manifest, target)),
      move: directory ? moveFolder : moveFile,
    });
  } catch (e) {
    if (e instanceof ProofNotSaved) {
      throw new PgbrError('io', `the dump was written but its manifest could not be saved (${errorMessage(e.cause)}), so it was removed: check the folder's free space and permissions`, { cause: e.cause });
    }
    throw ioError(`cannot move the finished dump to ${final}`, e);
  }
  if (taken === undefined) throw new PgbrError('io', `no free name for the finished dump ${final}: remove old dumps or choose another name`);
  return taken;
}

async function moveFolder(from: string, to: string): Promise<void> {
  if (await pathExists(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
  await fs.rename(from, to);
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // File systems without hard links (FAT, some network shares): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    await moveFolder(from, to);
    return;
  }
  await fs.unlink(from);
}

/** pg_restore can read the archive's table of contents; a plain dump ends with pg_dump's completion line. */
async function checkReadable(
  dumpPath: string,
  format: DumpFormat,
  plan: DumpPlan,
  restoreTool: FoundTool | undefined,
  signal: AbortSignal | undefined,
  logger: Logger,
): Promise<void> {
  if (format === 'plain') {
    const complete = await endsWithMarker(dumpPath, DUMP_END_MARKER, plan.compression?.method === 'gzip');
    if (!complete) {
      throw new PgbrError('tool-failed', `pg_dump exited normally but the SQL file does not end with "${DUMP_END_MARKER}": the dump is incomplete and was removed`);
    }
    return;
  }
  if (!restoreTool) return;
  const listed = await runTool({ file: restoreTool.path, args: ['--list', dumpPath], signal, logger, label: 'pg_restore --list', env: untranslatedMessagesEnv() });
  if (listed.status === 'cancelled') throw new PgbrError('cancelled', 'cancelled while reading the dump back');
  if (listed.status === 'failed') {
    throw new PgbrError('tool-failed', `pg_dump exited normally but pg_restore cannot read the result (${failureLine(listed)}): the dump was removed`);
  }
}

/**
 * True when the SQL file's last meaningful line is `marker`. pg_dump may follow it with blank
 * lines, `--` and a `\unrestrict` line. Compressed files are read through gunzip as a stream.
 */
export async function endsWithMarker(file: string, marker: string, gzip = false): Promise<boolean> {
  let tail = '';
  const keep = 8192;
  const source = createReadStream(file, gzip ? {} : { start: Math.max(0, (await fs.stat(file)).size - keep) });
  const stream = gzip ? source.pipe(createGunzip()) : source;
  try {
    for await (const chunk of stream) {
      tail = (tail + (chunk as Buffer).toString('latin1')).slice(-keep);
    }
  } catch {
    // A truncated or corrupt gzip stream is an incomplete dump.
    return false;
  } finally {
    source.destroy();
  }
  const lines = tail.split(/\r?\n/);
  while (lines.length > 0) {
    const last = (lines[lines.length - 1] as string).trim();
    if (last === '' || last === '--' || last.startsWith('\\unrestrict ')) lines.pop();
    else break;
  }
  return lines[lines.length - 1]?.trim() === marker;
}

/**
 * The line of a tool's stderr that says what went wrong, without the `pg_dump: error:` prefix, and
 * the server's own words when a detail line carries them.
 */
export function failureLine(result: Extract<RunResult, { status: 'failed' }>): string {
  const lines = result.stderrTail.map((l) => l.trim()).filter((l) => l !== '');
  let index = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/\b(?:error|fatal|FATAL|ERROR|PANIC):/.test(lines[i] as string) && !/\bdetail:/.test(lines[i] as string)) {
      index = i;
      break;
    }
  }
  if (index < 0) return result.message;
  const message = (lines[index] as string).replace(/^.*?\bpg_\w+(?:\[[^\]]*\])?:\s*(?:error:\s*)?/, '');
  const fromServer = lines
    .slice(index + 1)
    .map((l) => /\bdetail:\s*Error message from server:\s*(.*)$/.exec(l)?.[1])
    .find((m) => m !== undefined && m !== '');
  return fromServer ? `${message.replace(/\.$/, '')}: ${fromServer.replace(/\s+/g, ' ')}` : message;
}

export function toolFailure(tool: string, result: Extract<RunResult, { status: 'failed' }>): PgbrError {
  return new PgbrError('tool-failed', `${tool} failed: ${failureLine(result)}`);
}

function cancelledError(database: string): PgbrError {
  return new PgbrError('cancelled', `the dump of "${database}" was cancelled; nothing was kept`);
}

function throwIfCancelled(signal: AbortSignal | undefined, database: string): void {
  if (signal?.aborted) throw cancelledError(database);
}

function ioError(what: string, e: unknown): PgbrError {
  return new PgbrError('io', `${what}: ${errorMessage(e)}`, { cause: e });
}

/** Removes an unfinished dump after a failure; a failure to remove is logged, never hides the first error. */
export async function discardPartial(target: string, logger: Logger = silentLogger): Promise<void> {
  try {
    await fs.rm(target, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    logger.warn(`could not remove the unfinished dump ${target}: ${errorMessage(e)}`);
  } finally {
    releasePartial(target);
  }
}

/** Removes a stale `.partial`; refuses anything else, so a wrong path cannot delete a real dump. */
export async function removePartial(partialPath: string): Promise<void> {
  if (!partialPath.endsWith('.partial')) {
    throw new PgbrError('usage', `${partialPath} is not an unfinished dump (its name does not end in .partial): it was not removed`);
  }
  if (isClaimedPartial(partialPath)) {
    throw new PgbrError('usage', `${partialPath} is a dump still being written: cancel it instead`);
  }
  await fs.rm(partialPath, { recursive: true, force: true });
}

