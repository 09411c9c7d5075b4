// The one decision behind the editor's warning about a failed scheduled run: which failed record, if any, is new to this editor.
import type { JournalRecord } from './journal';

/** Names one run for good: a plan's run started at that time, with the run's own id. */
export function runKey(record: Pick<JournalRecord, 'plan' | 'startedAt' | 'runId'>): string {
  return `${record.plan}@${record.startedAt}#${record.runId}`;
}

/** How many warned runs are remembered: far more than there are plans, so an old key drops out only long after its run stopped being the newest. */
export const REMEMBERED_RUNS = 200;

export interface WarnedRuns {
  /** The keys of runs already warned about, or shown as the result of this editor's Run Now. */
  warned: ReadonlySet<string>;
  /** This editor's process: a record it wrote itself came from its Run Now, which shows its own result. */
  self: { host: string; pid: number };
}

/** The newest record when it is a failure nobody here has been told of yet; otherwise undefined. */
export function failureToWarn(newest: JournalRecord | undefined, seen: WarnedRuns): JournalRecord | undefined {
  if (newest?.outcome !== 'failed') return undefined;
  if (seen.warned.has(runKey(newest))) return undefined;
  if (newest.host === seen.self.host && newest.pid === seen.self.pid) return undefined;
  return newest;
}

/** The remembered keys with `key` added last, the oldest dropped past `max`. */
export function rememberRun(keys: readonly string[], key: string, max = REMEMBERED_RUNS): string[] {
  return [...keys.filter((k) => k !== key), key].slice(-max);
}
