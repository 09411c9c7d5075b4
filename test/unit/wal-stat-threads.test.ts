// The stat pass of a WAL archive scan on worker threads: forced on small folders, it must see exactly what the in-thread pass sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, openSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../../src/core/platform/errors';
import { segmentName } from '../../src/core/wal/names';
import { scanArchive } from '../../src/core/wal/scan';
import { statNames, statThreads } from '../../src/core/wal/statNames';

const SEG = 16 * 1024 * 1024;
const ARCHIVED_AT = new Date('2026-11-22T06:00:00Z');
const NOW = () => new Date('2026-11-22T12:00:00Z');
const IN_THREAD = { threshold: Infinity };
const ON_WORKERS = { threshold: 0, threads: 3 };

let root: string;
let archive: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-walstat-'));
  archive = path.join(root, 'archive');
  mkdirSync(archive);
  const sized = (name: string, size: number) => {
    const file = path.join(archive, name);
    const fd = openSync(file, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
    utimesSync(file, ARCHIVED_AT, ARCHIVED_AT);
  };
  for (let n = 1; n <= 40; n++) sized(segmentName(1, n, SEG), n === 17 ? SEG / 2 : SEG);
  // Segment 41 is a symbolic link to a segment kept elsewhere; 42 points at nothing (its target was removed).
  sized(path.join('..', 'kept'), SEG);
  symlinkSync(path.join(root, 'kept'), path.join(archive, segmentName(1, 41, SEG)));
  symlinkSync(path.join(root, 'gone'), path.join(archive, segmentName(1, 42, SEG)));
  mkdirSync(path.join(archive, 'subfolder'));
  writeFileSync(path.join(archive, 'notes.txt'), 'hello\n');
  // A name may hold a newline, which must not split it in two on its way to a worker.
  writeFileSync(path.join(archive, 'odd\nname'), 'abc');
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('a scan on worker threads reports what the in-thread scan reports: a wrong-size segment, a folder, a link to a segment, a dangling link', async () => {
  const inThread = await scanArchive(archive, { parallelStat: IN_THREAD, now: NOW });
  const onWorkers = await scanArchive(archive, { parallelStat: ON_WORKERS, now: NOW });
  assert.deepEqual(onWorkers, inThread);
  // The link counts as the segment it points to; the dangling one is as if it had vanished.
  assert.equal(inThread.totals.segments, 41);
  assert.equal(inThread.totals.files, 44);
  assert.ok(inThread.problems.some((p) => p.message.includes(segmentName(1, 17, SEG))));
});

test('the worker pass gives each name its kind, size and time, and kind 0 to a name gone since the listing', async () => {
  const names = [segmentName(1, 1, SEG), 'odd\nname', 'vanished-since-listing', 'subfolder', segmentName(1, 41, SEG), segmentName(1, 17, SEG), segmentName(1, 42, SEG)];
  const prefix = archive + path.sep;
  const inThread = await statNames(prefix, names, { threads: 0 }, archive);
  for (const threads of [1, 2, 4, 9]) {
    const onWorkers = await statNames(prefix, names, { threads }, archive);
    assert.deepEqual([...onWorkers.kinds], [...inThread.kinds], `${threads} threads`);
    assert.deepEqual([...onWorkers.sizes], [...inThread.sizes], `${threads} threads`);
    assert.deepEqual([...onWorkers.mtimes], [...inThread.mtimes], `${threads} threads`);
  }
  assert.deepEqual([...inThread.kinds], [1, 1, 0, 2, 1, 1, 0]);
  assert.deepEqual([...inThread.sizes], [SEG, 3, 0, inThread.sizes[3], SEG, SEG / 2, 0]);
  assert.equal(inThread.mtimes[0], ARCHIVED_AT.getTime());
});

test('a stat that fails for another reason than a vanished name fails the worker pass as it fails the in-thread one', async () => {
  const names = [segmentName(1, 1, SEG), 'notes.txt/inside'];
  const prefix = archive + path.sep;
  await assert.rejects(statNames(prefix, names, { threads: 0 }, archive), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR');
  await assert.rejects(statNames(prefix, names, { threads: 2 }, archive), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' && e.syscall === 'stat');
});

test('a cancelled scan on worker threads throws the cancellation, before or during the stat pass', async () => {
  const before = new AbortController();
  before.abort();
  await assert.rejects(scanArchive(archive, { parallelStat: ON_WORKERS, signal: before.signal }), (e: unknown) => e instanceof PgbrError && e.kind === 'cancelled');
  const during = new AbortController();
  const names = Array.from({ length: 50_000 }, (_, i) => segmentName(1, (i % 40) + 1, SEG));
  const pass = statNames(archive + path.sep, names, { threads: 2 }, archive, during.signal);
  during.abort();
  await assert.rejects(pass, (e: unknown) => e instanceof PgbrError && e.kind === 'cancelled');
});

test('threads only above the threshold, never more than names, at most four by default', () => {
  assert.equal(statThreads(99_999), 0);
  assert.ok(statThreads(100_000) >= 1 && statThreads(100_000) <= 4);
  assert.equal(statThreads(3, { threshold: 0, threads: 8 }), 3);
  assert.equal(statThreads(100, { threshold: 0, threads: 0 }), 0);
});
