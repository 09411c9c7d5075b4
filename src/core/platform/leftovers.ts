// What earlier runs left behind. Run folders of dead owners are cleared without asking (their
// passfiles first): nothing in them is anyone's data. What holds a user's data or disk space that a
// person must judge (`.partial` dumps and base backups, scratch databases of killed verifies, drill
// folders no run owns) is only reported, with the way to remove it.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type pg from 'pg';
import { errorMessage } from './errors';
import { listOrEmptySync } from './fsutil';
import { unclaimedEntries, type PartialLeftover } from './partials';
import { ownerAlive, processStartTicks, RUN_FOLDER_PREFIX, runFolderPath, tempRoot, type RunOwner } from './reaper';
import * as os from 'node:os';

export interface SweepResult {
  /** Folders of dead runs that were removed, with what they held. */
  removed: string[];
  /** What could not be removed, one sentence each. */
  problems: string[];
}

/** Passfile folders of versions before the run folder: `pgbr-` and six random characters, holding `pgpass`. */
const LEGACY_PASS_DIR = /^pgbr-[A-Za-z0-9]{6}$/;
const LEGACY_TEMP_DIR = /^pgbr-(?:filter|restore)-[A-Za-z0-9]{6}$/;
/** A legacy folder this old belongs to no running tool: libpq reads a passfile when it connects. */
const LEGACY_AGE_MS = 60 * 60 * 1000;

function readOwner(dir: string): RunOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(path.join(dir, 'owner.json'), 'utf8')) as Partial<RunOwner>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? (v as RunOwner) : undefined;
  } catch {
    return undefined;
  }
}

function killGroup(pgid: number, leaderTicks: number | undefined): void {
  // A group's id stays taken while any member lives; a leader alive with another start time is a new group.
  const ticks = processStartTicks(pgid);
  if (ticks !== undefined && leaderTicks !== undefined && ticks !== leaderTicks) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Gone.
  }
}

/**
 * Clears the run folders of dead owners in `root` (the temp folder): kills what they recorded as
 * running, removes their private temp files (passfiles) first, then the paths they recorded (their
 * `.partial` work, drill folders), then the folder. Synchronous and quick (a listing and a few
 * small reads): it runs at the start of every `pgbr` command and at activation.
 */
export function sweepDeadRuns(root: string = tempRoot(), now: () => Date = () => new Date()): SweepResult {
  const result: SweepResult = { removed: [], problems: [] };
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return result;
  }
  const mine = runFolderPath();
  for (const name of names) {
    const dir = path.join(root, name);
    if (name.startsWith(RUN_FOLDER_PREFIX)) {
      if (dir === mine) continue;
      const owner = readOwner(dir);
      if (!owner || ownerAlive(owner)) continue;
      try {
        clearRunFolder(dir);
        result.removed.push(dir);
      } catch (e) {
        result.problems.push(`${dir} was left by a run that ended (pid ${owner.pid}) and could not be removed (${errorMessage(e)}): remove it by hand.`);
      }
    } else if (LEGACY_PASS_DIR.test(name) || LEGACY_TEMP_DIR.test(name)) {
      try {
        const st = statSync(dir);
        if (!st.isDirectory() || now().getTime() - st.mtimeMs < LEGACY_AGE_MS) continue;
        if (LEGACY_PASS_DIR.test(name) && !readdirSync(dir).every((f) => f === 'pgpass')) continue;
        rmSync(dir, { recursive: true, force: true });
        result.removed.push(dir);
      } catch {
        // Another user's, or gone: not ours to judge.
      }
    }
  }
  return result;
}

function clearRunFolder(dir: string): void {
  const entries = readdirSync(dir);
  // Private temp folders (passfiles) go first, before anything that might fail.
  for (const e of entries) if (e.startsWith('pass-')) rmSync(path.join(dir, e), { recursive: true, force: true });
  for (const g of listOrEmptySync(path.join(dir, 'groups'))) {
    let ticks: number | undefined;
    try {
      ticks = (JSON.parse(readFileSync(path.join(dir, 'groups', g), 'utf8')) as { startTicks?: number }).startTicks;
    } catch {
      ticks = undefined;
    }
    if (/^\d+$/.test(g)) killGroup(Number(g), ticks);
  }
  for (const r of listOrEmptySync(path.join(dir, 'remove'))) {
    const target = readFileSync(path.join(dir, 'remove', r), 'utf8');
    if (target !== '' && path.isAbsolute(target)) rmSync(target, { recursive: true, force: true, maxRetries: 3 });
  }
  rmSync(dir, { recursive: true, force: true });
}

export interface DrillFolderLeftover {
  path: string;
  modified: Date;
}

/** `pgbr-drill-*` folders no run folder claims (a version before the run folder, or a watcher that was killed too). */
export async function findDrillLeftovers(roots: readonly string[]): Promise<DrillFolderLeftover[]> {
  const found = await unclaimedEntries(roots, (name, st) => name.startsWith('pgbr-drill-') && st.isDirectory());
  return found.map(({ path: p, stat }) => ({ path: p, modified: stat.mtime }));
}

export interface ScratchDatabaseLeftover {
  name: string;
  /** Who made it, when its comment says. */
  owner?: RunOwner;
  /** `dead`: its run is gone, safe to drop; `running`: a verify may still use it; `unknown`: no owner recorded. */
  state: 'dead' | 'running' | 'unknown';
  /** Absent when this role may not connect to it. */
  sizeBytes?: number;
}

/** The scratch database's comment: `pgbr verify scratch database; pid 123 on host h; started <ISO>; ticks N`. */
export function scratchComment(now: Date = new Date()): string {
  const ticks = processStartTicks(process.pid);
  return `pgbr verify scratch database; pid ${process.pid} on host ${os.hostname()}; started ${now.toISOString()}${ticks !== undefined ? `; ticks ${ticks}` : ''}`;
}

/** The owner a scratch comment names, or undefined for a comment pgbr did not write. */
export function parseScratchComment(comment: string | null): RunOwner | undefined {
  const m = /^pgbr verify scratch database; pid (\d+) on host (.+?); started (\S+)(?:; ticks (\d+))?$/.exec(comment ?? '');
  if (!m) return undefined;
  return { pid: Number(m[1]), host: m[2] as string, createdAt: m[3] as string, ...(m[4] ? { startTicks: Number(m[4]) } : {}) };
}

export const SCRATCH_DATABASE_PATTERN = 'pgbr\\_verify\\_%';

/** The `pgbr_verify_*` databases on the server `c` is connected to, each with whether its run is gone. */
export async function findScratchDatabases(c: pg.Client): Promise<ScratchDatabaseLeftover[]> {
  const r = await c.query<{ datname: string; comment: string | null; size: string | null }>(
    `SELECT d.datname, pg_catalog.shobj_description(d.oid, 'pg_database') AS comment,
            CASE WHEN pg_catalog.has_database_privilege(d.oid, 'CONNECT') THEN pg_catalog.pg_database_size(d.oid)::text END AS size
       FROM pg_catalog.pg_database d
      WHERE d.datname LIKE $1
      ORDER BY d.datname`,
    [SCRATCH_DATABASE_PATTERN],
  );
  return r.rows.map((row) => {
    const owner = parseScratchComment(row.comment);
    const state: ScratchDatabaseLeftover['state'] = !owner ? 'unknown' : ownerAlive(owner) ? 'running' : 'dead';
    return { name: row.datname, ...(owner ? { owner } : {}), state, ...(row.size !== null ? { sizeBytes: Number(row.size) } : {}) };
  });
}

/** Drops scratch databases whose run is gone (or that record no owner); one still in use by a live verify is kept. */
export async function dropScratchDatabases(c: pg.Client, leftovers: readonly ScratchDatabaseLeftover[]): Promise<{ dropped: string[]; kept: string[] }> {
  const dropped: string[] = [];
  const kept: string[] = [];
  const num = Number((await c.query<{ v: string }>("SELECT pg_catalog.current_setting('server_version_num') AS v")).rows[0]?.v ?? 0);
  for (const l of leftovers) {
    if (l.state === 'running') {
      kept.push(l.name);
      continue;
    }
    await c.query(`DROP DATABASE IF EXISTS "${l.name.replace(/"/g, '""')}"${num >= 130000 ? ' WITH (FORCE)' : ''}`);
    dropped.push(l.name);
  }
  return { dropped, kept };
}

const MB = 1024 * 1024;

/** One note per kind of leftover, saying how much and what to run; empty when there is nothing. */
export function describeLeftovers(l: { partials?: readonly PartialLeftover[]; scratch?: readonly ScratchDatabaseLeftover[]; drills?: readonly DrillFolderLeftover[] }): string[] {
  const notes: string[] = [];
  if (l.partials?.length) {
    const bytes = l.partials.reduce((n, p) => n + p.sizeBytes, 0);
    const folders = [...new Set(l.partials.map((p) => path.dirname(p.path)))].join(', ');
    notes.push(`${l.partials.length} unfinished backup${l.partials.length === 1 ? '' : 's'} (.partial, ${(bytes / MB).toFixed(1)} MB) in ${folders} no running pgbr is writing: remove them with \`pgbr leftovers --remove-partials\`.`);
  }
  const stale = (l.scratch ?? []).filter((s) => s.state !== 'running');
  if (stale.length) {
    notes.push(`${stale.length} scratch database${stale.length === 1 ? '' : 's'} of verifies that did not finish (${stale.map((s) => s.name).join(', ')}): drop ${stale.length === 1 ? 'it' : 'them'} with \`pgbr leftovers --conn NAME --drop-scratch\`.`);
  }
  if (l.drills?.length) {
    notes.push(`${l.drills.length} recovery drill folder${l.drills.length === 1 ? '' : 's'} no running drill owns (${l.drills.map((d) => d.path).join(', ')}): stop any postgres running from ${l.drills.length === 1 ? 'it' : 'them'}, then remove ${l.drills.length === 1 ? 'it' : 'them'}.`);
  }
  return notes;
}
