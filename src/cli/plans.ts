// Finding a plan by name in pgbackup.yaml for `pgbr schedule`, `pgbr run` and `pgbr prune`: the validated
// plan, or the problem that keeps it from loading, said with its position.
// The plans' modules themselves, not their index: `pgbr prune --dry-run` loads none of the run's code (the pg driver, the tools).
import { machineZone, type Plan } from '../core/plans/config';
import { planNamed, runnablePlan } from '../core/plans/overview';
import type { PlanToRun } from '../core/plans';
import type { Io } from './io';
import { cliPlaces, profilesFor } from './workspace';

export async function findPlan(name: string, workspace: string, io: Io): Promise<Plan> {
  return planNamed(await profilesFor(workspace, io), name).plan;
}

/** The plan with its folder and archive resolved against the workspace, as `pgbr run` and `pgbr prune` take it. */
export async function findPlanToRun(name: string, workspace: string, io: Io): Promise<PlanToRun> {
  const { plan, config } = planNamed(await profilesFor(workspace, io), name);
  return runnablePlan(plan, config, cliPlaces(workspace), machineZone());
}
