// Finding a plan by name in pgbackup.yaml for `pgbr schedule`, `pgbr run` and `pgbr prune`: the validated
// plan, or the problem that keeps it from loading, said with its position.
import { machineZone, runnablePlan, type Plan, type PlanToRun } from '../core/plans';
import { PgbrError } from '../core/platform';
import type { Io } from './io';
import { cliPlaces, profilesFor } from './workspace';

export async function findPlan(name: string, workspace: string, io: Io): Promise<Plan> {
  return (await loadPlan(name, workspace, io)).plan;
}

/** The plan with its folder and archive resolved against the workspace, as `pgbr run` and `pgbr prune` take it. */
export async function findPlanToRun(name: string, workspace: string, io: Io): Promise<PlanToRun> {
  const { plan, config } = await loadPlan(name, workspace, io);
  return runnablePlan(plan, config, cliPlaces(workspace), machineZone());
}

async function loadPlan(name: string, workspace: string, io: Io) {
  const loaded = await profilesFor(workspace, io);
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
