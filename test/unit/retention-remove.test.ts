// Retention on real files: which catalogue entries are a plan's candidates, removing dumps, base backups and WAL with everything beside them, and a plan's prune.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { listDumps } from '../../src/core/logical/catalog';
import { manifestPathFor, readManifest, verifyReportPathFor, writeManifest, type DumpManifest } from '../../src/core/logical/manifest';
import { listBaseBackups } from '../../src/core/physical/catalog';
import type { BaseBackupRecord } from '../../src/core/physical/record';
import { removeIfKilled } from '../../src/core/platform/reaper';
import { baseBackupCandidates, dumpCandidates } from '../../src/core/retention/candidates';
import { previewPrune, prune } from '../../src/core/retention/prune';
import { removeBaseBackups, removeDumps, removeWalFiles } from '../../src/core/retention/remove';

async function inTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-retention-'));
  try {
    await run(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function manifest(startedAt: string, extra: Partial<DumpManifest> = {}): DumpManifest {
  return {
    manifestVersion: 1, kind: 'database', profile: 'prod', host: 'db', port: 5432, user: 'app', database: 'app', serverVersion: '15.18',
    tool: 'pg_dump', toolVersion: '15.18', format: 'custom', options: {}, startedAt, finishedAt: startedAt, durationMs: 1000,
    sizeBytes: 5, sha256: {}, rowCounts: [], ...extra,
  };
}

function record(name: string, startedAt: string, extra: Partial<BaseBackupRecord> = {}): BaseBackupRecord {
  return {
    recordVersion: 1, kind: 'basebackup', name, label: name, profile: 'prod', host: 'db', port: 5432, user: 'postgres',
    serverVersion: '15.18', tool: 'pg_basebackup', toolVersion: '15.18', format: 'plain', compression: 'none', checkpoint: 'fast', walMethod: 'stream',
    startLsn: '0/3000028', startWal: '000000010000000000000003', stopLsn: '0/3000100', stopWal: '000000010000000000000003', timeline: 1, startTimeline: 1,
    startTime: startedAt, stopTime: startedAt, startedAt, finishedAt: startedAt, durationMs: 1000, sizeBytes: 1, segmentSize: 16777216,
    files: ['backup_label'], verification: { tool: 'pg_verifybackup', status: 'passed', at: startedAt }, ...extra,
  };
}

const passed = { status: 'passed' as const, at: '2026-11-24T03:00:00Z', durationMs: 1, target: 'prod/x', tables: [] };

test('a plan\'s dump candidates: only manifests naming the plan; verified means passed and not damaged; old manifests stay valid', async () => {
  await inTempDir(async (dir) => {
    const dump = async (name: string, m: DumpManifest): Promise<void> => {
      await fs.writeFile(path.join(dir, name), 'PGDMP');
      await writeManifest(path.join(dir, name), m);
    };
    await dump('a.dump', manifest('2026-11-24T02:30:00Z', { plan: 'nightly', verification: passed }));
    await dump('b.dump', manifest('2026-11-23T02:30:00Z', { plan: 'nightly', verification: passed, damage: { at: '2026-11-24T00:00:00Z', message: 'changed' } }));
    await dump('c.dump', manifest('2026-11-22T02:30:00Z', { plan: 'nightly', verification: { ...passed, status: 'failed' } }));
    await dump('other.dump', manifest('2026-11-24T02:30:00Z', { plan: 'hourly' }));
    await dump('by-hand.dump', manifest('2026-11-24T02:30:00Z'));
    await dump('bad-time.dump', manifest('yesterday', { plan: 'nightly' }));
    await fs.writeFile(path.join(dir, 'no-manifest.dump'), 'PGDMP');
    await fs.writeFile(path.join(dir, 'running.dump.partial'), 'PG');

    assert.equal((await readManifest(path.join(dir, 'by-hand.dump')))?.plan, undefined);
    const { candidates, skipped } = dumpCandidates((await listDumps(dir)).dumps, 'nightly');
    const byPath = Object.fromEntries(candidates.map((c) => [path.basename(c.path), [c.startedAt.toISOString(), c.verified]]));
    assert.deepEqual(byPath, {
      'a.dump': ['2026-11-24T02:30:00.000Z', true],
      'b.dump': ['2026-11-23T02:30:00.000Z', false],
      'c.dump': ['2026-11-22T02:30:00.000Z', false],
    });
    assert.equal(skipped.length, 1);
    assert.match(skipped[0] as string, /bad-time\.dump is left alone: .*"yesterday" is not a time/);
  });
});

test('a manifest or record whose plan is not a name is refused with the field named', async () => {
  await inTempDir(async (dir) => {
    await fs.writeFile(path.join(dir, 'x.dump'), 'PGDMP');
    await fs.writeFile(manifestPathFor(path.join(dir, 'x.dump')), JSON.stringify({ ...manifest('2026-11-24T02:30:00Z'), plan: 7 }));
    await assert.rejects(readManifest(path.join(dir, 'x.dump')), /"plan" must be the name of the plan that made the dump, found number 7/);
    await fs.mkdir(path.join(dir, 'bb'));
    await fs.writeFile(path.join(dir, 'bb.basebackup.json'), JSON.stringify({ ...record('bb', '2026-11-24T02:30:00Z'), plan: '' }));
    assert.match((await listBaseBackups(dir)).problems[0] ?? '', /its plan is not a plan name/);
  });
});

test('a plan\'s base-backup candidates: records naming the plan; verified means the last drill passed; a record without its folder is skipped', async () => {
  await inTempDir(async (dir) => {
    const backup = async (name: string, r: BaseBackupRecord, folder = true): Promise<void> => {
      if (folder) await fs.mkdir(path.join(dir, name));
      await fs.writeFile(path.join(dir, `${name}.basebackup.json`), JSON.stringify(r));
    };
    await backup('drilled', record('drilled', '2026-11-24T02:30:00.000Z', { plan: 'base', drill: { status: 'passed', at: '2026-11-24T04:00:00Z' } }));
    await backup('checked', record('checked', '2026-11-23T02:30:00.000Z', { plan: 'base' }));
    await backup('failed-drill', record('failed-drill', '2026-11-22T02:30:00.000Z', { plan: 'base', drill: { status: 'failed', at: '2026-11-22T04:00:00Z' } }));
    await backup('gone', record('gone', '2026-11-21T02:30:00.000Z', { plan: 'base' }), false);
    await backup('by-hand', record('by-hand', '2026-11-20T02:30:00.000Z'));
    const { candidates, skipped } = baseBackupCandidates((await listBaseBackups(dir)).backups, 'base');
    assert.deepEqual(
      candidates.map((c) => [path.basename(c.path), c.startedAt.toISOString(), c.verified]),
      [['drilled', '2026-11-24T02:30:00.000Z', true], ['checked', '2026-11-23T02:30:00.000Z', false], ['failed-drill', '2026-11-22T02:30:00.000Z', false]],
    );
    assert.equal(skipped.length, 1);
    assert.match(skipped[0] as string, /gone is left alone: .* the backup folder is gone/);
  });
});

test('removing dumps takes the manifest and verify report along, a directory dump whole, and reports each one', async () => {
  await inTempDir(async (dir) => {
    const file = path.join(dir, 'app_1.dump');
    await fs.writeFile(file, 'PGDMP');
    await writeManifest(file, manifest('2026-11-24T02:30:00Z', { plan: 'nightly' }));
    await fs.writeFile(verifyReportPathFor(file), '# Verification passed\n');
    const folder = path.join(dir, 'app_2');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'toc.dat'), 'PGDMP');
    await fs.writeFile(path.join(folder, '3001.dat.gz'), 'rows');
    await writeManifest(folder, manifest('2026-11-23T02:30:00Z', { plan: 'nightly', format: 'directory' }));
    const notDump = path.join(dir, 'photos');
    await fs.mkdir(notDump);
    await fs.writeFile(path.join(dir, 'keep.dump'), 'PGDMP');

    const report = await removeDumps([file, folder, notDump, path.join(dir, 'already-gone.dump')]);
    assert.deepEqual(report[0], { path: file, removed: [file, manifestPathFor(file), verifyReportPathFor(file)] });
    assert.deepEqual(report[1], { path: folder, removed: [folder, manifestPathFor(folder)] });
    assert.match(report[2]?.error ?? '', /photos is a folder without toc\.dat, not a directory-format dump: it was left alone/);
    assert.match(report[3]?.error ?? '', /already-gone\.dump is already gone/);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['keep.dump', 'photos']);
  });
});

test('a .partial or a claimed backup is never removed; a failure on one does not stop the next', async () => {
  await inTempDir(async (dir) => {
    const partial = path.join(dir, 'app_0.dump.partial');
    await fs.writeFile(partial, 'PG');
    const claimed = path.join(dir, 'app_1.dump');
    await fs.writeFile(claimed, 'PGDMP');
    // A path through a file cannot be reached, by root or anyone.
    const notFolder = path.join(dir, 'notes.txt');
    await fs.writeFile(notFolder, 'x');
    const stuck = path.join(notFolder, 'app_2.dump');
    const free = path.join(dir, 'app_3.dump');
    await fs.writeFile(free, 'PGDMP');
    const release = removeIfKilled(claimed);
    try {
      const report = await removeDumps([partial, claimed, stuck, free]);
      assert.match(report[0]?.error ?? '', /unfinished work \(\.partial\), which retention never removes/);
      assert.match(report[1]?.error ?? '', /app_1\.dump is being written by a running pgbr or editor: it was left alone/);
      assert.match(report[2]?.error ?? '', /app_2\.dump was not removed: .*a part of that path is a file, not a folder/);
      assert.deepEqual(report[3], { path: free, removed: [free] });
      for (const p of [partial, claimed]) await fs.access(p);
    } finally {
      release();
    }
  });
});

test('a dump removed but its manifest not: the report says which part went and what is left', async (t) => {
  await inTempDir(async (dir) => {
    const file = path.join(dir, 'app_1.dump');
    await fs.writeFile(file, 'PGDMP');
    await writeManifest(file, manifest('2026-11-24T02:30:00Z', { plan: 'nightly' }));
    // An immutable file cannot be removed even by root; where chattr cannot set it, there is no way to make rm fail here.
    if (spawnSync('chattr', ['+i', manifestPathFor(file)]).status !== 0) {
      t.skip('chattr +i is not available here (needs root and a file system with attributes)');
      return;
    }
    try {
      const [report] = await removeDumps([file]);
      assert.deepEqual(report?.removed, [file]);
      assert.match(report?.error ?? '', /app_1\.dump\.manifest\.json could not be removed \(.*app_1\.dump was removed\): permission denied on .*app_1\.dump\.manifest\.json/);
      await fs.access(manifestPathFor(file));
    } finally {
      spawnSync('chattr', ['-i', manifestPathFor(file)]);
    }
  });
});

test('removing base backups takes the record after the folder; a folder without a record is not ours', async () => {
  await inTempDir(async (dir) => {
    const bb = path.join(dir, 'prod_base_1');
    await fs.mkdir(path.join(bb, 'global'), { recursive: true });
    await fs.writeFile(path.join(bb, 'backup_label'), 'START WAL LOCATION');
    await fs.writeFile(`${bb}.basebackup.json`, JSON.stringify(record('prod_base_1', '2026-11-24T02:30:00Z', { plan: 'base' })));
    const stranger = path.join(dir, 'copied_by_hand');
    await fs.mkdir(stranger);
    const report = await removeBaseBackups([bb, stranger]);
    assert.deepEqual(report[0], { path: bb, removed: [bb, `${bb}.basebackup.json`] });
    assert.match(report[1]?.error ?? '', /copied_by_hand has no record copied_by_hand\.basebackup\.json beside it, so it is not a base backup pgbr made/);
    assert.deepEqual(await fs.readdir(dir), ['copied_by_hand']);
  });
});

test('removing WAL: segments and .backup files by name; history files, folders and other names are refused', async () => {
  await inTempDir(async (dir) => {
    const names = ['000000010000000000000001', '000000010000000000000002.gz', '000000010000000000000003.partial', '000000010000000000000002.00000028.backup', '00000002.history', 'notes.txt'];
    for (const n of names) await fs.writeFile(path.join(dir, n), 'x');
    await fs.mkdir(path.join(dir, '000000010000000000000004'));
    const report = await removeWalFiles(dir, [...names, '000000010000000000000004', '../000000010000000000000009']);
    assert.deepEqual(report.slice(0, 4).map((r) => r.removed.length), [1, 1, 1, 1]);
    assert.match(report[4]?.error ?? '', /00000002\.history is a timeline history file, which recovery needs/);
    assert.match(report[5]?.error ?? '', /notes\.txt is not a WAL segment or backup history file/);
    assert.match(report[6]?.error ?? '', /000000010000000000000004 is not a plain file/);
    assert.match(report[7]?.error ?? '', /is not a WAL segment or backup history file/);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['000000010000000000000004', '00000002.history', 'notes.txt']);
  });
});

test('a plan\'s prune: the preview lists each kept dump with its reasons and changes nothing; the prune removes the rest and only the plan\'s', async () => {
  await inTempDir(async (dir) => {
    const dump = async (name: string, m: DumpManifest): Promise<string> => {
      const file = path.join(dir, name);
      await fs.writeFile(file, 'PGDMP');
      await writeManifest(file, m);
      return file;
    };
    // Three days of nightly dumps in Berlin; the middle one is the newest that passed verification.
    const d24 = await dump('d24.dump', manifest('2026-11-24T01:30:00Z', { plan: 'nightly' }));
    const d23 = await dump('d23.dump', manifest('2026-11-23T01:30:00Z', { plan: 'nightly', verification: passed }));
    const d22 = await dump('d22.dump', manifest('2026-11-22T01:30:00Z', { plan: 'nightly' }));
    const d21 = await dump('d21.dump', manifest('2026-11-21T01:30:00Z', { plan: 'nightly' }));
    const byHand = await dump('by-hand.dump', manifest('2026-11-01T01:30:00Z'));
    const plan = { name: 'nightly', backup: 'dump' as const, folder: dir, timezone: 'Europe/Berlin', keep: { last: 1 } };

    const preview = await previewPrune(plan);
    assert.deepEqual(preview, {
      plan: 'nightly',
      keep: [
        { path: d24, time: '2026-11-24T01:30:00.000Z', reasons: ['last 1', 'newest'] },
        { path: d23, time: '2026-11-23T01:30:00.000Z', reasons: ['newest verified'] },
      ],
      remove: [
        { path: d22, time: '2026-11-22T01:30:00.000Z' },
        { path: d21, time: '2026-11-21T01:30:00.000Z' },
      ],
      skipped: [],
    });
    assert.deepEqual((await listDumps(dir)).dumps.length, 5, 'the preview removes nothing');

    const result = await prune(plan);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.removals.map((r) => r.removed), [[d22, manifestPathFor(d22)], [d21, manifestPathFor(d21)]]);
    assert.deepEqual((await listDumps(dir)).dumps.map((d) => d.path).sort(), [byHand, d23, d24].sort());
    // Pruned once, a second prune finds nothing more to remove.
    assert.deepEqual((await prune(plan)).remove, []);
    // Without keep rules nothing is removed.
    assert.deepEqual((await previewPrune({ ...plan, keep: {} })).remove, []);
  });
});

test('a plan\'s prune refuses a time zone it does not know, before reading anything', async () => {
  await assert.rejects(
    previewPrune({ name: 'nightly', backup: 'dump', folder: '/nonexistent', timezone: 'Mars/Olympus', keep: { last: 1 } }),
    /plan nightly's timezone "Mars\/Olympus" is not an IANA time zone: write one such as Europe\/Berlin or UTC/,
  );
});
