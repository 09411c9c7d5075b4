// What this process started or wrote for a while goes away with it, even when it is killed outright:
// a run folder that records it, and a small watcher that clears it the moment this process is gone.
//
// Each process gets one run folder, `<tmp>/pgbr-run-<pid>-<hex>/`, that records what must not outlive
// it: the process groups of running tools (`groups/<pgid>`), and paths to remove (`remove/<n>`, the
// path as the file's content: `.partial` dumps, drill folders). Private temp files (passfiles, filter
// files, restore lists) live inside the run folder itself. On POSIX a detached `/bin/sh` holds the
// read end of a pipe whose write end only this process has; when this process ends, however it ends
// (SIGKILL included), the kernel closes the pipe, the watcher reads end-of-file, kills the recorded
// groups, waits for them to go, removes the recorded paths and the run folder. If the watcher itself
// was killed too, the next run's sweep (see leftovers.ts) finds the folder of a dead owner and does
// the same. A recorded group or path is released as soon as the work is done, so nothing is touched
// on a normal exit.
//
// Inside the process, the same records are one registry of cleanups (kill a group, stop a scratch
// server, remove a path) run newest first when the process exits or is stopped by a signal nothing
// here can answer gracefully; `abortOnSignals` lets a command cancel its work on the first Ctrl-C
// instead. The exit and signal listeners are on the process only while something is registered, one
// of each however many runs there are.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export const RUN_FOLDER_PREFIX = 'pgbr-run-';

/** Who owns a run folder: enough to tell a live owner from a dead one whose pid was reused. */
export interface RunOwner {
  pid: number;
  /** Linux: the process start time in clock ticks since boot (`/proc/<pid>/stat` field 22). */
  startTicks?: number;
  host: string;
  /** ISO time the folder was made. */
  createdAt: string;
}

/**
 * The watcher, given the run folder as $1. `cat` returns at end-of-file: the owner is gone. Process
 * groups are killed first and waited for (up to 10 s) so that nothing still writes into a path that
 * is then removed. A path is read with a sentinel so trailing newlines in a name survive `$(…)`.
 */
const WATCHER_SCRIPT = `d=$1
cat >/dev/null 2>&1
for f in "$d"/groups/*; do [ -e "$f" ] && kill -KILL -"\${f##*/}" 2>/dev/null; done
i=0
while [ $i -lt 50 ]; do
  alive=
  for f in "$d"/groups/*; do [ -e "$f" ] && kill -0 -"\${f##*/}" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.2
  i=$((i+1))
done
for f in "$d"/remove/*; do
  [ -e "$f" ] || continue
  p=$(cat "$f"; echo x)
  p=\${p%x}
  [ -n "$p" ] && rm -rf -- "$p"
done
rm -rf -- "$d"
`;

let folder: string | undefined;
let serial = 0;

/** The start time of a process in clock ticks since boot, or undefined where /proc cannot tell. */
export function processStartTicks(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `owner` is still running (and is the same process, not a reused pid). */
export function ownerAlive(owner: RunOwner): boolean {
  if (owner.host !== os.hostname()) return true; // a shared temp folder: another machine's run is not ours to judge
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.startTicks === undefined) return true;
  const now = processStartTicks(owner.pid);
  return now === undefined || now === owner.startTicks;
}

/** This process's run folder if it has one yet (the sweep must not clear it). */
export function runFolderPath(): string | undefined {
  return folder;
}

/** Where temp folders go; the same rule the sweep reads. */
export function tempRoot(): string {
  return os.tmpdir();
}

/**
 * This process's run folder, made (0700) on first use together with its watcher. Synchronous on
 * purpose: a tool's process group must be on record before the tool can do anything.
 */
export function runFolder(): string {
  if (folder !== undefined) return folder;
  const dir = path.join(tempRoot(), `${RUN_FOLDER_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  mkdirSync(path.join(dir, 'groups'));
  mkdirSync(path.join(dir, 'remove'));
  const owner: RunOwner = { pid: process.pid, host: os.hostname(), createdAt: new Date().toISOString() };
  const ticks = processStartTicks(process.pid);
  if (ticks !== undefined) owner.startTicks = ticks;
  writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(owner) + '\n', { mode: 0o600 });
  folder = dir;
  startWatcher(dir);
  return dir;
}

function startWatcher(dir: string): void {
  if (process.platform === 'win32') return;
  try {
    const watcher = spawn('/bin/sh', ['-c', WATCHER_SCRIPT, 'pgbr-reaper', dir], {
      // Its own session: a Ctrl-C or a closed terminal that ends this process must not end the watcher too.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watcher.on('error', () => undefined); // no /bin/sh: the next run's sweep still finds the folder
    watcher.stdin?.on('error', () => undefined);
    // Neither the watcher nor its pipe may keep this process alive.
    watcher.unref();
    (watcher.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch {
    // Same as above: the sweep is the second line.
  }
}

/** A private folder for this run's temp files (passfiles, filter files, lists), removed with the run if not before. */
export async function privateTempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(runFolder(), prefix));
}

/** Sends `signal` to every process in a group; a group that is already gone is no error. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

/**
 * Puts a running tool's process group on record: if this process exits or is stopped first, the
 * group gets SIGTERM, and the watcher kills whatever is left. The returned function is for when the
 * tool's leader has exited: what it left in its group is killed (an orphan would hold our pipes
 * open) and the group comes off the record. Calling it again does nothing.
 */
export function guardProcessGroup(pgid: number): () => void {
  if (process.platform === 'win32') return () => undefined;
  const file = path.join(runFolder(), 'groups', String(pgid));
  const leader: { startTicks?: number } = {};
  const ticks = processStartTicks(pgid);
  if (ticks !== undefined) leader.startTicks = ticks;
  let recorded = true;
  try {
    writeFileSync(file, JSON.stringify(leader));
  } catch {
    recorded = false;
  }
  const forget = atExit(() => signalProcessGroup(pgid, 'SIGTERM'));
  let released = false;
  return () => {
    if (released) return;
    released = true;
    signalProcessGroup(pgid, 'SIGKILL');
    forget();
    if (recorded) rmSync(file, { force: true });
  };
}

/**
 * Puts a path on record to be removed if this process exits or dies before the work is done (an
 * unfinished dump, a drill's scratch folder); the returned function takes it off the record, leaving the path.
 */
export function removeIfKilled(target: string): () => void {
  const resolved = path.resolve(target);
  const file = path.join(runFolder(), 'remove', `${++serial}`);
  let recorded = true;
  try {
    writeFileSync(file, resolved);
  } catch {
    recorded = false;
  }
  const forget = atExit(() => rmSync(resolved, { recursive: true, force: true }));
  return () => {
    forget();
    if (recorded) rmSync(file, { force: true });
  };
}

const cleanups = new Map<number, () => void>();
let cleanupSerial = 0;
const interruptible = new Map<AbortController, ((signal: NodeJS.Signals) => void) | undefined>();
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let hooked = false;

/**
 * Runs `cleanup` if this process exits, or is stopped by a signal, before the returned function is
 * called. Cleanups run newest first and must be synchronous: an exiting process cannot wait.
 */
export function atExit(cleanup: () => void): () => void {
  const id = ++cleanupSerial;
  cleanups.set(id, cleanup);
  updateHooks();
  return () => {
    if (cleanups.delete(id)) updateHooks();
  };
}

/**
 * Aborts on Ctrl-C or SIGTERM, so an interrupted command stops its tools and removes what it wrote
 * before it ends; a second signal ends the process at once, after the registered cleanups.
 */
export function abortOnSignals(onSignal?: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  interruptible.set(controller, onSignal);
  updateHooks();
  return {
    signal: controller.signal,
    dispose() {
      if (interruptible.delete(controller)) updateHooks();
    },
  };
}

function runCleanups(): void {
  const pending = [...cleanups.values()].reverse();
  cleanups.clear();
  updateHooks();
  for (const cleanup of pending) {
    try {
      cleanup();
    } catch {
      // One cleanup that fails must not keep the others from running; the watcher is the second line.
    }
  }
}

function onStopSignal(signal: NodeJS.Signals): void {
  if (interruptible.size > 0) {
    const owners = [...interruptible];
    interruptible.clear();
    updateHooks();
    for (const [controller, said] of owners) {
      said?.(signal);
      controller.abort();
    }
    return;
  }
  // Another listener (the editor, a test harness) decides whether this process ends; if it does, the exit hook runs.
  if (process.listenerCount(signal) > 1) return;
  runCleanups();
  // Our listener is gone now, so the signal ends the process the way it would have without us.
  process.kill(process.pid, signal);
}

function updateHooks(): void {
  const wanted = cleanups.size > 0 || interruptible.size > 0;
  if (wanted === hooked) return;
  hooked = wanted;
  if (wanted) {
    process.on('exit', runCleanups);
    for (const signal of STOP_SIGNALS) process.on(signal, onStopSignal);
  } else {
    process.removeListener('exit', runCleanups);
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onStopSignal);
  }
}

