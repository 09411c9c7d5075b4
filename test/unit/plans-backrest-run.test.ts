// A pgbackrest plan's run against a stand-in pgbackrest that answers from recorded output: the keep rules expire what they do not keep,
// newest first, and a verify that finds damage fails the run before anything is expired.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBackrestPlan } from '../../src/core/plans/backrestRun';
import { runPlan, type PlanToRun } from '../../src/core/plans/run';
import { runIdentity, type JournalRecord } from '../../src/core/plans/journal';

const FIXTURES = path.resolve(__dirname, '../fixtures/backrest');
/** The fixture's last incr, turned into a new full: the full, diff and incr before it are then an older chain. */
const NEWEST = '20261202-054548F';
const OLDER = ['20261202-054530F_20261202-054537I', '20261202-054530F_20261202-054535D', '20261202-054530F'];

/** A folder with a pgbackrest script: backup names the new full, info and verify print the fixtures, expire is logged. */
async function standIn(verify: 'verify-ok.txt' | 'verify-error.txt'): Promise<{ dir: string; program: string; config: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-fake-backrest-'));
  // As root pgbackrest runs as postgres (see backrest/run.ts): it must read the script and write the log.
  await fs.chmod(dir, 0o777);
  const info = JSON.parse(await fs.readFile(path.join(FIXTURES, 'info-four-backups.json'), 'utf8')) as { backup: Record<string, unknown>[] }[];
  const last = info[0]?.backup.at(-1);
  assert.ok(last);
  Object.assign(last, { label: NEWEST, type: 'full', prior: null, reference: null });
  await fs.writeFile(path.join(dir, 'info.json'), JSON.stringify(info));
  await fs.copyFile(path.join(FIXTURES, verify), path.join(dir, 'verify.txt'));
  const config = path.join(dir, 'pgbackrest.conf');
  await fs.writeFile(config, '[demo]\n');
  const program = path.join(dir, 'pgbackrest');
  await fs.writeFile(
    program,
    `#!/bin/sh
dir=$(dirname "$0")
for a; do cmd=$a; done
case "$cmd" in
  backup) echo "INFO: new backup label = ${NEWEST}" ;;
  info) cat "$dir/info.json" ;;
  verify) cat "$dir/verify.txt" ;;
  expire) echo "$*" >> "$dir/expired.log" ;;
esac
`,
    { mode: 0o755 },
  );
  for (const f of ['info.json', 'verify.txt', 'pgbackrest.conf']) await fs.chmod(path.join(dir, f), 0o644);
  return { dir, program, config };
}

function newRecord(): JournalRecord {
  const start = new Date('2026-12-02T06:00:00Z');
  return { ...runIdentity('repo', start), endedAt: start.toISOString(), outcome: 'failed' };
}

test('keep last 1 keeps the new full and expires the older chain newest first (an incr before the diff before the full), each in the record', async () => {
  const fake = await standIn('verify-ok.txt');
  try {
    const record = newRecord();
    const steps: string[] = [];
    const plan = { name: 'repo', timezone: 'UTC', keep: { last: 1 }, backrest: { stanza: 'demo', config: fake.config, types: ['full' as const, 'diff' as const] } };
    const ok = await runBackrestPlan(plan, record, steps, { verify: true, program: fake.program });
    assert.equal(ok, true, JSON.stringify(record));
    assert.equal(record.outcome, 'succeeded');
    assert.deepEqual(record.backrest, { stanza: 'demo', label: NEWEST, type: 'full' }, 'without --type, the first type');
    assert.equal(record.backup?.path, `pgbackrest:demo/${NEWEST}`);
    assert.equal(record.verification?.what, 'pgbackrest verify');
    assert.equal(record.verification?.outcome, 'passed');
    assert.deepEqual(record.retention, { kept: 1, removed: OLDER, errors: [] });
    const log = await fs.readFile(path.join(fake.dir, 'expired.log'), 'utf8');
    assert.deepEqual(log.split('\n').filter(Boolean).map((l) => /--set=(\S+)/.exec(l)?.[1]), OLDER);
    assert.deepEqual(steps, [`took full backup ${NEWEST} of stanza demo`, 'pgbackrest verify passed', `kept 1, expired 3 (${OLDER.join(', ')})`]);
  } finally {
    await fs.rm(fake.dir, { recursive: true, force: true });
  }
});

test('a verify that finds damage fails the run and expires nothing; pgBackRest taking another type than asked is recorded', async () => {
  const fake = await standIn('verify-error.txt');
  try {
    const record = newRecord();
    const plan = { name: 'repo', timezone: 'UTC', keep: { last: 1 }, backrest: { stanza: 'demo', config: fake.config, types: ['full' as const, 'diff' as const] } };
    const ok = await runBackrestPlan(plan, record, [], { type: 'diff', verify: true, program: fake.program });
    assert.equal(ok, false);
    assert.equal(record.outcome, 'failed');
    assert.deepEqual(record.backrest, { stanza: 'demo', label: NEWEST, type: 'full', asked: 'diff' });
    assert.equal(record.verification?.outcome, 'failed');
    assert.match(record.error?.message ?? '', /^pgbackrest verify of stanza demo found damage: WAL in archive 15-1: 1 of 9 segments are damaged .* Nothing was expired/);
    assert.equal(record.retention, undefined);
    await assert.rejects(fs.stat(path.join(fake.dir, 'expired.log')));
  } finally {
    await fs.rm(fake.dir, { recursive: true, force: true });
  }
});

test('run from an untrusted folder, a pgbackrest plan whose repository names a config never starts pgbackrest, and says why', async () => {
  const fake = await standIn('verify-ok.txt');
  try {
    const plan: PlanToRun = {
      name: 'repo', connection: 'prod', backup: 'pgbackrest', folder: fake.dir, schedule: 'daily', timezone: 'UTC', verify: 'never',
      backrest: { stanza: 'demo', config: fake.config, types: ['full'] },
    };
    const result = await runPlan(plan, {
      connect: () => Promise.reject(new Error('not asked')),
      tools: () => Promise.reject(new Error('not asked')),
      serverBinDir: () => Promise.reject(new Error('not asked')),
      trusted: false,
    });
    assert.notEqual(result.exitCode, 0);
    assert.match(result.record?.error?.message ?? '', /runs pgbackrest with .*pgbackrest\.conf, named by this folder's pgbackup\.yaml, and the folder is not trusted/);
    // The refusal comes before any backup step: the record has no backup.
    assert.equal(result.record?.backup, undefined);
  } finally {
    await fs.rm(fake.dir, { recursive: true, force: true });
  }
});
