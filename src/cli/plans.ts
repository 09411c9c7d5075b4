// Finding a plan by name in pgbackup.yaml for `pgbr schedule`, `pgbr run` and `pgbr prune`: the validated
// plan, or the problem that keeps it from loading, said with its position.
import { machineZone, planNamed, runnablePlan, type Plan, type PlanToRun } from '../core/plans';
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
