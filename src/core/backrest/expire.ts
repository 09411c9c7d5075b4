// Our GFS retention over a stanza's backups, and `pgbackrest expire --set` per backup it removes: the route pgBackRest's maintainers give for GFS, with repo1-retention-full left high.
import { planRetention } from '../retention/gfs';
import type { KeepRules, RetentionCandidate } from '../retention/rules';
import { PgbrError } from '../platform/errors';
import type { BackrestBackup } from './info';
import { backrestFailure, runBackrest, type BackrestTarget } from './run';
import type { BackrestCallOptions } from './commands';

export interface ExpirePreview {
  /** Newest first, each with every reason it stays: a rule, `newest`, or `needed by LABEL` for a backup a kept one is built on. */
  keep: { backup: BackrestBackup; reasons: string[] }[];
  /** Newest first, so each is expired after every backup built on it. */
  expire: BackrestBackup[];
}

/**
 * Which backups the rules keep, in `timeZone`. A diff or incr restores only with every backup it
 * references, so those stay with it (pgBackRest would otherwise expire them with their full).
 */
export function previewExpire(backups: readonly BackrestBackup[], rules: KeepRules, timeZone: string): ExpirePreview {
  const byLabel = new Map(backups.map((b) => [b.label, b]));
  // The label orders backups of the same second: pgBackRest's labels carry their time.
  const candidates: RetentionCandidate[] = backups.map((b) => ({ path: b.label, startedAt: b.startTime, verified: false }));
  const plan = planRetention(candidates, rules, timeZone);
  const reasons = new Map<string, string[]>(plan.keep.map((k) => [k.candidate.path, [...k.reasons]]));
  for (const kept of plan.keep) {
    for (const ref of byLabel.get(kept.candidate.path)?.references ?? []) {
      const list = reasons.get(ref) ?? [];
      if (!reasons.has(ref)) reasons.set(ref, list);
      list.push(`needed by ${kept.candidate.path}`);
    }
  }
  const newestFirst = [...backups].sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || (a.label < b.label ? 1 : a.label > b.label ? -1 : 0));
  return {
    keep: newestFirst.filter((b) => reasons.has(b.label)).map((backup) => ({ backup, reasons: reasons.get(backup.label) ?? [] })),
    expire: newestFirst.filter((b) => !reasons.has(b.label)),
  };
}

export interface ExpiredSet {
  label: string;
  durationMs: number;
}

/** `pgbackrest expire --set LABEL` for each backup of the preview, newest first; stops at the first failure, saying which were expired. */
export async function expireSets(target: BackrestTarget, preview: ExpirePreview, opts: BackrestCallOptions & { onExpired?: (set: ExpiredSet) => void } = {}): Promise<ExpiredSet[]> {
  const done: ExpiredSet[] = [];
  for (const backup of preview.expire) {
    const result = await runBackrest(target, 'expire', [`--set=${backup.label}`], opts);
    if (result.status !== 'succeeded') {
      const failure = backrestFailure(`expire --set=${backup.label}`, result, target);
      const before = done.length ? ` (${done.map((d) => d.label).join(', ')} ${done.length === 1 ? 'was' : 'were'} expired before it)` : '';
      throw new PgbrError(failure.kind, `${failure.message}${before}`);
    }
    const set = { label: backup.label, durationMs: result.durationMs };
    done.push(set);
    opts.onExpired?.(set);
  }
  return done;
}
