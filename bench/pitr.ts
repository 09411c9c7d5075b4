// Point-in-time recovery drill on a throwaway archiving cluster: `runDrill` through the core against the
// same recovery scripted by hand with the raw tools (cp -a, postgresql.auto.conf, postgres, psql, pg_ctl).
//
//   npx tsx bench/pitr.ts
//   BENCH_RUNS=5              timed runs per side, alternating which side goes first
//   BENCH_BASE_ROWS=300000    rows loaded before the base backup
//   BENCH_BATCHES=10          insert batches after the base backup, each followed by pg_switch_wal()
//   BENCH_BATCH_ROWS=400000   rows per batch
//   BENCH_TARGET_BATCH=6      the target time is taken right after this batch commits
//   BENCH_THIRD=1             also time the raw script with the drill's scratch-server settings (shared_buffers 16MB...)
//   BENCH_JSON=file.json      also write every measurement as JSON
// Measurements, not tests: a missed target is reported, and the exit code is still 0.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from '../test/integration/cluster';
import { runDrill, type DrillReport } from '../src/core/pitr/drill';
import type { RecoveryPlan } from '../src/core/pitr/config';
import { freePort } from '../src/core/platform/net';
import {
  envInt,
  formatBytes,
  formatMs,
  formatRuns,
  installCleanup,
  loadAverage,
  median,
  renderTable,
  startReaper,
  timed,
  timedRun,
} from './support';

const settings = {
  runs: envInt('BENCH_RUNS', 5),
  baseRows: envInt('BENCH_BASE_ROWS', 300_000),
  batches: envInt('BENCH_BATCHES', 10),
  batchRows: envInt('BENCH_BATCH_ROWS', 400_000),
  targetBatch: envInt('BENCH_TARGET_BATCH', 6),
  jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
};
if (settings.targetBatch >= settings.batches) throw new Error('BENCH_TARGET_BATCH must be below BENCH_BATCHES: the target needs WAL after it');

const MAX_RATIO = 1.1;
const BENCH_DB = 'bench';
const TABLE = 'public.events';
const asRoot = process.getuid?.() === 0;
const SERVER_USER = 'postgres';
const POLL_MS = 50;
/** The settings `runDrill` gives its scratch server beyond the recovery ones (see prepareScratchConfig in src/core/pitr/drill.ts). */
const DRILL_SCRATCH_SETTINGS = [
  `hot_standby = on`,
  `ssl = off`,
  `fsync = off`,
  `synchronous_commit = off`,
  `shared_buffers = '16MB'`,
  `log_min_messages = 'warning'`,
];
/** BENCH_THIRD=1: also time the raw script with the drill's scratch settings (a third side, rotated with the other two). */
const THIRD = process.env.BENCH_THIRD === '1';

const SERVER_SETTINGS: Record<string, string> = {
  // No checkpoint or autovacuum in the middle of the load; the WAL is what recovery replays.
  max_wal_size: '4GB',
  checkpoint_timeout: '1h',
  autovacuum: 'off',
};

function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}


/** argv that runs a server program as the postgres OS user when we are root (PostgreSQL refuses root). */
function asServerUser(program: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', SERVER_USER, '--', program, ...args]] : [program, args];
}

async function ownerIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (!asRoot) return undefined;
  const uid = Number((await timedRun('id', ['-u', SERVER_USER], { keepStdout: true })).stdout.trim());
  const gid = Number((await timedRun('id', ['-g', SERVER_USER], { keepStdout: true })).stdout.trim());
  return { uid, gid };
}

// ---------------------------------------------------------------------------------------------
// Raw-tools scratch servers still running, stopped synchronously if the process ends mid-run.
const liveRaw = new Set<string>();
process.on('exit', () => {
  for (const dataDir of liveRaw) {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // Not started or already gone.
    }
  }
});

interface Fixture {
  cluster: Cluster;
  work: string;
  baseBackupDir: string;
  baseBackupBytes: number;
  archiveDir: string;
  walReplayedBytes: number;
  archivedSegments: number;
  targetTime: string;
  expectedRows: number;
  owner?: { uid: number; gid: number };
}

async function sqlNumber(cluster: Cluster, query: string, db = BENCH_DB): Promise<number> {
  return Number(await cluster.sql(query, db));
}

async function prepare(cluster: Cluster, work: string): Promise<Fixture> {
  const owner = await ownerIds();
  await cluster.sql(`CREATE DATABASE ${BENCH_DB};`);
  const row = `g, now(), md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text)`;
  await cluster.sql(
    `CREATE TABLE ${TABLE} (id bigint, at timestamptz, payload text);
     INSERT INTO ${TABLE} SELECT ${row} FROM generate_series(1, ${settings.baseRows}) g;
     CHECKPOINT;`,
    BENCH_DB,
  );

  const baseBackupDir = path.join(work, 'base');
  log(`base backup: pg_basebackup -Fp -X stream -c fast into a fresh folder`);
  const bb = await timedRun(path.join(cluster.binDir, 'pg_basebackup'), [
    '-h', '127.0.0.1', '-p', String(cluster.port), '-U', cluster.superuser, '-D', baseBackupDir, '-Fp', '-X', 'stream', '-c', 'fast', '--no-password',
  ]);
  // As root, the backup is root's: give it to the server's user once, as a DBA's backup folder would be.
  if (owner) await timedRun('chown', ['-R', `${owner.uid}:${owner.gid}`, baseBackupDir]);
  const baseBackupBytes = Number((await timedRun('du', ['-sb', baseBackupDir], { keepStdout: true })).stdout.split('\t')[0]);
  log(`base backup took ${formatMs(bb.ms)}, ${formatBytes(baseBackupBytes)}`);

  const startLsn = await cluster.sql(`SELECT pg_current_wal_lsn()`);
  let next = settings.baseRows + 1;
  let targetTime = '';
  let expectedRows = 0;
  for (let b = 1; b <= settings.batches; b++) {
    const first = next;
    const last = next + settings.batchRows - 1;
    next = last + 1;
    await cluster.sql(`INSERT INTO ${TABLE} SELECT ${row} FROM generate_series(${first}, ${last}) g;`, BENCH_DB);
    await cluster.sql(`SELECT pg_switch_wal();`);
    if (b === settings.targetBatch) {
      // A clear gap on both sides of the target, so it falls between two commits without doubt.
      await new Promise((r) => setTimeout(r, 500));
      targetTime = await cluster.sql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'`);
      expectedRows = await sqlNumber(cluster, `SELECT count(*) FROM ${TABLE}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const endLsn = await cluster.sql(`SELECT pg_current_wal_lsn()`);
  const walfile = await cluster.sql(`SELECT pg_walfile_name(pg_current_wal_lsn()) FROM pg_switch_wal()`);
  // Everything archived before the runs start: the drill must not wait for the archiver.
  for (let i = 0; ; i++) {
    const archived = await cluster.sql(`SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver`);
    if (archived >= walfile) break;
    if (i > 600) throw new Error(`the archiver did not reach ${walfile} (at ${archived})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const walTotal = await sqlNumber(cluster, `SELECT pg_wal_lsn_diff('${endLsn}', '${startLsn}')`, 'postgres');
  const archivedSegments = (await fs.readdir(cluster.archiveDir)).filter((f) => /^[0-9A-F]{24}$/.test(f)).length;
  // Roughly what recovery replays: up to the first commit after the target, i.e. targetBatch + 1 of the batches.
  const walReplayedBytes = Math.round((walTotal * (settings.targetBatch + 1)) / settings.batches);
  log(`WAL after the base backup: ${formatBytes(walTotal)} in ${settings.batches} batches; ${archivedSegments} segments archived; target ${targetTime} (${expectedRows} rows)`);
  return { cluster, work, baseBackupDir, baseBackupBytes, archiveDir: cluster.archiveDir, walReplayedBytes, archivedSegments, targetTime, expectedRows, owner };
}

// ---------------------------------------------------------------------------------------------
// The two sides

interface CoreRun {
  ms: number;
  rows: number;
  report: DrillReport;
}

async function coreSide(fx: Fixture): Promise<CoreRun> {
  const plan: RecoveryPlan = {
    target: { kind: 'time', time: fx.targetTime },
    action: 'pause',
    restore: { kind: 'copy', archiveDir: fx.archiveDir },
  };
  const { ms, value: report } = await timed(() => runDrill({ baseBackupDir: fx.baseBackupDir, format: 'plain', plan, binDir: fx.cluster.binDir }));
  if (report.status !== 'reached') throw new Error(`the drill did not reach its target: ${report.message}\n${report.logTail.join('\n')}`);
  const rows = report.databases.find((d) => d.name === BENCH_DB)?.tables.find((t) => `${t.schema}.${t.table}` === TABLE)?.rows ?? -1;
  return { ms, rows, report };
}

interface RawRun {
  ms: number;
  rows: number;
  steps: { copyMs: number; configMs: number; recoverMs: number; countMs: number; stopMs: number; removeMs: number };
}

/** The recovery as a DBA scripts it: cp -a, recovery.signal and settings, pg_ctl start, watch the log, psql, pg_ctl stop -m immediate, rm -rf. */
async function rawSide(fx: Fixture, drillSettings = false): Promise<RawRun> {
  const bin = (tool: string) => path.join(fx.cluster.binDir, tool);
  const started = performance.now();
  const lap = (() => {
    let last = started;
    return () => {
      const now = performance.now();
      const ms = now - last;
      last = now;
      return ms;
    };
  })();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-rawpitr-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  try {
    if (fx.owner) await fs.chown(root, fx.owner.uid, fx.owner.gid);
    await timedRun('cp', ['-a', fx.baseBackupDir, dataDir]);
    const copyMs = lap();

    const port = await freePort();
    const archiveFile = `${fx.archiveDir}/%f`;
    const conf = [
      `restore_command = 'test -f ''${archiveFile}'' && cp ''${archiveFile}'' "%p"'`,
      `recovery_target_time = '${fx.targetTime}'`,
      `recovery_target_action = 'pause'`,
      `port = ${port}`,
      `listen_addresses = ''`,
      `unix_socket_directories = '${root}'`,
      `archive_mode = off`,
      // The third side: the scratch-server settings the drill adds, to see what they cost on their own.
      ...(drillSettings ? DRILL_SCRATCH_SETTINGS : []),
    ];
    await fs.appendFile(path.join(dataDir, 'postgresql.auto.conf'), `${conf.join('\n')}\n`);
    await fs.writeFile(path.join(dataDir, 'recovery.signal'), '');
    if (fx.owner) {
      for (const f of ['postgresql.auto.conf', 'recovery.signal']) await fs.chown(path.join(dataDir, f), fx.owner.uid, fx.owner.gid);
    }
    const configMs = lap();

    liveRaw.add(dataDir);
    await timedRun(...asServerUser(bin('pg_ctl'), ['-D', dataDir, '-l', logFile, '-W', 'start']));
    // Like `until grep -q 'pausing at the end of recovery' server.log; do sleep 0.05; done`.
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const text = await fs.readFile(logFile, 'utf8').catch(() => '');
      if (/pausing at the end of recovery|recovery has paused/.test(text)) break;
      if (/\b(FATAL|PANIC):/.test(text) || Date.now() > deadline) throw new Error(`raw recovery failed:\n${text.split('\n').slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const recoverMs = lap();

    const psql = (db: string, query: string) =>
      timedRun(...asServerUser(bin('psql'), ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', root, '-p', String(port), '-U', SERVER_USER, '-d', db, '-c', query]), {
        keepStdout: true,
      });
    const paused = (await psql('postgres', 'SELECT pg_is_wal_replay_paused()')).stdout.trim();
    if (paused !== 't') throw new Error(`raw recovery: pg_is_wal_replay_paused() = ${paused}`);
    const rows = Number((await psql(BENCH_DB, `SELECT count(*) FROM ${TABLE}`)).stdout.trim());
    const countMs = lap();

    await timedRun(...asServerUser(bin('pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']));
    liveRaw.delete(dataDir);
    const stopMs = lap();
    await fs.rm(root, { recursive: true, force: true });
    const removeMs = lap();
    return { ms: performance.now() - started, rows, steps: { copyMs, configMs, recoverMs, countMs, stopMs, removeMs } };
  } finally {
    if (liveRaw.has(dataDir)) {
      await timedRun(...asServerUser(bin('pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop'])).catch(() => undefined);
      liveRaw.delete(dataDir);
    }
    await fs.rm(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const folders = new Set<string>();
  installCleanup(folders);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bench-pitr-'));
  folders.add(work);
  let cluster: Cluster | undefined;
  try {
    log(`starting an archiving cluster (runs=${settings.runs}, base rows=${settings.baseRows}, ${settings.batches} batches of ${settings.batchRows}, target after batch ${settings.targetBatch})`);
    cluster = await startCluster({ archive: true, extraConf: SERVER_SETTINGS });
    startReaper({ binDir: cluster.binDir, dataDir: cluster.dataDir, root: cluster.root }, [work]);
    const owner = await ownerIds();
    if (owner) await fs.chown(work, owner.uid, owner.gid);
    const version = await cluster.sql('SHOW server_version');
    const fx = await prepare(cluster, work);
    // The source server is idle from here on: stop it (its folder, which holds the archive, stays until the end).
    await timedRun(...asServerUser(path.join(cluster.binDir, 'pg_ctl'), ['-w', '-t', '60', '-D', cluster.dataDir, '-m', 'fast', 'stop']));

    const core: CoreRun[] = [];
    const raw: RawRun[] = [];
    const third: RawRun[] = [];
    const loads: string[] = [];
    // One untimed run of each side first: page cache, binaries, and a check that both work.
    log('warm-up: one untimed run of each side');
    const w1 = await coreSide(fx);
    const w2 = await rawSide(fx);
    log(`warm-up: core ${formatMs(w1.ms)} (${w1.rows} rows), raw ${formatMs(w2.ms)} (${w2.rows} rows)`);
    for (let i = 0; i < settings.runs; i++) {
      const sides: ('core' | 'raw' | 'raw+drill')[] = THIRD ? ['core', 'raw', 'raw+drill'] : ['core', 'raw'];
      // Alternate (two sides) or rotate (three) which goes first, so a drift does not favour one.
      const order = THIRD ? [...sides.slice(i % 3), ...sides.slice(0, i % 3)] : i % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        if (side === 'core') {
          const r = await coreSide(fx);
          core.push(r);
          log(`run ${i + 1} core: ${formatMs(r.ms)} (${r.rows} rows) ${JSON.stringify(r.report.durations)}`);
        } else {
          const r = await rawSide(fx, side === 'raw+drill');
          (side === 'raw' ? raw : third).push(r);
          log(`run ${i + 1} ${side}: ${formatMs(r.ms)} (${r.rows} rows) ${JSON.stringify(Object.fromEntries(Object.entries(r.steps).map(([k, v]) => [k, Math.round(v)])))}`);
        }
      }
      loads.push(loadAverage());
    }

    const coreMed = median(core.map((r) => r.ms));
    const rawMed = median(raw.map((r) => r.ms));
    const ratio = coreMed / rawMed;
    const pairRatios = core.map((c, i) => c.ms / (raw[i] as RawRun).ms);
    const rowsOk = [...core, ...raw, ...third].every((r) => r.rows === fx.expectedRows);
    const d = (k: keyof DrillReport['durations']) => median(core.map((r) => r.report.durations[k]));
    const s = (k: keyof RawRun['steps']) => median(raw.map((r) => r.steps[k]));

    console.log('');
    console.log(`PostgreSQL ${version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${formatBytes(os.totalmem())} RAM, Node ${process.version}`);
    console.log(`base backup ${formatBytes(fx.baseBackupBytes)}, ~${formatBytes(fx.walReplayedBytes)} of WAL replayed, target ${fx.targetTime}, expected rows ${fx.expectedRows}`);
    console.log('');
    console.log(
      renderTable([
        ['Run', 'Core (runDrill)', 'Raw tools', 'Core / raw', 'Load'],
        ...core.map((c, i) => [String(i + 1) + (i % 2 === 0 ? ' (core first)' : ' (raw first)'), formatMs(c.ms), formatMs((raw[i] as RawRun).ms), (pairRatios[i] as number).toFixed(3), loads[i] ?? '?']),
        ['median', formatMs(coreMed), formatMs(rawMed), ratio.toFixed(3), ''],
      ]),
    );
    console.log('');
    console.log(`core runs: ${formatRuns(core.map((r) => r.ms))}`);
    console.log(`raw runs:  ${formatRuns(raw.map((r) => r.ms))}`);
    console.log(`ratio (median core / median raw) ${ratio.toFixed(3)}, target <= ${MAX_RATIO}: ${ratio <= MAX_RATIO ? 'PASS' : 'FAIL'}`);
    console.log(`median of per-pair ratios ${median(pairRatios).toFixed(3)}`);
    if (THIRD) {
      const t = median(third.map((r) => r.ms));
      console.log(`raw with the drill's scratch settings: ${formatRuns(third.map((r) => r.ms))}; median ${formatMs(t)}, /raw ${(t / rawMed).toFixed(3)}, core/this ${(coreMed / t).toFixed(3)}; replay median ${formatMs(median(third.map((r) => r.steps.recoverMs)))}`);
    }
    console.log(`row counts: ${rowsOk ? `all ${fx.expectedRows}` : `MISMATCH core ${core.map((r) => r.rows).join(',')} raw ${raw.map((r) => r.rows).join(',')} expected ${fx.expectedRows}`}`);
    console.log('');
    console.log(
      renderTable([
        ['Step (medians)', 'Core', 'Raw'],
        ['restore / cp -a + settings', formatMs(d('restoreMs')), formatMs(s('copyMs') + s('configMs'))],
        ['start + replay to the target, paused', formatMs(d('recoverMs')), formatMs(s('recoverMs'))],
        ['inspect / row counts', formatMs(d('inspectMs')), formatMs(s('countMs'))],
        ['stop + remove', formatMs(d('stopMs')), formatMs(s('stopMs') + s('removeMs'))],
        ['total (inside runDrill / whole script)', formatMs(d('totalMs')), formatMs(rawMed)],
      ]),
    );
    console.log(`core: unaccounted (around runDrill's own clock) ${formatMs(coreMed - d('totalMs'))}; drill settings: ${core[0]?.report.settings.join(' | ')}`);
    console.log(`core stop line: ${core[0]?.report.stopLine ?? '?'}`);

    if (settings.jsonOut) {
      await fs.writeFile(
        settings.jsonOut,
        JSON.stringify({ settings, version, fixture: { ...fx, cluster: undefined }, loads, core: core.map((r) => ({ ms: r.ms, rows: r.rows, durations: r.report.durations })), raw, third, ratio }, null, 2),
      );
    }
  } finally {
    if (cluster) await cluster.stop();
    await fs.rm(work, { recursive: true, force: true });
    folders.delete(work);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exitCode = 1;
});
