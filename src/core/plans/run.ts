// `pgbr run PLAN`: one headless run of a plan, end to end: the lock, the backup, its verification when due, retention, one journal record, the notification.
import type { CatalogIndexPlace } from '../logical/catalogIndex';
import type { DumpFormat } from '../logical/manifest';
import { PgbrError, errorMessage, isCancellation } from '../platform/errors';
import type { Logger } from '../platform/log';
import type { ToolInventory } from '../platform/tools';
import type { ConnectionParams } from '../profiles/types';
import { prune, type PruneResult } from '../retention/prune';
import type { KeepRules } from '../retention/rules';
import { appendRecord, journalPath, readJournal, runIdentity, type JournalRecord } from './journal';
import { acquirePlanLock, alreadyRunning, EX_TEMPFAIL } from './lock';
import { notifiedField, notifyRun, type NotifyOptions, type NotifySettings } from './notify';
import { copyForPlan, type PlanOffsiteTarget } from '../offsite/planCopies';
import type { RcloneOptions } from '../offsite/rclone';
import { takeBackup, verificationDue, verifyBackup, type RunContext, type TakenBackup, type Verification } from './take';
import type { Decryption } from '../logical/encryptedDump';
import type { BackrestBackupType } from '../backrest/info';
import { runBackrestPlan, type BackrestRunPlan } from './backrestRun';

/** A plan as `pgbr run` takes it: the keys of a `plans:` entry in pgbackup.yaml, with paths resolved. */
export interface PlanToRun {
  name: string;
  connection: string;
  backup: 'dump' | 'globals' | 'basebackup' | 'pgbackrest';
  database?: string;
  tables?: string[];
  format?: DumpFormat;
  /** Absolute. */
  folder: string;
  schedule: string;
  timezone: string;
  keep?: KeepRules;
  verify: 'always' | 'daily' | 'weekly' | 'never';
  notify?: { on: 'failure' | 'always'; webhook?: string; command?: string[] };
  /** The WAL archive of a basebackup plan, absolute. */
  archive?: string;
  /** Remotes each new backup is copied to, parsed (their parameters for rclone's environment only). */
  offsite?: PlanOffsiteTarget[];
  /** Recipients each dump is encrypted to (`age1…` or `gpg:FINGERPRINT`). */
  encrypt?: string[];
  encryptManifest?: boolean;
  /** A pgbackrest plan's stanza, its config, and the types its schedules take (the first is the default). */
  backrest?: BackrestRunPlan['backrest'];
}

/** What a run needs from outside: resolved after the lock is taken, so a failure to resolve is journaled like any other. */
export interface RunDeps {
  connect(): Promise<{ profile: string; params: ConnectionParams; password?: string }>;
  tools(): Promise<ToolInventory>;
  serverBinDir(tools: ToolInventory, major: number | undefined): Promise<string>;
  /** What opens the plan's encrypted dumps for their verification (an age identity; GPG uses the keyring). */
  decryption?(): Promise<Decryption>;
  /** Whether pgbackup.yaml may start programs and reach URLs (notify); false in an untrusted folder. */
  trusted: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  now?: () => Date;
  /** The backup type a pgbackrest plan takes this run (`pgbr run --type`). */
  type?: BackrestBackupType;
  /** How rclone runs for the offsite step (its config file, the environment tests give it). */
  rclone?: Pick<RcloneOptions, 'config' | 'env' | 'binary'>;
  /** Timeouts of the notification (tests shorten them). */
  notify?: Pick<NotifyOptions, 'timeoutMs' | 'retryDelayMs'>;
  /** Where the dump folder's catalogue index is kept: the run's retention lists the folder through it, as `pgbr prune` and its preview do. */
  catalogIndex?: CatalogIndexPlace;
}

export const enum RunExit {
  Ok = 0,
  Failed = 1,
  Config = 2,
  Locked = EX_TEMPFAIL,
}

export interface PlanRunResult {
  exitCode: RunExit;
  /** One or two sentences for people: what the run did, or why it did nothing. */
  message: string;
  /** The journal record written; absent when the lock was held (nothing was done). */
  record?: JournalRecord;
  prune?: PruneResult;
}

/** Setup problems (the plan, the connection's profile, the tools' absence) exit 2; everything else that fails exits 1. */
const CONFIG_KINDS = new Set(['usage', 'config', 'tool-missing']);

/** The newest passed verifications of the plan, from the journal: what `daily` and `weekly` are judged on. */
async function passedVerifications(file: string): Promise<Date[]> {
  const read = await readJournal(file, { last: 1, match: (r) => r.verification?.outcome === 'passed' });
  return read.records.map((r) => new Date(r.startedAt));
}

export function notifySettings(plan: PlanToRun): NotifySettings | undefined {
  const n = plan.notify;
  if (!n) return undefined;
  const [program, ...args] = n.command ?? [];
  return { on: n.on, ...(n.webhook !== undefined ? { webhook: n.webhook } : {}), ...(program !== undefined ? { command: { program, args } } : {}) };
}

const UNTRUSTED_OFFSITE = 'the copy was not made, because this folder is not trusted and its remotes could make rclone start a program: trust the folder, or run pgbr run from a terminal.';

/** What kept a successful run from exiting 0: retention that left something, an offsite copy that failed. */
function leftOver(record: JournalRecord): string {
  const parts: string[] = [];
  if (record.retention?.errors.length) parts.push(`retention left something: ${record.retention.errors.join(' ')}`);
  for (const o of record.offsite ?? []) if (o.errors.length) parts.push(`the offsite copy to ${o.target}: ${o.errors.join(' ')}`);
  return parts.join('; ');
}

/** Runs the plan once. Never throws for what the run does: every outcome is a journal record and an exit code. */
export async function runPlan(plan: PlanToRun, deps: RunDeps): Promise<PlanRunResult> {
  const now = deps.now ?? (() => new Date());
  const attempt = await acquirePlanLock(plan, now());
  if (!attempt.acquired) {
    const busy = alreadyRunning(plan.name, attempt, { now: now(), timeZone: plan.timezone });
    return { exitCode: RunExit.Locked, message: busy.message };
  }
  try {
    const startedAt = now();
    const journal = journalPath(plan);
    const record: JournalRecord = { ...runIdentity(plan.name, startedAt), endedAt: startedAt.toISOString(), outcome: 'failed' };
    let exitCode = RunExit.Ok;
    let pruned: PruneResult | undefined;
    const steps: string[] = [];
    try {
      if (deps.type !== undefined && plan.backup !== 'pgbackrest') throw new PgbrError('usage', `plan ${plan.name} takes a ${plan.backup}, which has no backup types: run it without --type.`);
      const due = verificationDue(plan, startedAt, await passedVerifications(journal));
      if (plan.backup === 'pgbackrest') {
        if (!plan.backrest) throw new PgbrError('config', `plan ${plan.name} names no stanza: add stanza: to it in pgbackup.yaml.`);
        // pgBackRest's config, which pgbackup.yaml names, can name programs it runs (cmd-ssh).
        if (!deps.trusted && plan.backrest.config !== undefined) throw new PgbrError('usage', `plan ${plan.name} runs pgbackrest with ${plan.backrest.config}, named by this folder's pgbackup.yaml, and the folder is not trusted: trust the folder, or run pgbr run from a terminal.`);
        const call = { verify: due, ...(deps.type ? { type: deps.type } : {}), ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.logger ? { logger: deps.logger } : {}) };
        if (!(await runBackrestPlan({ ...plan, backrest: plan.backrest }, record, steps, call))) exitCode = RunExit.Failed;
      } else {
        const regular = { ...plan, backup: plan.backup };
        const connection = await deps.connect();
        const tools = await deps.tools();
        const ctx: RunContext = {
          ...connection,
          tools,
          serverBinDir: (major) => deps.serverBinDir(tools, major),
          ...(deps.decryption ? { decryption: await deps.decryption() } : {}),
          ...(deps.signal ? { signal: deps.signal } : {}),
          ...(deps.logger ? { logger: deps.logger } : {}),
        };
        // A dump that could not be opened for its verification is not taken: say what is missing before writing anything.
        if (due && plan.encrypt?.some((r) => r.startsWith('age1')) && !ctx.decryption?.identities) {
          throw new PgbrError('config', `plan ${plan.name} encrypts to age and verifies its dumps, and no identity given: set PGBR_AGE_IDENTITY_FILE to an identity file of one of its recipients; no dump was taken.`);
        }
        const taken: TakenBackup = await takeBackup(regular, ctx);
        record.backup = { path: taken.path, bytes: taken.bytes, seconds: taken.seconds };
        steps.push(`took ${taken.path}`);
        let verification: Verification | undefined;
        if (due) {
          verification = await verifyBackup(regular, taken, ctx);
          record.verification = { what: verification.what, outcome: verification.outcome, seconds: verification.seconds };
          steps.push(`${verification.what} ${verification.outcome}`);
        }
        if (verification?.outcome === 'failed') {
          record.error = { message: `the ${verification.what} of ${taken.path} failed: ${verification.message ?? 'see the manifest or record beside it'}` };
          exitCode = RunExit.Failed;
        } else {
          record.outcome = 'succeeded';
        }
        // A backup that failed its verification does not count as one retention may keep in place of older good ones.
        if (record.outcome === 'succeeded') {
          // The backup stands whatever retention does; the run still exits 1 so cron or systemd tells someone that something stayed.
          try {
            pruned = await prune(plan, { catalogIndex: deps.catalogIndex });
            record.retention = { kept: pruned.keep.length, removed: pruned.removals.flatMap((r) => r.removed), errors: pruned.errors };
            steps.push(`kept ${pruned.keep.length}, removed ${pruned.remove.length}${pruned.wal ? ` and ${pruned.wal.remove.length} archive files` : ''}`);
          } catch (e) {
            record.retention = { kept: 0, removed: [], errors: [`retention did not run: ${errorMessage(e)}`] };
          }
          if (record.retention.errors.length > 0) exitCode = RunExit.Failed;
          if (plan.offsite?.length && !deps.trusted) {
            // An untrusted folder's remotes may carry parameters that make rclone start a program (sftp's ssh=).
            record.offsite = plan.offsite.map((t) => ({ target: t.remote.recorded, verified: false, kept: 0, removed: [], errors: [UNTRUSTED_OFFSITE] }));
            steps.push('no offsite copy: the folder is not trusted');
            exitCode = RunExit.Failed;
          } else if (plan.offsite?.length) {
            record.offsite = [];
            for (const target of plan.offsite) {
              const o = await copyForPlan(taken.path, plan, target, { ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.logger ? { logger: deps.logger } : {}), ...deps.rclone });
              record.offsite.push({ target: o.target, ...(o.copied ? { copied: o.copied } : {}), verified: o.verified, kept: o.kept, removed: o.removed, errors: o.errors });
              steps.push(o.verified ? `copied to ${o.target} and verified there${o.removed.length ? `, removed ${o.removed.length} older copies there` : ''}` : `the copy to ${o.target} failed`);
              if (o.errors.length > 0) exitCode = RunExit.Failed;
            }
          }
        }
      }
    } catch (e) {
      record.outcome = 'failed';
      record.error = { message: isCancellation(e) || deps.signal?.aborted ? `cancelled: ${errorMessage(e)}` : errorMessage(e) };
      exitCode = e instanceof PgbrError && CONFIG_KINDS.has(e.kind) ? RunExit.Config : RunExit.Failed;
    }
    record.endedAt = now().toISOString();
    const sent = await notifyRun(notifySettings(plan), record, { trusted: deps.trusted, ...(deps.logger ? { logger: deps.logger } : {}), ...deps.notify });
    const notified = notifiedField(sent);
    if (notified) record.notified = notified;
    await appendRecord(journal, record);
    const message =
      record.outcome === 'succeeded'
        ? `plan ${plan.name}: ${steps.join('; ')}${exitCode === RunExit.Ok ? '' : `; but ${leftOver(record)}`}`
        : `plan ${plan.name} failed: ${record.error?.message ?? 'unknown error'}`;
    return { exitCode, message, record, ...(pruned ? { prune: pruned } : {}) };
  } finally {
    await attempt.lock.release();
  }
}
