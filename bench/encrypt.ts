// What encrypting a dump as it is written costs: the same database dumped through the core with
// `encryption` (age, streamed through the age binary) and without, alternating, in one run; and what
// reading an encrypted dump's TOC from its decrypted head costs against the plain file's.
//
//   npx tsx bench/encrypt.ts
//   BENCH_ROWS=3000000   rows of each of the two tables (id, md5 text, a number)
//   BENCH_RUNS=5         timed runs per side, alternating which goes first
//   BENCH_COMPRESS=6     pg_dump's gzip level (0: none, the most bytes for the encryption to carry)
// Measurements, not tests: a missed target is reported, and the exit code is still 0.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from '../test/integration/cluster';
import { parseAgeIdentities, parseRecipients } from '../src/core/crypto';
import { runDump } from '../src/core/logical/dump';
import { readToc } from '../src/core/logical/toc';
import { discoverTools } from '../src/core/platform/tools';
import { envInt, formatBytes, formatMs, formatRuns, installCleanup, loadAverage, median, renderTable, startReaper, timed } from './support';

const settings = { rows: envInt('BENCH_ROWS', 3_000_000), runs: envInt('BENCH_RUNS', 5), compress: envInt('BENCH_COMPRESS', 6) };
const TARGET = 1.1;

function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

async function main(): Promise<void> {
  const folders = new Set<string>();
  installCleanup(folders);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bench-encrypt-'));
  folders.add(work);
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ archive: false, extraConf: { shared_buffers: '1GB', autovacuum: 'off', max_wal_size: '8GB', checkpoint_timeout: '1h' } });
    startReaper(cluster, [work]);
    const tools = await discoverTools({ binPath: cluster.binDir, env: process.env, platform: process.platform, homedir: os.homedir() });
    await cluster.sql('CREATE DATABASE bench');
    log(`loading 2 × ${settings.rows} rows`);
    for (const t of ['a', 'b']) {
      await cluster.sql(`CREATE TABLE ${t} AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v, (g * 31) % 1000003 AS n FROM generate_series(1, ${settings.rows}) g; ALTER TABLE ${t} ADD PRIMARY KEY (id); VACUUM ANALYZE ${t}; CHECKPOINT`, 'bench');
    }
    const dbBytes = Number(await cluster.sql(`SELECT pg_database_size('bench')`));
    const idFile = path.join(work, 'key.txt');
    execFileSync('age-keygen', ['-o', idFile], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', idFile], { encoding: 'utf8' }).trim();
    const encryption = parseRecipients([recipient])!;

    const dump = async (encrypted: boolean, n: number) => {
      const folder = path.join(work, `${encrypted ? 'enc' : 'plain'}-${n}`);
      const r = await timed(() =>
        runDump({
          connection: { params: cluster!.params(cluster!.superuser, 'bench') },
          profile: 'bench',
          database: 'bench',
          compression: String(settings.compress),
          output: { folder, fileName: 'bench.dump' },
          tools,
          ...(encrypted ? { encryption } : {}),
        }),
      );
      return { ms: r.ms, path: r.value.path, bytes: r.value.manifest.sizeBytes };
    };

    const plain: number[] = [];
    const enc: number[] = [];
    let plainPath = '';
    let encPath = '';
    const sizes = { plain: 0, enc: 0 };
    for (let i = 0; i < settings.runs; i++) {
      const order = i % 2 === 0 ? [false, true] : [true, false];
      for (const encrypted of order) {
        const r = await dump(encrypted, i);
        (encrypted ? enc : plain).push(r.ms);
        if (encrypted) {
          encPath = r.path;
          sizes.enc = r.bytes;
        } else {
          plainPath = r.path;
          sizes.plain = r.bytes;
        }
        await cluster.sql('CHECKPOINT');
      }
      log(`run ${i + 1}: plain ${formatMs(plain.at(-1)!)}, encrypted ${formatMs(enc.at(-1)!)}`);
      // Keep the last pair only: the disk holds two dumps, not 2 × runs.
      for (const d of await fs.readdir(work)) if (/-(\d+)$/.test(d) && Number(/-(\d+)$/.exec(d)![1]) < i) await fs.rm(path.join(work, d), { recursive: true, force: true });
    }

    const identities = parseAgeIdentities(await fs.readFile(idFile, 'utf8'), idFile);
    const tocPlain: number[] = [];
    const tocEnc: number[] = [];
    for (let i = 0; i < settings.runs; i++) {
      tocPlain.push((await timed(() => readToc(plainPath))).ms);
      tocEnc.push((await timed(() => readToc(encPath, { decryption: { identities } }))).ms);
    }

    const ratio = median(enc) / median(plain);
    // Each pair ran back to back, so its ratio shares the machine's load of the moment: on a shared machine the steadier figure.
    const paired = median(enc.map((ms, i) => ms / plain[i]!));
    console.log('');
    console.log(`database ${formatBytes(dbBytes)}; dump ${formatBytes(sizes.plain)} plain, ${formatBytes(sizes.enc)} encrypted (gzip level ${settings.compress}); load average ${loadAverage()}`);
    console.log(
      renderTable([
        ['benchmark', 'encrypted (median)', 'plain (median)', 'ratio', 'target', 'result'],
        ['dump, runDump with age vs without', formatMs(median(enc)), formatMs(median(plain)), ratio.toFixed(3), `≤ ${TARGET}`, ratio <= TARGET ? 'PASS' : 'FAIL'],
        ['TOC, readToc of the decrypted head vs the file', formatMs(median(tocEnc)), formatMs(median(tocPlain)), (median(tocEnc) / median(tocPlain)).toFixed(2), '-', '-'],
      ]),
    );
    console.log(`median of the per-pair ratios (each pair back to back): ${paired.toFixed(3)}`);
    console.log(`runs: dump encrypted ${formatRuns(enc)}; plain ${formatRuns(plain)}; toc encrypted ${formatRuns(tocEnc)}; plain ${formatRuns(tocPlain)}`);
  } finally {
    await cluster?.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
