// One run per plan at a time: a lock file beside the plan's journal that names the process holding it.
//
// Taking: the holder's JSON is written to a temp file and hard-linked to the lock's name, which fails
// when the name is taken, so a lock file is never seen empty or half-written. Taking over a lock whose
// holder is gone (ownerAlive: the pid is free, or reused by another process) must let exactly one taker
// win, so it is itself guarded by a lock: the marker `<lock>.takeover-<hash of the stale content>`,
// taken the same way (a marker left by a taker that died is taken over in turn). The marker's holder
// reads the lock again, and only if it is still the stale one replaces it by a rename, so the lock's
// name is never free during a takeover for a fresh taker to slip in.
//
// Released on every way out that runs code: `release()`, and this process's exit or stop signal (the
// reaper's atExit cleanups: process.exit, an uncaught error, SIGTERM). A killed holder leaves its file, which the next run takes over as above. It is not
// put on the reaper's remove-if-killed record on purpose: the reaper's watcher removes a path without
// looking at it, and could remove the lock of the run that took over in the meantime.

import * as fs from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileAtomic, writeFileExclusive } from '../platform/fsutil';
import { atExit, ownerAlive, processStartTicks } from '../platform/reaper';
import { formatAge, formatStamp } from '../platform/when';
import { planFile } from './files';

/** sysexits.h EX_TEMPFAIL: cron and systemd can tell "try later" from a failed run. */
export const EX_TEMPFAIL = 75;

/** What the lock file says about the run holding it. */
export interface LockHolder {
  plan: string;
  pid: number;
  /** Linux: the holder's start time in clock ticks since boot, so a reused pid is not taken for the holder. */
  startTicks?: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** Makes every lock's content unique, so a takeover can tell "still the stale lock" from a new one. */
  nonce: string;
}

/** What the lock needs of a plan. */
export interface LockPlan {
  name: string;
  /** The folder the plan's backups and journal go to. */
  folder: string;
}

export interface HeldPlanLock {
  file: string;
  holder: LockHolder;
  /** Removes the lock if it is still this run's; safe to call twice. */
  release(): Promise<void>;
}

export type PlanLockAttempt =
  | { acquired: true; lock: HeldPlanLock }
  /** `holder` is undefined when the lock could not be read or settled (see `alreadyRunning`). */
  | { acquired: false; file: string; holder?: LockHolder };

/**
 * How often a taker looks again while another process is in the middle of a takeover: a takeover is a few
 * file operations, but a loaded machine can stretch them to seconds, so a taker waits up to 10 s before it
 * says it could not settle the lock.
 */
const SETTLE_ATTEMPTS = 500;
const SETTLE_PAUSE_MS = 20;
/** Markers of markers: each level only exists when a taker died inside a takeover. */
const MAX_TAKEOVER_DEPTH = 3;

export function lockPath(plan: LockPlan): string {
  return planFile(plan.folder, plan.name, 'lock');
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string' || typeof h.startedAt !== 'string') return undefined;
    return h as LockHolder;
  } catch {
    return undefined;
  }
}

function holderAlive(holder: LockHolder): boolean {
  const owner = { pid: holder.pid, host: holder.host, createdAt: holder.startedAt };
  return ownerAlive(holder.startTicks === undefined ? owner : { ...owner, startTicks: holder.startTicks });
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

// Locks this process holds, each with the reaper's exit cleanup that removes it if its run did not release it.
const held = new Map<string, () => void>();

function remember(file: string, content: string): void {
  const forget = atExit(() => {
    try {
      if (readFileSync(file, 'utf8') === content) rmSync(file, { force: true });
    } catch {
      // Already gone, or the folder went: nothing to release.
    }
  });
  held.set(file, forget);
}

async function releaseFile(file: string, content: string): Promise<void> {
  held.get(file)?.();
  held.delete(file);
  // Only ever this run's own lock: a lock taken over from this process (judged dead) is the new holder's.
  if ((await readOrUndefined(file)) === content) await fs.rm(file, { force: true });
}

type Taken = { taken: true } | { taken: false; holder?: LockHolder };

async function take(file: string, content: string, depth: number): Promise<Taken> {
  let holder: LockHolder | undefined;
  for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, SETTLE_PAUSE_MS));
    try {
      await writeFileExclusive(file, content, 0o644);
      remember(file, content);
      return { taken: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const stale = await readOrUndefined(file);
    if (stale === undefined) continue; // released in between: take it fresh
    holder = parseHolder(stale);
    if (holder !== undefined && holderAlive(holder)) return { taken: false, holder };
    const outcome = await takeOver(file, stale, content, depth);
    if (outcome === 'taken') return { taken: true };
    // 'busy': another taker is replacing it now; 'changed': it is not the stale lock any more. Look again.
  }
  return { taken: false, ...(holder ? { holder } : {}) };
}

async function takeOver(file: string, stale: string, content: string, depth: number): Promise<'taken' | 'busy' | 'changed'> {
  if (depth >= MAX_TAKEOVER_DEPTH) return 'busy';
  const marker = `${file}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  const guard = await take(marker, content, depth + 1);
  if (!guard.taken) return 'busy';
  try {
    if ((await readOrUndefined(file)) !== stale) return 'changed';
    await writeFileAtomic(file, content, 0o644);
    remember(file, content);
    return 'taken';
  } finally {
    await releaseFile(marker, content);
  }
}

/** Takes the plan's lock, or says who holds it; never waits for a live holder. */
export async function acquirePlanLock(plan: LockPlan, now: Date = new Date()): Promise<PlanLockAttempt> {
  const file = lockPath(plan);
  await fs.mkdir(plan.folder, { recursive: true });
  const holder: LockHolder = { plan: plan.name, pid: process.pid, host: os.hostname(), startedAt: now.toISOString(), nonce: randomBytes(8).toString('hex') };
  const ticks = processStartTicks(process.pid);
  if (ticks !== undefined) holder.startTicks = ticks;
  const content = `${JSON.stringify(holder)}\n`;
  const taken = await take(file, content, 0);
  if (!taken.taken) return { acquired: false, file, ...(taken.holder ? { holder: taken.holder } : {}) };
  let released = false;
  return {
    acquired: true,
    lock: {
      file,
      holder,
      async release() {
        if (released) return;
        released = true;
        await releaseFile(file, content);
      },
    },
  };
}

export interface AlreadyRunning {
  exitCode: typeof EX_TEMPFAIL;
  message: string;
}

/**
 * What `pgbr run` says and exits with when the plan's lock is held: `plan nightly is already running
 * (pid 1234 since 2026-12-02 02:30:01 UTC, 3 min ago); nothing was done. …`
 */
export function alreadyRunning(
  plan: string,
  attempt: { file: string; holder?: LockHolder },
  opts: { now?: Date; timeZone?: string } = {},
): AlreadyRunning {
  const holder = attempt.holder;
  if (holder === undefined) {
    return {
      exitCode: EX_TEMPFAIL,
      message: `plan ${plan} is locked by ${attempt.file}, whose holder cannot be read; nothing was done. Remove that file if no run of the plan is going on.`,
    };
  }
  const where = holder.host === os.hostname() ? '' : ` on ${holder.host}`;
  const since = `${formatStamp(holder.startedAt, opts.timeZone ? { timeZone: opts.timeZone } : {})}, ${formatAge(new Date(holder.startedAt), opts.now)}`;
  return {
    exitCode: EX_TEMPFAIL,
    message: `plan ${plan} is already running (pid ${holder.pid}${where} since ${since}); nothing was done. Wait for that run to end, or stop process ${holder.pid} if it hangs.`,
  };
}
