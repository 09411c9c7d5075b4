// `pgbr dump` and `pgbr globals`: logical backups from the command line, with table picking, progress on stderr and a manifest.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { runDump, DUMP_OPTION_HELP, type DumpSection, runGlobalsDump, manifestPathFor, type DumpFormat, type DumpManifest, takenNameNote, type DumpProgress } from '../core/logical';
import { PgbrError, printable, formatBytes, describeLeftovers, findPartials, abortOnSignals } from '../core/platform';
import { parseQualifiedName, type QualifiedName } from '../core/postgres';
import { parseRecipients } from '../core/crypto';
import { jsonOption, workspaceOption } from './commands';
import { dumpFoldersFor, profilesFor } from './workspace';
import { Exit, makeOutput } from './output';
import type { CliContext, Io } from './io';
import { binPathOption, collect, connOption, connectionFor, inventoryFor, parseJobs, stderrLogger, verboseOption } from './shared';

interface CommonOptions {
  conn: string;
  workspace: string;
  json?: boolean;
  out?: string;
  binPath?: string;
  verbose?: boolean;
}

interface DumpCliOptions extends CommonOptions {
  db?: string;
  table: string[];
  excludeTable: string[];
  schema: string[];
  format: DumpFormat;
  jobs?: number;
  compress?: string;
  schemaOnly?: boolean;
  dataOnly?: boolean;
  /** Commander turns `--no-owner` into `owner: false`. */
  owner: boolean;
  privileges: boolean;
  excludeTableData: string[];
  section: DumpSection[];
  create?: boolean;
  clean?: boolean;
  ifExists?: boolean;
  /** `--blobs` / `--no-blobs`: undefined when neither was given. */
  blobs?: boolean;
  encoding?: string;
  /** Commander turns `--no-tablespaces` into `tablespaces: false`. */
  tablespaces: boolean;
  lockWaitTimeout?: string;
  role?: string;
  name?: string;
  encryptTo: string[];
  encryptManifest?: boolean;
}

interface GlobalsCliOptions extends CommonOptions {
  db?: string;
  /** Commander turns `--no-role-passwords` into `rolePasswords: false`. */
  rolePasswords: boolean;
  name?: string;
  encryptTo: string[];
}


const SECTIONS: readonly string[] = ['pre-data', 'data', 'post-data'];

/** `--section data --section post-data`: repeatable, each one a section pg_dump and pg_restore know. */
export function collectSection(value: string, previous: DumpSection[] = []): DumpSection[] {
  if (!SECTIONS.includes(value)) throw new InvalidArgumentError(`"${value}" is not a section: use pre-data, data or post-data.`);
  return [...previous, value as DumpSection];
}

/** `--schema sales` or `--schema '"My Schema"'`: one identifier in SQL syntax. */
function parseSchemaName(text: string): string {
  const sentinel = '\u0000';
  const q = parseQualifiedName(text, sentinel);
  if (q.schema !== sentinel) throw new PgbrError('usage', `"${text}" is not a schema name: give one name, e.g. sales or "My Schema"`);
  return q.name;
}

/**
 * `--out`: a folder to put a generated name in, or, when it has an extension and is not an
 * existing folder, the dump's own file name.
 */
async function outputFor(out: string | undefined, workspace: string, template: string | undefined, io: Io) {
  const nameTemplate = template !== undefined ? { nameTemplate: template } : {};
  // The first dump folder pgbackup.yaml names, as in the editor, so pgbr status and the Dumps view see the dump.
  if (out === undefined) return { folder: dumpFoldersFor((await profilesFor(workspace, io)).config, workspace)[0] as string, ...nameTemplate };
  const isFolder = await isDirectory(path.resolve(workspace, out));
  const resolved = path.resolve(workspace, out);
  if (!isFolder && path.extname(resolved) !== '') return { folder: path.dirname(resolved), fileName: path.basename(resolved) };
  return { folder: resolved, ...nameTemplate };
}

async function isDirectory(p: string): Promise<boolean> {
  return fs.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Unfinished dumps beside the new one, which no running pgbr is writing: disk space a person must decide on. */
async function noteLeftovers(folder: string, io: Io): Promise<void> {
  for (const note of describeLeftovers({ partials: await findPartials([folder]) })) io.err(`pgbr: note: ${note}\n`);
}

/** One stderr line per table as it starts: `[3/12] public.orders`. */
function progressPrinter(io: Io): (p: DumpProgress) => void {
  const seen = new Set<string>();
  return (p) => {
    if (p.current === undefined || seen.has(p.current)) return;
    seen.add(p.current);
    io.err(`[${seen.size}/${p.tablesTotal}] ${printable(p.current)}\n`);
  };
}

function describeDump(result: { path: string; manifest: DumpManifest; requestedPath?: string }): string {
  const m = result.manifest;
  const rows = m.rowCounts.reduce((sum, t) => sum + t.rows, 0);
  const what = m.kind === 'globals' ? 'globals' : `"${m.database ?? ''}"`;
  const tables = m.kind === 'globals' ? '' : `, ${m.rowCounts.length} table${m.rowCounts.length === 1 ? '' : 's'}, ${rows} row${rows === 1 ? '' : 's'}`;
  const line = `Dumped ${what} to ${result.path} (${m.format}, ${formatBytes(m.sizeBytes)}${tables}, ${(m.durationMs / 1000).toFixed(1)} s)`;
  const taken = takenNameNote(result);
  return taken ? `${line}\nnote: ${taken}` : line;
}

export async function dumpCommand(opts: DumpCliOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    // Names are checked before anything connects: a typo is a usage error, not a failed dump.
    const tables: QualifiedName[] = opts.table.map((t) => parseQualifiedName(t));
    const excludeTables: QualifiedName[] = opts.excludeTable.map((t) => parseQualifiedName(t));
    const excludeTableData: QualifiedName[] = opts.excludeTableData.map((t) => parseQualifiedName(t));
    const schemas = opts.schema.map(parseSchemaName);
    const encryption = parseRecipients(opts.encryptTo);
    const { name, resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const database = opts.db ?? resolved.params.database;
    const tools = await inventoryFor(opts.binPath, io);
    const output = await outputFor(opts.out, opts.workspace, opts.name, io);
    const result = await runDump({
      connection: { params: resolved.params, password: resolved.password },
      profile: name,
      database,
      tables,
      excludeTables,
      schemas,
      format: opts.format,
      ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
      ...(opts.compress !== undefined ? { compression: opts.compress } : {}),
      schemaOnly: !!opts.schemaOnly,
      dataOnly: !!opts.dataOnly,
      noOwner: !opts.owner,
      noPrivileges: !opts.privileges,
      excludeTableData,
      ...(opts.section.length > 0 ? { sections: opts.section } : {}),
      create: !!opts.create,
      clean: !!opts.clean,
      ifExists: !!opts.ifExists,
      ...(opts.blobs !== undefined ? { blobs: opts.blobs ? ('include' as const) : ('exclude' as const) } : {}),
      ...(opts.encoding !== undefined ? { encoding: opts.encoding } : {}),
      noTablespaces: !opts.tablespaces,
      ...(opts.lockWaitTimeout !== undefined ? { lockWaitTimeout: opts.lockWaitTimeout } : {}),
      ...(opts.role !== undefined ? { role: opts.role } : {}),
      output,
      tools,
      ...(encryption ? { encryption } : {}),
      ...(opts.encryptManifest ? { encryptManifest: true } : {}),
      signal: interrupt.signal,
      ...(opts.json ? {} : { onProgress: progressPrinter(io) }),
      logger: stderrLogger(io, !!opts.verbose),
    });
    out.result({ path: result.path, ...(result.requestedPath ? { requestedPath: result.requestedPath } : {}), manifestPath: manifestPathFor(result.path), ...result.manifest }, () => describeDump(result));
    await noteLeftovers(path.dirname(result.path), io);
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

export async function globalsCommand(opts: GlobalsCliOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const encryption = parseRecipients(opts.encryptTo);
    const { name, resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const tools = await inventoryFor(opts.binPath, io);
    const output = await outputFor(opts.out, opts.workspace, opts.name, io);
    // Only a database the user named: pg_dumpall's own choice (postgres, then template1) beats libpq's default of the user name.
    const database = opts.db ?? resolved.profile.params.database;
    const result = await runGlobalsDump({
      connection: { params: resolved.params, password: resolved.password },
      profile: name,
      ...(database ? { database } : {}),
      noRolePasswords: !opts.rolePasswords,
      ...(encryption ? { encryption } : {}),
      output,
      tools,
      signal: interrupt.signal,
      logger: stderrLogger(io, !!opts.verbose),
    });
    out.result({ path: result.path, ...(result.requestedPath ? { requestedPath: result.requestedPath } : {}), manifestPath: manifestPathFor(result.path), ...result.manifest }, () => describeDump(result));
    await noteLeftovers(path.dirname(result.path), io);
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

const outOption = () =>
  new Option('--out <path>', 'the folder to write to (default: the first of dumpFolders in pgbackup.yaml, else <workspace>/.pg-backups), or a file name with an extension');

export function addDumpCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('dump')
    .description('dump a database with pg_dump: exact table picks, row counts in the dump snapshot, a manifest with sha256')
    .addOption(connOption())
    .option('--db <name>', "the database to dump (default: the profile's database)")
    .option('--table <schema.table>', 'dump only this table, in SQL syntax (orders, sales."Order Items"); repeatable', collect, [])
    .option('--exclude-table <schema.table>', 'leave this table out; repeatable', collect, [])
    .option('--schema <name>', 'dump only this schema; repeatable (ignored with --table)', collect, [])
    .addOption(new Option('--format <format>', 'archive format').choices(['custom', 'directory', 'tar', 'plain']).default('custom'))
    .addOption(new Option('--jobs <n>', 'parallel workers (directory format; default: one per CPU)').argParser(parseJobs))
    .option('--compress <spec>', 'compression: 0-9, none, gzip[:level], lz4[:level], zstd[:level] (lz4 and zstd need pg_dump 16+)')
    .option('--schema-only', 'definitions only, no table data')
    .option('--data-only', 'table data only, no definitions')
    .option('--no-owner', 'leave out commands that set object owners')
    .option('--no-privileges', 'leave out GRANT and REVOKE')
    .option('--exclude-table-data <schema.table>', `${DUMP_OPTION_HELP.excludeTableData}; repeatable`, collect, [])
    .addOption(new Option('--section <section>', `${DUMP_OPTION_HELP.sections}; repeatable`).argParser(collectSection).default([]))
    .option('--create', DUMP_OPTION_HELP.create)
    .option('--clean', DUMP_OPTION_HELP.clean)
    .option('--if-exists', DUMP_OPTION_HELP.ifExists)
    .option('--blobs', DUMP_OPTION_HELP.blobsInclude)
    .option('--no-blobs', DUMP_OPTION_HELP.blobsExclude)
    .option('--encoding <name>', DUMP_OPTION_HELP.encoding)
    .option('--no-tablespaces', DUMP_OPTION_HELP.noTablespaces)
    .option('--lock-wait-timeout <duration>', `${DUMP_OPTION_HELP.lockWaitTimeout} (5000, 30s, 5min)`)
    .option('--role <role>', DUMP_OPTION_HELP.role)
    .option('--encrypt-to <recipient>', 'encrypt as it is written, to an age public key (age1…) or gpg:FINGERPRINT; repeatable (custom format; <name>.dump.age or .dump.gpg)', collect, [])
    .option('--encrypt-manifest', "with --encrypt-to: seal the manifest's table names and row counts to the same recipients")
    .option('--name <template>', 'name template: {db} {profile} {format} {yyyy} {MM} {dd} {HH} {mm} {ss} {yyyyMMdd-HHmmss}')
    .addOption(outOption())
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (opts: DumpCliOptions) => exit(await dumpCommand(opts, io)));

  program
    .command('globals')
    .description('dump roles and tablespaces with pg_dumpall --globals-only, with a manifest')
    .addOption(connOption())
    .option('--db <name>', 'the database pg_dumpall connects to (default: postgres, then template1)')
    .option('--no-role-passwords', 'dump roles without their password hashes (works without superuser)')
    .option('--name <template>', 'name template (default {profile}_globals_{yyyyMMdd-HHmmss})')
    .option('--encrypt-to <recipient>', 'encrypt as it is written, to an age public key (age1…) or gpg:FINGERPRINT; repeatable (<name>.sql.age or .sql.gpg)', collect, [])
    .addOption(outOption())
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (opts: GlobalsCliOptions) => exit(await globalsCommand(opts, io)));
}
