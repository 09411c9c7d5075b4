// What a plan's `keep:` asks for, and the one backup shape retention decides over (borg prune 1.2's rules).

/** `keep: { last, hourly, daily, weekly, monthly, yearly, within }`; an absent count is 0 (the rule is off). */
export interface KeepRules {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** `within: 2d` as written, and as seconds (h, d, w; m = 31 days and y = 365 days, as borg counts them). */
  within?: { text: string; seconds: number };
}

/** One complete backup a plan made (never a `.partial`). */
export interface RetentionCandidate {
  path: string;
  /** When the backup started (`startedAt` in its manifest or record). */
  startedAt: Date;
  /** Passed its last verification (a dump's verify, a base backup's drill). */
  verified: boolean;
}

const WITHIN_UNIT_SECONDS: Record<string, number> = { h: 3600, d: 86400, w: 7 * 86400, m: 31 * 86400, y: 365 * 86400 };

/** `36h`, `2d`, `4w`, `6m`, `1y` → seconds; undefined for anything else (the caller reports it with its position). */
export function parseWithin(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([hdwmy])\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = WITHIN_UNIT_SECONDS[(m[2] as string).toLowerCase()] as number;
  return n > 0 ? n * unit : undefined;
}

/** True when at least one rule can keep something; a plan without any removes nothing. */
export function hasKeepRules(rules: KeepRules | undefined): boolean {
  if (!rules) return false;
  const counts = [rules.last, rules.hourly, rules.daily, rules.weekly, rules.monthly, rules.yearly];
  return counts.some((n) => (n ?? 0) > 0) || rules.within !== undefined;
}
