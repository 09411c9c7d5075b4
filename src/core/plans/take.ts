// One run's backup and its verification: the plan's backup through the existing core, then a dump's restore check or a base backup's drill, when due.
import * as fs from 'node:fs/promises';
import { runDump } from '../logical/dump';
import { runGlobalsDump } from '../logical/globals';
import { readManifest, type DumpFormat } from '../logical/manifest';
import { verifyGlobals } from '../logical/verifyGlobals';
import { verifyDump } from '../logical/verify';
import { runBaseBackup } from '../physical/basebackup';
import { readRecord, recordPathFor, type BaseBackupRecord } from '../physical/record';
import { runDrill } from '../pitr/drill';
import type { RestoreSource } from '../pitr/config';
import { PgbrError, cancelledError } from '../platform/errors';
import { writeFileAtomic } from '../platform/fsutil';
import type { Logger } from '../platform/log';
import type { ToolInventory } from '../platform/tools';
import { parseQualifiedName } from '../postgres/names';
import { parseRecipients } from '../crypto/recipients';
import type { ConnectionParams } from '../profiles/types';
import { DAY_MS, zoneClock } from '../platform/zones';
import type { JournalRecord } from './journal';
import type { Decryption } from '../logical/encryptedDump';

/** What taking a plan's backup needs of the plan. */
export interface BackupPlan {
  name: string;
  backup: 'dump' | 'globals' | 'basebackup';
  database?: string;
  /** `schema.table` in SQL syntax, as `pgbr dump --table` takes them. */
  tables?: string[];
  format?: DumpFormat;
  /** Recipients the dump is encrypted to. */
  encrypt?: string[];
  /** Seal the manifest's table names and counts too. */
  encryptManifest?: boolean;
  folder: string;
  timezone: string;
  verify: 'always' | 'daily' | 'weekly' | 'never';
  archive?: string;
}

/** The server and tools a run works with, resolved once the plan's lock is held. */
export interface RunContext {
  profile: string;
  params: ConnectionParams;
  password?: string;
  tools: ToolInventory;
  /** The folder with the `postgres` binary of the server's major version, for a base backup's drill. */
  serverBinDir: (major: number | undefined) => Promise<string>;
  /** What opens an encrypted dump for its verification. */
  decryption?: Decryption;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface TakenBackup {
  path: string;
  bytes: number;
  seconds: number;
  /** A base backup's record, which its drill is written into. */
  record?: BaseBackupRecord;
}

export type Verification = NonNullable<JournalRecord['verification']> & { message?: string };

/** Takes the plan's backup with `plan: <name>` in its manifest or record; throws what the core throws. */
export async function takeBackup(plan: BackupPlan, ctx: RunContext): Promise<TakenBackup> {
  const connection = { params: ctx.params, ...(ctx.password !== undefined ? { password: ctx.password } : {}) };
  const common = { connection, profile: ctx.profile, plan: plan.name, tools: ctx.tools, ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.logger ? { logger: ctx.logger } : {}) };
  if (plan.backup === 'basebackup') {
    const r = await runBaseBackup({ ...common, folder: plan.folder, format: 'plain', checkpoint: 'fast' });
    return { path: r.path, bytes: r.record.sizeBytes, seconds: r.record.durationMs / 1000, record: r.record };
  }
  if (plan.backup === 'globals') {
    const r = await runGlobalsDump({
      ...common,
      ...(plan.database !== undefined ? { database: plan.database } : {}),
      output: { folder: plan.folder },
      ...(plan.encrypt?.length ? { encryption: parseRecipients(plan.encrypt)! } : {}),
    });
    return { path: r.path, bytes: r.manifest.sizeBytes, seconds: r.manifest.durationMs / 1000 };
  }
  const database = plan.database ?? ctx.params.database;
  if (!database) throw new PgbrError('config', `plan ${plan.name} names no database and its connection ${ctx.profile} has none: add "database:" to the plan.`);
  const r = await runDump({
    ...common,
    database,
    tables: (plan.tables ?? []).map((t) => parseQualifiedName(t)),
    format: plan.format ?? 'custom',
    output: { folder: plan.folder },
    ...(plan.encrypt?.length ? { encryption: parseRecipients(plan.encrypt)! } : {}),
    ...(plan.encryptManifest ? { encryptManifest: true } : {}),
  });
  return { path: r.path, bytes: r.manifest.sizeBytes, seconds: r.manifest.durationMs / 1000 };
}

/** The local day or ISO week (Monday first) of an instant in a zone, as one number: equal numbers, same period. */
function periodOf(ms: number, timeZone: string, period: 'daily' | 'weekly'): number {
  const day = Math.floor((ms + zoneClock(timeZone).offsetMinutes(ms) * 60_000) / DAY_MS);
  // 1970-01-01 was a Thursday: three days after a Monday.
  return period === 'daily' ? day : Math.floor((day + 3) / 7);
}

/**
 * Whether this run verifies: `always`, never `never`; `daily` / `weekly` when no run of the plan in
 * the journal passed a verification in this local day / ISO week of the plan's zone (`passed`: the
 * newest passed verifications of the plan, newest first).
 */
export function verificationDue(plan: Pick<BackupPlan, 'verify' | 'timezone'>, now: Date, passed: readonly Date[]): boolean {
  if (plan.verify === 'always' || plan.verify === 'never') return plan.verify === 'always';
  const current = periodOf(now.getTime(), plan.timezone, plan.verify);
  return !passed.some((t) => periodOf(t.getTime(), plan.timezone, plan.verify as 'daily' | 'weekly') === current);
}

/**
 * A dump: restored into a scratch database and counted, the verdict written into its manifest. Globals:
 * the roles script run on a scratch cluster and its roles counted, into the manifest too. A base backup:
 * the drill, written into its record.
 */
export async function verifyBackup(plan: BackupPlan, taken: TakenBackup, ctx: RunContext): Promise<Verification> {
  const started = performance.now();
  const seconds = () => Math.round(performance.now() - started) / 1000;
  if (plan.backup === 'globals') {
    const manifest = await readManifest(taken.path);
    const report = await verifyGlobals({
      path: taken.path,
      binDir: await ctx.serverBinDir(Number.parseInt(manifest?.serverVersion ?? '', 10) || undefined),
      ...(ctx.decryption ? { decryption: ctx.decryption } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.logger ? { logger: ctx.logger } : {}),
    });
    return { what: 'restore', outcome: report.status, seconds: seconds(), ...(report.status === 'passed' ? {} : { message: report.message }) };
  }
  if (plan.backup !== 'basebackup' || !taken.record) {
    const report = await verifyDump({
      dumpPath: taken.path,
      connection: ctx.params,
      ...(ctx.password !== undefined ? { password: ctx.password } : {}),
      inventory: ctx.tools,
      profileName: ctx.profile,
      ...(ctx.decryption ? { decryption: ctx.decryption } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.logger ? { logger: ctx.logger } : {}),
    });
    if (report.status === 'cancelled') throw cancelledError(`the verification of ${taken.path}`);
    return { what: 'restore', outcome: report.status === 'passed' ? 'passed' : 'failed', seconds: seconds(), ...(report.status === 'passed' ? {} : { message: report.message }) };
  }
  // Without an archive the drill recovers from the WAL streamed into the backup: `false` tells recovery there is nothing to fetch.
  const restore: RestoreSource = plan.archive !== undefined ? { kind: 'copy', archiveDir: plan.archive } : { kind: 'custom', template: 'false' };
  const report = await runDrill({
    baseBackupDir: taken.path,
    format: taken.record.format,
    plan: { target: { kind: 'immediate' }, action: 'pause', restore },
    binDir: await ctx.serverBinDir(Number.parseInt(taken.record.serverVersion, 10) || undefined),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.logger ? { logger: ctx.logger } : {}),
  });
  const outcome = report.status === 'reached' ? 'passed' : 'failed';
  await recordDrill(taken.path, { status: outcome, at: new Date().toISOString(), ...(outcome === 'failed' ? { message: report.message } : {}) });
  return { what: 'drill', outcome, seconds: seconds(), ...(outcome === 'failed' ? { message: report.message } : {}) };
}

/** Writes the drill's result into the base backup's record, so retention's "newest verified" and the views see it. */
async function recordDrill(backupPath: string, drill: NonNullable<BaseBackupRecord['drill']>): Promise<void> {
  const file = recordPathFor(backupPath);
  const record = readRecord(await fs.readFile(file, 'utf8'));
  await writeFileAtomic(file, JSON.stringify({ ...record, drill }, null, 2) + '\n');
}
