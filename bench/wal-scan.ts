// WAL archive scan benchmark: `scanArchive` over 100,000 segment files against its floor (readdir + a statSync per file) and `find DIR -type f | wc -l` on the same folder.
//
//   npx tsx bench/wal-scan.ts
//   BENCH_WAL_SEGMENTS=100000  segment files in the archive (two timelines, a history file, a backup file)
//   BENCH_WAL_RUNS=7           timed runs per side
//   BENCH_WAL_DIR=/some/disk   where the archive is made (default: the OS temp folder; use a real disk, not tmpfs)
//   BENCH_CLI=path/pgbr.js     time this CLI build instead of a fresh production bundle of src/cli/pgbr.ts
//   BENCH_JSON=file.json       also write every measurement as JSON
// Measurements, not tests: a missed target is reported, and the exit code is still 0.
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, statSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { segmentName } from '../src/core/wal/names';
import { scanArchive } from '../src/core/wal/scan';
import { envInt, formatMs, installCleanup, loadAverage, median, renderTable, timed, timedRun, toolEnv, bundleForNode } from './support';

const SEG = 16 * 1024 * 1024;
/** The budget for scanning, checking and summarising: 500 ms per 100,000 segments (5 s for 1,000,000, 16 TB of WAL). */
const TARGET_MS_PER_100K = 500;
/** The peak memory of `pgbr wal-check` on 1,000,000 segments (scaled down for fewer). */
const TARGET_RSS_MB_PER_1M = 400;

const settings = {
  segments: envInt('BENCH_WAL_SEGMENTS', 100_000),
  runs: envInt('BENCH_WAL_RUNS', 7),
  parent: path.resolve(process.env.BENCH_WAL_DIR ?? os.tmpdir()),
  cli: process.env.BENCH_CLI ? path.resolve(process.env.BENCH_CLI) : undefined,
  jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
};

const folders = new Set<string>();

/**
 * Two timelines, promoted at a segment boundary halfway, and a backup near the start: a clean archive,
 * so the scan walks everything and reports a window. Every segment is its own sparse 16 MiB file
 * (a separate inode, as in a real archive; no disk blocks).
 */
function makeArchive(dir: string, count: number): void {
  const half = Math.floor(count / 2);
  for (let n = 1; n <= count; n++) {
    const fd = openSync(path.join(dir, segmentName(n <= half ? 1 : 2, n, SEG)), 'w');
    ftruncateSync(fd, SEG);
    closeSync(fd);
  }
  const switchLsn = BigInt(half + 1) * BigInt(SEG);
  const lsn = (v: bigint) => `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
  writeFileSync(path.join(dir, '00000002.history'), `1\t${lsn(switchLsn)}\tno recovery target specified\n`);
  writeFileSync(
    path.join(dir, `${segmentName(1, 2, SEG)}.00000028.backup`),
    `START WAL LOCATION: 0/2000028 (file ${segmentName(1, 2, SEG)})\nSTOP WAL LOCATION: 0/2000100 (file ${segmentName(1, 2, SEG)})\n` +
      'CHECKPOINT LOCATION: 0/2000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2026-11-22 07:00:01 UTC\n' +
      'LABEL: bench\nSTART TIMELINE: 1\nSTOP TIME: 2026-11-22 07:00:05 UTC\nSTOP TIMELINE: 1\n',
  );
}

/** The CLI as users get it: a minified bundle of the current sources. */
async function bundleCli(work: string): Promise<string> {
  return bundleForNode('src/cli/pgbr.ts', path.join(work, 'pgbr.js'));
}

/** `ext4`, `tmpfs`, `xfs`: a scan of a RAM disk says little about one on a disk. */
function filesystemOf(dir: string): string {
  const r = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '--target', dir], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  const s = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' });
  return s.status === 0 ? s.stdout.trim() : 'unknown';
}

/** What any scan that checks sizes must pay: the listing and one stat per file, nothing else. */
async function listAndStat(dir: string): Promise<number> {
  const names = await fs.readdir(dir);
  let bytes = 0;
  for (const name of names) bytes += statSync(path.join(dir, name)).size;
  return bytes;
}

async function main(): Promise<void> {
  installCleanup(folders);
  const work = await fs.mkdtemp(path.join(settings.parent, 'pgbr-bench-wal-'));
  folders.add(work);
  const archive = path.join(work, 'archive');
  await fs.mkdir(archive);
  const fsType = filesystemOf(archive);
  process.stdout.write(`Making ${settings.segments} sparse 16 MiB segments in ${archive} (${fsType}), load ${loadAverage()}…\n`);
  const made = await timed(async () => makeArchive(archive, settings.segments));
  process.stdout.write(`  made in ${formatMs(made.ms)}\n`);
  const cli = settings.cli ?? (await bundleCli(work));

  const find = () => timedRun('sh', ['-c', 'find "$1" -type f | wc -l', 'sh', archive], { keepStdout: true, env: toolEnv() });
  const scan = () => timed(() => scanArchive(archive));
  // The same scan with its stat pass kept in the calling thread: what the worker threads save.
  const scanInThread = () => timed(() => scanArchive(archive, { parallelStat: { threshold: Infinity } }));
  const readdirOnly = () => timed(() => fs.readdir(archive));
  const statFloor = () => timed(() => listAndStat(archive));
  const probe = () => timedRun(process.execPath, [cli, 'wal-check', archive, '--json'], { env: toolEnv() });
  // The CLI's peak resident memory, as the kernel counts it, written by a hook as the process exits:
  // VmHWM, the high-water mark of the process's own memory. Not getrusage's maxRSS: the child is forked
  // from this benchmark, and Linux folds the memory it had before exec (this process's, several hundred
  // MB after the in-process scans) into maxRSS, so that figure was this process's size, not the CLI's.
  const hook = path.join(work, 'maxrss.cjs');
  writeFileSync(
    hook,
    "const fs = require('fs');\n" +
      "process.on('exit', () => {\n" +
      "  let kb = process.resourceUsage().maxRSS;\n" +
      "  try { kb = Number(/VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}\n" +
      "  process.stderr.write(`PGBR_BENCH_MAXRSS_KB=${kb}\\n`);\n" +
      '});\n',
  );
  const peakRss = async () => {
    const r = await timedRun(process.execPath, ['--require', hook, cli, 'wal-check', archive, '--json'], { env: toolEnv() });
    const kb = Number(/PGBR_BENCH_MAXRSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
    return kb / 1024;
  };

  // Untimed first round: warms the dentry and inode caches for both sides, and checks they see the same archive.
  const files = Number((await find()).stdout.trim());
  const first = (await scan()).value;
  const expected = settings.segments + 2;
  if (files !== expected) throw new Error(`find counted ${files} files, expected ${expected}`);
  if (first.totals.segments !== settings.segments || first.problems.length !== 0) {
    throw new Error(`the scan saw ${first.totals.segments} segments and ${first.problems.length} problems: ${first.problems[0]?.message ?? ''}`);
  }
  await probe();

  const times = { scan: [] as number[], inThread: [] as number[], find: [] as number[], readdir: [] as number[], stat: [] as number[], cli: [] as number[] };
  for (let i = 0; i < settings.runs; i++) {
    // Alternate who goes first, so a drift (another process, the page cache) does not favour one side.
    const order = i % 2 === 0 ? (['scan', 'find'] as const) : (['find', 'scan'] as const);
    for (const side of order) times[side].push(side === 'scan' ? (await scan()).ms : (await find()).ms);
    times.inThread.push((await scanInThread()).ms);
    times.readdir.push((await readdirOnly()).ms);
    times.stat.push((await statFloor()).ms);
    times.cli.push((await probe()).ms);
  }

  const rss = [await peakRss(), await peakRss(), await peakRss()];
  const targetMs = (TARGET_MS_PER_100K * settings.segments) / 100_000;
  const targetRss = Math.max(100, (TARGET_RSS_MB_PER_1M * settings.segments) / 1_000_000);
  const med = { scan: median(times.scan), inThread: median(times.inThread), find: median(times.find), readdir: median(times.readdir), stat: median(times.stat), cli: median(times.cli) };
  const runs = (xs: number[]) => xs.map((ms) => ms.toFixed(0)).join(', ') + ' ms';
  const ratio = (ms: number) => `${(ms / med.find).toFixed(2)}×`;
  const vsFloor = (ms: number) => `${(ms / med.stat).toFixed(2)}×`;
  process.stdout.write(
    '\n' +
      renderTable([
        ['Side', 'Median', 'vs floor', 'vs find', 'Runs'],
        ['scanArchive (in process)', formatMs(med.scan), vsFloor(med.scan), ratio(med.scan), runs(times.scan)],
        ['scanArchive, stat in one thread', formatMs(med.inThread), vsFloor(med.inThread), ratio(med.inThread), runs(times.inThread)],
        ['find DIR -type f | wc -l', formatMs(med.find), vsFloor(med.find), '1.00×', runs(times.find)],
        ['fs.readdir alone', formatMs(med.readdir), vsFloor(med.readdir), ratio(med.readdir), runs(times.readdir)],
        ['readdir + statSync each (floor)', formatMs(med.stat), '1.00×', ratio(med.stat), runs(times.stat)],
        ['pgbr wal-check --json (process)', formatMs(med.cli), vsFloor(med.cli), ratio(med.cli), runs(times.cli)],
      ]) +
      `\n\n${settings.segments} segments on ${fsType}, ${os.cpus().length} CPUs, load ${loadAverage()} at the end. ` +
      `Target: scan ≤ ${formatMs(targetMs)}: ${med.scan <= targetMs ? 'met' : 'MISSED'} (${formatMs(med.scan)}, ${vsFloor(med.scan)} its floor). ` +
      `Peak RSS of pgbr wal-check: ${rss.map((m) => `${m.toFixed(0)} MB`).join(', ')}; target ≤ ${targetRss.toFixed(0)} MB: ${median(rss) <= targetRss ? 'met' : 'MISSED'}.\n`,
  );
  if (settings.jsonOut) {
    await fs.writeFile(settings.jsonOut, JSON.stringify({ settings, fsType, cpus: os.cpus().length, times, medians: med, peakRssMb: rss }, null, 2));
  }
  process.stdout.write('Removing the archive…\n');
  await fs.rm(work, { recursive: true, force: true });
  folders.delete(work);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
