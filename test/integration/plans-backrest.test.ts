// A plan with backup: pgbackrest against real pgBackRest: pgbr run PLAN --type full, then --type diff, then
// another full with keep: { last: 1 } expires the older chain (journaled, and gone from pgbackrest info);
// pgbr plans and pgbr schedule show a calendar and a timer per type; SIGTERM during a run stops pgbackrest
// and the run is journaled as cancelled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Cluster } from './cluster';
import { startBackrestRepo } from './backrestRepo';
import { processesWith } from './processes';
import { runBackrest } from '../../src/core/backrest/run';
import { backrestInfo } from '../../src/core/backrest/commands';
import { journalPath, readJournal, type JournalRecord } from '../../src/core/plans/journal';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const STANZA = 'plans';
let cluster: Cluster;
let work: string;
let config: string;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], whileRunning?: (child: ReturnType<typeof spawn>) => void): Promise<Ran> {
  const child = spawn(process.execPath, [pgbr, ...args, '--workspace', work], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  whileRunning?.(child);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function runPlanJson(type: string): Promise<{ exitCode: number; message: string; record: JournalRecord }> {
  const r = await run(['run', 'nightly', '--type', type, '--json']);
  assert.equal(r.code, 0, `pgbr run nightly --type ${type}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as { exitCode: number; message: string; record: JournalRecord };
}

const journal = () => journalPath({ name: 'nightly', folder: path.join(work, '.pg-backups', 'base') });

before(async () => {
  ({ cluster, work, config } = await startBackrestRepo(STANZA, 'pgbr-plans-backrest-'));
  await cluster.sql('CREATE TABLE t (id int PRIMARY KEY, pad text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;');
  const created = await runBackrest({ stanza: STANZA, config }, 'stanza-create', []);
  assert.equal(created.status, 'succeeded', created.status === 'failed' ? created.message : '');
  await fs.writeFile(
    path.join(work, 'pgbackup.yaml'),
    `connections:
  - name: local
    host: ${cluster.socketDir}
    port: ${cluster.port}
    user: postgres
repositories:
  - kind: pgbackrest
    stanza: ${STANZA}
    config: ${config}
    connection: local
plans:
  - name: nightly
    backup: pgbackrest
    stanza: ${STANZA}
    schedules:
      - { schedule: "Sun 03:00", type: full }
      - { schedule: "Mon..Sat 03:00", type: diff }
    timezone: UTC
    keep: { last: 1 }
    verify: always
  - name: roles
    connection: local
    backup: globals
    schedule: daily
`,
  );
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('pgbr plans lists the plan with its stanza and both calendars; pgbr schedule --print shows a timer per type running --type', async () => {
  const plans = await run(['plans']);
  assert.equal(plans.code, 0, plans.stderr);
  assert.match(plans.stdout, /nightly\s+pgbackrest plans\s+local\s+Sun 03:00 \(full\); Mon\.\.Sat 03:00 \(diff\) UTC/);
  const printed = await run(['schedule', 'nightly', '--systemd', '--print', '--user']);
  assert.equal(printed.code, 0, printed.stderr);
  for (const type of ['full', 'diff']) {
    assert.match(printed.stdout, new RegExp(`^# \\S+/pgbr-nightly-${type}\\.timer$`, 'm'));
    assert.match(printed.stdout, new RegExp(`^ExecStart=\\S+ \\S+ run nightly --type ${type} --workspace `, 'm'));
    assert.match(printed.stdout, new RegExp(`enable --now pgbr-nightly-${type}\\.timer$`, 'm'));
  }
  assert.match(printed.stdout, /^OnCalendar=Sun 03:00 UTC$/m);
  assert.match(printed.stdout, /^OnCalendar=Mon\.\.Sat 03:00 UTC$/m);
});

test('full, diff, then a full with keep last 1: the journal records each backup, and the third run expires the older chain', async () => {
  const first = await runPlanJson('full');
  assert.equal(first.record.outcome, 'succeeded', first.message);
  assert.equal(first.record.backrest?.type, 'full');
  assert.equal(first.record.verification?.what, 'pgbackrest verify');
  assert.equal(first.record.verification?.outcome, 'passed');
  assert.deepEqual(first.record.retention, { kept: 1, removed: [], errors: [] });
  assert.ok((first.record.backup?.bytes ?? 0) > 1_000_000, 'the size of the cluster as backed up');
  const full1 = first.record.backrest?.label ?? '';
  assert.match(full1, /^\d{8}-\d{6}F$/);
  assert.equal(first.record.backup?.path, `pgbackrest:${STANZA}/${full1}`);

  await cluster.sql('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1001, 2000) g;');
  const second = await runPlanJson('diff');
  const diff = second.record.backrest?.label ?? '';
  assert.equal(second.record.backrest?.type, 'diff');
  assert.match(diff, new RegExp(`^${full1}_\\d{8}-\\d{6}D$`));
  // The diff is the newest; keep last 1 keeps the full it is built on with it.
  assert.deepEqual(second.record.retention, { kept: 2, removed: [], errors: [] });

  const third = await runPlanJson('full');
  const full2 = third.record.backrest?.label ?? '';
  assert.equal(third.record.backrest?.type, 'full');
  assert.notEqual(full2, full1);
  assert.deepEqual(third.record.retention, { kept: 1, removed: [diff, full1], errors: [] });
  assert.match(third.message, new RegExp(`kept 1, expired 2 \\(${diff}, ${full1}\\)`));

  const info = await backrestInfo({ stanza: STANZA, config });
  assert.deepEqual(info.backups.map((b) => b.label), [full2]);
  const read = await readJournal(journal());
  assert.deepEqual(read.records.map((r) => r.backrest?.label), [full2, diff, full1]);
  assert.deepEqual(read.problems, []);
});

test('without --type the run takes the first schedule\'s type; a wrong --type, or one on another plan, is refused', async () => {
  const r = await run(['run', 'nightly', '--type', 'weekly']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /weekly.*(full|choices)/i);
  const other = await run(['run', 'roles', '--type', 'full']);
  assert.equal(other.code, 2, other.stderr);
  assert.equal(other.stderr, 'pgbr: --type is for pgbackrest plans, and plan roles takes a globals: run it without --type.\n');
  const plain = await run(['run', 'nightly', '--json']);
  assert.equal(plain.code, 0, plain.stderr);
  const doc = JSON.parse(plain.stdout) as { record: JournalRecord };
  assert.equal(doc.record.backrest?.type, 'full');
  assert.deepEqual(doc.record.retention?.removed.length, 1, 'the full before it goes');
});

test('SIGTERM during a plan run stops pgbackrest, the run is journaled as cancelled and exits 1, and the stanza keeps its backup', async () => {
  // Enough rows that copying takes a moment.
  await cluster.sql("INSERT INTO t SELECT g, repeat(md5(g::text), 20) FROM generate_series(2001, 200000) g;");
  let signalled = false;
  const r = await run(['run', 'nightly', '--type', 'full'], (child) => {
    const poll = setInterval(() => {
      if (processesWith(config).some((p) => / backup( |$)/.test(p) && p.includes('--type=full'))) {
        signalled = true;
        clearInterval(poll);
        child.kill('SIGTERM');
      }
    }, 20);
    child.on('close', () => clearInterval(poll));
  });
  assert.ok(signalled, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /SIGTERM received: stopping the run of nightly/);
  const left = processesWith(config).filter((p) => !p.includes('archive-push'));
  assert.deepEqual(left, []);
  const [newest] = (await readJournal(journal(), { last: 1 })).records;
  assert.equal(newest?.outcome, 'failed');
  assert.match(newest?.error?.message ?? '', /^cancelled: /);
  const info = await backrestInfo({ stanza: STANZA, config });
  assert.equal(info.backups.length, 1);
});
