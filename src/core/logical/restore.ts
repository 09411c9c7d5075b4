import * as fs from 'node:fs/promises';
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { prepareToolRuns } from '../platform/runner';
import { chooseTool, type FoundTool, type ToolInventory } from '../platform/tools';
import type { QualifiedName } from '../postgres/names';
import { getServerInfo, withClient, withLazyClient } from '../postgres/server';
import type { ConnectionParams } from '../profiles/types';
import { plural } from '../platform/plural';
import { fitToCluster, readGlobalsScript } from './globalsScript';
import { checkHeadIntegrity, checkIntegrity, type PartsProof } from './integrity';
import { readManifest, type DumpFormat, type DumpManifest } from './manifest';
import { isGlobalsDump } from './verifyGlobals';
import { refuseSelfConnectingScript, validateRestore, type RestoreChoices } from './restoreOptions';
import { detectDumpFormat, dumpedByMajor, readToc, readTocHeader, type Toc } from './toc';
import { type LeftOutForeignKey, type RestoreList, buildRestoreList, dumpRelations, dumpTables, fmtName, key, listOf, schemasNeeded, withoutDanglingForeignKeys } from './restoreList';
import type { Decryption } from './encryptedDump';
import { CORRUPT_PATTERNS, isOneTransaction, runPgRestore, runPsql } from './restoreRun';
import { checkDataOnlyTarget, checkEmpty, clusterGlobals, checkTablesTarget, createDatabase, createMissingSchemas, existingTables, truncateTables } from './restoreTarget';

// Restores a dump, whole or table by table, refusing to collide with data and reporting every ignored error as a failure.
//
// The table list is planned from the table of contents (`buildRestoreList`), the target is checked before
// anything changes, and pg_restore or psql run with progress and cancellation.
export { RESTORE_OPTION_HELP, type RestoreChoices } from './restoreOptions';

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
  /** What opens an encrypted dump: age identities (GPG uses the user's agent and keyring). */
  decryption?: Decryption;
  /** Restore without comparing the dump's files with its manifest's sha256 first (the user chose to). */
  skipChecksum?: boolean;
  /**
   * A whole restore of an archive leaves out the foreign keys whose referenced table is neither in the
   * dump nor in the target, as a restore of chosen tables always does (a dump of chosen tables holds such keys).
   */
  leaveOutDanglingForeignKeys?: boolean;
}

/**
 * Whether the dump's bytes were proven against its manifest before the restore: the whole file
 * (`intact`), or, for chosen tables, its head and the data blocks restored (`parts-intact`).
 */
export type ChecksumState = 'intact' | 'parts-intact' | 'no-manifest' | 'skipped';

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
  /** Options that did not apply to this dump and were ignored, and foreign keys left out. */
  warnings: string[];
  /** Foreign keys not restored because the table they reference is neither restored nor in the target. */
  foreignKeysLeftOut: LeftOutForeignKey[];
  durationMs: number;
  /** The run was cut short from outside (the tool killed, the server gone): the failure says nothing about the dump. */
  interrupted?: string;
}

/**
 * Restores a dump into a database. Refuses (PgbrError) before touching anything when the target holds
 * objects the dump would collide with; otherwise runs the tool and returns what happened, where any
 * error, ignored or not, makes the result `failed`.
 */
export async function runRestore(opts: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  // A damaged dump restores damaged rows without a word from pg_restore: its bytes are proven first.
  let checksum: ChecksumState = 'skipped';
  // What the check read of the manifest; without the check it is read only for a script.
  let checked: { manifest?: DumpManifest } | undefined;
  // Chosen tables from a dump with block sums: its head now, the blocks it restores once the list is known.
  let parts: PartsProof | undefined;
  const tables = [...(opts.tables ?? [])];
  const damaged = (message: string) => new PgbrError('damaged', `${message} Nothing was restored: use another copy of the dump.`);
  if (!opts.skipChecksum) {
    const head = tables.length > 0 ? await checkHeadIntegrity(opts.dumpPath, { signal: opts.signal, logger: opts.logger }) : undefined;
    if (head?.status === 'damaged') throw damaged(head.message);
    if (head) {
      parts = head.proof;
      checksum = 'parts-intact';
      checked = { manifest: parts.manifest };
    } else {
      const integrity = await checkIntegrity(opts.dumpPath, { signal: opts.signal, logger: opts.logger });
      if (integrity.status === 'damaged') throw damaged(integrity.message);
      checksum = integrity.status;
      checked = integrity.status === 'intact' ? { manifest: integrity.manifest } : {};
    }
  }
  const quick = opts.toc ? { toc: opts.toc, complete: true } : await readTocQuick(opts.dumpPath, opts.decryption);
  const toc = quick.toc;
  const { format, gzip } = toc;
  validateRestore(opts, format, gzip);
  // An encrypted script is only ever pg_dumpall's globals, which connect nowhere; its head is not readable here.
  if (format === 'plain' && !toc.encryption) await refuseSelfConnectingScript(opts.dumpPath, gzip, opts.database);
  const warnings: string[] = [];
  // Roles belong to the cluster, not to the database the script runs in: the cluster's own are asked for.
  const globals = format === 'plain' && (await isGlobalsDump(opts.dumpPath, checked ? checked.manifest : await readManifest(opts.dumpPath).catch(() => undefined)));
  if (format === 'plain' && opts.noOwner) warnings.push('no-owner does not apply to a plain SQL dump: it sets owners as it was written.');
  if (format === 'plain' && opts.noPrivileges) warnings.push('no-privileges does not apply to a plain SQL dump: it grants as it was written.');

  const maintenance = opts.connection.database || 'postgres';
  const target: ConnectionParams = { ...opts.connection, database: opts.database };
  const where = `database "${opts.database}"`;

  // Look at the server and the target before anything is changed, over one connection: to the target
  // when it exists; when the restore creates it, to the maintenance database, which creates it, and then,
  // only if a question needs it, to the new database.
  const look = async (c: pg.Client) => {
    const info = await getServerInfo(c);
    const cluster = globals ? await clusterGlobals(c) : undefined;
    if (opts.create) {
      const found = await c.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [opts.database]);
      if ((found.rowCount ?? 0) > 0) throw new PgbrError('usage', `${where} already exists: restore into it without create, or choose a new name.`);
    }
    const picked = pickTool(opts.inventory, format, info.major, toc);
    // A TOC read by another route (pg_restore --list) is what the table choice below must use.
    const whole = quick.complete ? toc : await readToc(opts.dumpPath, { pgRestore: picked.path, logger: opts.logger, signal: opts.signal });
    const chosen = tables.length > 0 ? buildRestoreList(whole.entries, tables, { dataOnly: opts.dataOnly }) : undefined;
    // The list's data is all it reads of the file past the head (later changes to it add schemas and drop keys, never data).
    const blockDamage = parts && chosen ? await parts.checkEntries(chosen.entries) : undefined;
    if (blockDamage) throw damaged(blockDamage);
    // Only a database that did not exist is created, so the checks of an existing one below never meet it.
    if (opts.create) {
      const creating = createDatabase(c, opts.database);
      prepareToolRuns();
      await creating;
    }
    return { exists: !opts.create, tool: picked, fullToc: whole, created: !!opts.create, firstList: chosen, cluster };
  };
  type Looked = Awaited<ReturnType<typeof look>>;
  let list: RestoreList | undefined;
  const recreate = tables.length > 0 && (opts.recreate || opts.clean);

  const prepareTarget = async ({ exists, fullToc, created }: Looked, client: () => Promise<pg.Client>): Promise<LeftOutForeignKey[]> => {
    if (exists) {
      const c = await client();
      if (tables.length > 0) await checkTablesTarget(c, tables, { dataOnly: !!opts.dataOnly, recreate: !!recreate, where });
      else if (opts.dataOnly) await checkDataOnlyTarget(c, fullToc, where);
      // A roles script creates nothing in the database it runs in.
      else if (!opts.clean && !globals) await checkEmpty(c, where);
    }

    // Schemas the restore needs and the target lacks: the dump's SCHEMA entries where it has them (a whole
    // dump restores those itself), else created here, owned by the restoring user. Data-only needs none.
    if (!opts.dataOnly && format !== 'plain') {
      // A database this restore has just made from template0 holds the public schema and no other.
      const needed = schemasNeeded(fullToc.entries, list ? list.entries : fullToc.entries).filter((s) => !created || s.name !== 'public');
      if (needed.length > 0) {
        const made = await createMissingSchemas(await client(), needed, { fromDump: !!list });
        if (list && made.fromDump.length > 0) list = buildRestoreList(fullToc.entries, tables, { schemas: made.fromDump });
        for (const w of made.warnings) {
          warnings.push(w);
          opts.logger?.warn(w);
        }
      }
    }
    if (opts.dataOnly) await truncateTables(await client(), tables.length > 0 ? tables : dumpTables(fullToc), where);

    let leftOut: LeftOutForeignKey[] = [];
    const wholeWithoutDangling = !list && !!opts.leaveOutDanglingForeignKeys && format !== 'plain';
    if ((list || wholeWithoutDangling) && !opts.dataOnly) {
      const candidates = list ?? listOf(fullToc.entries);
      const referenced = candidates.entries.filter((e) => e.desc === 'FK CONSTRAINT' && e.references).map((e) => e.references!);
      const present = exists && referenced.length > 0 ? await existingTables(await client(), referenced) : new Set<string>();
      const checked = withoutDanglingForeignKeys(candidates, list ? tables : dumpRelations(fullToc.entries), (t) => present.has(key(t.schema, t.name)));
      // A whole restore with every key in place runs without a list, as it always has.
      if (list || checked.left.length > 0) list = checked.list;
      leftOut = checked.left;
      warnings.push(...checked.warnings);
      for (const w of checked.warnings) opts.logger?.warn(w);
    }
    return leftOut;
  };

  let looked: Looked;
  let foreignKeysLeftOut: LeftOutForeignKey[];
  const connectOpts = { password: opts.password, signal: opts.signal };
  if (opts.create) {
    looked = await withClient(opts.connection, { ...connectOpts, database: maintenance }, look);
    list = looked.firstList;
    foreignKeysLeftOut = await withLazyClient(target, connectOpts, (client) => prepareTarget(looked, client));
  } else {
    try {
      [looked, foreignKeysLeftOut] = await withClient(target, connectOpts, async (c) => {
        const l = await look(c);
        list = l.firstList;
        return [l, await prepareTarget(l, () => Promise.resolve(c))] as const;
      });
    } catch (e) {
      if (e instanceof PgbrError && (e.cause as { code?: string } | undefined)?.code === '3D000') {
        throw new PgbrError('usage', `${where} does not exist: create it first, or restore with create.`, { cause: e });
      }
      throw e;
    }
  }
  const { tool, fullToc, created, cluster } = looked;

  // The tools roll the whole restore back on an error when it runs in one transaction (pg_restore's
  // --single-transaction implies --exit-on-error; psql runs with ON_ERROR_STOP).
  const oneTransaction = format === 'plain' ? !!opts.singleTransaction : isOneTransaction(opts, !!recreate);
  let script: string | undefined;
  if (cluster) {
    const fitted = fitToCluster(await readGlobalsScript(opts.dumpPath, toc.encryption, opts.decryption ?? {}, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.logger ? { logger: opts.logger } : {}) }), cluster);
    script = fitted.text;
    const { roles, tablespaces } = fitted.skipped;
    if (roles.length > 0) warnings.push(`${plural(roles.length, 'role')} the cluster already had (${roles.join(', ')}): not created again; the script's ALTER ROLE set their attributes${/PASSWORD '/.test(script) ? ' and passwords' : ''} as dumped.`);
    if (tablespaces.length > 0) warnings.push(`${plural(tablespaces.length, 'tablespace')} the cluster already had (${tablespaces.join(', ')}): not created again, and left where they are.`);
  }
  const run = format === 'plain' ? runPsql(opts, tool, target, gzip, toc.encryption, script) : runPgRestore(opts, tool, list, fullToc, { recreate: !!recreate });
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
    foreignKeysLeftOut,
    durationMs,
    ...(outcome.interrupted ? { interrupted: outcome.interrupted } : {}),
  };
  result.message = describeOutcome(result, outcome.runMessage, { oneTransaction, recreate: !!recreate });
  if (opts.logFile) await fs.writeFile(opts.logFile, outcome.log, { mode: 0o600 });
  opts.logger?.info(`restore of ${opts.dumpPath} into ${opts.database}: ${result.status} (${result.message})`);
  return result;
}

/**
 * The dump's format and, for archives, its table of contents. A plain dump is not scanned (the restore
 * reads it anyway); an archive only pg_restore can list is read again once a pg_restore is chosen.
 */
async function readTocQuick(dumpPath: string, decryption: Decryption | undefined): Promise<{ toc: Toc; complete: boolean }> {
  const detected = await detectDumpFormat(dumpPath);
  if (detected.encryption && detected.format !== 'plain') return { toc: await readToc(dumpPath, { ...(decryption ? { decryption } : {}) }), complete: true };
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

function describeOutcome(r: RestoreResult, runMessage: string | undefined, o: { oneTransaction: boolean; recreate: boolean }): string {
  const what = r.tables?.length ? `${r.tables.map(fmtName).join(', ')} from ${r.dumpPath}` : r.dumpPath;
  const seconds = `${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.status === 'succeeded') {
    const left = r.foreignKeysLeftOut.length;
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

