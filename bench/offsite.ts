// Offsite pull + verify throughput: `pgbr offsite pull` (rclone copy into a .partial, every sha256
// checked, then the final name) and `pgbr offsite verify` (rclone's sha256 of the copy there) of a
// ~200 MB dump on a local-folder remote, against `cp` + `sha256sum` and `sha256sum` alone of the same
// file, alternated in the same run so both sides see the same machine and the same page cache.
//
//   npx tsx bench/offsite.ts
//   BENCH_OFFSITE_MB=200    dump size in MB (random bytes: nothing compresses)
//   BENCH_OFFSITE_RUNS=5    timed runs per side
// Measurements, not tests: the exit code is 0 whatever the ratios.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleForNode, envInt, formatMs, formatRuns, installCleanup, loadAverage, median, renderTable, timedRun, toolEnv } from './support';

const folders = new Set<string>();

async function writeDump(file: string, mb: number): Promise<void> {
  const hash = createHash('sha256');
  const handle = await fs.open(file, 'w');
  const chunk = 4 * 1024 * 1024;
  for (let written = 0; written < mb * 1_000_000; written += chunk) {
    const bytes = randomBytes(Math.min(chunk, mb * 1_000_000 - written));
    hash.update(bytes);
    await handle.write(bytes);
  }
  await handle.close();
  const size = (await fs.stat(file)).size;
  const now = new Date().toISOString();
  const manifest = {
    manifestVersion: 1, kind: 'database', profile: 'bench', host: 'localhost', port: 5432, user: 'bench', database: 'bench', serverVersion: '16', tool: 'pg_dump',
    toolVersion: '16', format: 'custom', options: {}, startedAt: now, finishedAt: now, durationMs: 0, sizeBytes: size, sha256: { [path.basename(file)]: hash.digest('hex') }, rowCounts: [],
  };
  await fs.writeFile(`${file}.manifest.json`, JSON.stringify(manifest, null, 2));
}

async function main(): Promise<void> {
  installCleanup(folders);
  const mb = envInt('BENCH_OFFSITE_MB', 200);
  const runs = envInt('BENCH_OFFSITE_RUNS', 5);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bench-offsite-'));
  folders.add(work);
  const pgbr = await bundleForNode('src/cli/pgbr.ts', path.join(work, 'pgbr.js'));
  const local = path.join(work, 'dumps');
  const remote = path.join(work, 'remote');
  await fs.mkdir(local);
  await fs.writeFile(path.join(work, 'rclone.conf'), '');
  const name = 'bench_20261202-060000.dump';
  const dump = path.join(local, name);
  await writeDump(dump, mb);
  const env = toolEnv({ RCLONE_CONFIG: path.join(work, 'rclone.conf') });
  const cli = (args: string[]) => timedRun(process.execPath, [pgbr, ...args, '--workspace', work], { env });
  const push = await cli(['offsite', 'push', dump, '--to', remote]);
  const copy = path.join(remote, name);

  const sides = { pull: [] as number[], cpSha: [] as number[], verify: [] as number[], sha: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const outPull = path.join(work, `pull-${i}`);
    const outCp = path.join(work, `cp-${i}`);
    await fs.mkdir(outCp);
    sides.pull.push((await cli(['offsite', 'pull', name, '--from', remote, '--out', outPull])).ms);
    const t0 = performance.now();
    await timedRun('cp', ['--', copy, path.join(outCp, name)], { env });
    await timedRun('sha256sum', ['--', path.join(outCp, name)], { env });
    sides.cpSha.push(performance.now() - t0);
    await fs.rm(outPull, { recursive: true, force: true });
    await fs.rm(outCp, { recursive: true, force: true });
    sides.verify.push((await cli(['offsite', 'verify', dump, '--to', remote])).ms);
    sides.sha.push((await timedRun('sha256sum', ['--', copy], { env })).ms);
  }
  const size = (await fs.stat(dump)).size;
  const rate = (ms: number) => `${(size / 1_000_000 / (ms / 1000)).toFixed(0)} MB/s`;
  const row = (label: string, values: number[]) => [label, formatMs(median(values)), rate(median(values)), formatRuns(values)];
  console.log(`load ${loadAverage()}; dump ${(size / 1_000_000).toFixed(0)} MB; push (not compared) ${formatMs(push.ms)}`);
  console.log(
    renderTable([
      ['side', 'median', 'throughput', 'runs'],
      row('pgbr offsite pull (rclone copyto + sha256 check + name)', sides.pull),
      row('cp + sha256sum', sides.cpSha),
      row('pgbr offsite verify (rclone lsjson sha256 + manifest there)', sides.verify),
      row('sha256sum of the copy', sides.sha),
    ]),
  );
  console.log(`pull / (cp + sha256sum): ${(median(sides.pull) / median(sides.cpSha)).toFixed(2)}`);
  console.log(`verify / sha256sum: ${(median(sides.verify) / median(sides.sha)).toFixed(2)}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
}
