// Which listed dumps and base backups belong to a plan, as the candidates retention decides over.
import type { CatalogEntry } from '../logical/catalog';
import { verificationState } from '../logical/catalog';
import { briefOf } from '../logical/catalogIndex';
import type { BaseBackupEntry } from '../physical/catalog';
import type { RetentionCandidate } from './rules';

export interface PlanCandidates {
  /** The plan's complete backups; `.partial` work never appears in a catalogue's list of backups. */
  candidates: RetentionCandidate[];
  /** The plan's entries that cannot take part, one sentence each: never removed, never counted. */
  skipped: string[];
}

/**
 * The dumps whose manifest names `plan`. A dump without a manifest, with one that cannot be read, or
 * with no `plan` (taken by hand, or before plans existed) is not the plan's, so retention never
 * touches it. Verified: its last verification passed and nothing since found it damaged.
 */
export function dumpCandidates(dumps: readonly CatalogEntry[], plan: string): PlanCandidates {
  const out: PlanCandidates = { candidates: [], skipped: [] };
  for (const d of dumps) {
    // The brief, not the manifest: a listing from the catalogue index parses a manifest only when it is read.
    const m = d.brief ?? (d.manifest && briefOf(d.manifest));
    if (m?.plan !== plan) continue;
    const startedAt = new Date(m.startedAt ?? Number.NaN);
    if (Number.isNaN(startedAt.getTime())) {
      out.skipped.push(`${d.path} is left alone: its manifest's startedAt "${String(m.startedAt)}" is not a time, so its place in the history is unknown`);
      continue;
    }
    out.candidates.push({ path: d.path, startedAt, verified: verificationState(d) === 'verified' });
  }
  return out;
}

/**
 * The base backups whose record names `plan`. A record whose folder is gone is skipped (there is no
 * backup to keep or remove; the record is the user's to clear). Verified: its last drill passed.
 */
export function baseBackupCandidates(backups: readonly BaseBackupEntry[], plan: string): PlanCandidates {
  const out: PlanCandidates = { candidates: [], skipped: [] };
  for (const b of backups) {
    const r = b.record;
    if (r.plan !== plan) continue;
    const startedAt = new Date(r.startedAt);
    if (b.missing) {
      out.skipped.push(`${b.path} is left alone: its record ${b.recordPath} is there but the backup folder is gone; remove the record if the backup was deleted on purpose`);
    } else if (Number.isNaN(startedAt.getTime())) {
      out.skipped.push(`${b.path} is left alone: its record's startedAt "${String(r.startedAt)}" is not a time, so its place in the history is unknown`);
    } else {
      out.candidates.push({ path: b.path, startedAt, verified: r.drill?.status === 'passed' });
    }
  }
  return out;
}
