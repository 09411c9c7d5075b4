// `pgbr restore` and `pgbr verify`: putting a dump back (whole or table by table), and proving it restores. `pgbr toc` is in tocCommand.ts.
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { readManifest, type DumpManifest, type DumpSection, RESTORE_OPTION_HELP, runRestore, type RestoreProgress, type RestoreResult, isSameDatabase, readTocHeader, leftOutForeignKeyLine, verifyDump, type VerifyReport, verifyGlobals, isGlobalsDump } from '../core/logical';
import { findServerBinDir } from '../core/pitr';
import { PgbrError, usageError, printable, printableLines, abortOnSignals } from '../core/platform';
import { formatQualifiedName, parseQualifiedName, type QualifiedName } from '../core/postgres';
import { collectSection } from './dumpCommands';
import { jsonOption, workspaceOption } from './commands';
import { Exit, makeOutput, table } from './output';
import type { CliContext, Io } from './io';
import { failDump } from './tocCommand';
import { binPathOption, collect, connOption, connectionFor, decryptionFor, identityOption, inventoryFor, parseJobs, stderrLogger, verboseOption } from './shared';

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


/** One stderr line per restored item: `[12/40] creating TABLE "public.orders"`. */
function progressPrinter(io: Io): (p: RestoreProgress) => void {
  return (p) => io.err(p.total > 0 ? `[${p.done}/${p.total}] ${printable(p.item)}\n` : `[${p.done}] ${printable(p.item)}\n`);
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
