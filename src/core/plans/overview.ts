// The plans of a workspace as people and monitors see them: what each backs up, where to, and when it runs next.
import { expandFolder, type Places } from '../profiles/places';
import type { PlanToRun } from './run';
import type { WorkspaceConfig } from '../profiles/yamlConfig';
import { planNextRuns, scheduleDescription } from './schedule';
import { planFolder, type Plan } from './config';
import { journalPath, journalSummary, type JournalSummary } from './journal';
import { errorMessage, PgbrError } from '../platform/errors';
import type { ProfileProblem } from '../profiles/types';
import { hasKeepRules } from '../retention/rules';
import { planHealthFrom, type PlanHealth } from '../health/plans';
import { parseRemote } from '../offsite/remote';
import { offsiteHealth, type OffsiteHealth } from '../health/offsite';
import { listDumps } from '../logical/catalog';

export interface PlanOverview {
  name: string;
  backup: Plan['backup'];
  connection: string;
  database?: string;
  /** A pgbackrest plan's stanza. */
  stanza?: string;
  /** Where the plan's backups go; a pgbackrest plan's journal and lock. */
  folder: string;
  /** The calendar; a pgbackrest plan's calendars each with its type (`Sun 03:00 (full); Mon..Sat 03:00 (diff)`). */
  schedule: string;
  /** The zone the schedule runs in, and whether it is the machine's because the plan names none. */
  timezone: string;
  machineTimezone: boolean;
  nextRuns: Date[];
  verify: Plan['verify'];
  keep?: Plan['keep'];
  /** Where each backup is copied, as manifests record it (parameters left out). */
  offsite?: string[];
}

/** One overview per plan; a run journal's last run is added beside this by its reader. */
export function describePlans(config: Pick<WorkspaceConfig, 'plans' | 'dumpFolders' | 'baseBackupFolder'>, places: Places, now: Date, machineZone: string, runs = 5): PlanOverview[] {
  return (config.plans ?? []).map((plan) => {
    const timezone = plan.timezone ?? machineZone;
    const overview: PlanOverview = {
      name: plan.name,
      backup: plan.backup,
      connection: plan.connection,
      folder: planFolder(plan, config, places),
      schedule: scheduleDescription(plan),
      timezone,
      machineTimezone: plan.timezone === undefined,
      nextRuns: planNextRuns(plan, timezone, now, runs),
      verify: plan.verify,
    };
    if (plan.database !== undefined) overview.database = plan.database;
    if (plan.backrest) overview.stanza = plan.backrest.stanza;
    if (plan.keep) overview.keep = plan.keep;
    if (plan.offsite?.length) overview.offsite = plan.offsite.map((o) => parseRemote(o.to, places.workspaceFolder ?? process.cwd()).recorded);
    return overview;
  });
}

/** Seconds between the plan's next two runs: the period a missed schedule is judged by. */
export function schedulePeriodSeconds(plan: Pick<PlanOverview, 'nextRuns'>): number | undefined {
  const [first, second] = plan.nextRuns;
  return first && second ? (second.getTime() - first.getTime()) / 1000 : undefined;
}

/** Each plan's last run, last success and last prune, read from the end of its journal; what the checklist judges. */
export async function plansHealth(plans: readonly PlanOverview[]): Promise<{ plans: PlanHealth[]; problems: string[] }> {
  const problems: string[] = [];
  const health = await Promise.all(
    plans.map(async (p) => {
      const keepRules = hasKeepRules(p.keep);
      const summary = await journalSummary(journalPath(p), { prunes: keepRules }).catch((e: unknown): JournalSummary => {
        problems.push(`plan ${p.name}: its run journal cannot be read (${errorMessage(e)}), so its last run is not known.`);
        return { problems: [], bytesRead: 0 };
      });
      problems.push(...summary.problems.map((m) => `plan ${p.name}: ${m}`));
      const period = schedulePeriodSeconds(p);
      const offsite = p.offsite ? await offsiteOf(p, p.offsite, problems) : undefined;
      return planHealthFrom({ name: p.name, keepRules, ...(period !== undefined ? { periodSeconds: period } : {}), ...(offsite ? { offsite } : {}) }, summary);
    }),
  );
  return { plans: health, problems };
}

/** The plan's copies at each target, judged from the manifests in its folder. */
async function offsiteOf(plan: PlanOverview, targets: string[], problems: string[]): Promise<OffsiteHealth[]> {
  try {
    return offsiteHealth(plan.name, targets, (await listDumps(plan.folder)).dumps);
  } catch (e) {
    problems.push(`plan ${plan.name}: its folder ${plan.folder} cannot be read (${errorMessage(e)}), so its offsite copies are not known.`);
    return offsiteHealth(plan.name, targets, []);
  }
}

/** The plan as a run takes it: its folder and archive resolved, its zone decided, its schedule as written. */
export function runnablePlan(plan: Plan, config: Pick<WorkspaceConfig, 'dumpFolders' | 'baseBackupFolder'>, places: Places, zone: string): PlanToRun {
  return {
    name: plan.name,
    connection: plan.connection,
    backup: plan.backup,
    ...(plan.database !== undefined ? { database: plan.database } : {}),
    ...(plan.tables ? { tables: plan.tables } : {}),
    ...(plan.format ? { format: plan.format } : {}),
    ...(plan.encrypt ? { encrypt: plan.encrypt } : {}),
    ...(plan.encryptManifest ? { encryptManifest: true } : {}),
    folder: planFolder(plan, config, places),
    schedule: plan.schedule.expression,
    timezone: plan.timezone ?? zone,
    ...(plan.keep ? { keep: plan.keep } : {}),
    verify: plan.verify,
    ...(plan.notify ? { notify: plan.notify } : {}),
    ...(plan.backrest ? { backrest: { stanza: plan.backrest.stanza, ...(plan.backrest.config ? { config: plan.backrest.config } : {}), types: plan.backrest.schedules.map((s) => s.type) } } : {}),
    ...(plan.archive ? { archive: expandFolder(plan.archive, places) } : {}),
    ...(plan.offsite?.length
      ? {
          offsite: plan.offsite.map((o) => ({
            remote: parseRemote(o.to, places.workspaceFolder ?? process.cwd()),
            ...(o.keep ? { keep: o.keep } : {}),
            ...(o.rcloneConfig ? { rcloneConfig: expandFolder(o.rcloneConfig, places) } : {}),
          })),
        }
      : {}),
  };
}

/**
 * The plan of pgbackup.yaml by that name, as loaded with the rest of the file: the plan, or the problem
 * that keeps it from loading (with its position), or a refusal naming the plans there are.
 */
export function planNamed(
  loaded: { config?: WorkspaceConfig | undefined; problems: readonly ProfileProblem[] },
  name: string,
): { plan: Plan; config: WorkspaceConfig } {
  const plan = loaded.config?.plans?.find((p) => p.name === name);
  if (plan && loaded.config) return { plan, config: loaded.config };
  const problem = loaded.problems.find((p) => p.plan === name && p.severity !== 'warning');
  if (problem) {
    const where = { ...(problem.file ? { file: problem.file } : {}), ...(problem.line ? { line: problem.line } : {}), ...(problem.column ? { column: problem.column } : {}) };
    throw new PgbrError('config', `${problem.message}; plan "${name}" does not load until this is fixed`, where);
  }
  const known = (loaded.config?.plans ?? []).map((p) => p.name);
  throw new PgbrError('usage', `there is no plan named "${name}" in pgbackup.yaml${known.length ? ` (plans: ${known.join(', ')})` : ''}: give one of its plans: names.`);
}
