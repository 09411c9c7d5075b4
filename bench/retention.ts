// Retention preview benchmark: a GFS preview over 10,000 dumps and a WAL clean-up preview over 100,000 segments, as whole processes and in process, beside raw listings of the same files.
//
//   npx tsx bench/retention.ts
//   BENCH_RETENTION_BACKUPS=10000    dumps of the plan (one every 6 hours, each with its manifest)
//   BENCH_RETENTION_SEGMENTS=100000  segment files in the archive (timelines 1 → 2 → 3, 20 base backups, the newest 7 kept)
//   BENCH_RETENTION_RUNS=7           timed runs of each side
//   BENCH_RETENTION_DIR=/some/disk   where the files are made (default: the OS temp folder)
//   BENCH_JSON=file.json             also write every measurement as JSON
// Measurements, not tests: a missed target is reported, and the exit code is still 0.
import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { listDumps } from '../src/core/logical/catalog';
import { manifestPathFor, manifestText, type DumpManifest } from '../src/core/logical/manifest';
import { planRetention } from '../src/core/retention/gfs';
import { parseWithin, type KeepRules, type RetentionCandidate } from '../src/core/retention/rules';
import { planWalCleanup, type WalBaseBackup } from '../src/core/retention/wal';
import { formatLsn, segmentName } from '../src/core/wal/names';
import { readArchiveInventory } from '../src/core/wal/scan';
import { envInt, formatMs, installCleanup, loadAverage, median, renderTable, timed, timedRun, bundleForNode, toolEnv } from './support';

const SEG = 16 * 1024 * 1024;
/** The "instant": the whole GFS preview of 10,000 dumps within 200 ms (`pgbr prune --dry-run --json`, its catalogue index kept), the WAL one under a second; the GFS rules alone under 100 ms. */
const GFS_TARGET_MS = 200;
const WAL_TARGET_MS = 1000;
const RULES_TARGET_MS = 100;
const ZONE = 'Europe/Berlin';
const RULES: KeepRules = { last: 3, daily: 7, weekly: 4, monthly: 6, yearly: 2, within: { text: '2d', seconds: parseWithin('2d') as number } };
const NEWEST = Date.parse('2026-11-24T02:30:00Z');

const settings = {
  backups: envInt('BENCH_RETENTION_BACKUPS', 10_000),
  segments: envInt('BENCH_RETENTION_SEGMENTS', 100_000),
  runs: envInt('BENCH_RETENTION_RUNS', 7),
  parent: path.resolve(process.env.BENCH_RETENTION_DIR ?? os.tmpdir()),
  jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
};
const folders = new Set<string>();

/** Tiny dump files with real manifests naming the plan: the listing reads every manifest, as it would in a real folder. */
function makeDumps(dir: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const started = new Date(NEWEST - i * 6 * 3_600_000).toISOString();
    const file = path.join(dir, `app_${String(i).padStart(5, '0')}.dump`);
    writeFileSync(file, 'PGDMP');
    const manifest: DumpManifest = {
      manifestVersion: 1, kind: 'database', profile: 'prod', plan: 'nightly', host: 'db', port: 5432, user: 'app', database: 'app',
      serverVersion: '17.2', tool: 'pg_dump', toolVersion: '17.2', format: 'custom', options: {}, startedAt: started, finishedAt: started,
      durationMs: 1000, sizeBytes: 5, sha256: { [path.basename(file)]: 'a'.repeat(64) }, rowCounts: [],
      ...(i % 10 === 0 ? { verification: { status: 'passed', at: started, durationMs: 1, target: 'prod/scratch', tables: [] } } : {}),
    };
    writeFileSync(manifestPathFor(file), manifestText(manifest));
  }
}

/** Sparse 16 MiB segments on timelines 1, 2 and 3 (a third each, promoted at segment boundaries), and 20 base backups spread over them. */
function makeArchive(dir: string, count: number): WalBaseBackup[] {
  const third = Math.floor(count / 3);
  const tliOf = (n: number): number => (n <= third ? 1 : n <= 2 * third ? 2 : 3);
  for (let n = 1; n <= count; n++) {
    const fd = openSync(path.join(dir, segmentName(tliOf(n), n, SEG)), 'w');
    ftruncateSync(fd, SEG);
    closeSync(fd);
  }
  const at = (n: number): string => formatLsn(BigInt(n) * BigInt(SEG));
  writeFileSync(path.join(dir, '00000002.history'), `1\t${at(third + 1)}\tno recovery target specified\n`);
  writeFileSync(path.join(dir, '00000003.history'), `1\t${at(third + 1)}\tno recovery target specified\n2\t${at(2 * third + 1)}\tno recovery target specified\n`);
  const backups: WalBaseBackup[] = [];
  for (let i = 0; i < 20; i++) {
    const n = 1 + Math.floor((i * count) / 20);
    const label = `base_${i}`;
    backups.push({
      label,
      startLsn: formatLsn(BigInt(n) * BigInt(SEG) + 0x28n),
      startTimeline: tliOf(n),
      known: { label, stopLsn: formatLsn(BigInt(n) * BigInt(SEG) + 0x100n), timeline: tliOf(n), stopTime: new Date(NEWEST - (20 - i) * 86_400_000) },
      kept: i >= 13,
    });
  }
  return backups;
}

/** CPU time of a synchronous step in this process (user + system), in milliseconds: other programs on a loaded machine barely move it, unlike wall time. */
function cpuMs<T>(step: () => T): { cpu: number; value: T } {
  const before = process.cpuUsage();
  const value = step();
  const used = process.cpuUsage(before);
  return { cpu: (used.user + used.system) / 1000, value };
}

async function bundle(work: string): Promise<string> {
  return bundleForNode('bench/retention-preview.ts', path.join(work, 'retention-preview.js'));
}

/** A workspace whose pgbackup.yaml has the plan the dumps belong to, for `pgbr prune nightly --dry-run --json`. */
function makeWorkspace(work: string): string {
  const rule = (k: keyof KeepRules) => (RULES[k] === undefined ? [] : [`${k}: ${k === 'within' ? RULES.within?.text : String(RULES[k])}`]);
  const keep = (['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'within'] as const).flatMap(rule).join(', ');
  writeFileSync(
    path.join(work, 'pgbackup.yaml'),
    `connections:\n  - { name: prod, host: db.example, user: app, database: app }\nplans:\n` +
      `  - { name: nightly, connection: prod, backup: dump, database: app, folder: dumps, schedule: daily, timezone: ${ZONE}, keep: { ${keep} } }\n`,
  );
  return work;
}

/** The least any listing of the plan's dumps does: list the folder, read every manifest and parse it. */
const BARE_READ = `const fs=require('fs'),p=require('path'),d=process.argv[1];let n=0;for(const e of fs.readdirSync(d,{withFileTypes:true}))if(e.name.endsWith('.manifest.json')){JSON.parse(fs.readFileSync(p.join(d,e.name),'utf8'));n++}process.stdout.write(n+'\\n')`;

function bareRead(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.name.endsWith('.manifest.json')) continue;
    JSON.parse(readFileSync(path.join(dir, e.name), 'utf8'));
    n++;
  }
  return n;
}

async function main(): Promise<void> {
  installCleanup(folders);
  const work = await fs.mkdtemp(path.join(settings.parent, 'pgbr-bench-retention-'));
  folders.add(work);
  const dumps = path.join(work, 'dumps');
  const archive = path.join(work, 'archive');
  await fs.mkdir(dumps);
  await fs.mkdir(archive);
  process.stdout.write(`Making ${settings.backups} dumps with manifests and ${settings.segments} sparse segments in ${work}, load ${loadAverage()}…\n`);
  makeDumps(dumps, settings.backups);
  const backups = makeArchive(archive, settings.segments);
  const backupsFile = path.join(work, 'backups.json');
  writeFileSync(backupsFile, JSON.stringify(backups));
  const script = await bundle(work);
  const cli = await bundleForNode('src/cli/pgbr.ts', path.join(work, 'pgbr.js'));
  const workspace = makeWorkspace(work);

  const dumpPreview = () => timedRun(process.execPath, [script, 'dumps', dumps, 'nightly', ZONE, JSON.stringify(RULES)], { keepStdout: true });
  const walPreview = () => timedRun(process.execPath, [script, 'wal', archive, backupsFile], { keepStdout: true });
  // The CLI's cache (its compiled code, the dump folder's catalogue index) inside the bench's folder, removed with it.
  const cliEnv = { ...toolEnv(), XDG_CACHE_HOME: path.join(work, 'cache') };
  const pruneArgs = [cli, 'prune', 'nightly', '--dry-run', '--json', '--workspace', workspace];
  const cliPreview = () => timedRun(process.execPath, pruneArgs, { keepStdout: true, env: cliEnv });
  const cliUnindexed = () => timedRun(process.execPath, pruneArgs, { keepStdout: true, env: { ...cliEnv, PGBR_NO_CATALOG_INDEX: '1' } });
  const nodeFloor = () => timedRun(process.execPath, ['-e', '']);
  const lsLong = () => timedRun('ls', ['-l', dumps]);
  const bareProcess = () => timedRun(process.execPath, ['-e', BARE_READ, dumps], { keepStdout: true });

  // Untimed first round: warms the caches and checks both previews say what they must.
  const first = JSON.parse((await dumpPreview()).stdout) as { keep: unknown[]; remove: unknown[] };
  if (first.keep.length + first.remove.length !== settings.backups) throw new Error(`the preview listed ${first.keep.length} + ${first.remove.length} backups, not ${settings.backups}`);
  const fromCli = JSON.parse((await cliPreview()).stdout) as { keep: unknown[]; remove: unknown[] };
  if (JSON.stringify(fromCli.keep) !== JSON.stringify(first.keep) || fromCli.remove.length !== first.remove.length) throw new Error('pgbr prune --dry-run --json and the bench preview disagree');
  if ((await cliUnindexed()).stdout !== (await cliPreview()).stdout) throw new Error('pgbr prune --dry-run --json says something else with its catalogue index than without it');
  if (Number((await bareProcess()).stdout) !== settings.backups) throw new Error('the bare read did not find every manifest');
  const wal = JSON.parse((await walPreview()).stdout) as { remove: string[]; cutoff?: { segment: string } };
  if (!wal.cutoff || wal.remove.length === 0) throw new Error('the WAL preview removes nothing');

  const candidates: RetentionCandidate[] = [];
  const coldRules = (await timed(async () => {
    const listed = await listDumps(dumps);
    for (const d of listed.dumps) candidates.push({ path: d.path, startedAt: new Date(d.manifest?.startedAt ?? 0), verified: d.manifest?.verification?.status === 'passed' });
    return timed(async () => planRetention(candidates, RULES, ZONE));
  })).value.ms;

  const times = {
    cliProcess: [] as number[], cliUnindexed: [] as number[], dumpProcess: [] as number[], bareProcess: [] as number[], ls: [] as number[], walProcess: [] as number[], node: [] as number[],
    listDumps: [] as number[], bareRead: [] as number[], rules: [] as number[], rulesCpu: [] as number[], readArchive: [] as number[], walPlan: [] as number[], walPlanCpu: [] as number[],
  };
  const sides = { cli: cliPreview, unindexed: cliUnindexed, dump: dumpPreview, bare: bareProcess, ls: lsLong, wal: walPreview } as const;
  const keys = { cli: 'cliProcess', unindexed: 'cliUnindexed', dump: 'dumpProcess', bare: 'bareProcess', ls: 'ls', wal: 'walProcess' } as const;
  const names = Object.keys(sides) as (keyof typeof sides)[];
  for (let i = 0; i < settings.runs; i++) {
    // Each run starts from another side, so none always draws the quietest or the busiest moment.
    for (let j = 0; j < names.length; j++) {
      const side = names[(i + j) % names.length] as keyof typeof sides;
      times[keys[side]].push((await sides[side]()).ms);
    }
    times.node.push((await nodeFloor()).ms);
    times.listDumps.push((await timed(() => listDumps(dumps))).ms);
    times.bareRead.push((await timed(async () => bareRead(dumps))).ms);
    times.rules.push((await timed(async () => planRetention(candidates, RULES, ZONE))).ms);
    times.rulesCpu.push(cpuMs(() => planRetention(candidates, RULES, ZONE)).cpu);
    const read = await timed(() => readArchiveInventory(archive));
    times.readArchive.push(read.ms);
    times.walPlan.push((await timed(async () => planWalCleanup(read.value.inventory, backups))).ms);
    times.walPlanCpu.push(cpuMs(() => planWalCleanup(read.value.inventory, backups)).cpu);
  }

  const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<keyof typeof times, number>;
  const runs = (xs: number[]) => xs.map((ms) => ms.toFixed(ms < 10 ? 1 : 0)).join(', ') + ' ms';
  const verdict = (ms: number, target: number) => (ms <= target ? 'met' : 'MISSED');
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  process.stdout.write(
    '\n' +
      renderTable([
        ['Side', 'Median', 'vs bare read', 'Runs'],
        [`pgbr prune nightly --dry-run --json, ${settings.backups} dumps (whole process: start-up, pgbackup.yaml, list, stats, catalogue index, rules, JSON)`, formatMs(med.cliProcess), ratio(med.cliProcess, med.bareProcess), runs(times.cliProcess)],
        ['  the same with PGBR_NO_CATALOG_INDEX=1 (every manifest read and parsed)', formatMs(med.cliUnindexed), ratio(med.cliUnindexed, med.bareProcess), runs(times.cliUnindexed)],
        ['  the same preview through previewPrune alone (whole process, no CLI)', formatMs(med.dumpProcess), ratio(med.dumpProcess, med.bareProcess), runs(times.dumpProcess)],
        ['  bare read: node, readdir + readFileSync + JSON.parse of every manifest (whole process)', formatMs(med.bareProcess), ratio(med.bareProcess, med.bareProcess), runs(times.bareProcess)],
        ['  ls -l of the dump folder (whole process)', formatMs(med.ls), ratio(med.ls, med.bareProcess), runs(times.ls)],
        ['  listDumps alone (in process)', formatMs(med.listDumps), `${ratio(med.listDumps, med.bareRead)} in process`, runs(times.listDumps)],
        ['  bare read alone (in process)', formatMs(med.bareRead), '', runs(times.bareRead)],
        ['  planRetention alone (in process, warm)', `${med.rules.toFixed(1)} ms`, '', runs(times.rules)],
        ['  planRetention alone, CPU time', `${med.rulesCpu.toFixed(1)} ms`, '', runs(times.rulesCpu)],
        [`WAL clean-up preview of ${settings.segments} segments (whole process: list, stat, plan, two windows, JSON)`, formatMs(med.walProcess), '', runs(times.walProcess)],
        ['  readArchiveInventory alone (in process)', formatMs(med.readArchive), '', runs(times.readArchive)],
        ['  planWalCleanup alone (in process)', formatMs(med.walPlan), '', runs(times.walPlan)],
        ['  planWalCleanup alone, CPU time', formatMs(med.walPlanCpu), '', runs(times.walPlanCpu)],
        ['node -e "" (the floor of any process)', formatMs(med.node), ratio(med.node, med.bareProcess), runs(times.node)],
      ]) +
      `\n\nplanRetention's first call (the zone's years scanned): ${coldRules.toFixed(1)} ms. ` +
      `${first.keep.length} kept, ${first.remove.length} removed; WAL: ${wal.remove.length} files removed, cut at ${wal.cutoff.segment}.\n` +
      `Targets: pgbr prune --dry-run --json ≤ ${GFS_TARGET_MS} ms: ${verdict(med.cliProcess, GFS_TARGET_MS)}; WAL preview ≤ ${WAL_TARGET_MS} ms: ${verdict(med.walProcess, WAL_TARGET_MS)}; ` +
      `rules < ${RULES_TARGET_MS} ms: ${verdict(med.rules, RULES_TARGET_MS)} (cold ${verdict(coldRules, RULES_TARGET_MS)}). ${os.cpus().length} CPUs, load ${loadAverage()} at the end.\n`,
  );
  if (settings.jsonOut) await fs.writeFile(settings.jsonOut, JSON.stringify({ settings, coldRules, times, medians: med }, null, 2));
  process.stdout.write('Removing the files…\n');
  await fs.rm(work, { recursive: true, force: true });
  folders.delete(work);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
