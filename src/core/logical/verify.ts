// Proves a dump restores: into a scratch database, with exact row counts checked against the manifest, the verdict recorded.
//
// The scratch database is dropped whatever happens, cancellation included.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { quoteIdentAlways } from '../postgres/names';
import type { ConnectionParams } from '../profiles/types';
import { runRestore, type RestoreProgress, type RestoreResult } from './restore';
import { createDatabase } from './restoreTarget';
import { dropDatabase, withClient } from '../postgres/server';
import { detectDumpFormat, readTocHeader } from './toc';
import type { ToolInventory } from '../platform/tools';
import { writeManifest, type DumpManifest, type Verification } from './manifest';
import { isGlobalsDump } from './verifyGlobals';
import { checkIntegrity } from './integrity';
import { leftOutData } from './options';
import { scratchComment } from '../platform/leftovers';
import { plural } from '../platform/plural';
import { fmtName, type LeftOutForeignKey } from './restoreList';
import { readEncryptedToc, type Decryption } from './encryptedDump';
import { isSealed, sealedVerification, unsealManifest } from './sealedManifest';
import * as path from 'node:path';

export interface VerifyOptions {
  dumpPath: string;
  /** The server to restore on; its `database` is where the scratch database is created from. */
  connection: ConnectionParams;
  password?: string;
  inventory: ToolInventory;
  /** How the server is named in the manifest's record (`profile/database`); host:port when absent. */
  profileName?: string;
  /** Parallel pg_restore jobs for custom and directory dumps. */
  jobs?: number;
  /** Write the verdict into the dump's manifest (default true; there must be a manifest). */
  record?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  /** What opens an encrypted dump: age identities (GPG uses the user's agent and keyring). */
  decryption?: Decryption;
}

export interface VerifiedTable {
  schema: string;
  table: string;
  /** The manifest's exact count; null when the dump has no manifest. */
  expected: number | null;
  /** Rows found after the restore; null when the table is missing. */
  actual: number | null;
  ok: boolean;
}

export interface VerifyReport {
  /** `interrupted`: cut short from outside (a tool killed, the server gone); nothing is said about the dump and nothing recorded. */
  status: 'passed' | 'failed' | 'cancelled' | 'interrupted';
  dumpPath: string;
  manifestFound: boolean;
  /** The scratch database the dump was restored into. */
  scratchDatabase: string;
  /** False only when dropping it failed: `message` then says so, and the name to drop by hand. */
  scratchDropped: boolean;
  /** `profile/database` as recorded in the manifest. */
  target: string;
  tables: VerifiedTable[];
  /** Foreign keys left out of the test restore because the table they reference is not in the dump: not checked. */
  foreignKeysLeftOut: LeftOutForeignKey[];
  restore?: Pick<RestoreResult, 'status' | 'errors' | 'errorsIgnored' | 'itemsDone' | 'itemsTotal' | 'message' | 'log' | 'logTruncated' | 'durationMs'>;
  /** One or two sentences: the verdict and why. */
  message: string;
  /** ISO time the verification finished. */
  at: string;
  durationMs: number;
  /** The verdict was written into the manifest. */
  recorded: boolean;
  /** `damaged`: the checksums did not match, so no restore was tried. */
  checksum: 'intact' | 'no-manifest' | 'damaged';
}

const SCRATCH_PREFIX = 'pgbr_verify_';

/** `pgbr_verify_<db>_<random>`: recognisable, unique, within the 63-byte identifier limit. */
export function scratchDatabaseName(sourceDb: string | undefined): string {
  const slug = (sourceDb ?? 'dump')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return `${SCRATCH_PREFIX}${slug || 'dump'}_${randomBytes(4).toString('hex')}`;
}

/**
 * Verifies a dump by restoring it. Errors that stop the verification before it can judge the dump
 * (no connection, no tools) are thrown; everything about the dump itself is in the report.
 */
export async function verifyDump(opts: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  // The bytes first: row counts can match while a value inside a row was changed.
  const integrity = await checkIntegrity(opts.dumpPath, { signal: opts.signal, logger: opts.logger });
  const recordedManifest = integrity.status === 'no-manifest' ? undefined : integrity.manifest;
  const detected = await detectDumpFormat(opts.dumpPath);
  // An encrypted dump is opened before a scratch database is made: a missing or wrong identity is one line, and nothing to clean up.
  const decryptedToc = detected.encryption ? await readEncryptedToc(opts.dumpPath, detected.encryption, opts.decryption ?? {}, { ...(opts.signal ? { signal: opts.signal } : {}) }) : undefined;
  // Counts sealed into the manifest (encryptManifest) are compared in memory, and never written back in the clear.
  const sealed = isSealed(recordedManifest);
  const manifest = recordedManifest && sealed ? await unsealManifest(recordedManifest, path.basename(opts.dumpPath), opts.decryption ?? {}) : recordedManifest;
  const header = detected.format === 'plain' ? undefined : (decryptedToc?.header ?? (await readTocHeader(opts.dumpPath).catch(() => undefined)));
  const scratch = scratchDatabaseName(manifest?.database ?? header?.dbname);
  const maintenance = opts.connection.database || 'postgres';
  const target = `${opts.profileName ?? `${opts.connection.host ?? 'local'}:${opts.connection.port ?? 5432}`}/${scratch}`;
  if (integrity.status === 'damaged') return damagedReport(opts, integrity.manifest, integrity.message, scratch, target, started);
  if (await isGlobalsDump(opts.dumpPath, manifest)) {
    throw new PgbrError('usage', `${opts.dumpPath} is a globals dump: its roles and tablespaces belong to the whole server, so it is never test-restored on this server; it is verified on a scratch cluster of its own (pgbr verify does that).`);
  }

  let created = false;
  let dropped = false;
  let dropError: string | undefined;
  let restore: RestoreResult | undefined;
  let stopped: string | undefined;
  let tables: VerifiedTable[] = [];
  try {
    await withClient(opts.connection, { password: opts.password, database: maintenance }, async (c) => {
      await createDatabase(c, scratch);
      // Who made it, so a later look at this server can tell a leftover of a killed run from a verify in progress.
      await c.query(`COMMENT ON DATABASE ${quoteIdentAlways(scratch)} IS ${c.escapeLiteral(scratchComment())}`);
    });
    created = true;
    try {
      restore = await runRestore({
        dumpPath: opts.dumpPath,
        connection: opts.connection,
        password: opts.password,
        database: scratch,
        // The scratch server may not have the dump's roles; ownership and grants are not what is being proved.
        noOwner: true,
        noPrivileges: true,
        jobs: detected.format === 'custom' || detected.format === 'directory' ? opts.jobs : undefined,
        inventory: opts.inventory,
        logger: opts.logger,
        signal: opts.signal,
        onProgress: opts.onProgress,
        ...(decryptedToc ? { toc: decryptedToc } : {}),
        ...(opts.decryption ? { decryption: opts.decryption } : {}),
        // Checked above, once.
        skipChecksum: true,
        // A dump of chosen tables holds keys to tables it leaves out: what it holds is verified, and they are named.
        leaveOutDanglingForeignKeys: true,
      });
    } catch (e) {
      // A dump the reader cannot get through is a verdict on the dump, not an error of the run.
      if (e instanceof PgbrError && (e.kind === 'io' || e.kind === 'tool-failed') && /truncated or corrupt/.test(e.message)) stopped = e.message;
      else throw e;
    }
    if (restore && restore.status !== 'cancelled' && !opts.signal?.aborted) {
      tables = await withClient({ ...opts.connection, database: scratch }, { password: opts.password }, (c) => countTables(c, manifest, opts.signal));
    }
  } finally {
    if (created) {
      try {
        await dropScratch(opts.connection, opts.password, maintenance, scratch);
        dropped = true;
      } catch (e) {
        dropError = (e as Error).message;
        opts.logger?.error(`could not drop the scratch database ${scratch}: ${dropError}`);
      }
    }
  }

  const cancelled = restore?.status === 'cancelled' || opts.signal?.aborted === true;
  const restoreClean = restore?.status === 'succeeded';
  const mismatches = tables.filter((t) => !t.ok);
  const foreignKeysLeftOut = restore?.foreignKeysLeftOut ?? [];
  const status: VerifyReport['status'] = cancelled
    ? 'cancelled'
    : restore?.interrupted
      ? 'interrupted'
      : restoreClean && mismatches.length === 0
        ? 'passed'
        : 'failed';
  let message = verdict(status, { manifest, restore, stopped, tables, mismatches });
  const unchecked = uncheckedForeignKeys(foreignKeysLeftOut);
  if (status === 'passed' && unchecked) message += ` ${unchecked}`;
  if (dropError !== undefined) message += ` The scratch database ${scratch} could not be dropped (${dropError}): drop it by hand.`;

  const durationMs = Math.round(performance.now() - started);
  const at = new Date().toISOString();
  let recorded = false;
  if (manifest && (status === 'passed' || status === 'failed') && opts.record !== false) {
    const verification: Verification = {
      status,
      at,
      durationMs,
      target,
      tables: tables.map((t) => ({ schema: t.schema, table: t.table, expected: t.expected ?? 0, actual: t.actual })),
      ...(foreignKeysLeftOut.length > 0 ? { foreignKeysLeftOut } : {}),
      ...(status === 'failed' ? { message } : {}),
    };
    await writeManifest(opts.dumpPath, sealed && recordedManifest ? { ...recordedManifest, verification: sealedVerification(verification) } : { ...manifest, verification });
    recorded = true;
  }
  return {
    status,
    dumpPath: opts.dumpPath,
    manifestFound: manifest !== undefined,
    scratchDatabase: scratch,
    scratchDropped: dropped || !created,
    target,
    tables,
    foreignKeysLeftOut,
    ...(restore
      ? {
          restore: {
            status: restore.status,
            errors: restore.errors,
            errorsIgnored: restore.errorsIgnored,
            itemsDone: restore.itemsDone,
            itemsTotal: restore.itemsTotal,
            message: restore.message,
            log: restore.log,
            logTruncated: restore.logTruncated,
            durationMs: restore.durationMs,
          },
        }
      : {}),
    message,
    at,
    durationMs,
    recorded,
    checksum: integrity.status,
  };
}

/** A damaged dump fails without a restore: the verdict is recorded, and the scratch database never made. */
async function damagedReport(opts: VerifyOptions, manifest: DumpManifest, message: string, scratch: string, target: string, started: number): Promise<VerifyReport> {
  const durationMs = Math.round(performance.now() - started);
  const at = new Date().toISOString();
  const recorded = opts.record !== false;
  if (recorded) await writeManifest(opts.dumpPath, { ...manifest, verification: { status: 'failed', at, durationMs, target, tables: [], message } });
  return { status: 'failed', dumpPath: opts.dumpPath, manifestFound: true, scratchDatabase: scratch, scratchDropped: true, target, tables: [], foreignKeysLeftOut: [], message, at, durationMs, recorded, checksum: 'damaged' };
}

const fmt = (schema: string, table: string) => fmtName({ schema, name: table });

/** One foreign key the test restore left out, and why: a line of the CLI's and the editor's report. */
export function leftOutForeignKeyLine(k: LeftOutForeignKey): string {
  return `foreign key ${quoteIdentAlways(k.name)} on ${fmt(k.schema, k.table)} not checked: it references ${fmtName(k.references)}, which is not in the dump`;
}

/** What the verification could not check, in a sentence: undefined when every foreign key was restored. */
export function uncheckedForeignKeys(left: readonly LeftOutForeignKey[]): string | undefined {
  if (left.length === 0) return undefined;
  const shown = left
    .slice(0, 3)
    .map((k) => `${quoteIdentAlways(k.name)} on ${fmt(k.schema, k.table)} to ${fmtName(k.references)}`)
    .join(', ');
  const more = left.length > 3 ? ` and ${left.length - 3} more` : '';
  const one = left.length === 1;
  return `${plural(left.length, 'foreign key')} (${shown}${more}) ${one ? 'was' : 'were'} left out of the test restore and not checked: the ${one ? 'table it references is' : 'tables they reference are'} not in the dump.`;
}

/** Exact counts: the manifest's tables when there is one, else every table the restore made. */
async function countTables(c: pg.Client, manifest: DumpManifest | undefined, signal?: AbortSignal): Promise<VerifiedTable[]> {
  const present = await c.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, cl.relname
       FROM pg_catalog.pg_class cl
       JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
      WHERE cl.relkind IN ('r', 'p', 'm', 'f')
        AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
      ORDER BY n.nspname COLLATE "C", cl.relname COLLATE "C"`,
  );
  const exists = new Set(present.rows.map((r) => `${r.nspname}\0${r.relname}`));
  const wanted: { schema: string; table: string; expected: number | null }[] = manifest
    ? manifest.rowCounts.map((r) => ({ schema: r.schema, table: r.table, expected: r.rows }))
    : present.rows.map((r) => ({ schema: r.nspname, table: r.relname, expected: null }));
  const result: VerifiedTable[] = [];
  for (const w of wanted) {
    if (signal?.aborted) break;
    let actual: number | null = null;
    if (exists.has(`${w.schema}\0${w.table}`)) {
      const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${fmt(w.schema, w.table)}`);
      actual = Number(r.rows[0]?.n ?? 0);
    }
    result.push({ ...w, actual, ok: actual !== null && (w.expected === null || w.expected === actual) });
  }
  return result;
}

async function dropScratch(connection: ConnectionParams, password: string | undefined, maintenance: string, scratch: string): Promise<void> {
  await withClient(connection, { password, database: maintenance }, (c) => dropDatabase(c, scratch));
}

function verdict(
  status: VerifyReport['status'],
  r: { manifest: DumpManifest | undefined; restore: RestoreResult | undefined; stopped: string | undefined; tables: VerifiedTable[]; mismatches: VerifiedTable[] },
): string {
  if (status === 'cancelled') return 'the verification was cancelled; the scratch database was dropped and nothing was recorded.';
  if (status === 'interrupted') return `the verification was interrupted (${r.restore?.interrupted ?? 'from outside'}): this says nothing about the dump and nothing was recorded; verify again.`;
  if (r.stopped) return r.stopped;
  if (r.restore && r.restore.status !== 'succeeded') {
    return r.restore.message.startsWith('the dump is truncated or corrupt') ? r.restore.message : `the dump does not restore cleanly: ${r.restore.message}`;
  }
  const rows = r.tables.reduce((sum, t) => sum + (t.actual ?? 0), 0);
  if (!r.manifest) {
    return `the dump restores cleanly (${plural(r.tables.length, 'table')}, ${plural(rows, 'row')}); it has no manifest, so there were no expected row counts to compare.`;
  }
  const leftOut = leftOutData(r.manifest.options ?? {});
  if (r.mismatches.length === 0 && leftOut !== undefined && r.tables.length === 0) return `the dump restores cleanly, but ${leftOut}.`;
  if (r.mismatches.length === 0) {
    const note = leftOut === undefined ? '' : `; ${leftOut}`;
    return r.tables.length === 1
      ? `the dump restores cleanly and its one table holds the exact row count the manifest recorded (${plural(rows, 'row')})${note}.`
      : `the dump restores cleanly and all ${plural(r.tables.length, 'table')} hold the exact row counts the manifest recorded (${plural(rows, 'row')})${note}.`;
  }
  const shown = r.mismatches
    .slice(0, 5)
    .map((t) => `${fmt(t.schema, t.table)} expected ${t.expected}, ${t.actual === null ? 'missing' : `found ${t.actual}`}`)
    .join('; ');
  const more = r.mismatches.length > 5 ? ` and ${r.mismatches.length - 5} more` : '';
  return `${r.mismatches.length} of ${plural(r.tables.length, 'table')} differ from the manifest's row counts: ${shown}${more}. The dump does not hold what was dumped.`;
}
