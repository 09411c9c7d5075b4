// What the benchmarks share: timed child processes, medians, settings from the environment, a results table, and clean-up that survives Ctrl-C.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

export interface TimedRun {
  ms: number;
  /** stdout, when it was asked for; otherwise only its size is kept. */
  stdout: string;
  stdoutBytes: number;
  stderr: string;
}

export interface TimedRunOptions {
  env?: NodeJS.ProcessEnv;
  /** Keep stdout (JSON to check); by default it is drained and counted so both sides of a comparison pay the same. */
  keepStdout?: boolean;
  /** Exit codes that count as success (default only 0). */
  okCodes?: readonly number[];
}

/** Children running now, so an interrupted benchmark can stop them by pid. */
const running = new Set<ChildProcess>();

/**
 * Runs a program and times it from spawn to exit: the whole process, start-up included, which is
 * what a user waits for. Rejects with the tail of stderr when it fails.
 */
export function timedRun(file: string, args: readonly string[], opts: TimedRunOptions = {}): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env: opts.env ?? toolEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const out: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (opts.keepStdout) out.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      // The tail is all a failure report needs; verbose tools write a lot.
      stderr = (stderr + d).slice(-64 * 1024);
    });
    child.on('error', (e) => {
      running.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      running.delete(child);
      const ok = code !== null && (opts.okCodes ?? [0]).includes(code);
      if (ok) {
        resolve({ ms, stdout: Buffer.concat(out).toString('utf8'), stdoutBytes, stderr });
        return;
      }
      const why = code === null ? `was killed by ${signal}` : `exited with ${code}`;
      const tail = stderr.trim().split('\n').slice(-15).join('\n');
      const stdoutTail = opts.keepStdout ? Buffer.concat(out).toString('utf8').slice(-2000) : '';
      reject(new Error(`${[file, ...args].join(' ')} ${why}${tail ? `:\n${tail}` : ''}${stdoutTail ? `\n--- stdout (tail) ---\n${stdoutTail}` : ''}`));
    });
  });
}

/** The caller's environment without PG* variables, so nothing but the arguments decides where a tool connects. */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  return { ...env, LC_ALL: 'C', ...extra };
}

/** Wall time of an async step, in milliseconds. */
export async function timed<T>(step: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await step();
  return { ms: performance.now() - started, value };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A positive whole number from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw} is not a whole number of at least 1`);
  return n;
}

/** `1.23 s`, `456 ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Every run, in the order taken: the spread says how far a median can be trusted. */
export function formatRuns(runs: readonly number[]): string {
  return runs.map((ms) => (ms / 1000).toFixed(2)).join(', ') + ' s';
}

/** Aligned columns, the first row a header. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const [header, ...body] = rows;
  if (!header) return '';
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/**
 * CPU time spent by this process, the children it has reaped (pg_dump, pg_restore) and the server
 * backends that have exited (the postmaster reaps them), in milliseconds. Unlike wall time it barely
 * moves when other programs load the machine. Linux only (/proc); undefined elsewhere.
 */
export function cpuMeter(postmasterPid: number): (() => number) | undefined {
  let ticksPerSecond: number;
  try {
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    readCpuTicks('self');
    readCpuTicks(String(postmasterPid));
  } catch {
    return undefined;
  }
  return () => {
    const own = readCpuTicks('self');
    const server = readCpuTicks(String(postmasterPid));
    return ((own.self + own.children + server.children) * 1000) / ticksPerSecond;
  };
}

function readCpuTicks(pid: string): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: the fields start after the last ')'. Field 3 is the first one there.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const field = (n: number) => fields[n - 3] ?? 0;
  return { self: field(14) + field(15), children: field(16) + field(17) };
}

/** The 1-minute load average: another busy process on the machine shows up here. */
export function loadAverage(): string {
  return os.loadavg()[0]?.toFixed(2) ?? '?';
}

/**
 * Folders removed and children stopped however the benchmark ends: normally, on an error, or on
 * Ctrl-C (the signal is raised again afterwards so the process still ends the way it was asked to).
 * Install it before starting a cluster, so it runs ahead of the cluster's own safety net.
 */
export function installCleanup(folders: Set<string>): void {
  const cleanup = (): void => {
    for (const child of running) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
    }
    running.clear();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    folders.clear();
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: cleaning up\n`);
      cleanup();
      // The cluster's safety net, when installed, stops the server and raises the signal again itself.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export interface ReaperCluster {
  binDir: string;
  dataDir: string;
  /** Removed once the server is down. */
  root: string;
}

/**
 * A detached watcher that stops the cluster and removes the folders once this process is gone, however
 * it went. Signal handlers are not enough: under `npx tsx`, a Ctrl-C reaches the process twice (from
 * the terminal and relayed by tsx), and tsx sends SIGKILL when the process does not answer within
 * about 60 ms, which a synchronous `pg_ctl stop` in a handler cannot do; the server (in a session of
 * its own) and its folder would stay behind.
 */
export function startReaper(cluster: ReaperCluster, folders: readonly string[]): void {
  // As root the server runs as the `postgres` OS user (see the test cluster), and pg_ctl must too.
  const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
  const plan = JSON.stringify({ parent: process.pid, cluster, folders, asUser });
  const child = spawn(process.execPath, ['-e', REAPER_SCRIPT, plan], { detached: true, stdio: 'ignore', env: toolEnv() });
  child.unref();
}

const REAPER_SCRIPT = `
const { execFileSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const path = require('node:path');
const { parent, cluster, folders, asUser } = JSON.parse(process.argv[1]);
const alive = () => {
  try { process.kill(parent, 0); return true; } catch (e) { return e.code === 'EPERM'; }
};
const timer = setInterval(() => {
  if (alive()) return;
  clearInterval(timer);
  if (existsSync(path.join(cluster.dataDir, 'postmaster.pid'))) {
    const pgCtl = path.join(cluster.binDir, 'pg_ctl');
    const args = ['-w', '-t', '60', '-D', cluster.dataDir, '-m', 'immediate', 'stop'];
    try {
      execFileSync(asUser ? 'runuser' : pgCtl, asUser ? ['-u', asUser, '--', pgCtl, ...args] : args, { cwd: cluster.root, stdio: 'ignore', timeout: 90000 });
    } catch {}
  }
  for (const folder of [cluster.root, ...folders]) {
    try { rmSync(folder, { recursive: true, force: true, maxRetries: 3 }); } catch {}
  }
}, 250);
`;

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * A source entry (relative to the repository) as users get it: one minified CommonJS bundle for Node,
 * built once so a rebuild of dist/ cannot change it mid-run. The CLI (src/cli/pgbr.ts) gets the
 * launcher it ships with (scripts/cli-launcher.mjs).
 */
export async function bundleForNode(entry: string, outfile: string, banner?: string): Promise<string> {
  if (entry === 'src/cli/pgbr.ts') {
    // The build's stamps, as the shipped CLI has them: its commit, and the readers' names its TOC and catalogue indexes are kept under.
    const { buildCommit, catalogReaderId, pgOnNodePlugin, tocReaderId } = await import('../scripts/cli-build.mjs');
    const define = { PGBR_COMMIT: JSON.stringify(buildCommit(REPO_ROOT)), PGBR_TOC_READER: JSON.stringify(tocReaderId(REPO_ROOT)), PGBR_CATALOG_READER: JSON.stringify(catalogReaderId(REPO_ROOT)) };
    const built = await esbuild.build({ absWorkingDir: REPO_ROOT, entryPoints: [entry], bundle: true, minify: true, platform: 'node', format: 'cjs', target: 'node20', external: ['pg-native'], define, plugins: [pgOnNodePlugin()], write: false, logLevel: 'warning' });
    const { writeCliWithLauncher } = await import('../scripts/cli-launcher.mjs');
    await writeCliWithLauncher(esbuild, built.outputFiles[0]?.text ?? '', outfile, { absWorkingDir: REPO_ROOT, minify: true });
    return outfile;
  }
  await esbuild.build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['pg-native'],
    ...(banner ? { banner: { js: banner } } : {}),
    logLevel: 'warning',
  });
  return outfile;
}
