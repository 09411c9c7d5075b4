// The plans of a workspace as people and monitors see them: what each backs up, where to, and when it runs next.
import type { Places } from '../profiles/places';
import type { WorkspaceConfig } from '../profiles/yamlConfig';
import { nextRuns } from './calendar';
import { planFolder, type Plan } from './config';

export interface PlanOverview {
  name: string;
  backup: Plan['backup'];
  connection: string;
  database?: string;
  folder: string;
  schedule: string;
  /** The zone the schedule runs in, and whether it is the machine's because the plan names none. */
  timezone: string;
  machineTimezone: boolean;
  nextRuns: Date[];
  verify: Plan['verify'];
  keep?: Plan['keep'];
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
      schedule: plan.schedule.expression,
      timezone,
      machineTimezone: plan.timezone === undefined,
      nextRuns: nextRuns(plan.schedule, timezone, now, runs),
      verify: plan.verify,
    };
    if (plan.database !== undefined) overview.database = plan.database;
    if (plan.keep) overview.keep = plan.keep;
    return overview;
  });
}
