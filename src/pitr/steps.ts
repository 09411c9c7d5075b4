// What each step of the PITR panel checks, from the form alone: the base backup, the WAL source, the target, the data directory.
import * as path from 'node:path';
import type { PitrForm, PitrStep, ToPitr } from '../../webview/protocol';
import { errorMessage, PgbrError, type WhenOptions } from '../core/platform';
import { listBaseBackups, toKnownBaseBackup, type BaseBackupRecord, readRestorePoints, restorePointsFileFor, restorePointsOf } from '../core/physical';
import { resolveTarget, validateTarget, type RecoveryPlan, type RecoveryTarget, describeTime, planRecoveryChanges, readBaseBackupInfo, type BaseBackupInfo } from '../core/pitr';
import { scanArchive, type ArchiveScan, type KnownBaseBackup } from '../core/wal';
import { moment, windowLines } from './text';

export type PitrPreview = Omit<Extract<ToPitr, { type: 'preview' }>, 'type'>;

export interface StepResult {
  ok: boolean;
  message: string;
  details: string[];
  /** The input the message is about, when one field is wrong: the panel shows the message beside it. */
  field?: keyof PitrForm;
  /** Step 4's check is the preview of every change. */
  preview?: PitrPreview;
}

export interface StepContext {
  /** The TimeZone of the server a backup came from, to show a time target in it; undefined when it cannot be asked. */
  serverTimeZone(profile: string): Promise<string | undefined>;
  /** The clock and zone for the times shown (tests pass both). */
  when?: WhenOptions;
}

/** The field of the form that holds each target kind's value. */
const TARGET_FIELD: Partial<Record<PitrForm['targetKind'], keyof PitrForm>> = { time: 'targetTime', lsn: 'targetLsn', xid: 'targetXid', name: 'targetName' };

/** The plan the form describes; a malformed value is a PgbrError naming the field to fix. */
export function planFromForm(form: PitrForm): RecoveryPlan {
  const target: RecoveryTarget =
    form.targetKind === 'time'
      ? { kind: 'time', time: form.targetTime.trim(), ...(form.targetZone ? { zone: form.targetZone } : {}) }
      : form.targetKind === 'lsn'
        ? { kind: 'lsn', lsn: form.targetLsn.trim() }
        : form.targetKind === 'xid'
          ? { kind: 'xid', xid: form.targetXid.trim() }
          : form.targetKind === 'name'
            ? { kind: 'name', name: form.targetName }
            : { kind: form.targetKind };
  const timeline = form.timeline === 'latest' || form.timeline === 'current' ? form.timeline : Number(form.timeline);
  if (typeof timeline === 'number' && (!Number.isInteger(timeline) || timeline < 1)) {
    throw new FieldError('timeline', `timeline "${form.timeline}" is not latest, current or a timeline number: give one of those.`);
  }
  try {
    resolveTarget(target);
  } catch (e) {
    const field = TARGET_FIELD[form.targetKind];
    throw field ? new FieldError(field, errorMessage(e)) : e;
  }
  return {
    target,
    inclusive: form.inclusive,
    timeline,
    action: form.action,
    restore: form.restoreKind === 'copy' ? { kind: 'copy', archiveDir: form.archive } : { kind: 'custom', template: form.customTemplate },
    archiving: form.archiving === 'keep' ? { kind: 'keep', command: form.archiveCommand ?? '' } : { kind: 'off' },
  };
}

/** A value of one field of the form that cannot be used. */
export class FieldError extends PgbrError {
  constructor(
    readonly field: keyof PitrForm,
    message: string,
  ) {
    super('usage', message);
  }
}

/** Runs one step's check; each step also re-checks the earlier ones, since they feed it. */
export async function checkStep(step: PitrStep, form: PitrForm, ctx: StepContext): Promise<StepResult> {
  const fail = (message: string, field?: keyof PitrForm): StepResult => ({ ok: false, message, details: [], ...(field ? { field } : {}) });
  // 1. Base backup
  if (!form.baseBackup) return fail('Pick a base backup, or browse to a pg_basebackup folder.', 'baseBackup');
  let info: BaseBackupInfo;
  try {
    info = await readBaseBackupInfo(form.baseBackup);
  } catch (e) {
    return fail(errorMessage(e), 'baseBackup');
  }
  const record = await recordFor(form.baseBackup);
  if (step === 'backup') {
    return {
      ok: true,
      message: `${info.format} base backup${info.pgVersion ? ` of PostgreSQL ${info.pgVersion}` : ''}: consistent from ${info.stopLsn ?? 'its end'} on timeline ${info.timeline ?? '?'}.`,
      details: record ? [`taken from ${record.profile} (${record.host}:${record.port}), ended ${moment(record.stopTime, ctx.when)}`] : [],
    };
  }
  // 2. WAL source
  let scan: ArchiveScan | undefined;
  if (form.restoreKind === 'copy') {
    if (!form.archive) return fail('Name the WAL archive folder the server archived into.', 'archive');
    try {
      scan = await scanArchive(form.archive, { knownBaseBackups: known(record, info, form.baseBackup) });
    } catch (e) {
      return fail(errorMessage(e), 'archive');
    }
  } else if (!/%f/.test(form.customTemplate) || !/%p/.test(form.customTemplate)) {
    return fail('A restore_command must contain %f (the file PostgreSQL asks for) and %p (where to put it).', 'customTemplate');
  }
  if (step === 'source') {
    if (!scan) return { ok: true, message: 'A custom restore_command: the archive cannot be checked from here, so the target is not checked against it.', details: [] };
    const errors = scan.problems.filter((p) => p.severity === 'error');
    return {
      ok: true,
      message: `${scan.totals.segments} segments on ${scan.timelines.length} timeline${scan.timelines.length === 1 ? '' : 's'}${errors.length ? `, ${errors.length} problem${errors.length === 1 ? '' : 's'}` : ', no gaps'}.`,
      details: [...windowLines(scan.window, ctx.when), ...errors.slice(0, 3).map((p) => p.message)],
    };
  }
  // 3. Target: a value that cannot be read is said beside its field, not as a verdict on the window.
  let plan: RecoveryPlan;
  try {
    plan = planFromForm(form);
  } catch (e) {
    if (e instanceof FieldError) return fail(e.message, e.field);
    throw e;
  }
  const details: string[] = [];
  const serverTimeZone = plan.target.kind === 'time' && record ? await ctx.serverTimeZone(record.profile) : undefined;
  const t = plan.target.kind === 'time' ? resolveTarget(plan.target).time : undefined;
  if (t) {
    const shown = describeTime(t, serverTimeZone);
    details.push(`as given: ${shown.given}`, `in UTC: ${shown.utc}`, ...(shown.server ? [`on the server: ${shown.server}`] : []));
  }
  if (scan) {
    const points = plan.target.kind === 'name' ? await restorePointsFor(form.baseBackup, record) : [];
    const verdict = validateTarget(plan.target, scan.window, {
      timeline: plan.timeline,
      archiveTimelines: scan.timelines.map((tl) => tl.tli),
      restorePoints: points,
      ...(info.stopLsn && info.timeline ? { backup: { stopLsn: info.stopLsn, timeline: info.timeline } } : {}),
      ...(serverTimeZone ? { serverTimeZone } : {}),
      ...(ctx.when ? { when: ctx.when } : {}),
    });
    if (!verdict.ok) return { ok: false, message: verdict.message, details };
    if (step === 'target') return { ok: true, message: `${verdict.message}${verdict.estimate ? ' (partly estimated)' : ''}`, details };
  } else if (step === 'target') {
    return { ok: true, message: 'The target is well-formed; with a custom restore_command it cannot be checked against the archive.', details };
  }
  // 4. Target data directory: the preview is the check.
  if (!form.dataDir) return fail("Name the data directory to recover into: a new folder, or a stopped cluster's directory.", 'dataDir');
  const preview = await planRecoveryChanges({ baseBackupDir: form.baseBackup, dataDir: form.dataDir, plan });
  return {
    ok: true,
    message: `${preview.changes.length} changes in ${form.dataDir}, shown below. Nothing is written until you choose Write recovery.`,
    details: preview.owner ? [`the directory will belong to ${preview.owner.user}`] : [],
    preview: {
      settings: preview.settings,
      changes: preview.changes.map((c) => ({ file: c.file, action: c.action, detail: c.detail, ...(c.before !== undefined ? { before: c.before } : {}), ...(c.after !== undefined ? { after: c.after } : {}) })),
      warnings: preview.warnings,
    },
  };
}

/** The record this extension wrote beside a base backup it took, if any. */
export async function recordFor(backupPath: string): Promise<BaseBackupRecord | undefined> {
  const catalog = await listBaseBackups(path.dirname(backupPath)).catch(() => undefined);
  return catalog?.backups.find((b) => path.resolve(b.path) === path.resolve(backupPath))?.record;
}

/** The restore points recorded beside the backup's folder, made on the server the backup came from. */
async function restorePointsFor(backupPath: string, record: BaseBackupRecord | undefined): ReturnType<typeof readRestorePoints> {
  const points = await readRestorePoints(restorePointsFileFor(path.dirname(path.resolve(backupPath)))).catch(() => []);
  return restorePointsOf(points, record ? { host: record.host, port: record.port } : undefined);
}

/** The chosen backup, so the archive's window is computed from its end even without a .backup file. */
function known(record: BaseBackupRecord | undefined, info: BaseBackupInfo, backupPath: string): KnownBaseBackup[] {
  if (record) return [toKnownBaseBackup(record)];
  return info.stopLsn && info.timeline ? [{ label: path.basename(backupPath), stopLsn: info.stopLsn, timeline: info.timeline }] : [];
}
