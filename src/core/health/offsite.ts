// The offsite item of the checklist: each plan that copies offsite must have a copy of its newest
// backup verified at each target within the plan's period; a declaration in pgbackup.yaml is never enough.
import type { CatalogEntry } from '../logical/catalog';
import { lastVerified } from '../offsite/record';
import { formatDuration } from '../platform/duration';
import { plural } from '../platform/plural';
import type { PlanHealth } from './plans';
import type { HealthPolicy } from './policy';
import type { CheckItem } from './snapshot';

type Item = (status: CheckItem['status'], detail: string, fix?: string) => CheckItem;

/** A plan without a readable schedule is judged by a day. */
const DEFAULT_PERIOD_SECONDS = 86400;

const ageOf = (d: Date, now: Date): number => Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));

/** What the checklist knows of one offsite target of a plan: its newest backup's copy there, and the last verified copy of any. */
export interface OffsiteHealth {
  target: string;
  newest?: { name: string; path: string; verifiedAt?: Date };
  lastVerifiedAt?: Date;
}

/** The plan's backups (from its folder's listing) against each of its targets. */
export function offsiteHealth(plan: string, targets: readonly string[], dumps: readonly CatalogEntry[]): OffsiteHealth[] {
  const own = dumps.filter((d) => d.manifest?.plan === plan).sort((a, b) => b.time.getTime() - a.time.getTime());
  const newest = own[0];
  return targets.map((target) => {
    const verifiedAt = newest ? lastVerified(newest.manifest, target) : undefined;
    const last = own.map((d) => lastVerified(d.manifest, target)).filter((d): d is Date => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
    return {
      target,
      ...(newest ? { newest: { name: newest.name, path: newest.path, ...(verifiedAt ? { verifiedAt } : {}) } } : {}),
      ...(last ? { lastVerifiedAt: last } : {}),
    };
  });
}

/**
 * Passes when every plan that copies offsite has, at each target, a copy of its newest backup verified
 * within the plan's period; otherwise fails naming the plan and how old its last verified copy there is.
 */
export function checkOffsite(plans: readonly PlanHealth[] | undefined, policy: HealthPolicy, now: Date, item: Item): CheckItem {
  const copying = (plans ?? []).filter((p) => p.offsite?.length);
  if (copying.length === 0) return declaredOnly(policy, item);
  const problems: { detail: string; fix: string }[] = [];
  const passed: string[] = [];
  for (const plan of copying) {
    const period = plan.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
    for (const o of plan.offsite ?? []) {
      const { newest, target } = o;
      const fix = `run pgbr run ${plan.name}, which copies and verifies each new backup, or pgbr offsite verify ${newest?.path ?? 'DUMP'} --to ${target}.`;
      if (!newest) {
        problems.push({ detail: `plan ${plan.name} copies to ${target} but has no backup yet, so no copy is verified there.`, fix });
        continue;
      }
      const verified = newest.verifiedAt;
      if (verified && ageOf(verified, now) <= period) {
        passed.push(`plan ${plan.name} at ${target}, ${formatDuration(ageOf(verified, now))} ago`);
      } else if (verified) {
        problems.push({ detail: `plan ${plan.name}: the copy of its newest backup, ${newest.name}, at ${target} was last verified ${formatDuration(ageOf(verified, now))} ago, longer than the plan's period of ${formatDuration(period)}.`, fix });
      } else {
        const before = o.lastVerifiedAt ? `the last verified copy there is ${formatDuration(ageOf(o.lastVerifiedAt, now))} old` : 'no copy there was ever verified';
        problems.push({ detail: `plan ${plan.name}: its newest backup, ${newest.name}, has no verified copy at ${target}; ${before}.`, fix });
      }
    }
  }
  const first = problems[0];
  if (first) {
    const more = problems.length > 1 ? ` (${plural(problems.length - 1, 'other target')} too)` : '';
    return item('fail', `${first.detail}${more}`, first.fix);
  }
  return item('pass', `the newest backup of each plan that copies offsite has a copy verified within its period: ${passed.join('; ')}.`);
}

/** No plan copies offsite: a declaration is not a copy, so this cannot pass. */
function declaredOnly(policy: HealthPolicy, item: Item): CheckItem {
  const o = policy.offsite;
  if (o && (o.target || o.command)) {
    return item(
      'warn',
      `an offsite copy is declared (${o.target ?? o.command ?? ''}), but no plan copies its backups there, so nothing has checked that a copy exists and matches.`,
      'give the plan an offsite target, e.g. offsite: [{ to: "backup:pg", keep: { daily: 7 } }], so each backup is copied and verified there.',
    );
  }
  return item(
    'warn',
    'no plan copies its backups offsite: a lost machine takes its backups with it.',
    'give a plan an offsite target, e.g. offsite: [{ to: "backup:pg", keep: { daily: 7 } }] (any rclone remote), so each backup is copied and verified there.',
  );
}
