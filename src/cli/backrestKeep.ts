// `pgbr backrest expire`'s --keep-… options read into the same keep rules a plan's keep: holds.
import { InvalidArgumentError } from 'commander';
import { PgbrError } from '../core/platform';
import { type KeepRules, parseWithin } from '../core/retention';

/** The rules in core/retention's shape, as pgbr's options give them. */
export interface KeepOptions {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: { text: string; seconds: number };
}

export function parseKeepCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('give a whole number of 0 or more.');
  return Number(value);
}

/** `36h`, `2d`, `4w`, `6m`, `1y`, counted as a plan's keep.within counts them (core/retention). */
export function parseKeepWithin(value: string): { text: string; seconds: number } {
  const seconds = parseWithin(value);
  if (seconds === undefined) throw new InvalidArgumentError('give a number and one of h, d, w, m, y, like 2d.');
  return { text: value.trim(), seconds };
}

/** The keep rules, or a usage error when none would keep anything: expire without a rule would have nothing to go by. */
export function keepRulesFrom(opts: KeepOptions): KeepRules {
  const rules: KeepRules = {
    ...(opts.keepLast ? { last: opts.keepLast } : {}),
    ...(opts.keepHourly ? { hourly: opts.keepHourly } : {}),
    ...(opts.keepDaily ? { daily: opts.keepDaily } : {}),
    ...(opts.keepWeekly ? { weekly: opts.keepWeekly } : {}),
    ...(opts.keepMonthly ? { monthly: opts.keepMonthly } : {}),
    ...(opts.keepYearly ? { yearly: opts.keepYearly } : {}),
    ...(opts.keepWithin ? { within: opts.keepWithin } : {}),
  };
  if (Object.keys(rules).length === 0) {
    throw new PgbrError('usage', 'give at least one keep rule (--keep-last, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-hourly or --keep-within): without one, expire has nothing to decide by.');
  }
  return rules;
}
