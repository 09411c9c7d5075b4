// The Recover Table panel's words: transactions, the comparison, previews and the report, written for people.
import type { UndoComparisonView, UndoTransactionView } from '../../webview/protocol';
import { formatStamp } from '../core/platform';
import { type BringBackReport, type Comparison, describeBringBack, type TableRewrite, type TableTransaction } from '../core/undo';

const rows = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `deleted 1,204 rows`, `inserted 3 rows and updated 1 row`: what it did to the table, the counts that are not zero. */
export function changesText(t: Pick<TableTransaction, 'inserted' | 'updated' | 'deleted'>): string {
  const parts = [t.inserted && `inserted ${rows(t.inserted)}`, t.updated && `updated ${rows(t.updated)}`, t.deleted && `deleted ${rows(t.deleted)}`].filter((p): p is string => !!p);
  if (parts.length === 0) return 'changed no rows';
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) as string}`;
}

/** One row of step 1: `just before xid 745 — deleted 1,204 rows at 2026-12-01 15:47:03 UTC`. */
export function transactionView(t: TableTransaction, timeZone?: string): UndoTransactionView {
  const zone = timeZone ? { timeZone } : {};
  const atText = t.at ? formatStamp(t.at, zone) : 'no commit in the WAL read';
  const end = t.outcome === 'committed' ? `at ${atText}` : t.outcome === 'aborted' ? `rolled back at ${atText}, so nothing to undo` : 'still running when the WAL read ends, so it cannot be undone yet';
  return {
    xid: String(t.xid),
    label: `just before xid ${t.xid} — ${changesText(t)} ${end}`,
    atText,
    inserted: t.inserted,
    updated: t.updated,
    deleted: t.deleted,
    outcome: t.outcome,
    pickable: t.outcome === 'committed' && t.at !== undefined,
  };
}

/** The transactions whose commit (or first change, without one) falls in the window, newest first. */
export function inWindow(transactions: readonly TableTransaction[], from: Date, to: Date): TableTransaction[] {
  return transactions
    .filter((t) => t.at === undefined || (t.at.getTime() >= from.getTime() && t.at.getTime() <= to.getTime()))
    .sort((a, b) => (b.at?.getTime() ?? Number.MAX_SAFE_INTEGER) - (a.at?.getTime() ?? Number.MAX_SAFE_INTEGER) || b.xid - a.xid);
}

/** The rewrites met on the way back, each a sentence: followed or not, and why. */
export function rewriteNotes(rewrites: readonly TableRewrite[], timeZone?: string): string[] {
  return rewrites.map((w) => {
    const when = w.at ? ` at ${formatStamp(w.at, timeZone ? { timeZone } : {})}` : '';
    return `xid ${w.xid}${when} ${w.how} the table into a new file: ${w.followed ? 'followed' : 'not followed'} — ${w.why}`;
  });
}

/** The window's ends as a person types them: `2026-12-01 15:47:03 Europe/Berlin`. */
export function windowText(d: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${timeZone}`;
}

export function comparisonView(c: Comparison, extra: { source: string; newTable: string; expiresAt: number; holdMs: number; recoverMs: number; compareMs: number }): UndoComparisonView {
  const by = c.by === 'primary key' ? `by primary key (${(c.key ?? []).join(', ')})` : 'whole row (no primary key)';
  return {
    source: extra.source,
    by,
    pastRows: c.pastRows,
    liveRows: c.liveRows,
    missing: c.missing,
    differ: c.differ,
    added: c.added,
    ...(c.costMessage ? { costMessage: c.costMessage } : {}),
    samples: c.samples,
    newTable: extra.newTable,
    expiresAt: new Date(extra.expiresAt).toISOString(),
    holdMinutes: Math.round(extra.holdMs / 60_000),
    durationText: `Recovered on the side in ${seconds(extra.recoverMs)}, compared in ${seconds(extra.compareMs)}.`,
  };
}

/** What replacing would lose, from its dry run: named in the confirmation. */
export function replaceLoses(r: BringBackReport): string {
  const c = r.counts;
  const lost = [`${rows(c.added)} added since`];
  if (c.differ > 0) lost.push(`the current version of ${rows(c.differ)} that differ`);
  return `Replacing ${r.table} with its past version loses ${lost.join(' and ')}, and brings back ${rows(c.missing)} missing now (${rows(c.inserted)} inserted, ${rows(c.updated)} updated back, ${rows(c.deleted)} deleted).`;
}

export const previewLines = (r: BringBackReport): string[] => describeBringBack(r).filter((l) => l !== `From ${r.source}.`);

export interface ReportTimes {
  recoverMs: number;
  compareMs: number;
  previewMs: number;
  applyMs: number;
  cleanupMs: number;
  /** From the start of the recovery to the commit, the time spent reading the comparison included. */
  wallMs: number;
}

/** The report at the end: what came back, from which backup and WAL, how long each part took. */
export function reportLines(r: BringBackReport, ctx: { target: string; times: ReportTimes; wal?: string }): string[] {
  const t = ctx.times;
  return [
    `${r.table} as it was ${ctx.target}, from ${r.source}.`,
    ...(ctx.wal ? [ctx.wal] : []),
    ...describeBringBack(r).filter((l) => l !== `From ${r.source}.` && !l.startsWith('Dry run:')),
    `Recovery time (RTO evidence): ${seconds(t.recoverMs + t.compareMs + t.previewMs + t.applyMs)} of work — scratch server up with the past table ${seconds(t.recoverMs)}, comparing ${seconds(t.compareMs)}, previewing ${seconds(t.previewMs)}, applying ${seconds(t.applyMs)}; ${seconds(t.wallMs)} from the start of the recovery to the commit, reading time included.`,
    `The scratch server was stopped and its folder removed in ${seconds(t.cleanupMs)}.`,
  ];
}
