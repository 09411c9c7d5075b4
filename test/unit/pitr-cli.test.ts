// `pgbr pitr` without a server: target options, usage errors (exit 2), the refusal of a target outside the window (exit 1), the printed preview.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/pgbr';
import { renderDrill, targetFromOptions } from '../../src/cli/pitrCommands';
import type { DrillReport } from '../../src/core/pitr/drill';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), env: process.env });
  return { code, out, err };
}

const segment = (n: number) => `0000000100000000000000${n.toString(16).toUpperCase().padStart(2, '0')}`;

/** The backup stopped at this time and its WAL was archived up to an hour later: fixed, so no test depends on today. */
const STOPPED_AT = new Date('2026-11-22T10:00:00Z');

/** A plain backup folder and an archive whose .backup file and segments make a window from STOPPED_AT to an hour later. */
async function fixture(): Promise<{ dir: string; base: string; archive: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-pitr-cli-'));
  const base = path.join(dir, 'base');
  const archive = path.join(dir, 'archive');
  await fs.mkdir(base);
  await fs.mkdir(archive);
  await fs.writeFile(path.join(base, 'PG_VERSION'), '15\n');
  await fs.writeFile(path.join(base, 'backup_label'), 'START WAL LOCATION: 0/2000028\n');
  await fs.writeFile(path.join(base, 'postgresql.auto.conf'), "recovery_target_lsn = '0/1'\n");
  await fs.writeFile(
    path.join(base, 'backup_manifest'),
    JSON.stringify({ 'WAL-Ranges': [{ Timeline: 1, 'Start-LSN': '0/2000028', 'End-LSN': '0/2000100' }] }),
  );
  const pgTime = STOPPED_AT.toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
  await fs.writeFile(
    path.join(archive, `${segment(2)}.00000028.backup`),
    `START WAL LOCATION: 0/2000028 (file ${segment(2)})\nSTOP WAL LOCATION: 0/2000100 (file ${segment(2)})\nCHECKPOINT LOCATION: 0/2000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: ${pgTime}\nLABEL: nightly\nSTART TIMELINE: 1\nSTOP TIME: ${pgTime}\nSTOP TIMELINE: 1\n`,
  );
  const archivedAt = new Date(STOPPED_AT.getTime() + 3600_000);
  for (const n of [2, 3, 4]) {
    await fs.writeFile(path.join(archive, segment(n)), Buffer.alloc(16 * 1024 * 1024));
    await fs.utimes(path.join(archive, segment(n)), archivedAt, archivedAt);
  }
  return { dir, base, archive };
}

test('exactly one target: none or two is a usage error with exit 2', async () => {
  assert.deepEqual(targetFromOptions({ baseBackup: 'b', archive: 'a', targetTime: '2026-11-22 14:30', timeZone: 'Europe/Berlin' }), {
    kind: 'time',
    time: '2026-11-22 14:30',
    zone: 'Europe/Berlin',
  });
  assert.throws(() => targetFromOptions({ baseBackup: 'b', archive: 'a' }), /give exactly one target/);
  const two = await run(['pitr', '--base-backup', 'b', '--archive', 'a', '--latest', '--target-xid', '9', '--drill']);
  assert.equal(two.code, 2);
  assert.match(two.err, /give exactly one target.*\(2 were given\)/);
  const neither = await run(['pitr', '--base-backup', 'b', '--archive', 'a', '--latest']);
  assert.equal(neither.code, 2);
  assert.match(neither.err, /give either --data-dir DIR .* or --drill/);
  assert.equal((await run(['pitr', '--base-backup', 'b', '--archive', 'a', '--latest', '--drill', '--timeline', 'x'])).code, 2);
});

test('a target after the archive exits 1 and writes nothing; --force writes it; the preview shows each change', async () => {
  const { dir, base, archive } = await fixture();
  try {
    const dataDir = path.join(dir, 'data');
    const future = new Date(STOPPED_AT.getTime() + 3 * 3600_000).toISOString();
    const refused = await run(['pitr', '--base-backup', base, '--archive', archive, '--target-time', future, '--data-dir', dataDir, '--json']);
    assert.equal(refused.code, 1);
    const doc = JSON.parse(refused.out) as { check: { ok: boolean; message: string }; written: boolean };
    assert.equal(doc.check.ok, false);
    assert.match(doc.check.message, /after the last archived WAL .* recovery would end early and the server would stop/);
    assert.equal(doc.written, false);
    await assert.rejects(fs.access(dataDir));

    const forced = await run(['pitr', '--base-backup', base, '--archive', archive, '--target-time', future, '--data-dir', dataDir, '--force', '--action', 'promote']);
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.err, /Target check: outside the recoverable window/);
    assert.match(forced.out, /copy-tree +.*data: copy the base backup/);
    assert.match(forced.out, /modify +.*postgresql\.auto\.conf: add the recovery settings and comment out 1 earlier one \(previous copy kept as postgresql\.auto\.conf\.pgbr-.*\.bak\)/);
    assert.match(forced.out, /      - recovery_target_lsn = '0\/1'\n      \+ # \(disabled by PG Backup on .*\) recovery_target_lsn = '0\/1'/);
    assert.match(forced.out, /      \+ recovery_target_action = 'promote'/);
    assert.match(forced.out, /create +.*recovery\.signal/);
    assert.match(forced.out, /      \+ archive_mode = 'off'/);
    assert.match(forced.out, /setting +.*postgresql\.auto\.conf: archive_mode = off: once promoted, this server does not archive/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('--keep-archiving writes the named archive_command instead of archive_mode = off', async () => {
  const { dir, base, archive } = await fixture();
  try {
    const dataDir = path.join(dir, 'data');
    const kept = await run([
      'pitr', '--base-backup', base, '--archive', archive, '--latest', '--data-dir', dataDir,
      '--keep-archiving', 'cp %p /srv/recovered-wal/%f',
    ]);
    assert.equal(kept.code, 0, kept.err);
    const auto = await fs.readFile(path.join(dataDir, 'postgresql.auto.conf'), 'utf8');
    assert.match(auto, /^archive_mode = 'on'\narchive_command = 'cp %p \/srv\/recovered-wal\/%f'$/m);
    assert.match(kept.out, /setting +.*archive_mode = on, archive_command = cp %p \/srv\/recovered-wal\/%f/);
    const bad = await run(['pitr', '--base-backup', base, '--archive', archive, '--latest', '--data-dir', path.join(dir, 'bad'), '--keep-archiving', 'true']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /must use %p/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a drill report reads as what was recovered, or as why it ended early with the log', () => {
  const durations = { restoreMs: 400, recoverMs: 70, inspectMs: 20, stopMs: 30, totalMs: 520 };
  const base: DrillReport = { status: 'reached', message: 'recovered to 0/5000060', databases: [{ name: 'shop', tables: [{ schema: 'public', table: 'orders', rows: 20 }] }], settings: [], logTail: [], port: 40000, durations, timeline: 1, serverTimeZone: 'UTC' };
  const text = renderDrill(base);
  assert.match(text, /^Drill reached: recovered to 0\/5000060\n  timeline 1, paused at the target, server time zone UTC\n  database shop: \n    public\.orders  20 rows\n  restore 0\.4 s, recovery 0\.1 s/);
  const early = renderDrill({ ...base, status: 'ended-early', message: 'recovery ended before reaching the target', databases: [], logTail: ['FATAL:  recovery ended before configured recovery target was reached'] });
  assert.match(early, /server log \(tail\):\n    FATAL: {2}recovery ended before configured recovery target was reached/);
});

test('a malformed target is a usage error (exit 2) that says what is wrong, not a target outside the window', async () => {
  const { dir, base, archive } = await fixture();
  try {
    for (const [args, expected] of [
      [['--target-time', '2026-11-22 10:30 Mars/Olympus'], /"Mars\/Olympus" is not a time zone/],
      [['--target-time', '2026-11-22 10:30', '--time-zone', 'Mars/Olympus'], /"Mars\/Olympus" is not a time zone/],
      [['--target-time', '2026-11-22T10:30:00+25:00'], /\+25:00 is not a UTC offset/],
      [['--target-time', '2026-02-30 10:30 UTC'], /"2026-02-30 10:30 UTC" is not a real date/],
      [['--target-lsn', '0/ZZZ'], /"0\/ZZZ" is not an LSN/],
    ] as const) {
      for (const json of [false, true]) {
        const r = await run(['pitr', '--base-backup', base, '--archive', archive, ...args, '--data-dir', path.join(dir, 'data'), ...(json ? ['--json'] : [])]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
        assert.match(json ? (JSON.parse(r.out) as { error: { message: string } }).error.message : r.err, expected);
        assert.doesNotMatch(r.out + r.err, /recoverable window|--force/);
      }
    }
    await assert.rejects(fs.access(path.join(dir, 'data')));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
