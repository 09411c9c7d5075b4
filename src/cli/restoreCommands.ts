// `pgbr toc`, `pgbr restore` and `pgbr verify`: what is in a dump, putting it back (whole or table by table), and proving it restores.
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { readManifest, type DumpManifest, quickDamage, type DumpSection, RESTORE_OPTION_HELP, runRestore, type RestoreProgress, type RestoreResult, isSameDatabase, dumpedByMajor, BUILT_TOC_READER, compactTree, type CompactTocTree, groupToc, indexedDamage, indexedTree, readToc, readTocHeader, readTocIndex, type Toc, writeTocIndex, leftOutForeignKeyLine, verifyDump, type VerifyReport, verifyGlobals, isGlobalsDump } from '../core/logical';
import { findServerBinDir } from '../core/pitr';
import { cacheFolder, PgbrError, usageError, printable, printableLines, chooseTool, plural, formatWhen, abortOnSignals } from '../core/platform';
import { formatQualifiedName, parseQualifiedName, quoteIdent, type QualifiedName } from '../core/postgres';
import { collectSection } from './dumpCommands';
import { jsonOption, workspaceOption } from './commands';
import { Exit, makeOutput, table, type Output } from './output';
import type { CliContext, Io } from './io';
import { binPathOption, collect, connOption, connectionFor, decryptionFor, identityOption, inventoryFor, parseJobs, stderrLogger, verboseOption } from './shared';

interface TocCliOptions {
  json?: boolean;
  entries?: boolean;
  identity?: string;
  binPath?: string;
}

interface RestoreCliOptions {
  conn: string;
  db: string;
  table: string[];
  create?: boolean;
  clean?: boolean;
  recreate?: boolean;
  dataOnly?: boolean;
  /** Commander turns `--no-owner` into `owner: false`. */
  owner: boolean;
  privileges: boolean;
  singleTransaction?: boolean;
  exitOnError?: boolean;
  jobs?: number;
  role?: string;
  section: DumpSection[];
  disableTriggers?: boolean;
  yes?: boolean;
  logFile?: string;
  workspace: string;
  identity?: string;
  binPath?: string;
  verbose?: boolean;
  json?: boolean;
  /** Commander turns `--no-checksum` into `checksum: false`. */
  checksum: boolean;
}

interface VerifyCliOptions {
  /** Needed for a database dump (restored into a scratch database on that server), not for globals. */
  conn?: string;
  jobs?: number;
  /** Commander turns `--no-record` into `record: false`. */
  record: boolean;
  workspace: string;
  identity?: string;
  binPath?: string;
  verbose?: boolean;
  json?: boolean;
}


/** A dump that cannot be read is a finding about the dump (exit 1), not a usage error. */
function failDump(out: Output, e: unknown): number {
  const code = out.fail(e);
  return e instanceof PgbrError && /truncated or corrupt/.test(e.message) ? Exit.Problem : code;
}

/** One stderr line per restored item: `[12/40] creating TABLE "public.orders"`. */
function progressPrinter(io: Io): (p: RestoreProgress) => void {
  return (p) => io.err(p.total > 0 ? `[${p.done}/${p.total}] ${printable(p.item)}\n` : `[${p.done}] ${printable(p.item)}\n`);
}

// ---------------------------------------------------------------------------------------------
// pgbr toc

/** The TOC, reading archives this build cannot parse with the pg_restore that matches the dump. */
async function tocFor(dumpPath: string, binPath: string | undefined, identity: string | undefined, io: Io): Promise<Toc> {
  try {
    return await readToc(dumpPath, { decryption: await decryptionFor(identity, io) });
  } catch (e) {
    if (!(e instanceof PgbrError && e.kind === 'tool-missing')) throw e;
    const inventory = await inventoryFor(binPath, io);
    const major = dumpedByMajor(await readTocHeader(dumpPath)) ?? 0;
    return readToc(dumpPath, { pgRestore: chooseTool(inventory, 'pg_restore', major).path });
  }
}

/** Entries whose tag already reads as SQL (`TABLE "Order""s"`): shown as they are. */
const ABOUT_ANOTHER = new Set(['COMMENT', 'ACL', 'SECURITY LABEL']);

/** What the text listing shows of the dump besides its tree. */
type TocAbout = Pick<Toc, 'path' | 'format' | 'gzip' | 'header'>;

export function renderToc(toc: TocAbout, tree: CompactTocTree, manifest: DumpManifest | undefined): string {
  const h = toc.header;
  const lines: string[] = [];
  // Names come from the dump: a newline or escape sequence in one is shown escaped, never printed raw.
  const ident = (name: string) => printable(quoteIdent(name));
  const format = toc.gzip ? `${toc.format}, gzip` : toc.format;
  lines.push(`${printable(toc.path)} (${format}${h.archiveVersion ? `, archive ${h.archiveVersion}` : ''})`);
  const about = [
    h.dbname ? `database ${printable(h.dbname)}` : undefined,
    h.createdAt ? `created ${h.createdAt}` : undefined,
    h.dumpedFrom ? `server ${h.dumpedFrom}` : undefined,
    h.dumpedBy ? `pg_dump ${h.dumpedBy}` : undefined,
    h.compression ? `compression ${h.compression}` : undefined,
  ].filter(Boolean);
  if (about.length) lines.push(about.join(', '));
  if (manifest) {
    const v = manifest.verification;
    lines.push(`manifest: ${plural(manifest.rowCounts.length, 'table')} counted; ${v ? `verification ${v.status} ${formatWhen(v.at)}` : 'never verified'}`);
  }
  const rows = new Map((manifest?.rowCounts ?? []).map((r) => [`${r.schema}\0${r.table}`, r.rows]));
  // Names are shown as SQL writes them, so `"a b"` and `"Order""s"` read unambiguously and can be pasted into --table.
  const of = (e: { name: string; table?: string }) => (e.table !== undefined && e.table !== e.name ? `${ident(e.name)} on ${ident(e.table)}` : ident(e.name));
  for (const s of tree.schemas) {
    lines.push('', `schema ${ident(s.name)}`);
    if (s.tables.length) {
      const body = s.tables.map((t) => {
        const count = rows.get(`${s.name}\0${t.name}`);
        return [`    ${ident(t.name)}`, t.kind, t.hasData ? (count !== undefined ? plural(count, 'row') : 'data') : 'no data'];
      });
      lines.push(`  tables (${s.tables.length})`, table(body));
    }
    const group = (label: string, names: string[]) => {
      if (names.length) lines.push(`  ${label} (${names.length}): ${names.join(', ')}`);
    };
    // Function tags carry their argument types: `f un(integer, text)`; quote the name part only.
    group('functions', s.functions.map((name) => name.replace(/^(.*?)(\(.*\))$/s, (_m, name: string, args: string) => ident(name) + printable(args))));
    group('sequences', s.sequences.map((e) => ident(e.name)));
    group('indexes', s.indexes.map(of));
    group('constraints', s.constraints.map(of));
    group('others', s.others.map((e) => `${e.kind} ${ABOUT_ANOTHER.has(e.kind) ? printable(e.name) : of(e)}`));
  }
  if (tree.global.length) lines.push('', `outside schemas: ${tree.global.map((e) => `${e.kind} ${ABOUT_ANOTHER.has(e.kind) ? printable(e.name) : ident(e.name)}`).join(', ')}`);
  return lines.join('\n');
}

/** The manifest as a listing shows it: without the per-block sums, which only an integrity check reads (one per table with rows). */
function listedManifest(manifest: DumpManifest | undefined): Omit<DumpManifest, 'blocks'> | null {
  if (!manifest) return null;
  const shown: Omit<DumpManifest, 'blocks'> & { blocks?: unknown } = { ...manifest };
  delete shown.blocks;
  return shown;
}

/** The listing from the TOC index, when it holds this dump's TOC as it is now. */
async function indexedListing(dumpPath: string, cacheDir: string | undefined, reader: string | undefined, manifest: Promise<DumpManifest | undefined>) {
  const indexed = cacheDir && reader ? await readTocIndex(dumpPath, cacheDir, reader) : undefined;
  if (!indexed) return undefined;
  const m = await manifest;
  const damage = (await indexedDamage(dumpPath, indexed)) ?? (await quickDamage(dumpPath, m));
  return { about: { path: dumpPath, format: indexed.format, gzip: false, header: indexed.header }, source: 'archive' as const, treeJson: indexed.treeJson, tree: () => indexedTree(indexed), manifest: m, damage };
}

export async function tocCommand(dump: string, opts: TocCliOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const dumpPath = path.resolve(dump);
    const manifestRead = readManifest(dumpPath);
    // An index is kept by a build only, whose TOC reader has a name (BUILT_TOC_READER), and not when PGBR_NO_TOC_INDEX is set.
    const reader = BUILT_TOC_READER;
    const cacheDir = io.env.PGBR_NO_TOC_INDEX || !reader ? undefined : cacheFolder(io.env);
    // The tree alone (what callers read) can come from the TOC index; every entry (ten times its size) is read afresh.
    const indexed = opts.entries ? undefined : await indexedListing(dumpPath, cacheDir, reader, manifestRead);
    if (indexed) {
      const { about, manifest, damage } = indexed;
      if (opts.json) {
        const head = { dump: dumpPath, format: about.format, gzip: about.gzip, source: indexed.source, header: about.header, manifest: listedManifest(manifest), damage: damage ?? null };
        // The tree's JSON is written as the index holds it: parsing and printing it again would be most of the listing's time.
        io.out(`${JSON.stringify(head).slice(0, -1)},"tree":${indexed.treeJson}}\n`);
      } else out.result(undefined, () => renderToc(about, indexed.tree(), manifest));
      if (damage && !opts.json) io.err(`pgbr: ${damage}\n`);
      return damage ? Exit.Problem : Exit.Ok;
    }
    const [toc, manifest] = await Promise.all([tocFor(dumpPath, opts.binPath, opts.identity, io), manifestRead]);
    const tree = compactTree(groupToc(toc.entries));
    const treeJson = JSON.stringify(tree);
    if (cacheDir && reader) await writeTocIndex(toc, treeJson, cacheDir, reader);
    // What the archive shows of itself, else what its size says against the manifest's.
    const damage = toc.damage ?? (await quickDamage(dumpPath, manifest));
    const document = { dump: dumpPath, format: toc.format, gzip: toc.gzip, source: toc.source, header: toc.header, manifest: listedManifest(manifest), damage: damage ?? null, tree };
    out.result(opts.entries ? { ...document, entries: toc.entries } : document, () => renderToc(toc, tree, manifest), { compact: true });
    if (damage && !opts.json) io.err(`pgbr: ${damage}\n`);
    return damage ? Exit.Problem : Exit.Ok;
  } catch (e) {
    return failDump(out, e);
  }
}

// ---------------------------------------------------------------------------------------------
// pgbr restore

function restoreDocument(dumpPath: string, manifest: DumpManifest | undefined, r: RestoreResult) {
  // The full log only when something went wrong: a clean restore's log is noise in a JSON document.
  const { log, ...rest } = r;
  return {
    dump: dumpPath,
    manifest: manifest ?? null,
    ...rest,
    tables: r.tables?.map((t) => ({ schema: t.schema, table: t.name })),
    ...(r.status === 'succeeded' ? {} : { log }),
  };
}

export async function restoreCommand(dump: string, opts: RestoreCliOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const dumpPath = path.resolve(dump);
    const tables: QualifiedName[] = opts.table.map((t) => parseQualifiedName(t));
    const { resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const manifest = await readManifest(dumpPath);
    if (!opts.create && !opts.yes) {
      const source = manifest ?? (await readTocHeader(dumpPath).catch(() => undefined)) ?? {};
      if (isSameDatabase(source, { host: resolved.params.host, port: resolved.params.port, database: opts.db })) {
        throw new PgbrError(
          'usage',
          `database "${opts.db}" on ${resolved.params.host}:${resolved.params.port} is the one this dump was taken from: pass --yes to restore over it.`,
        );
      }
    }
    const inventory = await inventoryFor(opts.binPath, io);
    const decryption = await decryptionFor(opts.identity, io);
    const result = await runRestore({
      dumpPath,
      decryption,
      connection: resolved.params,
      password: resolved.password,
      database: opts.db,
      create: !!opts.create,
      tables,
      clean: !!opts.clean,
      recreate: !!opts.recreate,
      dataOnly: !!opts.dataOnly,
      noOwner: !opts.owner,
      noPrivileges: !opts.privileges,
      singleTransaction: !!opts.singleTransaction,
      exitOnError: !!opts.exitOnError,
      ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
      ...(opts.role !== undefined ? { role: opts.role } : {}),
      ...(opts.section.length > 0 ? { sections: opts.section } : {}),
      disableTriggers: !!opts.disableTriggers,
      inventory,
      ...(opts.logFile ? { logFile: path.resolve(opts.logFile) } : {}),
      signal: interrupt.signal,
      logger: stderrLogger(io, !!opts.verbose),
      ...(opts.json ? {} : { onProgress: progressPrinter(io) }),
      skipChecksum: !opts.checksum,
    });
    out.result(restoreDocument(dumpPath, manifest, result), () => {
      const lines = [result.message, checksumLine(result.checksum), ...result.warnings.map((w) => `warning: ${w}`)];
      if (result.status === 'failed') lines.push(...result.errors.map((e) => `error: ${e}`));
      return printableLines(lines);
    });
    return result.status === 'succeeded' ? Exit.Ok : Exit.Problem;
  } catch (e) {
    if (e instanceof PgbrError && e.kind === 'damaged') {
      return out.fail(new PgbrError('damaged', `${e.message} To restore it anyway, pass --no-checksum.`));
    }
    return failDump(out, e);
  } finally {
    interrupt.dispose();
  }
}

function checksumLine(state: RestoreResult['checksum']): string {
  if (state === 'skipped') return 'checksums: NOT checked (--no-checksum): the restored data may be damaged.';
  if (state === 'no-manifest') return 'checksums: not checked, the dump has no manifest.';
  if (state === 'parts-intact') return 'checksums: the table of contents and the data restored match the manifest (the rest of the dump was not read; pgbr verify checks it all).';
  return 'checksums: every file matches its manifest.';
}

// ---------------------------------------------------------------------------------------------
// pgbr verify

function verifyDocument(report: VerifyReport, manifest: DumpManifest | undefined) {
  return { dump: report.dumpPath, manifest: manifest ?? null, ...report };
}

export function renderVerify(report: VerifyReport): string {
  const rows = report.tables.map((t) => [
    printable(formatQualifiedName({ schema: t.schema, name: t.table })),
    t.expected === null ? '-' : String(t.expected),
    t.actual === null ? 'missing' : String(t.actual),
    t.ok ? 'ok' : 'DIFFERS',
  ]);
  const lines = [`verification ${report.status}: ${printable(report.message)}`];
  if (rows.length) lines.push(table([['TABLE', 'EXPECTED', 'ACTUAL', ''], ...rows]));
  lines.push(...report.foreignKeysLeftOut.map((k) => `left out: ${printable(leftOutForeignKeyLine(k))}`));
  if (report.restore && report.restore.status === 'failed') lines.push(...report.restore.errors.map((e) => `error: ${printable(e)}`));
  if (report.recorded) lines.push('recorded in the manifest.');
  return lines.join('\n');
}

export async function verifyCommand(dump: string, opts: VerifyCliOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const dumpPath = path.resolve(dump);
    const inventory = await inventoryFor(opts.binPath, io);
    const decryption = await decryptionFor(opts.identity, io);
    const globals = await globalsManifest(dumpPath);
    if (globals.is) {
      // Roles belong to the whole server: proven on a scratch cluster, with no connection to the source.
      const binDir = await findServerBinDir(inventory, Number.parseInt(globals.manifest?.serverVersion ?? '', 10) || undefined);
      const report = await verifyGlobals({ path: dumpPath, binDir, record: opts.record, decryption, signal: interrupt.signal, logger: stderrLogger(io, !!opts.verbose) });
      out.result({ dump: dumpPath, manifest: (await readManifest(dumpPath).catch(() => undefined)) ?? null, ...report }, () => `verification ${report.status}: ${printable(report.message)}`);
      return report.status === 'passed' ? Exit.Ok : Exit.Problem;
    }
    if (opts.conn === undefined) throw usageError(`${dump} is a database dump: it is verified by a restore into a scratch database, so name the server with --conn NAME.`);
    const { name, resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const report = await verifyDump({
      dumpPath,
      decryption,
      connection: resolved.params,
      password: resolved.password,
      inventory,
      profileName: name,
      ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
      record: opts.record,
      signal: interrupt.signal,
      logger: stderrLogger(io, !!opts.verbose),
      ...(opts.json ? {} : { onProgress: progressPrinter(io) }),
    });
    const manifest = await readManifest(dumpPath).catch(() => undefined);
    out.result(verifyDocument(report, manifest), () => renderVerify(report));
    // Interrupted: no verdict on the dump either way, so neither "fine" nor "a problem was found".
    return report.status === 'passed' ? Exit.Ok : report.status === 'interrupted' ? Exit.Error : Exit.Problem;
  } catch (e) {
    return failDump(out, e);
  } finally {
    interrupt.dispose();
  }
}

async function globalsManifest(dumpPath: string): Promise<{ is: boolean; manifest?: DumpManifest }> {
  const manifest = await readManifest(dumpPath).catch(() => undefined);
  return { is: await isGlobalsDump(dumpPath, manifest), ...(manifest ? { manifest } : {}) };
}

// ---------------------------------------------------------------------------------------------

export function addRestoreCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('toc')
    .description("list a dump's contents: schemas, tables (with or without data), functions, sequences, indexes, constraints")
    .argument('<dump>', 'a dump file or directory-format dump folder')
    .addOption(identityOption())
    .addOption(binPathOption())
    .addOption(jsonOption())
    .option('--entries', "with --json: also every entry of the dump's list (ids, catalog and object oids, owners), as pg_restore --list prints them")
    .action(async (dump: string, opts: TocCliOptions) => exit(await tocCommand(dump, opts, io)));

  program
    .command('restore')
    .description('restore a dump with pg_restore (or psql for plain SQL), whole or chosen tables; any error fails the restore')
    .argument('<dump>', 'a dump file or directory-format dump folder')
    .addOption(connOption())
    .requiredOption('--db <name>', 'the database to restore into')
    .option('--table <schema.table>', 'restore only this table and what belongs to it, in SQL syntax (orders, "My Schema"."Order""s"); repeatable', collect, [])
    .option('--create', 'create the database first (it must not exist)')
    .option('--clean', "drop the dump's objects before recreating them (with --table: drop and recreate those tables)")
    .option('--recreate', 'with --table: drop chosen tables that exist and restore them, in one transaction')
    .option('--data-only', 'only rows: empties the tables (TRUNCATE) and loads the rows from the dump')
    .option('--no-owner', 'do not set object owners')
    .option('--no-privileges', 'do not restore GRANT and REVOKE')
    .option('--single-transaction', 'all or nothing: one transaction for the whole restore')
    .option('--exit-on-error', 'stop at the first error (the restore fails either way)')
    .addOption(new Option('--jobs <n>', 'parallel pg_restore jobs (custom and directory dumps)').argParser(parseJobs))
    .option('--role <role>', RESTORE_OPTION_HELP.role)
    .addOption(new Option('--section <section>', `${RESTORE_OPTION_HELP.sections}; repeatable`).argParser(collectSection).default([]))
    .option('--disable-triggers', RESTORE_OPTION_HELP.disableTriggers)
    .option('--yes', 'confirm restoring into the database the dump was taken from')
    .option('--log-file <path>', "also write the tool's full output to this file")
    .option('--no-checksum', "restore without first checking every file against the manifest's sha256 (a damaged dump then restores damaged data)")
    .addOption(identityOption())
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (dump: string, opts: RestoreCliOptions) => exit(await restoreCommand(dump, opts, io)));

  program
    .command('verify')
    .description('restore a dump into a scratch database, compare exact row counts with its manifest, record the result, drop the scratch database; a globals dump runs on a scratch cluster instead')
    .argument('<dump>', 'a dump file or directory-format dump folder')
    .addOption(new Option('--conn <name|uri>', 'a profile name or a postgresql:// URI (the server a database dump is test-restored on; not needed for globals)'))
    .addOption(new Option('--jobs <n>', 'parallel pg_restore jobs (custom and directory dumps)').argParser(parseJobs))
    .option('--no-record', 'do not write the result into the manifest')
    .addOption(identityOption())
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (dump: string, opts: VerifyCliOptions) => exit(await verifyCommand(dump, opts, io)));
}
