// pgBackRest benchmark on a throwaway cluster: what `pgbr backrest backup --type full` costs over raw
// `pgbackrest backup --type=full` on the same stanza, whole processes, alternating order.
//
//   npx tsx bench/backrest.ts
//   BENCH_ROWS=300000   rows of 320 characters of hex text in the backed-up table
//   BENCH_RUNS=5        timed runs per side
// Measurements, not tests: a missed target is reported, and the exit code is still 0.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from '../test/integration/cluster';
import { runBackrest } from '../src/core/backrest/run';
import { bundleForNode, envInt, formatMs, formatRuns, installCleanup, loadAverage, median, renderTable, startReaper, timedRun } from './support';

const STANZA = 'bench';
const TARGET = 1.05;
const settings = { rows: envInt('BENCH_ROWS', 300_000), runs: envInt('BENCH_RUNS', 5) };

async function main(): Promise<void> {
  const folders = new Set<string>();
  installCleanup(folders);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bench-backrest-'));
  folders.add(work);
  const config = path.join(work, 'pgbackrest.conf');
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ extraConf: { archive_mode: 'on', archive_command: `'pgbackrest --config=${config} --stanza=${STANZA} archive-push %p'` } });
    startReaper(cluster, [work]);
    for (const dir of ['repo', 'lock', 'log']) await fs.mkdir(path.join(work, dir));
    await fs.writeFile(
      config,
      [
        '[global]', `repo1-path=${path.join(work, 'repo')}`, `lock-path=${path.join(work, 'lock')}`, `log-path=${path.join(work, 'log')}`,
        'start-fast=y', 'repo1-retention-full=9999', '', `[${STANZA}]`, `pg1-path=${cluster.dataDir}`, `pg1-socket-path=${cluster.socketDir}`,
        `pg1-port=${cluster.port}`, 'pg1-user=postgres', '',
      ].join('\n'),
    );
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const { uid, gid } = await fs.stat(cluster.dataDir);
      for (const p of [work, config, ...['repo', 'lock', 'log'].map((d) => path.join(work, d))]) await fs.chown(p, uid, gid);
    }
    await fs.mkdir(path.join(work, 'ws'));
    await fs.writeFile(path.join(work, 'ws', 'pgbackup.yaml'), `repositories:\n  - { kind: pgbackrest, stanza: ${STANZA}, config: ${config} }\n`);
    await cluster.sql(`CREATE TABLE documents AS SELECT g AS id, repeat(md5(g::text), 10) AS body FROM generate_series(1, ${settings.rows}) g; CHECKPOINT;`);
    const created = await runBackrest({ stanza: STANZA, config }, 'stanza-create', []);
    if (created.status !== 'succeeded') throw new Error(`stanza-create failed: ${created.status === 'failed' ? created.message : 'cancelled'}`);
    const cli = await bundleForNode('src/cli/pgbr.ts', path.join(work, 'cli', 'pgbr.js'), '#!/usr/bin/env node');

    const raw = asRoot ? { file: 'runuser', args: ['-u', 'postgres', '--', 'pgbackrest', `--config=${config}`, `--stanza=${STANZA}`, '--type=full', 'backup'] } : { file: 'pgbackrest', args: [`--config=${config}`, `--stanza=${STANZA}`, '--type=full', 'backup'] };
    const pgbrArgs = [cli, 'backrest', 'backup', '--type', 'full', '--workspace', path.join(work, 'ws'), '--json'];
    const times = { pgbr: [] as number[], raw: [] as number[] };
    // One untimed run of each warms the page cache and makes the first full.
    await timedRun(raw.file, raw.args);
    await timedRun(process.execPath, pgbrArgs);
    for (let i = 0; i < settings.runs; i++) {
      const order = i % 2 === 0 ? (['raw', 'pgbr'] as const) : (['pgbr', 'raw'] as const);
      for (const side of order) {
        await cluster.sql('CHECKPOINT;');
        const r = side === 'raw' ? await timedRun(raw.file, raw.args) : await timedRun(process.execPath, pgbrArgs);
        times[side].push(r.ms);
      }
    }
    // What pgbr adds, part by part (medians of the same number of runs): Node and the CLI starting,
    // the owner lookup, the info read after the backup, and pgBackRest printing a line per file.
    const owner = (await fs.stat(path.join(work, 'repo'))).uid;
    const partRuns = async (file: string, args: string[]) => {
      const ms: number[] = [];
      for (let i = 0; i < settings.runs; i++) ms.push((await timedRun(file, args)).ms);
      return median(ms);
    };
    const asOwner = (command: string[]) => (asRoot ? ['-u', 'postgres', '--', 'pgbackrest', ...command] : command);
    const parts: [string, number][] = [
      ['`node pgbr.js --version` (start-up)', await partRuns(process.execPath, [cli, '--version'])],
      ['`id -nu <uid>` (owner lookup)', await partRuns('id', ['-nu', String(owner)])],
      ['`pgbackrest info --output=json` (after the backup)', await partRuns(raw.file, asOwner([`--config=${config}`, `--stanza=${STANZA}`, '--output=json', 'info']))],
    ];
    const detail: number[] = [];
    for (let i = 0; i < settings.runs; i++) {
      await cluster.sql('CHECKPOINT;');
      detail.push((await timedRun(raw.file, asOwner([`--config=${config}`, `--stanza=${STANZA}`, '--type=full', '--log-level-console=detail', 'backup']))).ms);
    }
    parts.push(['raw backup with `--log-level-console=detail` minus without', median(detail) - median(times.raw)]);
    const ratio = median(times.pgbr) / median(times.raw);
    // The same work by hand: the backup, then info to learn what it made (its label and size), as pgbr reports.
    const sameWork = median(times.raw) + (parts[2]?.[1] ?? 0);
    process.stdout.write(
      `${renderTable([
        ['Benchmark', 'pgbr (median)', 'Baseline (median)', 'Ratio', 'Target', 'Result'],
        ['Full backup: `pgbr backrest backup --type full` vs `pgbackrest backup --type=full`', formatMs(median(times.pgbr)), formatMs(median(times.raw)), ratio.toFixed(3), `≤ ${TARGET}`, ratio <= TARGET ? 'PASS' : 'FAIL'],
        ['Same work: vs `pgbackrest backup` + `pgbackrest info --output=json`', formatMs(median(times.pgbr)), formatMs(sameWork), (median(times.pgbr) / sameWork).toFixed(3), `≤ ${TARGET}`, median(times.pgbr) / sameWork <= TARGET ? 'PASS' : 'FAIL'],
      ])}\n\n${renderTable([['Part', 'Median'], ...parts.map(([name, ms]) => [name, formatMs(ms)])])}\n\npgbr: ${formatRuns(times.pgbr)}\nraw:  ${formatRuns(times.raw)}\nrows: ${settings.rows}, runs: ${settings.runs}, load: ${loadAverage()}\n`,
    );
  } finally {
    await cluster?.stop();
    await fs.rm(work, { recursive: true, force: true });
    folders.delete(work);
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
