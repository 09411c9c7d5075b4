// Logical-backup benchmarks on a throwaway cluster: what a dump through the core costs over raw pg_dump,
// a single-table restore against a full one, and reading a 10,000-table TOC against `pg_restore --list`.
//
//   npx tsx bench/logical.ts
//   BENCH_SCALE=20          pgbench scale factor (20: 2 million accounts rows)
//   BENCH_WIDE_ROWS=200000  rows of the text-heavy table (3 columns of 512 characters each)
//   BENCH_RUNS=5            timed runs per side for the dump and restore comparisons
//   BENCH_TOC_RUNS=9        timed runs per side for the TOC comparison
//   BENCH_TOC_TABLES=10000  tables in the TOC database
//   BENCH_ONLY=dump,restore,toc   run only these parts (restore still makes the one dump it needs)
//   BENCH_CLI=path/pgbr.js  time this CLI build instead of a fresh production bundle of src/cli/pgbr.ts
//   BENCH_JSON=file.json    also write every measurement as JSON
// Measurements, not tests: a missed target is reported, and the exit code is still 0.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from '../test/integration/cluster';
import { sha256File } from '../src/core/logical/checksum';
import { runDump } from '../src/core/logical/dump';
import { manifestPathFor, readManifest } from '../src/core/logical/manifest';
import { buildRestoreList } from '../src/core/logical/restoreList';
import { groupToc, readToc } from '../src/core/logical/toc';
import type { DumpProgress } from '../src/core/logical/progress';
import { discoverTools, type ToolInventory } from '../src/core/platform/tools';
import {
  bundleForNode,
  cpuMeter,
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
  toolEnv,
} from './support';

type Part = 'dump' | 'restore' | 'toc';
const PARTS: readonly Part[] = ['dump', 'restore', 'toc'];

const settings = {
  scale: envInt('BENCH_SCALE', 20),
  wideRows: envInt('BENCH_WIDE_ROWS', 200_000),
  runs: envInt('BENCH_RUNS', 5),
  tocRuns: envInt('BENCH_TOC_RUNS', 9),
  tocTables: envInt('BENCH_TOC_TABLES', 10_000),
  parts: parseParts(process.env.BENCH_ONLY),
  cli: process.env.BENCH_CLI ? path.resolve(process.env.BENCH_CLI) : undefined,
  jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
};

const BENCH_DB = 'bench';
const TOC_DB = 'many_tables';
const ONE_PERCENT_TABLE = 'accounts_1pct';
/** Tables created per transaction for the TOC database: few transactions, within the lock table. */
const TABLES_PER_TRANSACTION = 2500;

const SERVER_SETTINGS: Record<string, string> = {
  // The data set stays in memory, so runs measure the tools rather than the disk cache.
  shared_buffers: '1GB',
  // pg_dump locks every table it dumps, and the row counts lock them again: 10,000 tables need room.
  max_locks_per_transaction: '512',
  // No checkpoint or autovacuum starting in the middle of a timed run; checkpoints are taken between runs.
  max_wal_size: '8GB',
  checkpoint_timeout: '1h',
  autovacuum: 'off',
};

interface Comparison {
  name: string;
  ours: { label: string; runs: number[] };
  baseline: { label: string; runs: number[] };
  /** The target is `median(ours) / median(baseline) <= maxRatio`. */
  maxRatio: number;
  notes: string[];
}

interface Bench {
  cluster: Cluster;
  tools: ToolInventory;
  work: string;
  cli: string;
  pgBin: (tool: string) => string;
  /** libpq arguments for the raw tools: TCP as the trusted superuser, so no password is involved. */
  connArgs: string[];
  /** The same server as a URI for `pgbr --conn`. */
  uri: string;
  /** CPU milliseconds used so far by this process, its reaped children and the server's exited backends. */
  cpu?: () => number;
}

interface DataSet {
  databaseBytes: number;
  onePercentRows: number;
  onePercentBytes: number;
  tables: { name: string; rows: number; bytes: number }[];
  generationMs: number;
}

function parseParts(text: string | undefined): Set<Part> {
  if (!text) return new Set(PARTS);
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of parts) if (!PARTS.includes(p as Part)) throw new Error(`BENCH_ONLY: "${p}" is not one of ${PARTS.join(', ')}`);
  return new Set(parts as Part[]);
}

function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function ratioOf(c: Comparison): number {
  return median(c.ours.runs) / median(c.baseline.runs);
}

function passed(c: Comparison): boolean {
  return ratioOf(c) <= c.maxRatio;
}

// ---------------------------------------------------------------------------------------------
// Set-up

/** The CLI as users get it: a minified bundle of the current sources, built once so a rebuild of dist/ cannot change it mid-run. */
async function bundleCli(work: string): Promise<string> {
  return bundleForNode('src/cli/pgbr.ts', path.join(work, 'cli', 'pgbr.js'), '#!/usr/bin/env node');
}

async function sqlNumber(cluster: Cluster, query: string, database = BENCH_DB): Promise<number> {
  const text = await cluster.sql(query, database);
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`expected a number from ${query}, got "${text}"`);
  return n;
}

/**
 * pgbench's tables at the chosen scale, a table of random text (poorly compressible, like real
 * documents), and `accounts_1pct`: a slice of pgbench_accounts sized to about 1% of the database.
 */
async function createBenchDatabase(b: Bench): Promise<DataSet> {
  const { cluster } = b;
  const started = performance.now();
  await cluster.sql(`CREATE DATABASE ${BENCH_DB}`);
  log(`pgbench -i -s ${settings.scale}`);
  await timedRun(b.pgBin('pgbench'), ['-i', '-q', '-s', String(settings.scale), ...b.connArgs, BENCH_DB]);

  log(`documents: ${settings.wideRows} rows of 3 × 512 characters of random text`);
  // The lateral subquery refers to g, so it runs for every row instead of once.
  await cluster.sql(
    `CREATE TABLE public.documents (id int PRIMARY KEY, title text NOT NULL, body text NOT NULL, summary text NOT NULL);
     INSERT INTO public.documents
     SELECT g, t.a, t.b, t.c
       FROM generate_series(1, ${settings.wideRows}) AS g
       CROSS JOIN LATERAL (
         SELECT string_agg(md5(random()::text), '') FILTER (WHERE k % 3 = 0) AS a,
                string_agg(md5(random()::text), '') FILTER (WHERE k % 3 = 1) AS b,
                string_agg(md5(random()::text), '') FILTER (WHERE k % 3 = 2) AS c
           FROM generate_series(g - g + 1, 48) AS k
       ) AS t;
     VACUUM ANALYZE public.documents;`,
    BENCH_DB,
  );

  // T = 1% of (D + T)  =>  T = D / 99, in rows of pgbench_accounts (heap and primary key).
  const before = await sqlNumber(cluster, `SELECT pg_database_size('${BENCH_DB}')`);
  const bytesPerRow = await sqlNumber(cluster, `SELECT pg_total_relation_size('public.pgbench_accounts')::float8 / count(*) FROM public.pgbench_accounts`);
  const onePercentRows = Math.round(before / 99 / bytesPerRow);
  await cluster.sql(
    `CREATE TABLE public.${ONE_PERCENT_TABLE} AS SELECT * FROM public.pgbench_accounts WHERE aid <= ${onePercentRows} ORDER BY aid;
     ALTER TABLE public.${ONE_PERCENT_TABLE} ADD PRIMARY KEY (aid);
     VACUUM ANALYZE public.${ONE_PERCENT_TABLE};
     CHECKPOINT;`,
    BENCH_DB,
  );

  const databaseBytes = await sqlNumber(cluster, `SELECT pg_database_size('${BENCH_DB}')`);
  const onePercentBytes = await sqlNumber(cluster, `SELECT pg_total_relation_size('public.${ONE_PERCENT_TABLE}')`);
  const listing = await cluster.sql(
    `SELECT c.relname || '|' || c.reltuples::bigint || '|' || pg_total_relation_size(c.oid)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC`,
    BENCH_DB,
  );
  const tables = listing.split('\n').map((line) => {
    const [name = '', rows = '0', bytes = '0'] = line.split('|');
    return { name, rows: Number(rows), bytes: Number(bytes) };
  });
  return { databaseBytes, onePercentRows, onePercentBytes, tables, generationMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Dump overhead

interface DumpPhases {
  /** From the call to the end of pg_dump and the row counts. */
  dumpMs: number;
  /** Reading the dump back (pg_restore --list), sha256 and the manifest. */
  afterMs: number;
}

async function coreDump(b: Bench, database: string, folder: string, fileName: string): Promise<{ ms: number; path: string; phases: DumpPhases; sizeBytes: number }> {
  const started = performance.now();
  let verifyingAt: number | undefined;
  const { ms, value } = await timed(() =>
    runDump({
      connection: { params: b.cluster.params(b.cluster.superuser, database) },
      profile: 'bench',
      database,
      format: 'custom',
      output: { folder, fileName },
      tools: b.tools,
      onProgress: (p: DumpProgress) => {
        if (p.phase === 'verifying' && verifyingAt === undefined) verifyingAt = performance.now();
      },
    }),
  );
  const split = (verifyingAt ?? started + ms) - started;
  return { ms, path: value.path, phases: { dumpMs: split, afterMs: ms - split }, sizeBytes: value.manifest.sizeBytes };
}

/** The arguments the core gives pg_dump for a whole-database custom dump, without the snapshot only the core's transaction can export. */
function rawDumpArgs(b: Bench, file: string, database: string): string[] {
  return ['--verbose', '--no-password', '--format=custom', `--file=${file}`, ...b.connArgs, '--dbname', database];
}

/** The core's work on top of pg_dump, each step timed on its own: what the overhead is made of. */
async function coreDumpParts(b: Bench, dumpPath: string): Promise<{ counts: number; list: number; sha256: number }> {
  const names = (await b.cluster.sql(`SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1`, BENCH_DB)).split('\n');
  const countAll = names.map((n) => `SELECT count(*) FROM ONLY ${n};`).join('\n');
  const counts: number[] = [];
  const list: number[] = [];
  const sha: number[] = [];
  for (let i = 0; i < 3; i++) {
    counts.push((await timed(() => b.cluster.sql(countAll, BENCH_DB))).ms);
    list.push((await timedRun(b.pgBin('pg_restore'), ['--list', dumpPath])).ms);
    sha.push((await timed(() => sha256File(dumpPath))).ms);
  }
  return { counts: median(counts), list: median(list), sha256: median(sha) };
}

/** CPU used since `before`, once the backends of the run have exited and been reaped; NaN without a meter. */
async function cpuSince(b: Bench, before: number | undefined, into: number[]): Promise<number> {
  if (before === undefined || !b.cpu) return Number.NaN;
  await new Promise((resolve) => setTimeout(resolve, 200));
  const used = b.cpu() - before;
  into.push(used);
  return used;
}

function cpuText(ms: number): string | undefined {
  return Number.isFinite(ms) ? `CPU ${formatMs(ms)}` : undefined;
}

async function benchDump(b: Bench): Promise<{ comparison: Comparison; keptDump: string }> {
  const folder = path.join(b.work, 'dumps');
  await fs.mkdir(folder, { recursive: true });

  log('dump: warm-up (raw pg_dump, not timed)');
  const warm = path.join(folder, 'warm-up.dump');
  await timedRun(b.pgBin('pg_dump'), rawDumpArgs(b, warm, BENCH_DB));
  const rawSize = (await fs.stat(warm)).size;
  await fs.rm(warm);

  const ours: number[] = [];
  const baseline: number[] = [];
  const cpuOurs: number[] = [];
  const cpuBaseline: number[] = [];
  const phases: DumpPhases[] = [];
  let keptDump: string | undefined;
  let coreSize = 0;
  for (let i = 0; i < settings.runs; i++) {
    // Alternate the order, so a drift (cache, another process) does not favour one side.
    const order = i % 2 === 0 ? (['core', 'raw'] as const) : (['raw', 'core'] as const);
    for (const side of order) {
      const cpuBefore = b.cpu?.();
      if (side === 'core') {
        const r = await coreDump(b, BENCH_DB, folder, `core-${i}.dump`);
        const cpu = cpuText(await cpuSince(b, cpuBefore, cpuOurs));
        ours.push(r.ms);
        phases.push(r.phases);
        coreSize = r.sizeBytes;
        // The first one is what the restore benchmark restores; the rest go, so the disk holds two dumps at most.
        if (keptDump === undefined) keptDump = r.path;
        else await Promise.all([fs.rm(r.path), fs.rm(manifestPathFor(r.path), { force: true })]);
        log(
          `dump ${i + 1}/${settings.runs}: core ${formatMs(r.ms)} (pg_dump + counts ${formatMs(r.phases.dumpMs)}, ` +
            `after pg_dump (manifest; a directory, tar or plain dump: read-back + sha256) ${formatMs(r.phases.afterMs)}${cpu ? `; ${cpu}` : ''}), load ${loadAverage()}`,
        );
      } else {
        const file = path.join(folder, `raw-${i}.dump`);
        const r = await timedRun(b.pgBin('pg_dump'), rawDumpArgs(b, file, BENCH_DB));
        const cpu = cpuText(await cpuSince(b, cpuBefore, cpuBaseline));
        baseline.push(r.ms);
        await fs.rm(file);
        log(`dump ${i + 1}/${settings.runs}: raw pg_dump ${formatMs(r.ms)}${cpu ? ` (${cpu})` : ''}, load ${loadAverage()}`);
      }
    }
  }
  if (keptDump === undefined) throw new Error('no dump was kept');
  const parts = await coreDumpParts(b, keptDump);
  const comparison: Comparison = {
    name: 'Dump of the database (custom, default gzip)',
    ours: { label: 'runDump (counts; the archive hashed and its TOC read as it streams; manifest)', runs: ours },
    baseline: { label: 'pg_dump -Fc into a file', runs: baseline },
    maxRatio: 1.02,
    notes: [
      `dump size: core ${formatBytes(coreSize)}, raw ${formatBytes(rawSize)}`,
      `core, median split: pg_dump + row counts ${formatMs(median(phases.map((p) => p.dumpMs)))}, ` +
        `after pg_dump (manifest) ${formatMs(median(phases.map((p) => p.afterMs)))}`,
      `the core's extra work alone, medians of 3, each on its own: exact row counts ${formatMs(parts.counts)} ` +
        `(during the dump they compete with pg_dump for the CPUs), pg_restore --list ${formatMs(parts.list)}, sha256 ${formatMs(parts.sha256)}`,
      ...(cpuOurs.length > 0
        ? [
            `CPU time per dump (pg_dump, pg_restore --list, server backends, this process), medians: core ${formatMs(median(cpuOurs))}, ` +
              `raw ${formatMs(median(cpuBaseline))}, ratio ${(median(cpuOurs) / median(cpuBaseline)).toFixed(3)} (other programs on the machine barely move it)`,
          ]
        : []),
      `runs, core: ${formatRuns(ours)}`,
      `runs, raw:  ${formatRuns(baseline)}`,
    ],
  };
  return { comparison, keptDump };
}

// ---------------------------------------------------------------------------------------------
// Single-table restore against a full restore

async function dropDatabase(b: Bench, name: string): Promise<void> {
  await b.cluster.sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function checkSingleTable(b: Bench, db: string, data: DataSet): Promise<void> {
  const rows = await sqlNumber(b.cluster, `SELECT count(*) FROM public.${ONE_PERCENT_TABLE}`, db);
  const tables = await sqlNumber(b.cluster, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`, db);
  if (rows !== data.onePercentRows || tables !== 1) throw new Error(`single-table restore into ${db}: ${rows} rows in ${tables} tables, expected ${data.onePercentRows} rows in 1 table`);
}

async function benchRestore(b: Bench, dumpPath: string, data: DataSet): Promise<Comparison> {
  // The same -L list pgbr builds, run by pg_restore directly: the floor under pgbr's single-table restore.
  const listFile = path.join(b.work, 'one-table.list');
  const list = buildRestoreList((await readToc(dumpPath)).entries, [{ schema: 'public', name: ONE_PERCENT_TABLE }]);
  await fs.writeFile(listFile, list.text);

  const single: number[] = [];
  const rawList: number[] = [];
  const full: number[] = [];
  const sides = ['single', 'raw-list', 'full'] as const;
  for (let i = 0; i < settings.runs; i++) {
    // Rotate the order, so a drift (cache, another process) does not favour one side.
    const order = sides.map((_, k) => sides[(k + i) % sides.length] as (typeof sides)[number]);
    for (const side of order) {
      // Each run starts without dirty buffers from the last one.
      await b.cluster.sql('CHECKPOINT');
      if (side === 'single') {
        const db = `restore_one_${i}`;
        const r = await timedRun(
          process.execPath,
          [b.cli, 'restore', dumpPath, '--conn', b.uri, '--db', db, '--table', `public.${ONE_PERCENT_TABLE}`, '--create', '--json'],
          { keepStdout: true },
        );
        const doc = JSON.parse(r.stdout) as { status?: string };
        if (doc.status !== 'succeeded') throw new Error(`pgbr restore did not succeed: ${r.stdout.slice(0, 2000)}`);
        await checkSingleTable(b, db, data);
        single.push(r.ms);
        log(`restore ${i + 1}/${settings.runs}: pgbr restore --table ${formatMs(r.ms)}, load ${loadAverage()}`);
        await dropDatabase(b, db);
      } else if (side === 'raw-list') {
        const db = `restore_list_${i}`;
        const created = await timedRun(b.pgBin('createdb'), [...b.connArgs, '--template=template0', db]);
        const restored = await timedRun(b.pgBin('pg_restore'), [...b.connArgs, '--no-password', '--dbname', db, '--use-list', listFile, dumpPath]);
        await checkSingleTable(b, db, data);
        rawList.push(created.ms + restored.ms);
        log(`restore ${i + 1}/${settings.runs}: createdb + pg_restore -L (one table) ${formatMs(created.ms + restored.ms)}, load ${loadAverage()}`);
        await dropDatabase(b, db);
      } else {
        const db = `restore_full_${i}`;
        // Both sides start from a database that does not exist: pgbr creates it with --create, here createdb does.
        const created = await timedRun(b.pgBin('createdb'), [...b.connArgs, '--template=template0', db]);
        const restored = await timedRun(b.pgBin('pg_restore'), [...b.connArgs, '--no-password', '--dbname', db, dumpPath]);
        const accounts = await sqlNumber(b.cluster, 'SELECT count(*) FROM public.pgbench_accounts', db);
        if (accounts !== settings.scale * 100_000) throw new Error(`full restore into ${db}: ${accounts} accounts, expected ${settings.scale * 100_000}`);
        full.push(created.ms + restored.ms);
        log(`restore ${i + 1}/${settings.runs}: createdb + pg_restore (whole dump) ${formatMs(created.ms + restored.ms)}, load ${loadAverage()}`);
        await dropDatabase(b, db);
      }
    }
  }
  const floor = await startupFloor(b);
  return {
    name: `Restore of one table (~1% of the data)`,
    ours: { label: `pgbr restore --table public.${ONE_PERCENT_TABLE} --create`, runs: single },
    baseline: { label: 'createdb + pg_restore -d (whole dump)', runs: full },
    maxRatio: 0.04,
    notes: [
      `${ONE_PERCENT_TABLE}: ${data.onePercentRows} rows, ${formatBytes(data.onePercentBytes)} with its primary key = ${((100 * data.onePercentBytes) / data.databaseBytes).toFixed(2)}% of ${formatBytes(data.databaseBytes)}`,
      `floor: createdb + pg_restore -L with the same ${list.entries.length}-entry list, median ${formatMs(median(rawList))} ` +
        `(= ${(median(rawList) / median(full)).toFixed(3)} of the full restore)`,
      `CLI fixed costs, medians of 5: pgbr --version ${formatMs(floor.cli)}; pgbr tools --json (start-up + tool discovery) ${formatMs(floor.tools)}`,
      `runs, pgbr single table: ${formatRuns(single)}`,
      `runs, raw -L one table:  ${formatRuns(rawList)}`,
      `runs, full:              ${formatRuns(full)}`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// TOC of a dump with many tables

async function createManyTables(b: Bench): Promise<void> {
  await b.cluster.sql(`CREATE DATABASE ${TOC_DB}`);
  const width = String(settings.tocTables).length;
  for (let from = 1; from <= settings.tocTables; from += TABLES_PER_TRANSACTION) {
    const to = Math.min(settings.tocTables, from + TABLES_PER_TRANSACTION - 1);
    await b.cluster.sql(
      `DO $$
       DECLARE name text;
       BEGIN
         FOR i IN ${from}..${to} LOOP
           name := 't' || lpad(i::text, ${width}, '0');
           EXECUTE format('CREATE TABLE public.%I (id int PRIMARY KEY, note text)', name);
           EXECUTE format('INSERT INTO public.%I VALUES (1, %L)', name, 'the only row of ' || name);
         END LOOP;
       END $$;`,
      TOC_DB,
    );
  }
  await b.cluster.sql('VACUUM ANALYZE; CHECKPOINT;', TOC_DB);
}

async function benchToc(b: Bench): Promise<Comparison> {
  log(`toc: creating ${settings.tocTables} tables`);
  const { ms: createMs } = await timed(() => createManyTables(b));
  const folder = path.join(b.work, 'toc');
  const dump = await coreDump(b, TOC_DB, folder, 'many.dump');
  log(`toc: ${settings.tocTables} tables created in ${formatMs(createMs)}, dumped through the core in ${formatMs(dump.ms)} (${formatBytes(dump.sizeBytes)})`);
  await dropDatabase(b, TOC_DB);

  // The first listing writes the TOC index in a cache folder of this run; later ones print from it. Read afresh: PGBR_NO_TOC_INDEX.
  const cacheHome = path.join(b.work, 'xdg-cache');
  const pgbrToc = () => timedRun(process.execPath, [b.cli, 'toc', dump.path, '--json'], { keepStdout: true, env: toolEnv({ XDG_CACHE_HOME: cacheHome }) });
  const pgbrTocAfresh = () => timedRun(process.execPath, [b.cli, 'toc', dump.path, '--json'], { keepStdout: true, env: toolEnv({ XDG_CACHE_HOME: cacheHome, PGBR_NO_TOC_INDEX: '1' }) });
  const pgRestoreList = () => timedRun(b.pgBin('pg_restore'), ['--list', dump.path], { keepStdout: true });

  // Untimed first runs: they check both agree on the entries, and warm the page cache and the node binary.
  const first = await pgbrToc();
  const listed = await pgRestoreList();
  // The default document is the tree: its tables must be the list's.
  const doc = JSON.parse(first.stdout) as { tree: { schemas: { tables: unknown[] }[] } };
  const tables = doc.tree.schemas.reduce((n, s) => n + s.tables.length, 0);
  const listLines = listed.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
  const listTables = listLines.filter((l) => /^\d+; \d+ \d+ TABLE (?!DATA )/.test(l)).length;
  if (tables !== listTables) throw new Error(`pgbr toc found ${tables} tables, pg_restore --list ${listTables}`);
  const entries = listLines.length;

  const afreshFirst = await pgbrTocAfresh();
  if (afreshFirst.stdout !== first.stdout) throw new Error('pgbr toc printed another listing from its TOC index than read afresh');
  const ours: number[] = [];
  const baseline: number[] = [];
  const afresh: number[] = [];
  for (let i = 0; i < settings.tocRuns; i++) {
    const order = i % 2 === 0 ? (['ours', 'raw', 'afresh'] as const) : (['afresh', 'raw', 'ours'] as const);
    for (const side of order) {
      if (side === 'ours') ours.push((await pgbrToc()).ms);
      else if (side === 'afresh') afresh.push((await pgbrTocAfresh()).ms);
      else baseline.push((await pgRestoreList()).ms);
    }
  }
  log(`toc: pgbr toc --json median ${formatMs(median(ours))} (read afresh ${formatMs(median(afresh))}), pg_restore --list median ${formatMs(median(baseline))}`);
  const floor = await startupFloor(b);
  const steps = await tocSteps(dump.path);
  return {
    name: `TOC of a ${settings.tocTables.toLocaleString('en-US')}-table dump`,
    ours: { label: 'pgbr toc --json (whole process, from its TOC index)', runs: ours },
    baseline: { label: 'pg_restore --list (whole process)', runs: baseline },
    maxRatio: 2.0,
    notes: [
      `${entries} TOC entries, ${tables} tables, dump ${formatBytes(dump.sizeBytes)}; output: JSON ${formatBytes(first.stdoutBytes)}, list ${formatBytes(listed.stdoutBytes)}`,
      `start-up floor, medians of 5: node -e 0 ${formatMs(floor.node)}; pgbr --version (node + loading the bundle) ${formatMs(floor.cli)}`,
      `the work itself, in this process (warm, medians of 5): readToc ${formatMs(steps.read)}, readManifest ${formatMs(steps.manifest)}, ` +
        `groupToc ${formatMs(steps.group)}, JSON.stringify(manifest, tree; one line) ${formatMs(steps.stringify)}`,
      `runs, pgbr toc:   ${ours.map((ms) => ms.toFixed(0)).join(', ')} ms`,
      `runs, pgbr toc read afresh (PGBR_NO_TOC_INDEX=1; the first listing of a dump): ${afresh.map((ms) => ms.toFixed(0)).join(', ')} ms, median ${formatMs(median(afresh))}, ${(median(afresh) / median(baseline)).toFixed(2)}× pg_restore --list`,
      `runs, pg_restore: ${baseline.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    ],
  };
}

/** What the CLI pays before it does any work: Node itself, loading the bundle, finding the PostgreSQL tools. */
async function startupFloor(b: Bench): Promise<{ node: number; cli: number; tools: number }> {
  const node: number[] = [];
  const cli: number[] = [];
  const tools: number[] = [];
  for (let i = 0; i < 5; i++) {
    node.push((await timedRun(process.execPath, ['-e', '0'])).ms);
    cli.push((await timedRun(process.execPath, [b.cli, '--version'])).ms);
    tools.push((await timedRun(process.execPath, [b.cli, 'tools', '--json'])).ms);
  }
  return { node: median(node), cli: median(cli), tools: median(tools) };
}

/** Where `pgbr toc` spends its time after start-up, step by step, with the core's own functions. */
async function tocSteps(dumpPath: string): Promise<{ read: number; manifest: number; group: number; stringify: number }> {
  const read: number[] = [];
  const manifest: number[] = [];
  const group: number[] = [];
  const stringify: number[] = [];
  for (let i = 0; i < 5; i++) {
    const toc = await timed(() => readToc(dumpPath));
    const man = await timed(() => readManifest(dumpPath));
    const tree = await timed(async () => groupToc(toc.value.entries));
    const text = await timed(async () => JSON.stringify({ manifest: man.value, tree: tree.value }));
    read.push(toc.ms);
    manifest.push(man.ms);
    group.push(tree.ms);
    stringify.push(text.ms);
  }
  return { read: median(read), manifest: median(manifest), group: median(group), stringify: median(stringify) };
}

// ---------------------------------------------------------------------------------------------
// Report

function report(comparisons: readonly Comparison[]): string {
  const rows: string[][] = [['Benchmark', 'pgbr (median)', 'baseline (median)', 'ratio', 'target', 'result']];
  for (const c of comparisons) {
    rows.push([c.name, formatMs(median(c.ours.runs)), formatMs(median(c.baseline.runs)), ratioOf(c).toFixed(3), `<= ${c.maxRatio}`, passed(c) ? 'PASS' : 'FAIL']);
  }
  const lines = [renderTable(rows), ''];
  for (const c of comparisons) {
    lines.push(`${c.name}`, `  pgbr:     ${c.ours.label}`, `  baseline: ${c.baseline.label}`, ...c.notes.map((n) => `  ${n}`), '');
  }
  const missed = comparisons.filter((c) => !passed(c));
  lines.push(
    missed.length === 0
      ? `All ${comparisons.length} targets met.`
      : `${missed.length} of ${comparisons.length} targets MISSED (${missed.map((c) => c.name).join('; ')}). This is a measurement: the exit code stays 0.`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const folders = new Set<string>();
  installCleanup(folders);
  const startedAt = new Date();
  const started = performance.now();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bench-'));
  folders.add(work);
  let cluster: Cluster | undefined;
  try {
    const cli = settings.cli ?? (await bundleCli(work));
    log(`starting a cluster (${Object.entries(SERVER_SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')})`);
    cluster = await startCluster({ archive: false, extraConf: SERVER_SETTINGS });
    startReaper(cluster, [work]);
    const binDir = cluster.binDir;
    const tools = await discoverTools({ binPath: binDir, env: process.env, platform: process.platform, homedir: os.homedir() });
    const b: Bench = {
      cluster,
      tools,
      work,
      cli,
      pgBin: (tool) => path.join(binDir, tool),
      connArgs: ['--host=127.0.0.1', `--port=${cluster.port}`, `--username=${cluster.superuser}`],
      uri: `postgresql://${cluster.superuser}@127.0.0.1:${cluster.port}/postgres?sslmode=disable`,
      cpu: cpuMeter(Number((await fs.readFile(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0])),
    };
    const serverVersion = await cluster.sql('SHOW server_version');
    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, ${formatBytes(os.totalmem())} RAM, ${os.type()} ${os.release()}`;
    log(`PostgreSQL ${serverVersion} (${binDir}); node ${process.version}; ${machine}`);
    log(`settings: ${JSON.stringify({ ...settings, parts: [...settings.parts] })}`);

    const comparisons: Comparison[] = [];
    let data: DataSet | undefined;
    if (settings.parts.has('dump') || settings.parts.has('restore')) {
      data = await createBenchDatabase(b);
      log(`database "${BENCH_DB}": ${formatBytes(data.databaseBytes)} in ${formatMs(data.generationMs)}`);
      for (const t of data.tables) log(`  ${t.name.padEnd(20)} ${String(t.rows).padStart(9)} rows  ${formatBytes(t.bytes).padStart(9)}`);
      let dumpPath: string;
      if (settings.parts.has('dump')) {
        const dump = await benchDump(b);
        comparisons.push(dump.comparison);
        dumpPath = dump.keptDump;
      } else {
        dumpPath = (await coreDump(b, BENCH_DB, path.join(b.work, 'dumps'), 'bench.dump')).path;
      }
      if (settings.parts.has('restore')) comparisons.push(await benchRestore(b, dumpPath, data));
      await dropDatabase(b, BENCH_DB);
    }
    if (settings.parts.has('toc')) comparisons.push(await benchToc(b));

    const totalMs = performance.now() - started;
    const heading = [
      `PostgreSQL Backup & Recovery: logical-backup benchmarks, ${startedAt.toISOString()}`,
      `machine: ${machine}; PostgreSQL ${serverVersion}; node ${process.version}`,
      ...(data ? [`database "${BENCH_DB}": ${formatBytes(data.databaseBytes)} (pgbench scale ${settings.scale} + ${settings.wideRows} text rows)`] : []),
      `runs: ${settings.runs} per side (dump, restore), ${settings.tocRuns} per side (TOC); total time ${formatMs(totalMs)}`,
    ];
    console.log(['', ...heading, '', report(comparisons)].join('\n'));
    if (settings.jsonOut) {
      const document = {
        startedAt: startedAt.toISOString(),
        totalMs,
        machine,
        serverVersion,
        node: process.version,
        settings: { ...settings, parts: [...settings.parts] },
        serverSettings: SERVER_SETTINGS,
        data,
        comparisons: comparisons.map((c) => ({ ...c, medianOurs: median(c.ours.runs), medianBaseline: median(c.baseline.runs), ratio: ratioOf(c), passed: passed(c) })),
      };
      await fs.writeFile(settings.jsonOut, JSON.stringify(document, null, 2) + '\n');
    }
  } finally {
    await cluster?.stop();
    await fs.rm(work, { recursive: true, force: true });
    folders.delete(work);
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
