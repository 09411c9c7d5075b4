// Point-in-time recovery against a real archiving cluster: every target kind drilled, the window check, a second timeline, the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyRecovery, planRecoveryChanges, readBaseBackupInfo } from '../../src/core/pitr/apply';
import { validateTarget, type RecoveryPlan, type RecoveryTarget } from '../../src/core/pitr/config';
import { runDrill, type DrillReport } from '../../src/core/pitr/drill';
import { scanArchive } from '../../src/core/wal/scan';
import { main } from '../../src/cli/pgbr';
import { startCluster, type Cluster } from './cluster';

const asRoot = process.getuid?.() === 0;
let cluster: Cluster;
let work: string;
let baseDir: string;

/** What the workload recorded, for the targets and the expected rows. */
const rec = {
  /** Just after batch 2 committed, and just before batch 3 began (epoch microseconds). */
  afterBatch2: 0n,
  beforeBatch3: 0n,
  batch2Xid: '',
  batch2Lsn: '',
  /** Single-row commits: before each insert began and after it committed. */
  ticks: [] as { pre: bigint; post: bigint }[],
};
const drillTimes: DrillReport['durations'][] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `1763812345.123456` (extract(epoch ...)) as integer microseconds. */
function micros(epochText: string): bigint {
  const [s, f = ''] = epochText.trim().split('.');
  return BigInt(s as string) * 1_000_000n + BigInt(f.padEnd(6, '0').slice(0, 6));
}

/** An instant as wall time in a fixed offset, to the microsecond: `2026-11-22 19:00:01.123456+05:30`. */
function wallTime(us: bigint, offsetMinutes: number, suffix: string): string {
  const ms = Number(us / 1000n) + offsetMinutes * 60_000;
  const frac = String(us % 1_000_000n).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${frac}${suffix}`;
}

async function switchAndWaitArchived(c: Cluster = cluster): Promise<void> {
  const wal = await c.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
  await c.sql('SELECT pg_switch_wal()');
  for (let i = 0; i < 200; i++) {
    const last = await c.sql('SELECT coalesce(last_archived_wal, \'\') FROM pg_stat_archiver');
    if (last >= wal) return;
    await sleep(50);
  }
  throw new Error(`segment ${wal} was not archived in time`);
}

const plan = (target: RecoveryTarget, more: Partial<RecoveryPlan> = {}): RecoveryPlan => ({
  target,
  restore: { kind: 'copy', archiveDir: cluster.archiveDir },
  ...more,
});

/** Files this process still has open inside a drill's scratch folder (its server log, say), from /proc. */
function openDrillFiles(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // closed meanwhile
      }
    })
    .filter((target) => target.includes('/pgbr-drill-'));
}

/** Command lines of running processes that mention `needle`. */
const processesWith = (needle: string) => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(needle));

/** A drill under `scratch` left nothing: no folder, no process, no open file. */
async function assertDrillLeftNothing(scratch: string): Promise<void> {
  assert.deepEqual(await fs.readdir(scratch), []);
  assert.deepEqual(processesWith(scratch), []);
  assert.deepEqual(openDrillFiles(), [], 'the server log is closed');
}

async function drill(target: RecoveryTarget, more: Partial<RecoveryPlan> = {}): Promise<DrillReport> {
  const report = await runDrill({ baseBackupDir: baseDir, plan: plan(target, more), binDir: cluster.binDir, timeoutMs: 60_000 });
  drillTimes.push(report.durations);
  return report;
}

function rows(r: DrillReport, table: string): number | null | undefined {
  return r.databases.find((d) => d.name === 'postgres')?.tables.find((t) => t.table === table)?.rows;
}

function assertReached(r: DrillReport): void {
  assert.equal(r.status, 'reached', `${r.message}\n${r.logTail.join('\n')}`);
}

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-pitr-'));
  // Data directories restored under it are run by the postgres user when we are root: it must be able to pass through.
  await fs.chmod(work, 0o711);
  // The server's zone differs from the zones targets are given in, so a zone mix-up would show.
  cluster = await startCluster({ extraConf: { timezone: "'America/New_York'" } });
  await cluster.sql(`CREATE TABLE items (id int PRIMARY KEY, batch int NOT NULL);
                     CREATE TABLE ticks (id int PRIMARY KEY);
                     ALTER SYSTEM SET recovery_target_name = 'stale_point';`);
  baseDir = path.join(work, 'base');
  execFileSync(path.join(cluster.binDir, 'pg_basebackup'), ['-D', baseDir, '-Fp', '-X', 'stream', '-c', 'fast', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'], {
    env: { PATH: process.env.PATH ?? '' },
  });
  await switchAndWaitArchived();

  const batch = (n: number) => `INSERT INTO items SELECT g, ${n} FROM generate_series(${(n - 1) * 10 + 1}, ${n * 10}) g;`;
  await cluster.sql(batch(1));
  await switchAndWaitArchived();
  await sleep(1100);
  const out = (await cluster.sql(`BEGIN; ${batch(2)} SELECT txid_current(); COMMIT;
    SELECT pg_create_restore_point('after_batch_2');
    SELECT pg_current_wal_lsn(); SELECT extract(epoch FROM clock_timestamp());`)).split('\n');
  rec.batch2Xid = out[0] as string;
  rec.batch2Lsn = out[2] as string;
  rec.afterBatch2 = micros(out[3] as string);
  await switchAndWaitArchived();
  await sleep(1100);
  rec.beforeBatch3 = micros(await cluster.sql('SELECT extract(epoch FROM clock_timestamp())'));
  await cluster.sql(batch(3));
  await switchAndWaitArchived();

  // Single-row commits a few tens of milliseconds apart, each bracketed by clock readings taken outside its transaction.
  for (let i = 1; i <= 24; i++) {
    const [pre, post] = (await cluster.sql(`SELECT extract(epoch FROM clock_timestamp()); INSERT INTO ticks VALUES (${i}); SELECT extract(epoch FROM clock_timestamp());`)).split('\n');
    rec.ticks.push({ pre: micros(pre as string), post: micros(post as string) });
    await sleep(15 + Math.floor(Math.random() * 30));
  }
  await switchAndWaitArchived();
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
  if (drillTimes.length) {
    const median = (k: keyof DrillReport['durations']) => [...drillTimes].map((d) => d[k]).sort((a, b) => a - b)[Math.floor(drillTimes.length / 2)];
    const phases = (['restoreMs', 'recoverMs', 'inspectMs', 'stopMs', 'totalMs'] as const).map((k) => `${k} ${median(k)}`).join(', ');
    console.log(`# ${drillTimes.length} drills, medians: ${phases}; slowest ${Math.max(...drillTimes.map((d) => d.totalMs))} ms`);
  }
});

test('the backup record and the archive window agree, and a target past the end is refused up front', async () => {
  const info = await readBaseBackupInfo(baseDir);
  assert.equal(info.format, 'plain');
  assert.match(info.stopLsn ?? '', /^[0-9A-F]+\/[0-9A-F]+$/);
  const scan = await scanArchive(cluster.archiveDir);
  const backup = { stopLsn: info.stopLsn as string, timeline: 1 };
  const future = new Date(Date.now() + 3600_000).toISOString();
  const check = validateTarget({ kind: 'time', time: future }, scan.window, { backup, archiveTimelines: [1] });
  assert.equal(check.ok, false);
  assert.match(check.message, /is after the last archived WAL at .* UTC: recovery would end early and the server would stop/);
  const early = validateTarget({ kind: 'time', time: '2001-01-01 00:00:00Z' }, scan.window, { backup });
  assert.equal(early.ok, false);
  assert.match(early.message, /before base backup .* ended at/);
  const inside = validateTarget({ kind: 'time', time: wallTime(rec.afterBatch2, 0, 'Z') }, scan.window, { backup, serverTimeZone: 'America/New_York' });
  assert.equal(inside.ok, true, inside.message);
  assert.match(inside.message, /America\/New_York/);
  assert.equal(validateTarget({ kind: 'latest' }, scan.window, { backup, timeline: 7, archiveTimelines: [1] }).ok, false);
});

test('a time between batches 2 and 3, given in a third zone, recovers exactly batches 1 and 2', async () => {
  const mid = (rec.afterBatch2 + rec.beforeBatch3) / 2n;
  const r = await drill({ kind: 'time', time: `${wallTime(mid, 330, '')} Asia/Kolkata` });
  assertReached(r);
  assert.equal(rows(r, 'items'), 20);
  assert.equal(rows(r, 'ticks'), 0);
  assert.match(r.stopLine ?? '', /recovery stopping before commit/);
  assert.equal(r.serverTimeZone, 'America/New_York');
  assert.ok(r.recoveredTime && r.recoveredTime < wallTime(rec.afterBatch2, 0, 'Z').replace(' ', 'T'), r.recoveredTime);
});

test('a restore point, an LSN and an xid each stop after batch 2; an exclusive xid stops before it', async () => {
  for (const target of [
    { kind: 'name', name: 'after_batch_2' },
    { kind: 'lsn', lsn: rec.batch2Lsn },
    { kind: 'xid', xid: rec.batch2Xid },
  ] as RecoveryTarget[]) {
    const r = await drill(target);
    assertReached(r);
    assert.equal(rows(r, 'items'), 20, `${target.kind}: ${r.message}`);
  }
  const exclusive = await drill({ kind: 'xid', xid: rec.batch2Xid }, { inclusive: false });
  assertReached(exclusive);
  assert.equal(rows(exclusive, 'items'), 10);
});

test('latest recovers everything; immediate recovers none of the batches', async () => {
  const latest = await drill({ kind: 'latest' });
  assertReached(latest);
  assert.equal(rows(latest, 'items'), 30);
  assert.equal(rows(latest, 'ticks'), 24);
  assert.ok(latest.promoted, 'recovery to the end of the archive promotes');
  const immediate = await drill({ kind: 'immediate' });
  assertReached(immediate);
  assert.equal(rows(immediate, 'items'), 0);
  assert.match(immediate.stopLine ?? '', /consistency/);
});

test('a forced target past the archive ends early, and says so', async () => {
  const r = await drill({ kind: 'time', time: new Date(Date.now() + 3600_000).toISOString() });
  assert.equal(r.status, 'ended-early', r.logTail.join('\n'));
  assert.match(r.message, /recovery ended before reaching the target/);
  assert.ok(r.logTail.some((l) => /recovery ended before configured recovery target was reached/.test(l)));
  assert.deepEqual(r.databases, []);
  assert.deepEqual(openDrillFiles(), [], 'the server log is closed');
});

test('a cancelled drill stops its scratch server and removes its folder', async () => {
  const scratch = path.join(work, 'scratch');
  await fs.mkdir(scratch, { mode: 0o711 });
  const controller = new AbortController();
  const phases: string[] = [];
  await assert.rejects(
    runDrill({
      baseBackupDir: baseDir,
      plan: plan({ kind: 'latest' }),
      binDir: cluster.binDir,
      scratchParent: scratch,
      signal: controller.signal,
      onProgress: (p) => {
        phases.push(p.phase);
        if (p.phase === 'recover') controller.abort();
      },
    }),
    /recovery drill was cancelled; its scratch server was stopped and its folder removed/,
  );
  assert.deepEqual(phases, ['restore', 'start', 'recover', 'stop']);
  await assertDrillLeftNothing(scratch);
});

test('a drill that fails while inspecting (no such role) still stops its server, closes its log and removes its folder', async () => {
  const scratch = path.join(work, 'scratch-failed');
  await fs.mkdir(scratch, { mode: 0o711 });
  await assert.rejects(
    runDrill({ baseBackupDir: baseDir, plan: plan({ kind: 'latest' }), binDir: cluster.binDir, scratchParent: scratch, superuser: 'pgbr_no_such_role', timeoutMs: 60_000 }),
    /pgbr_no_such_role/,
  );
  await assertDrillLeftNothing(scratch);
});

test('a process that exits mid-drill has stopped the scratch server and removed its folder by the time it is gone', async () => {
  const scratch = path.join(work, 'scratch-exit');
  await fs.mkdir(scratch, { mode: 0o711 });
  const options = { baseBackupDir: baseDir, plan: plan({ kind: 'latest' }), binDir: cluster.binDir, scratchParent: scratch };
  const script = `
    const fs = require('node:fs');
    const { runDrill } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/pitr/drill.ts'))});
    // Once the scratch server has written its pid file, while it recovers.
    const running = () => fs.readdirSync(${JSON.stringify(scratch)}).some((d) => fs.existsSync(${JSON.stringify(scratch)} + '/' + d + '/data/postmaster.pid'));
    setInterval(() => running() && process.exit(5), 10);
    void runDrill(${JSON.stringify(options)});
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 5);
  // No waiting: the exit hook stopped the server (pg_ctl waits for it) and removed the folder before the process ended.
  assert.deepEqual(processesWith(scratch), []);
  assert.deepEqual(await fs.readdir(scratch), []);
});

test('property: ten random times between single-row commits each recover exactly the rows committed before them', async () => {
  const n = rec.ticks.length;
  for (let k = 0; k < 10; k++) {
    const i = Math.floor(Math.random() * (n - 1));
    const lo = (rec.ticks[i] as { post: bigint }).post;
    const hi = (rec.ticks[i + 1] as { pre: bigint }).pre;
    const at = lo + BigInt(Math.floor(Math.random() * Number(hi - lo)));
    const r = await drill({ kind: 'time', time: wallTime(at, 0, 'Z') });
    assertReached(r);
    assert.equal(rows(r, 'ticks'), i + 1, `target after commit ${i + 1} (${wallTime(at, 0, 'Z')}): ${r.stopLine}`);
  }
});

test('pgbr pitr --drill --json reports what was recovered; a target past the end exits 1 without running', async () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), env: process.env });
    return { code, out, err };
  };
  const ok = await run(['pitr', '--base-backup', baseDir, '--archive', cluster.archiveDir, '--target-name', 'after_batch_2', '--drill', '--bin-dir', cluster.binDir, '--json']);
  assert.equal(ok.code, 0, ok.out + ok.err);
  const doc = JSON.parse(ok.out) as { check: { ok: boolean }; drill: DrillReport };
  assert.equal(doc.drill.status, 'reached');
  assert.equal(rows(doc.drill, 'items'), 20);

  const late = await run(['pitr', '--base-backup', baseDir, '--archive', cluster.archiveDir, '--target-time', new Date(Date.now() + 3600_000).toISOString(), '--drill', '--bin-dir', cluster.binDir]);
  assert.equal(late.code, 1);
  assert.match(late.out, /after the last archived WAL/);
  const usage = await run(['pitr', '--base-backup', baseDir, '--archive', cluster.archiveDir, '--latest', '--immediate', '--drill']);
  assert.equal(usage.code, 2);
});

test('pgbr pitr --data-dir writes recovery.signal, the settings under a header, the earlier line commented out, and a backup copy', async () => {
  const parent = path.join(work, 'restored');
  await fs.mkdir(parent, { mode: 0o755 });
  const dataDir = path.join(parent, 'data');
  let out = '';
  const code = await main(['pitr', '--base-backup', baseDir, '--archive', cluster.archiveDir, '--target-name', 'after_batch_2', '--data-dir', dataDir], {
    out: (s) => (out += s),
    err: () => {},
    env: process.env,
  });
  assert.equal(code, 0, out);
  assert.match(out, /copy-tree/);
  assert.match(out, /\+ recovery_target_name = 'after_batch_2'/);
  assert.equal(await fs.readFile(path.join(dataDir, 'recovery.signal'), 'utf8'), '');
  const auto = await fs.readFile(path.join(dataDir, 'postgresql.auto.conf'), 'utf8');
  assert.match(auto, /^# Recovery settings written by PG Backup on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
  assert.match(auto, /^# \(disabled by PG Backup on [^)]+\) recovery_target_name = 'stale_point'$/m);
  assert.match(auto, /^recovery_target_name = 'after_batch_2'$/m);
  const baks = (await fs.readdir(dataDir)).filter((f) => /^postgresql\.auto\.conf\.pgbr-.*\.bak$/.test(f));
  assert.equal(baks.length, 1);
  assert.match(await fs.readFile(path.join(dataDir, baks[0] as string), 'utf8'), /^recovery_target_name = 'stale_point'$/m);
  const st = await fs.stat(dataDir);
  assert.equal(st.mode & 0o777, 0o700);
  if (asRoot) assert.equal(st.uid, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
  // A second write over the now non-empty folder is refused rather than mixing two restores.
  await assert.rejects(planRecoveryChanges({ baseBackupDir: baseDir, dataDir, plan: plan({ kind: 'latest' }) }), /is not empty: move it aside/);
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a && a.port !== 5432 ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

test('after a promote to timeline 2 and more archived WAL there, a second recovery follows timeline 2', async () => {
  const parent = await fs.mkdtemp(path.join(work, 'tl2-'));
  // The restored server writes its log here; as root, apply gives the data directory to this folder's owner.
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    await fs.chown(parent, id('-u'), id('-g'));
  }
  const dataDir = path.join(parent, 'data');
  // This test wants the promoted server's timeline 2 in the source's archive, so it keeps archiving there on purpose.
  const archiving = { kind: 'keep' as const, command: await cluster.sql('SHOW archive_command') };
  await applyRecovery({ baseBackupDir: baseDir, dataDir, plan: plan({ kind: 'name', name: 'after_batch_2' }, { action: 'promote', archiving }) });
  const port = await freePort();
  await fs.appendFile(path.join(dataDir, 'postgresql.auto.conf'), `port = ${port}\n`);
  const pgCtl = (args: string[]) => {
    const cmd = path.join(cluster.binDir, 'pg_ctl');
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { cwd: parent, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' } });
  };
  const promoted: Cluster = { ...cluster, port, sql: (q: string) => psql(port, q) };
  pgCtl(['-w', '-t', '60', '-D', dataDir, '-l', path.join(parent, 'log'), 'start']);
  try {
    for (let i = 0; i < 200 && (await promoted.sql('SELECT pg_is_in_recovery()')) !== 'f'; i++) await sleep(50);
    assert.equal(await promoted.sql("SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"), '00000002');
    await promoted.sql('INSERT INTO items SELECT g, 4 FROM generate_series(101, 105) g');
    await switchAndWaitArchived(promoted);
  } finally {
    pgCtl(['-w', '-D', dataDir, '-m', 'immediate', 'stop']);
  }
  const scan = await scanArchive(cluster.archiveDir);
  assert.ok(scan.timelines.some((t) => t.tli === 2));
  const r = await drill({ kind: 'latest' }, { timeline: 'latest' });
  assertReached(r);
  assert.equal(rows(r, 'items'), 25, 'batches 1, 2 and 4: batch 3 stayed on timeline 1');
  assert.equal(rows(r, 'ticks'), 0);
  assert.equal(r.timeline, 2);
});

function psql(port: number, query: string): Promise<string> {
  const out = execFileSync(path.join(cluster.binDir, 'psql'), ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', query], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return Promise.resolve(out.trim());
}
