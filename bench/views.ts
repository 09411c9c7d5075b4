// The Dumps view at scale, in a real VS Code (code-server, through test/e2e/run.ts): how long the first
// level of a folder of 1,000 dumps takes to list, and the first level (schemas) of a dump of 10,000
// tables, then its tables. That dump is indexed as pgbr and the extension index the dumps they make
// (here by `pgbr toc`, whose index the suite puts in the extension host's cache folder); the same dump
// under another path, which no index names, is listed too (pg_dump's own: read, then indexed). Timed in the extension host as the workbench asks (children, then each
// child's TreeItem), beside the raw tools on the same files in the same run: `ls -l` of the folder and
// `pg_restore --list` of the dump.
//
//   npx tsx bench/views.ts
//   BENCH_VIEWS_DUMPS=1000       dumps in the folder (tiny files with real manifests)
//   BENCH_VIEWS_TABLES=10000     tables in the dump of many tables
//   BENCH_VIEWS_RUNS=5           listings of each, each from a refreshed tree
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster } from '../test/integration/cluster';
import { manifestPathFor, manifestText, type DumpManifest } from '../src/core/logical/manifest';
import { bundleForNode, envInt, formatMs, installCleanup, loadAverage, median, renderTable, startReaper, timedRun, toolEnv } from './support';

const settings = {
  dumps: envInt('BENCH_VIEWS_DUMPS', 1000),
  tables: envInt('BENCH_VIEWS_TABLES', 10_000),
  runs: envInt('BENCH_VIEWS_RUNS', 5),
};
const TARGETS = { dumps: 300, schemas: 150 };
const REPO_ROOT = path.resolve(__dirname, '..');
const NEWEST = Date.UTC(2026, 10, 30, 2, 0, 0);
const TABLES_PER_TRANSACTION = 1000;

interface ViewsResult {
  dumps: number[];
  dumpCount: number;
  schemas: number[];
  unindexed: number[];
  tables: number[];
  tableCount: number;
}

/** Tiny dump files with real manifests: the folder's listing reads every manifest, as it would in a real folder. */
function makeDumps(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const started = new Date(NEWEST - i * 6 * 3_600_000).toISOString();
    const file = path.join(dir, `shop_${String(i).padStart(5, '0')}.dump`);
    writeFileSync(file, 'PGDMP');
    const manifest: DumpManifest = {
      manifestVersion: 1, kind: 'database', profile: 'e2e', host: '127.0.0.1', port: 5432, user: 'app', database: 'shop',
      serverVersion: '15.18', tool: 'pg_dump', toolVersion: '15.18', format: 'custom', options: {}, startedAt: started, finishedAt: started,
      durationMs: 1000, sizeBytes: 5, sha256: { '': 'a'.repeat(64) }, rowCounts: [],
      ...(i % 10 === 0 ? { verification: { status: 'passed', at: started, durationMs: 1, target: 'e2e/scratch', tables: [] } } : {}),
    };
    writeFileSync(manifestPathFor(file), manifestText(manifest));
  }
}

/** Runs the views suite in code-server and returns what it printed. */
function runViewsSuite(env: Record<string, string>): Promise<ViewsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'test', 'e2e', 'run.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, PGBR_E2E_PARTS: 'suite', PGBR_E2E_SUITE: 'views-bench' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.includes('BENCH-VIEWS '));
      if (!line) return reject(new Error(`the views suite printed no result (exit ${code}):\n${out.slice(-3000)}`));
      resolve(JSON.parse(line.slice(line.indexOf('BENCH-VIEWS ') + 'BENCH-VIEWS '.length)) as ViewsResult);
    });
  });
}

async function main(): Promise<void> {
  const folders = new Set<string>();
  installCleanup(folders);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bench-views-'));
  folders.add(work);
  process.stdout.write(`views: ${settings.dumps} dumps, a dump of ${settings.tables} tables, ${settings.runs} runs; load ${loadAverage()}\n`);
  const dumpsDir = path.join(work, 'many-dumps');
  makeDumps(dumpsDir, settings.dumps);

  const cluster = await startCluster({ archive: false, extraConf: { max_locks_per_transaction: '1024', fsync: 'off' } });
  startReaper(cluster, [work]);
  const tocDir = path.join(work, 'many-tables');
  const tocDump = path.join(tocDir, 'many.dump');
  try {
    await cluster.sql('CREATE DATABASE many');
    for (let from = 1; from <= settings.tables; from += TABLES_PER_TRANSACTION) {
      const to = Math.min(settings.tables, from + TABLES_PER_TRANSACTION - 1);
      await cluster.sql(
        `DO $$ DECLARE name text; BEGIN FOR i IN ${from}..${to} LOOP name := 't' || lpad(i::text, 5, '0');
           EXECUTE format('CREATE TABLE public.%I (id int PRIMARY KEY, note text)', name);
           EXECUTE format('INSERT INTO public.%I VALUES (1, %L)', name, 'the only row of ' || name); END LOOP; END $$;`,
        'many',
      );
    }
    await fs.mkdir(tocDir, { recursive: true });
    const dumped = await timedRun(path.join(cluster.binDir, 'pg_dump'), ['-Fc', '-h', cluster.socketDir, '-p', String(cluster.port), '-U', cluster.superuser, '-f', tocDump, 'many'], { env: toolEnv() });
    process.stdout.write(`views: ${settings.tables} tables dumped in ${formatMs(dumped.ms)}\n`);
  } finally {
    await cluster.stop();
  }

  // The index pgbr keeps of the dumps it makes, in a cache folder of its own that the suite copies into the extension host's.
  const cli = await bundleForNode('src/cli/pgbr.ts', path.join(work, 'cli', 'pgbr.js'), '#!/usr/bin/env node');
  const cliCache = path.join(work, 'cli-cache');
  await timedRun(process.execPath, [cli, 'toc', '--json', tocDump], { env: { ...process.env, XDG_CACHE_HOME: cliCache } });
  const indexDir = path.join(cliCache, 'pgbr', 'toc');
  if ((await fs.readdir(indexDir).catch(() => [])).length !== 1) throw new Error(`pgbr toc wrote no TOC index in ${indexDir}`);
  const unindexedDir = path.join(work, 'unindexed');
  await fs.mkdir(unindexedDir);
  await fs.copyFile(tocDump, path.join(unindexedDir, 'copy.dump'));

  // The raw tools on the same files, in the same run.
  const ls: number[] = [];
  const list: number[] = [];
  for (let i = 0; i < settings.runs; i++) {
    ls.push((await timedRun('ls', ['-l', dumpsDir])).ms);
    list.push((await timedRun(path.join(cluster.binDir, 'pg_restore'), ['--list', tocDump])).ms);
  }

  const loadBefore = loadAverage();
  const result = await runViewsSuite({ PGBR_BENCH_DUMPS_DIR: dumpsDir, PGBR_BENCH_TOC_DIR: tocDir, PGBR_BENCH_TOC_DUMP: tocDump, PGBR_BENCH_TOC_INDEX_DIR: indexDir, PGBR_BENCH_UNINDEXED_DUMP: path.join(unindexedDir, 'copy.dump'), PGBR_BENCH_RUNS: String(settings.runs) });
  if (result.dumpCount !== settings.dumps) throw new Error(`the folder listed ${result.dumpCount} dumps, not ${settings.dumps}`);
  if (result.tableCount !== settings.tables) throw new Error(`the dump's schema listed ${result.tableCount} tables, not ${settings.tables}`);
  const row = (label: string, runs: number[], target: number | undefined, raw: number[], rawLabel: string) => [
    label,
    formatMs(runs[0] ?? NaN),
    formatMs(median(runs)),
    target === undefined ? '-' : `≤ ${target} ms: ${median(runs) <= target ? 'PASS' : 'FAIL'}`,
    `${rawLabel} ${formatMs(median(raw))}`,
    (median(runs) / median(raw)).toFixed(2),
    `${runs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
  ];
  process.stdout.write(
    `\n${renderTable([
      ['Measure (extension host)', 'first', 'median', 'target', 'raw tool, same files', 'ratio', 'runs'],
      row(`Dumps view: a folder of ${settings.dumps} dumps, first level`, result.dumps, TARGETS.dumps, ls, 'ls -l'),
      row(`Dumps view: a dump of ${settings.tables} tables, first level (schemas)`, result.schemas, TARGETS.schemas, list, 'pg_restore --list'),
      row(`  the same dump, no index yet (pg_dump's own): read, then indexed`, result.unindexed, undefined, list, 'pg_restore --list'),
      row(`  then its schema's ${settings.tables} tables`, result.tables, undefined, list, 'pg_restore --list'),
    ])}\nload average before the suite ${loadBefore}, after ${loadAverage()}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/views: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
