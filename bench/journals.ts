// Journal reads per refresh: what the Plans view (each plan's last run) and the Health view (last run, last success, last prune) read on every refresh or poll, for 50 plans, read afresh and kept while unchanged, beside raw reads of the same files.
//
//   npx tsx bench/journals.ts
//   BENCH_JOURNAL_PLANS=50       plans, each with its own folder and journal
//   BENCH_JOURNAL_RECORDS=1000   records per journal (about 2.7 years of daily runs)
//   BENCH_JOURNAL_RUNS=15        timed refreshes of each side
//   BENCH_JOURNAL_DIR=/some/disk where the files are made (default: the OS temp folder)
// Measurements, not tests: the exit code is 0 whatever the numbers.
import { closeSync, openSync, readSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendRecord, journalPath, journalSummary, type JournalRecord } from '../src/core/plans/journal';
import { plansHealth, type PlanOverview } from '../src/core/plans/overview';
import { envInt, formatMs, installCleanup, loadAverage, median, renderTable, timed } from './support';

const settings = {
  plans: envInt('BENCH_JOURNAL_PLANS', 50),
  records: envInt('BENCH_JOURNAL_RECORDS', 1000),
  runs: envInt('BENCH_JOURNAL_RUNS', 15),
  parent: path.resolve(process.env.BENCH_JOURNAL_DIR ?? os.tmpdir()),
};
const folders = new Set<string>();
const NEWEST = Date.parse('2026-11-24T02:30:00Z');
const DAY = 86_400_000;

/**
 * A journal of daily runs, newest last, in one of two shapes. `recent`: every run succeeded and pruned,
 * so a summary stops after the last line. `failing`: the last half of the runs failed and none pruned
 * cleanly, so the Health view's summary (last success, last prune) reads the file back to its middle.
 */
function journalText(plan: string, shape: 'recent' | 'failing'): string {
  const lines: string[] = [];
  for (let i = settings.records - 1; i >= 0; i--) lines.push(JSON.stringify(record(plan, i, shape)));
  return lines.join('\n') + '\n';
}

/** The run `ago` days before the newest date (negative: after it); in `failing`, the newer half failed. */
function record(plan: string, ago: number, shape: 'recent' | 'failing' = 'recent'): JournalRecord {
  const started = new Date(NEWEST - ago * DAY);
  const ended = new Date(started.getTime() + 95_000);
  const failed = shape === 'failing' && ago < settings.records / 2;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    v: 1, plan, runId: `00000000-0000-4000-8000-${String(Math.abs(ago)).padStart(12, '0')}`, host: 'db1', pid: 4242,
    startedAt: started.toISOString(), endedAt: ended.toISOString(), outcome: failed ? 'failed' : 'succeeded',
    ...(failed
      ? { error: { message: 'pg_dump: error: connection to server at "db.example" (10.0.0.5), port 5432 failed: Connection refused' } }
      : {
          backup: { path: `/srv/pg/dumps/app_${day(started)}.dump`, bytes: 1_234_567_890, seconds: 88.5 },
          verification: { what: 'restored into a scratch database, 212 tables counted', outcome: 'passed', seconds: 41.2 },
          retention: shape === 'recent'
            ? { kept: 24, removed: [`/srv/pg/dumps/app_${day(new Date(started.getTime() - 40 * DAY))}.dump`], errors: [] }
            : { kept: 24, removed: [], errors: ['could not remove an old dump: permission denied'] },
        }),
    notified: { ok: true },
  };
}

/** The raw floor of "has this journal changed?": one stat per journal. */
function statAll(files: readonly string[]): number {
  let size = 0;
  for (const f of files) size += statSync(f).size;
  return size;
}

/** The raw floor of reading each journal's end: open, read the last 64 KiB, close. */
function tailAll(files: readonly string[]): number {
  const buf = Buffer.alloc(64 * 1024);
  let n = 0;
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      const size = statSync(f).size;
      n += readSync(fd, buf, 0, Math.min(buf.length, size), Math.max(0, size - buf.length));
    } finally {
      closeSync(fd);
    }
  }
  return n;
}

async function main(): Promise<void> {
  installCleanup(folders);
  const work = await fs.mkdtemp(path.join(settings.parent, 'pgbr-bench-journals-'));
  folders.add(work);
  const plans: Record<'recent' | 'failing', PlanOverview[]> = { recent: [], failing: [] };
  for (const shape of ['recent', 'failing'] as const) {
    for (let i = 0; i < settings.plans; i++) {
      const name = `${shape}-${i}`;
      const folder = path.join(work, shape, String(i));
      mkdirSync(folder, { recursive: true });
      const overview: PlanOverview = {
        name, backup: 'dump', connection: 'prod', database: 'app', folder, schedule: 'daily', timezone: 'UTC', machineTimezone: false,
        nextRuns: [new Date(NEWEST + DAY), new Date(NEWEST + 2 * DAY)], verify: 'always', keep: { daily: 7 },
      };
      writeFileSync(journalPath(overview), journalText(name, shape));
      plans[shape].push(overview);
    }
  }
  const bytes = (shape: 'recent' | 'failing') => plans[shape].reduce((n, p) => n + statSync(journalPath(p)).size, 0);
  process.stdout.write(`${settings.plans} plans × ${settings.records} records, ${(bytes('recent') / 1e6).toFixed(1)} MB of journals per shape, in ${work}, load ${loadAverage()}…\n`);

  // Untimed first round: checks each side finds what it must.
  const health = await plansHealth(plans.failing);
  if (!health.plans.every((p) => p.lastRun?.outcome === 'failed' && p.lastSuccess && !p.lastPrune)) throw new Error('the failing journals did not read as failing');
  const recent = await plansHealth(plans.recent);
  if (!recent.plans.every((p) => p.lastRun?.outcome === 'succeeded' && p.lastPrune)) throw new Error('the recent journals did not read as pruned');

  const files = plans.recent.map(journalPath);
  // `now: 0` makes no journal look settled: each summary is read from the file, as every refresh did before summaries were kept.
  const fresh = { now: () => 0 };
  const summaries = (shape: 'recent' | 'failing', opts: { now?: () => number; prunes?: boolean } = {}) => Promise.all(plans[shape].map((p) => journalSummary(journalPath(p), opts)));
  const sides: Record<string, () => Promise<unknown>> = {
    readPlansRecent: () => summaries('recent', fresh),
    readHealthRecent: () => summaries('recent', { ...fresh, prunes: true }),
    readPlansFailing: () => summaries('failing', fresh),
    readHealthFailing: () => summaries('failing', { ...fresh, prunes: true }),
    keptPlansFailing: () => summaries('failing'),
    keptHealthFailing: () => plansHealth(plans.failing),
    stat: async () => statAll(files),
    tail: async () => tailAll(files),
  };
  type Side = 'readPlansRecent' | 'readHealthRecent' | 'readPlansFailing' | 'readHealthFailing' | 'keptPlansFailing' | 'keptHealthFailing' | 'stat' | 'tail' | 'appended';
  const names = Object.keys(sides) as Side[];
  const times = Object.fromEntries([...names, 'appended'].map((n) => [n, [] as number[]])) as Record<Side, number[]>;
  const round = async (group: readonly Side[]) => {
    for (let i = 0; i < settings.runs; i++) {
      for (let j = 0; j < group.length; j++) {
        const side = group[(i + j) % group.length] as Side;
        times[side].push((await timed(sides[side] as () => Promise<unknown>)).ms);
      }
    }
  };
  // First every side that reads (nothing is kept yet, and `now: 0` keeps nothing), then those answered from what was kept.
  await round(names.filter((n) => !n.startsWith('kept')));
  // Kept only once a journal has been still for 2 s; the views poll every 5 s or more.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await summaries('failing');
  await plansHealth(plans.failing);
  await round(names.filter((n) => n.startsWith('kept')));
  // A run of every plan since the last poll: each journal is read again (and kept once it has settled).
  for (let i = 0; i < settings.runs; i++) {
    for (const p of plans.failing) await appendRecord(journalPath(p), record(p.name, -1 - i, 'failing'));
    times.appended.push((await timed(() => plansHealth(plans.failing))).ms);
  }
  const med = Object.fromEntries([...names, 'appended'].map((n) => [n, median(times[n as Side])])) as Record<Side, number>;
  const ms = (v: number) => (v < 10 ? `${v.toFixed(2)} ms` : formatMs(v));
  const row = (label: string, side: Side): string[] => [label, ms(med[side]), `${(med[side] / med.stat).toFixed(1)}×`, times[side].map((v) => v.toFixed(v < 10 ? 2 : 0)).join(', ')];
  process.stdout.write(
    '\n' +
      renderTable([
        ['Side (one refresh of all plans, in process)', 'Median', 'vs stat', 'Runs (ms)'],
        row(`read: Plans view, last run of ${settings.plans} plans, journals that end in a success`, 'readPlansRecent'),
        row(`read: Health view, last run, success and prune, same journals`, 'readHealthRecent'),
        row(`read: Plans view, journals whose last ${settings.records / 2} runs failed (read back to the last success)`, 'readPlansFailing'),
        row('read: Health view, the same journals (no clean prune: read whole)', 'readHealthFailing'),
        row('kept: Plans view, failing journals unchanged since the last refresh', 'keptPlansFailing'),
        row('kept: Health view (plansHealth), failing journals unchanged', 'keptHealthFailing'),
        row('Health view right after a run appended to every failing journal (read again)', 'appended'),
        [`raw: one stat per journal (${settings.plans})`, ms(med.stat), '1.0×', times.stat.map((v) => v.toFixed(2)).join(', ')],
        ['raw: open, read the last 64 KiB, close, per journal', ms(med.tail), `${(med.tail / med.stat).toFixed(1)}×`, times.tail.map((v) => v.toFixed(2)).join(', ')],
      ]) +
      `\n\n${os.cpus().length} CPUs, load ${loadAverage()} at the end.\n`,
  );
  await fs.rm(work, { recursive: true, force: true });
  folders.delete(work);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
