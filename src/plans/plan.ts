// A plan of pgbackup.yaml by name, resolved as a run takes it: what Run Now, the retention preview and the view's rows act on.
import type { Ctx } from '../ctx';
import { machineZone, planNamed, runnablePlan, type PlanToRun } from '../core/plans';

export async function planToRun(ctx: Ctx, name: string): Promise<PlanToRun> {
  const { plan, config } = planNamed(await ctx.profiles(), name);
  return runnablePlan(plan, config, ctx.places, machineZone());
}
