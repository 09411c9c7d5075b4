// What bringing a table's rows back did (or, in a dry run, would do), and how the CLI and the editor word it.
import type { Comparison } from './compare';

export type BringBackMode = 'new-table' | 'missing-rows' | 'replace';

export interface SequenceFix {
  /** The sequence, as SQL names it. */
  sequence: string;
  column: string;
  /** Its last value before, and the highest value of the column after the rows came back. */
  from: string;
  to: string;
  /** False in a dry run: setval is not undone by a rollback, so a dry run only says it. */
  applied: boolean;
}

export interface ForeignKeyProblem {
  constraint: string;
  /** `out`: rows brought back would reference a parent row gone now; `in`: rows of another table reference rows that would be deleted. */
  direction: 'out' | 'in';
  /** The referencing table and the referenced one, as SQL names them. */
  table: string;
  references: string;
  rows: number;
  samples: string[];
  /** The rows were left out (missing rows with orphans skipped); otherwise the change was refused. */
  skipped: boolean;
}

export interface BringBackCounts {
  pastRows: number;
  liveRows: number;
  missing: number;
  differ: number;
  added: number;
  inserted: number;
  updated: number;
  deleted: number;
}

export interface BringBackReport {
  mode: BringBackMode;
  /** The live table, as SQL names it. */
  table: string;
  /** Where the past version came from (PastServer.source). */
  source: string;
  dryRun: boolean;
  /** new-table: the copy made beside the table. */
  newTable?: string;
  counts: BringBackCounts;
  /** The comparison made inside the transaction, before the change (not for new-table). */
  comparison?: Comparison;
  /** The lock taken on the live table, and for how long. */
  lock: string;
  sequenceFixes: SequenceFix[];
  fkProblems: ForeignKeyProblem[];
  durations: { stageMs: number; compareMs: number; applyMs: number };
  /** What the mode does not do, said so nobody assumes it. */
  notes: string[];
}

const rows = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;

/** The report in lines of plain text: what changed (or would), from where, what was left out, how long it took. */
export function describeBringBack(r: BringBackReport): string[] {
  const would = r.dryRun ? 'would be' : 'were';
  const lines: string[] = [];
  if (r.dryRun) lines.push('Dry run: everything below was done inside a transaction and rolled back; nothing changed.');
  lines.push(`From ${r.source}.`);
  if (r.mode === 'new-table') {
    lines.push(`${rows(r.counts.inserted)} of ${r.table} as it was ${would} copied into the new table ${r.newTable ?? '?'} (counted exactly).`);
  } else {
    const c = r.counts;
    lines.push(`${r.table}: ${rows(c.pastRows)} then, ${rows(c.liveRows)} now; ${rows(c.missing)} missing now, ${rows(c.differ)} differ, ${rows(c.added)} added since (compared by ${r.comparison?.by ?? 'primary key'}).`);
    if (r.mode === 'missing-rows') lines.push(`${rows(c.inserted)} ${would} brought back; rows that are there now were left as they are.`);
    else lines.push(`${rows(c.inserted)} ${would} inserted, ${rows(c.updated)} updated back and ${rows(c.deleted)} deleted; lost: ${rows(c.added)} added since${c.differ > 0 ? ` and the current version of ${rows(c.differ)}` : ''}.`);
    if (r.comparison?.costMessage) lines.push(r.comparison.costMessage);
  }
  for (const p of r.fkProblems) {
    const verb = p.rows === 1 ? 'references' : 'reference';
    const what = p.direction === 'out' ? `${verb} a row of ${p.references} that is gone now` : `of ${p.table} ${verb} rows that would be deleted`;
    lines.push(`${rows(p.rows)} ${what} (${p.constraint})${p.skipped ? ': left out' : ''}${p.samples.length ? `, e.g. ${p.samples[0]}` : ''}.`);
  }
  for (const s of r.sequenceFixes) {
    lines.push(`Sequence ${s.sequence} ${s.applied ? 'was moved' : 'would be moved'} from ${s.from} to ${s.to}, the highest ${s.column} now, so new rows do not collide with the ones brought back.`);
  }
  lines.push(`Lock: ${r.lock}.`);
  lines.push(...r.notes);
  const d = r.durations;
  lines.push(`Took ${d.stageMs + d.compareMs + d.applyMs} ms: ${d.stageMs} ms copying the past rows over, ${d.compareMs} ms comparing, ${d.applyMs} ms ${r.dryRun ? 'trying the change' : 'changing the table'}.`);
  return lines;
}
