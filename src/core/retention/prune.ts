// A plan's prune: the preview `pgbr prune --dry-run` prints (what stays and why, what goes, the WAL no kept base backup needs) and the removal `pgbr prune` and `pgbr run` do.
import { listDumps } from '../logical/catalog';
import type { CatalogIndexPlace } from '../logical/catalogIndex';
import { listBaseBackups, type BaseBackupEntry } from '../physical/catalog';
import { PgbrError } from '../platform/errors';
import type { WindowPoint } from '../wal/check';
import { parseWalFileName } from '../wal/names';
import { readArchiveInventory } from '../wal/scan';
import type { ArchiveInventory } from '../wal/check';
import { baseBackupCandidates, dumpCandidates, type PlanCandidates } from './candidates';
import { planRetention } from './gfs';
import { removeBaseBackups, removeDumps, removeWalFiles, type Removal } from './remove';
import { isTimeZone } from '../platform/zones';
import type { KeepRules } from './rules';
import { planWalCleanup, walBaseBackup, type WalCleanupPlan } from './wal';

/** What prune needs of a plan. */
export interface PrunePlan {
  name: string;
  backup: 'dump' | 'globals' | 'basebackup' | 'pgbackrest';
  /** The folder the plan's backups go to (absolute). */
  folder: string;
  /** IANA zone the period rules are computed in. */
  timezone: string;
  keep?: KeepRules;
  /** The WAL archive of a basebackup plan (absolute); without one no WAL is touched. */
  archive?: string;
}

export interface PrunedWindowEnd {
  lsn: string;
  timeline: number;
  time?: string;
  backup: string;
}

export interface WalPrunePreview {
  archive: string;
  /** Archive file names that go, in name order. */
  remove: string[];
  /** How many of them are WAL segments (the rest are `.backup` files). */
  segments: number;
  bytes: number;
  cutoff?: WalCleanupPlan['cutoff'];
  note?: string;
  /** The recoverable window today and after the prune: from the earliest point to the latest. */
  before: { earliest?: PrunedWindowEnd; latest?: PrunedWindowEnd; note?: string };
  after: { earliest?: PrunedWindowEnd; latest?: PrunedWindowEnd; note?: string };
}

/** `pgbr prune --dry-run --json`'s document. */
export interface PrunePreview {
  plan: string;
  /** Newest first. */
  keep: { path: string; time: string; reasons: string[] }[];
  /** Newest first. */
  remove: { path: string; time: string }[];
  /** The plan's backups that take no part, one sentence each (never removed). */
  skipped: string[];
  wal?: WalPrunePreview;
}

export interface PruneResult extends PrunePreview {
  /** Each backup and archive file prune tried to remove, with what went. */
  removals: Removal[];
  /** One sentence per backup or file that stayed although it was listed. */
  errors: string[];
}

/** How a prune reads the plan's folder: `catalogIndex`, where the dump folder's catalogue index is kept (none: every manifest is read). */
export interface PruneReading {
  catalogIndex?: CatalogIndexPlace;
}

interface Decided {
  preview: PrunePreview;
  /** The WAL preview's inputs, to decide again when a base backup could not be removed. */
  wal?: { inventory: ArchiveInventory; backups: readonly BaseBackupEntry[]; kept: Set<string> };
}

const windowEnd = (p: (WindowPoint & { backup: string }) | undefined): PrunedWindowEnd | undefined =>
  p && { lsn: p.lsn, timeline: p.timeline, backup: p.backup, ...(p.time ? { time: p.time.toISOString() } : {}) };

function windowSummary(w: WalCleanupPlan['before']): WalPrunePreview['before'] {
  const earliest = windowEnd(w.earliest);
  const latest = windowEnd(w.latest);
  return { ...(earliest ? { earliest } : {}), ...(latest ? { latest } : {}), ...(w.note ? { note: w.note } : {}) };
}

function walPreview(archive: string, inventory: ArchiveInventory, backups: readonly BaseBackupEntry[], kept: ReadonlySet<string>, plan: string): WalPrunePreview {
  // Another plan's or a hand-taken base backup in the same folder is not this plan's to give up: its WAL stays.
  const known = backups.filter((b) => !b.missing).map((b) => walBaseBackup(b.record, b.record.plan !== plan || kept.has(b.path)));
  const cleanup = planWalCleanup(inventory, known);
  return {
    archive,
    remove: cleanup.remove,
    // What is removed is segments and backup history files, told apart by name.
    segments: cleanup.remove.filter((n) => parseWalFileName(n)?.kind === 'segment').length,
    bytes: cleanup.removeBytes,
    ...(cleanup.cutoff ? { cutoff: cleanup.cutoff } : {}),
    ...(cleanup.note ? { note: cleanup.note } : {}),
    before: windowSummary(cleanup.before),
    after: windowSummary(cleanup.after),
  };
}

async function decide(plan: PrunePlan, reading: PruneReading): Promise<Decided> {
  if (!isTimeZone(plan.timezone)) {
    throw new PgbrError('config', `plan ${plan.name}'s timezone "${plan.timezone}" is not an IANA time zone: write one such as Europe/Berlin or UTC.`);
  }
  if (plan.backup === 'pgbackrest') {
    throw new PgbrError('usage', `plan ${plan.name} keeps pgBackRest backups, which pgbr prune does not touch: pgbr run ${plan.name} applies its keep: rules with pgbackrest expire, and pgbr backrest expire --dry-run with the same --keep-… rules shows what they would expire.`);
  }
  let found: PlanCandidates;
  let baseBackups: BaseBackupEntry[] = [];
  if (plan.backup === 'basebackup') {
    baseBackups = (await listBaseBackups(plan.folder)).backups;
    found = baseBackupCandidates(baseBackups, plan.name);
  } else {
    found = dumpCandidates((await listDumps(plan.folder, reading.catalogIndex)).dumps, plan.name);
  }
  const decided = planRetention(found.candidates, plan.keep ?? {}, plan.timezone);
  const preview: PrunePreview = {
    plan: plan.name,
    keep: decided.keep.map((k) => ({ path: k.candidate.path, time: k.candidate.startedAt.toISOString(), reasons: k.reasons })),
    remove: decided.remove.map((c) => ({ path: c.path, time: c.startedAt.toISOString() })),
    skipped: found.skipped,
  };
  if (plan.backup !== 'basebackup' || plan.archive === undefined) return { preview };
  const { inventory } = await readArchiveInventory(plan.archive);
  const kept = new Set(preview.keep.map((k) => k.path));
  preview.wal = walPreview(plan.archive, inventory, baseBackups, kept, plan.name);
  return { preview, wal: { inventory, backups: baseBackups, kept } };
}

/** What a prune of the plan would keep (with every rule that keeps it) and remove; reads the folder and archive, changes nothing. */
export async function previewPrune(plan: PrunePlan, reading: PruneReading = {}): Promise<PrunePreview> {
  return (await decide(plan, reading)).preview;
}

/**
 * Removes what the preview lists: dumps with their manifest and verify report, base backups with
 * their record, then the WAL. A base backup that could not be removed still counts as kept for the
 * WAL, so its WAL is decided again and stays.
 */
export async function prune(plan: PrunePlan, reading: PruneReading = {}): Promise<PruneResult> {
  const { preview, wal } = await decide(plan, reading);
  const paths = preview.remove.map((r) => r.path);
  const removals = plan.backup === 'basebackup' ? await removeBaseBackups(paths) : await removeDumps(paths);
  if (wal && preview.wal) {
    const stayed = removals.filter((r) => r.error !== undefined && !r.removed.includes(r.path)).map((r) => r.path);
    if (stayed.length > 0) preview.wal = walPreview(preview.wal.archive, wal.inventory, wal.backups, new Set([...wal.kept, ...stayed]), plan.name);
    removals.push(...(await removeWalFiles(preview.wal.archive, preview.wal.remove)));
  }
  const errors = removals.flatMap((r) => (r.error !== undefined ? [r.error] : []));
  return { ...preview, removals, errors };
}
