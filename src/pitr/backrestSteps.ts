// The PITR panel's steps when the backup comes from a pgBackRest stanza: the stanza and its set, the
// stanza's own archive (archive-get restores from it), the target against the repository's window, and
// the restore's options previewed before pgbackrest restore writes anything.
import type { PitrForm, PitrStep } from '../../webview/protocol';
import {
  type BackrestRestoreRequest,
  type BackrestStanzaInfo,
  type BackrestTarget,
  backrestOverview,
  checkBackrestTarget,
  chooseBackupSet,
  planBackrestRestore,
  stanzaProblem,
} from '../core/backrest';
import { errorMessage, formatBytes, type WhenOptions } from '../core/platform';
import { describeTime, resolveTarget } from '../core/pitr';
import { FieldError, planFromForm, type StepResult } from './steps';
import { moment, windowLines } from './text';

export interface BackrestStepContext {
  /** The stanza's entry of repositories: (its config), or undefined when it is not listed. */
  target(stanza: string): Promise<BackrestTarget | undefined>;
  when?: WhenOptions;
}

/** The databases of `--db-include`, as the form has them. */
export function dbIncludeOf(form: PitrForm): string[] {
  return form.dbInclude.split(',').map((d) => d.trim()).filter(Boolean);
}

/** The restore request the form describes (the data directory, set, delta and databases; archive_mode always off). */
export function backrestRequest(form: PitrForm): BackrestRestoreRequest {
  const plan = planFromForm(form);
  const dbInclude = dbIncludeOf(form);
  return {
    recovery: { target: plan.target, inclusive: plan.inclusive, timeline: plan.timeline, action: plan.action },
    dataDir: form.dataDir,
    archiveMode: 'off',
    ...(form.backrestSet.trim() ? { set: form.backrestSet.trim() } : {}),
    ...(form.delta ? { delta: true } : {}),
    ...(dbInclude.length ? { dbInclude } : {}),
  };
}

export async function checkBackrestStep(step: PitrStep, form: PitrForm, ctx: BackrestStepContext): Promise<StepResult> {
  const fail = (message: string, field?: keyof PitrForm): StepResult => ({ ok: false, message, details: [], ...(field ? { field } : {}) });
  // 1. The stanza and its set
  if (!form.stanza) return fail('Pick a pgBackRest stanza (the repositories: of pgbackup.yaml).', 'stanza');
  const target = await ctx.target(form.stanza);
  if (!target) return fail(`Stanza ${form.stanza} is not under repositories: in pgbackup.yaml: add it there (Add pgBackRest Stanza…), so its config is known.`, 'stanza');
  let overview;
  try {
    // Only step 2 judges the archive's segments; the others need the stanza and its window.
    overview = await backrestOverview(target, { scanArchive: step === 'source' });
  } catch (e) {
    return fail(errorMessage(e), 'stanza');
  }
  const info: BackrestStanzaInfo = overview.info;
  const problem = stanzaProblem(info, target.config);
  if (problem) return fail(problem, 'stanza');
  const set = form.backrestSet.trim();
  if (set && !info.backups.some((b) => b.label === set)) return fail(`Stanza ${form.stanza} has no backup ${set}: leave it empty to let the target choose, or give one of ${info.backups.map((b) => b.label).join(', ')}.`, 'backrestSet');
  if (step === 'backup') {
    const newest = info.backups.at(-1);
    return {
      ok: true,
      message: `Stanza ${form.stanza}: ${info.backups.length} backup${info.backups.length === 1 ? '' : 's'}, PostgreSQL ${info.db.at(-1)?.version ?? '?'}; ${set ? `backup ${set} is restored` : 'the target chooses the backup'}.`,
      details: info.backups.slice(-5).reverse().map((b) => `${b.label}: ${b.type}, stopped ${moment(b.stopTime, ctx.when)}, ${formatBytes(b.size)}${b === newest ? ' (newest)' : ''}`),
    };
  }
  // 2. WAL: pgBackRest's archive-get, from the stanza's archive
  if (step === 'source') {
    const gaps = (overview.archive ?? []).flatMap((a) => a.problems.filter((p) => p.severity === 'error'));
    const segments = (overview.archive ?? []).reduce((n, a) => n + a.segments, 0);
    const read = overview.archive ? `${segments} segments in the repository's archive${gaps.length ? `, ${gaps.length} problem${gaps.length === 1 ? '' : 's'}` : ', no gaps'}` : 'an object-store repository: its archive is not read from here, only its range';
    return {
      ok: gaps.length === 0,
      message: `WAL comes from stanza ${form.stanza} through pgbackrest archive-get: ${read}.`,
      details: [...windowLines(overview.window, ctx.when), ...gaps.slice(0, 3).map((p) => p.message)],
    };
  }
  // 3. Target
  let request: BackrestRestoreRequest;
  try {
    request = backrestRequest(form);
  } catch (e) {
    if (e instanceof FieldError) return fail(e.message, e.field);
    throw e;
  }
  const details: string[] = [];
  const t = request.recovery.target.kind === 'time' ? resolveTarget(request.recovery.target).time : undefined;
  if (t) {
    const shown = describeTime(t);
    details.push(`as given: ${shown.given}`, `in UTC: ${shown.utc}`);
  }
  let backup;
  try {
    backup = chooseBackupSet(info, request.recovery.target, request.set);
  } catch (e) {
    return { ok: false, message: errorMessage(e), details };
  }
  details.push(`from backup ${backup.label} (${backup.type}), ${request.set ? 'as named' : 'the one the target needs'}`);
  const verdict = checkBackrestTarget(request.recovery.target, info, backup, {
    ...(request.recovery.timeline !== undefined ? { timeline: request.recovery.timeline } : {}),
    ...(overview.listing ? { listing: overview.listing } : {}),
  });
  if (!verdict.ok) return { ok: false, message: verdict.message, details };
  if (step === 'target') return { ok: true, message: `${verdict.message}${verdict.estimate ? ' (partly estimated)' : ''}`, details };
  // 4. The data directory: the restore's plan is the preview.
  if (!form.dataDir) return fail('Name the data directory to restore into: a new folder, or a stopped cluster\'s directory (with delta).', 'dataDir');
  let plan;
  try {
    plan = await planBackrestRestore(target, request, { info });
  } catch (e) {
    return fail(errorMessage(e), 'dataDir');
  }
  return {
    ok: true,
    message: `pgbackrest restore of backup ${plan.backup.label} into ${plan.dataDir}, shown below. Nothing is written until you choose Write recovery.`,
    details: [],
    preview: {
      settings: [`pgbackrest --stanza=${plan.stanza}${target.config ? ` --config=${target.config}` : ''} restore \\`, ...plan.options.map((o, i) => `  ${o}${i < plan.options.length - 1 ? ' \\' : ''}`)],
      changes: [
        { file: plan.dataDir, action: request.delta ? 'restore (delta)' : 'restore', detail: `every file of backup ${plan.backup.label}${request.delta ? ', overwriting only what differs' : ''}; pgBackRest writes recovery.signal and the recovery settings itself` },
        { file: `${plan.dataDir}/postgresql.auto.conf`, action: 'settings', detail: 'restore_command = pgbackrest archive-get, the target, archive_mode = off' },
      ],
      warnings: plan.warnings,
    },
  };
}
