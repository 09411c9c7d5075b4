// A pgbackrest plan's run: pgbackrest backup of the type asked for, pgbackrest verify when due, then our keep rules through expire --set.
import { backrestBackup, backrestInfo, backrestVerify } from '../backrest/commands';
import { expireSets, previewExpire, type ExpiredSet } from '../backrest/expire';
import type { BackrestBackupType } from '../backrest/info';
import type { BackrestTarget } from '../backrest/run';
import { errorMessage } from '../platform/errors';
import type { Logger } from '../platform/log';
import type { KeepRules } from '../retention/rules';
import type { JournalRecord } from './journal';

/** What a pgbackrest plan's run needs of the plan. */
export interface BackrestRunPlan {
  name: string;
  timezone: string;
  keep?: KeepRules;
  backrest: { stanza: string; config?: string; types: BackrestBackupType[] };
}

export interface BackrestRunOptions {
  /** The type asked for (`pgbr run --type`); absent: the plan's first. */
  type?: BackrestBackupType;
  /** Whether this run verifies (the plan's verify: and its journal decide). */
  verify: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  /** The pgbackrest program (tests). */
  program?: string;
}

/**
 * Takes the backup and fills `record` and `steps` with what was done. True when all went well; false
 * when the backup stands but its verification or the expire failed (`record.error` or `record.retention.errors` say what).
 * Throws what backrestBackup throws: then no backup was taken.
 */
export async function runBackrestPlan(plan: BackrestRunPlan, record: JournalRecord, steps: string[], opts: BackrestRunOptions): Promise<boolean> {
  const target: BackrestTarget = { stanza: plan.backrest.stanza, ...(plan.backrest.config ? { config: plan.backrest.config } : {}), ...(opts.program ? { program: opts.program } : {}) };
  const call = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.logger ? { logger: opts.logger } : {}) };
  const type = opts.type ?? plan.backrest.types[0] ?? 'full';
  const { backup, durationMs } = await backrestBackup(target, type, call);
  record.backup = { path: `pgbackrest:${target.stanza}/${backup.label}`, bytes: backup.size, seconds: durationMs / 1000 };
  // pgBackRest takes a full instead of a diff or incr when there is no full to build on: the label says which it took.
  record.backrest = { stanza: target.stanza, label: backup.label, type: backup.type, ...(backup.type !== type ? { asked: type } : {}) };
  steps.push(`took ${backup.type} backup ${backup.label} of stanza ${target.stanza}${backup.type !== type ? ` (pgBackRest took a full: there was none to build a ${type} on)` : ''}`);

  if (opts.verify) {
    const started = performance.now();
    const report = await backrestVerify(target, call);
    const outcome = report.status === 'ok' ? 'passed' : 'failed';
    record.verification = { what: 'pgbackrest verify', outcome, seconds: Math.round(performance.now() - started) / 1000 };
    steps.push(`pgbackrest verify ${outcome}`);
    if (outcome === 'failed') {
      record.error = { message: `pgbackrest verify of stanza ${target.stanza} found damage: ${report.problems.join(' ')} Nothing was expired; see pgBackRest's log and take a new full backup.` };
      return false;
    }
  }
  record.outcome = 'succeeded';
  if (!plan.keep) return true;

  // The backup stands whatever expire does; the run still fails so cron or systemd tells someone that something stayed.
  const expired: ExpiredSet[] = [];
  try {
    const info = await backrestInfo(target, call);
    const preview = previewExpire(info.backups, plan.keep, plan.timezone);
    record.retention = { kept: preview.keep.length, removed: [], errors: [] };
    await expireSets(target, preview, { ...call, onExpired: (set) => expired.push(set) });
    record.retention.removed = expired.map((e) => e.label);
    steps.push(`kept ${preview.keep.length}, expired ${expired.length}${expired.length ? ` (${expired.map((e) => e.label).join(', ')})` : ''}`);
    return true;
  } catch (e) {
    record.retention = { kept: record.retention?.kept ?? 0, removed: expired.map((s) => s.label), errors: [`expire did not finish: ${errorMessage(e)}`] };
    return false;
  }
}
