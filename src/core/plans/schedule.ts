// What a plan's schedule installs, whichever scheduler runs it: the command it runs, the names it is installed under.
import type { Plan } from './config';

/** How the scheduler starts `pgbr run`: absolute paths, so neither PATH nor the current folder matters. */
export interface RunTarget {
  plan: Pick<Plan, 'name' | 'schedule' | 'timezone' | 'spread' | 'backup' | 'connection' | 'database'>;
  /** The workspace folder holding pgbackup.yaml. */
  workspace: string;
  /** The Node.js program, and pgbr's script. */
  node: string;
  pgbr: string;
}

/** The program and arguments the scheduler runs. */
export function runArgv(target: RunTarget): string[] {
  return [target.node, target.pgbr, 'run', target.plan.name, '--workspace', target.workspace];
}

export function unitNames(plan: Pick<Plan, 'name'>): { service: string; timer: string } {
  return { service: `pgbr-${plan.name}.service`, timer: `pgbr-${plan.name}.timer` };
}

/** One line on what the plan backs up, for unit descriptions and crontab comments. */
export function planSummary(plan: RunTarget['plan']): string {
  const what = plan.backup === 'dump' ? `dump of ${plan.database ?? 'a database'}` : plan.backup === 'globals' ? 'globals' : 'base backup';
  return `pgbr plan ${plan.name}: ${what} on ${plan.connection}`;
}
