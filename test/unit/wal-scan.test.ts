// WAL archive scans on synthetic archives: a clean one, each fault a real archive shows, and the recoverable window.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, linkSync, openSync, utimesSync, writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../../src/core/platform/errors';
import { segmentName } from '../../src/core/wal/names';
import { readBackupHistories, scanArchive, type ArchiveScan } from '../../src/core/wal/scan';

const SEG = 16 * 1024 * 1024;
const seg = (tli: number, segno: number): string => segmentName(tli, segno, SEG);

let root: string;
let counter = 0;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-walscan-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A file per entry: a number is a size (sparse, so 16 MiB costs no disk), a string is the content. */
type Files = Record<string, number | string>;

/** Every file of a made archive carries this time unless a test sets another: no test depends on today. */
const ARCHIVED_AT = new Date('2026-11-22T06:00:00Z');

/**
 * `linked`: sized files are hard links to one file per size. Growing a file costs a journal write
 * (up to half a millisecond on a busy disk), linking does not; the files then share one time.
 */
async function makeArchive(files: Files, { linked = false } = {}): Promise<string> {
  const dir = path.join(root, `archive-${++counter}`);
  await fs.mkdir(dir);
  const templates = new Map<number, string>();
  // Synchronous on purpose: for thousands of files it is several times faster than promise round trips.
  for (const [name, v] of Object.entries(files)) {
    const file = path.join(dir, name);
    const template = typeof v === 'number' && linked ? templates.get(v) : undefined;
    if (template) {
      linkSync(template, file);
      continue;
    }
    const fd = openSync(file, 'w');
    if (typeof v === 'string') writeSync(fd, v);
    else if (v > 0) ftruncateSync(fd, v);
    closeSync(fd);
    utimesSync(file, ARCHIVED_AT, ARCHIVED_AT);
    if (typeof v === 'number') templates.set(v, file);
  }
  return dir;
}

/** Full-size segments `from`..`to` on a timeline. */
function segments(tli: number, from: number, to: number, size = SEG): Files {
  const files: Files = {};
  for (let n = from; n <= to; n++) files[segmentName(tli, n, size)] = size;
  return files;
}

function backupFile(tli: number, startSegno: number, stopLsn: string, stopTime = '2026-11-22 07:00:05 UTC', label = 'nightly'): Files {
  const startLsn = `0/${(startSegno * SEG + 0x28).toString(16).toUpperCase()}`;
  const stopSeg = segmentName(tli, Number(BigInt(`0x${stopLsn.split('/')[1]}`) / BigInt(SEG)), SEG);
  return {
    [`${seg(tli, startSegno)}.00000028.backup`]: [
      `START WAL LOCATION: ${startLsn} (file ${seg(tli, startSegno)})`,
      `STOP WAL LOCATION: ${stopLsn} (file ${stopSeg})`,
      `CHECKPOINT LOCATION: ${startLsn.replace(/28$/, '60')}`,
      'BACKUP METHOD: streamed',
      'BACKUP FROM: primary',
      'START TIME: 2026-11-22 07:00:01 UTC',
      `LABEL: ${label}`,
      `START TIMELINE: ${tli}`,
      `STOP TIME: ${stopTime}`,
      `STOP TIMELINE: ${tli}`,
      '',
    ].join('\n'),
  };
}

const errors = (scan: ArchiveScan) => scan.problems.filter((p) => p.severity === 'error');
const messages = (scan: ArchiveScan) => scan.problems.map((p) => p.message);

test('a clean archive of 10,000 segments across two timelines has no problems', async () => {
  // Timeline 1 to segment 5000 (crossing 19 "log" boundaries), promoted at a segment boundary, timeline 2 from 5001.
  const small = { '00000002.history': '1\t13/89000000\tno recovery target specified\n', ...backupFile(1, 100, '0/64000100') };
  const dir = await makeArchive({ ...segments(1, 1, 5000), ...segments(2, 5001, 10000), ...small }, { linked: true });
  assert.equal(seg(2, 5001), '000000020000001300000089', 'the switch LSN above is segment 5001');
  const scan = await scanArchive(dir);
  assert.deepEqual(scan.problems, []);
  assert.equal(scan.segmentSize, SEG);
  assert.equal(scan.segmentSizeFrom, 'detected');
  const smallBytes = Object.values(small).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  assert.deepEqual(scan.totals, { files: 10002, segments: 10000, compressed: 0, partial: 0, bytes: 10000 * SEG + smallBytes });
  assert.deepEqual(
    scan.timelines.map((t) => ({ tli: t.tli, parent: t.parent, switchLsn: t.switchLsn, segments: t.segments, runs: t.runs.map((r) => [r.first, r.last, r.count]) })),
    [
      { tli: 1, parent: undefined, switchLsn: undefined, segments: 5000, runs: [[seg(1, 1), seg(1, 5000), 5000]] },
      { tli: 2, parent: 1, switchLsn: '13/89000000', segments: 5000, runs: [[seg(2, 5001), seg(2, 10000), 5000]] },
    ],
  );
  assert.equal(scan.timelines[0]?.runs[0]?.bytes, 5000 * SEG);
  const [window] = scan.window.backups;
  assert.equal(window?.from.lsn, '0/64000100');
  assert.equal(window?.to.lsn, '27/11000000', 'the end of segment 10000 on timeline 2');
  assert.equal(window?.to.timeline, 2);
});

test('a gap in the middle', async () => {
  const files = segments(1, 1, 20);
  for (const n of [8, 9, 10]) delete files[seg(1, n)];
  const scan = await scanArchive(await makeArchive(files));
  assert.deepEqual(scan.problems, [
    {
      kind: 'gap',
      severity: 'error',
      timeline: 1,
      file: '000000010000000000000008',
      segments: { first: '000000010000000000000008', last: '00000001000000000000000A', count: 3 },
      message: 'segments 000000010000000000000008 – 00000001000000000000000A (3) are missing on timeline 1: PITR past 0/8000000 on timeline 1 is impossible from any base backup that ends before it',
    },
  ]);
  assert.deepEqual(
    scan.timelines[0]?.runs.map((r) => [r.first, r.last, r.count]),
    [
      [seg(1, 1), seg(1, 7), 7],
      [seg(1, 11), seg(1, 20), 10],
    ],
  );
});

test('one missing segment is named alone', async () => {
  const files = segments(1, 0xa0, 0xb0);
  delete files[seg(1, 0xa4)];
  const scan = await scanArchive(await makeArchive(files));
  assert.deepEqual(messages(scan), ['segment 0000000100000000000000A4 is missing on timeline 1: PITR past 0/A4000000 on timeline 1 is impossible from any base backup that ends before it']);
});

test('a gap just after a timeline switch', async () => {
  // Promoted inside segment 0A: timeline 1 leaves 0A as .partial, timeline 2 should start with its own 0A.
  const scan = await scanArchive(
    await makeArchive({
      ...segments(1, 1, 9),
      [`${seg(1, 10)}.partial`]: SEG,
      '00000002.history': '1\t0/A000100\tno recovery target specified\n',
      ...segments(2, 12, 20),
    }),
  );
  assert.deepEqual(
    errors(scan).map((p) => p.message),
    [
      'segments 00000002000000000000000A – 00000002000000000000000B (2) are missing on timeline 2 right after it branched from timeline 1 at 0/A000100: recovery cannot follow timeline 2, so PITR past 0/A000100 on it is impossible',
    ],
  );
  assert.equal(errors(scan)[0]?.timeline, 2);
});

test('the first segment of a new timeline missing alone', async () => {
  const scan = await scanArchive(
    await makeArchive({
      ...segments(1, 1, 9),
      '00000002.history': '1\t0/A000100\tno recovery target specified\n',
      ...segments(2, 11, 20),
    }),
  );
  assert.deepEqual(
    errors(scan).map((p) => p.message),
    [
      'segment 00000002000000000000000A is missing on timeline 2 right after it branched from timeline 1 at 0/A000100: recovery cannot follow timeline 2, so PITR past 0/A000100 on it is impossible',
    ],
  );
});

test('the parent timeline ending early before the switch is a gap', async () => {
  const scan = await scanArchive(
    await makeArchive({
      ...segments(1, 1, 6),
      '00000002.history': '1\t0/A000100\tno recovery target specified\n',
      ...segments(2, 10, 20),
    }),
  );
  assert.deepEqual(
    errors(scan).map((p) => p.message),
    [
      'segments 000000010000000000000007 – 000000010000000000000009 (3) are missing on timeline 1 before its switch to timeline 2 at 0/A000100: PITR past 0/7000000 on timeline 1, and onto timeline 2, is impossible',
    ],
  );
});

test('a switch with both sides complete, and an old primary still archiving on the parent, is clean', async () => {
  const scan = await scanArchive(
    await makeArchive({
      ...segments(1, 1, 14),
      '00000002.history': '1\t0/A000100\tno recovery target specified\n',
      ...segments(2, 10, 20),
    }),
  );
  assert.deepEqual(scan.problems, []);
});

test('a segment older than its own timeline is stray, not the start of a gap', async () => {
  const scan = await scanArchive(
    await makeArchive({
      ...segments(1, 1, 9),
      '00000002.history': '1\t0/A000100\tno recovery target specified\n',
      [seg(2, 6)]: SEG,
      ...segments(2, 10, 20),
    }),
  );
  assert.deepEqual(
    scan.problems.map((p) => [p.severity, p.kind, p.message]),
    [
      [
        'warning',
        'stray',
        'segment 000000020000000000000006 is older than timeline 2 itself, which began at 0/A000100: recovery never reads it, so move it out of the archive',
      ],
    ],
  );
});

test('a zero-byte segment', async () => {
  const scan = await scanArchive(await makeArchive({ ...segments(1, 1, 10), [seg(1, 5)]: 0 }));
  assert.deepEqual(scan.problems, [
    {
      kind: 'empty',
      severity: 'error',
      timeline: 1,
      file: '000000010000000000000005',
      message: 'segment 000000010000000000000005 is empty (0 bytes): recovery on timeline 1 stops at 0/5000000',
    },
  ]);
  assert.deepEqual(
    scan.timelines[0]?.runs.map((r) => [r.first, r.last]),
    [
      [seg(1, 1), seg(1, 4)],
      [seg(1, 6), seg(1, 10)],
    ],
    'a bad segment breaks the run',
  );
});

test('a short segment', async () => {
  const scan = await scanArchive(await makeArchive({ ...segments(1, 1, 10), [seg(1, 5)]: SEG / 2 }));
  assert.deepEqual(scan.problems, [
    {
      kind: 'wrong-size',
      severity: 'error',
      timeline: 1,
      file: '000000010000000000000005',
      message:
        'segment 000000010000000000000005 is 8388608 bytes instead of 16777216 (16 MiB): it is truncated or from a server with another segment size, and recovery on timeline 1 stops at 0/5000000',
    },
  ]);
});

test('consecutive bad segments are one problem', async () => {
  const scan = await scanArchive(await makeArchive({ ...segments(1, 1, 10), [seg(1, 4)]: 0, [seg(1, 5)]: 0, [seg(1, 6)]: 0 }));
  assert.deepEqual(messages(scan), [
    'segments 000000010000000000000004 – 000000010000000000000006 (3) are empty (0 bytes): recovery on timeline 1 stops at 0/4000000',
  ]);
  assert.deepEqual(scan.problems[0]?.segments, { first: seg(1, 4), last: seg(1, 6), count: 3 });
});

test('a timeline above 1 without its history file', async () => {
  const scan = await scanArchive(await makeArchive({ ...segments(1, 1, 9), ...segments(2, 10, 20) }));
  assert.deepEqual(scan.problems, [
    {
      kind: 'missing-history',
      severity: 'error',
      timeline: 2,
      file: '00000002.history',
      message:
        'timeline 2 has no history file 00000002.history in the archive: recovery cannot follow timeline 2, and its switch from the parent timeline cannot be checked for gaps',
    },
  ]);
});

test('a trailing .partial is noted, not an error', async () => {
  const scan = await scanArchive(await makeArchive({ ...segments(1, 1, 10), [`${seg(1, 11)}.partial`]: SEG }));
  assert.deepEqual(scan.problems, [
    {
      kind: 'partial',
      severity: 'info',
      timeline: 1,
      file: '00000001000000000000000B.partial',
      message:
        '00000001000000000000000B.partial is the unfinished last segment of timeline 1, as pg_receivewal or a promotion leaves it: restore_command does not fetch it, so WAL after 0/B000000 on timeline 1 is recoverable only once the complete segment or the next timeline is archived',
    },
  ]);
  assert.equal(scan.totals.partial, 1);
  assert.equal(scan.totals.segments, 10);
});

test('a promotion .partial whose WAL the next timeline holds: nothing is lost', async () => {
  const scan = await scanArchive(
    await makeArchive({
      ...segments(1, 1, 9),
      [`${seg(1, 10)}.partial`]: SEG,
      '00000002.history': '1\t0/A000100\tno recovery target specified\n',
      ...segments(2, 10, 20),
    }),
  );
  assert.deepEqual(messages(scan), [
    '00000001000000000000000A.partial is the unfinished last segment of timeline 1, as a promotion leaves it: nothing is lost, since the next timeline holds this WAL in full',
  ]);
  assert.equal(scan.problems[0]?.severity, 'info');
});

test('a .partial anywhere but the end is a warning, and does not fill a gap', async () => {
  const files: Files = { ...segments(1, 1, 10), [`${seg(1, 3)}.partial`]: SEG, [`${seg(1, 7)}.partial`]: SEG };
  delete files[seg(1, 7)];
  const scan = await scanArchive(await makeArchive(files));
  assert.deepEqual(
    scan.problems.map((p) => [p.severity, p.kind, p.message]),
    [
      ['error', 'gap', 'segment 000000010000000000000007 is missing on timeline 1: PITR past 0/7000000 on timeline 1 is impossible from any base backup that ends before it'],
      ['warning', 'partial', '000000010000000000000003.partial is left over: the complete segment is archived too, so the partial copy can be removed'],
      [
        'warning',
        'partial',
        '000000010000000000000007.partial is unfinished and not the last segment of timeline 1: restore_command never fetches a .partial file, so it does not fill the place of segment 000000010000000000000007',
      ],
    ],
  );
});

test('a compressed segment is not a size error; an empty one is', async () => {
  const files: Files = { ...segments(1, 1, 10), [`${seg(1, 4)}.gz`]: 123_456, [`${seg(1, 5)}.zst`]: 0 };
  delete files[seg(1, 4)];
  delete files[seg(1, 5)];
  const scan = await scanArchive(await makeArchive(files));
  assert.deepEqual(messages(scan), ['compressed segment 000000010000000000000005.zst is empty (0 bytes): recovery on timeline 1 stops at 0/5000000']);
  assert.equal(scan.totals.compressed, 2);
  assert.equal(scan.totals.segments, 10);
});

test('an archive of compressed segments only, of any sizes, is clean', async () => {
  const files: Files = {};
  for (let n = 1; n <= 30; n++) files[`${seg(1, n)}.lz4`] = 1000 + n;
  const scan = await scanArchive(await makeArchive(files));
  assert.deepEqual(scan.problems, []);
  assert.equal(scan.segmentSizeFrom, 'default');
  assert.equal(scan.timelines[0]?.runs[0]?.count, 30);
});

test('stray files and folders, duplicates, and names impossible at this segment size', async () => {
  const scan = await scanArchive(
    await makeArchive({
      ...segments(1, 1, 5),
      [`${seg(1, 3)}.gz`]: 1000,
      '000000010000000000000006.tmp': 5,
      'notes.txt': 'x',
      '000000010000000000000100': SEG, // seg part 0x100: impossible with 16 MiB segments
    }),
  );
  await fs.mkdir(path.join(scan.location, 'archive_status'));
  const again = await scanArchive(scan.location, { segmentSize: SEG });
  assert.deepEqual(
    again.problems.map((p) => [p.severity, p.kind, p.message]),
    [
      [
        'error',
        'misnamed',
        '000000010000000000000100 is named like a WAL segment, but its last 8 digits cannot occur with 16 MiB segments: the archive comes from a server with smaller segments, so give its segment size (--segment-size)',
      ],
      [
        'warning',
        'duplicate',
        'segment 000000010000000000000003 is archived more than once (000000010000000000000003, 000000010000000000000003.gz): restore_command may fetch either, so keep only the one it expects',
      ],
      ['warning', 'stray', '000000010000000000000006.tmp is not a WAL segment, timeline history or backup history file: recovery never reads it, so move it out of the archive'],
      ['warning', 'stray', 'folder archive_status is not part of a WAL archive: recovery never reads it, so move it elsewhere'],
      ['warning', 'stray', 'notes.txt is not a WAL segment, timeline history or backup history file: recovery never reads it, so move it out of the archive'],
    ],
  );
});

test('the segment size is detected from the segments, and an explicit one is believed', async () => {
  const MiB = 1024 * 1024;
  const dir = await makeArchive(segments(1, 0xffe, 0x1002, MiB)); // crosses a log boundary at 1 MiB
  const detected = await scanArchive(dir);
  assert.equal(detected.segmentSize, MiB);
  assert.equal(detected.segmentSizeFrom, 'detected');
  assert.deepEqual(detected.problems, []);
  assert.deepEqual(detected.timelines[0]?.runs.map((r) => [r.first, r.last, r.count]), [['000000010000000000000FFE', '000000010000000100000002', 5]]);
  const told = await scanArchive(dir, { segmentSize: SEG });
  assert.equal(told.segmentSizeFrom, 'option');
  assert.ok(told.problems.some((p) => p.kind === 'misnamed'));
  assert.ok(told.problems.some((p) => p.kind === 'wrong-size'));
  await assert.rejects(scanArchive(dir, { segmentSize: 3 * MiB }), (e) => e instanceof PgbrError && e.kind === 'usage' && /power of two/.test(e.message));
});

test('a history file recovery cannot read is an error', async () => {
  const scan = await scanArchive(await makeArchive({ ...segments(1, 1, 5), '00000002.history': 'this is not a history file\n', ...segments(2, 6, 8) }));
  assert.deepEqual(messages(scan), [
    '00000002.history is not a valid timeline history file (line 1 is not "parent timeline, switch LSN, reason"): recovery onto timeline 2 fails when it reads it',
  ]);
});

test('a missing folder is an error that says what to give', async () => {
  await assert.rejects(
    scanArchive(path.join(root, 'nowhere')),
    (e) => e instanceof PgbrError && e.kind === 'io' && /does not exist: give the folder your archive_command copies WAL to/.test(e.message),
  );
});

// The recoverable window.

async function setTime(dir: string, name: string, iso: string): Promise<void> {
  const t = new Date(iso);
  await fs.utimes(path.join(dir, name), t, t);
}

test('window: from the backup STOP TIME (exact) to the time the last unbroken segment was archived (estimate)', async () => {
  const dir = await makeArchive({ ...segments(1, 1, 20), ...backupFile(1, 3, '0/3000100', '2026-11-22 08:00:05 CET') });
  await setTime(dir, seg(1, 20), '2026-11-22T09:30:00Z');
  const scan = await scanArchive(dir);
  assert.deepEqual(scan.problems, []);
  assert.deepEqual(scan.window.earliest, {
    lsn: '0/3000100',
    timeline: 1,
    time: new Date('2026-11-22T07:00:05Z'),
    exact: true,
    source: 'STOP TIME in 000000010000000000000003.00000028.backup',
    backup: 'nightly',
  });
  assert.deepEqual(scan.window.latest, {
    lsn: '0/15000000',
    timeline: 1,
    time: new Date('2026-11-22T09:30:00Z'),
    exact: false,
    source: 'time 000000010000000000000014 was archived',
    backup: 'nightly',
  });
  assert.deepEqual(scan.backups[0]?.label, 'nightly');
});

test('window: stops at the first gap or bad segment after the backup', async () => {
  const files: Files = { ...segments(1, 1, 20), ...backupFile(1, 3, '0/3000100'), [seg(1, 12)]: 100 };
  delete files[seg(1, 16)];
  const dir = await makeArchive(files);
  await setTime(dir, seg(1, 11), '2026-11-22T08:00:00Z');
  const scan = await scanArchive(dir);
  assert.equal(scan.window.latest?.lsn, '0/C000000');
  assert.deepEqual(scan.window.latest?.time, new Date('2026-11-22T08:00:00Z'));
});

test('window: follows a timeline switch after the backup, and the earliest and latest come from different backups', async () => {
  const dir = await makeArchive({
    ...segments(1, 1, 9),
    [`${seg(1, 10)}.partial`]: SEG,
    '00000002.history': '1\t0/A000100\tno recovery target specified\n',
    ...segments(2, 10, 20),
    ...backupFile(1, 2, '0/2000100', '2026-11-22 07:00:05 UTC', 'monday'),
    ...backupFile(2, 15, '0/F000100', '2026-11-23 07:00:05 UTC', 'tuesday'),
  });
  await setTime(dir, seg(2, 20), '2026-11-23T10:00:00Z');
  const scan = await scanArchive(dir);
  assert.deepEqual(errors(scan), []);
  assert.deepEqual(
    scan.window.backups.map((b) => [b.label, b.from.lsn, b.from.timeline, b.to.lsn, b.to.timeline]),
    [
      ['monday', '0/2000100', 1, '0/15000000', 2],
      ['tuesday', '0/F000100', 2, '0/15000000', 2],
    ],
  );
  assert.equal(scan.window.earliest?.backup, 'monday');
  assert.deepEqual(scan.window.earliest?.time, new Date('2026-11-22T07:00:05Z'));
  assert.deepEqual(scan.window.latest?.time, new Date('2026-11-23T10:00:00Z'));
});

test('window: a switch before the backup ended is not followed', async () => {
  const dir = await makeArchive({
    ...segments(1, 1, 20),
    '00000002.history': '1\t0/5000100\tno recovery target specified\n',
    ...segments(2, 5, 30),
    ...backupFile(1, 8, '0/8000100'),
  });
  const scan = await scanArchive(dir);
  assert.deepEqual(errors(scan), []);
  assert.equal(scan.window.backups[0]?.to.lsn, '0/15000000');
  assert.equal(scan.window.backups[0]?.to.timeline, 1);
});

test('window: an ambiguous STOP TIME falls back to the backup file time, as an estimate', async () => {
  const dir = await makeArchive({ ...segments(1, 1, 10), ...backupFile(1, 3, '0/3000100', '2026-11-22 12:30:05 IST') });
  await setTime(dir, `${seg(1, 3)}.00000028.backup`, '2026-11-22T07:00:06Z');
  const scan = await scanArchive(dir);
  assert.deepEqual(scan.window.earliest?.time, new Date('2026-11-22T07:00:06Z'));
  assert.equal(scan.window.earliest?.exact, false);
  assert.match(scan.window.earliest?.source ?? '', /ambiguous time zone/);
});

test('window: base backups the extension made count, once, even without a .backup file', async () => {
  const dir = await makeArchive({ ...segments(1, 1, 10), ...backupFile(1, 3, '0/3000100') });
  const scan = await scanArchive(dir, {
    knownBaseBackups: [
      { label: 'same as the archive one', stopLsn: '0/3000100', timeline: 1, stopTime: new Date('2026-11-22T07:00:05Z') },
      { label: 'made by the extension', stopLsn: '0/6000200', timeline: 1, stopTime: new Date('2026-11-22T09:00:00Z') },
      { label: 'after the archive ends', stopLsn: '0/20000200', timeline: 1, stopTime: new Date('2026-11-22T11:00:00Z') },
    ],
  });
  assert.deepEqual(
    scan.window.backups.map((b) => [b.label, b.origin, b.from.exact, b.to.lsn, b.walAfterStop]),
    [
      ['nightly', 'archive', true, '0/B000000', true],
      ['made by the extension', 'known', true, '0/B000000', true],
      ['after the archive ends', 'known', true, '0/20000200', false],
    ],
  );
  assert.deepEqual(scan.window.latest?.time, new Date('2026-11-22T11:00:00Z'), 'a backup with no WAL after it still recovers to its own end');
});

test('window: none without a base backup, and the scan says why', async () => {
  const scan = await scanArchive(await makeArchive(segments(1, 1, 3)));
  assert.deepEqual(scan.window, {
    backups: [],
    note: 'no base backup is known (no .backup file in the archive, none made by the extension): archived WAL alone restores nothing',
  });
});

test('readHistory: false lists history and backup files without reading them', async () => {
  const scan = await scanArchive(
    await makeArchive({ ...segments(1, 1, 9), '00000002.history': 'garbage', ...segments(2, 12, 20), ...backupFile(1, 3, '0/3000100') }),
    { readHistory: false },
  );
  assert.deepEqual(scan.problems, [], 'neither the bad file nor the switch gap can be seen');
  assert.deepEqual(scan.histories, [{ file: '00000002.history', tli: 2 }]);
  assert.equal(scan.window.backups.length, 0);
});

test('a short newest segment written moments ago is a copy in progress (info), an old one is damage (error)', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-wal-progress-'));
  try {
    const size = 16 * 1024 * 1024;
    for (const n of ['000000010000000000000001', '000000010000000000000002']) await fs.truncate(await touch(path.join(dir, n)), size);
    const last = path.join(dir, '000000010000000000000003');
    await fs.truncate(await touch(last), 4096);
    await fs.utimes(last, ARCHIVED_AT, ARCHIVED_AT);
    const later = (ms: number) => () => new Date(ARCHIVED_AT.getTime() + ms);
    let scan = await scanArchive(dir, { now: later(5_000) });
    assert.deepEqual(scan.problems.map((p) => [p.kind, p.severity]), [['in-progress', 'info']]);
    assert.match(scan.problems[0]?.message ?? '', /written 5 s ago: archive_command is probably still copying it/);
    assert.equal(scan.timelines[0]?.runs[0]?.count, 2);

    scan = await scanArchive(dir, { now: later(10 * 60_000) });
    assert.deepEqual(scan.problems.map((p) => [p.kind, p.severity]), [['wrong-size', 'error']]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

async function touch(file: string): Promise<string> {
  await fs.writeFile(file, '');
  return file;
}

test('readBackupHistories reads the .backup files alone, the same as a full scan does', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-wal-backups-'));
  try {
    await fs.writeFile(path.join(dir, '000000010000000000000002'), '');
    await fs.writeFile(
      path.join(dir, '000000010000000000000002.00000028.backup'),
      'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)\nLABEL: nightly\nSTOP TIME: 2026-11-22 03:00:05 UTC\n',
    );
    await fs.writeFile(path.join(dir, 'notes.backup'), 'not a backup history file');
    const backups = await readBackupHistories(dir);
    assert.equal(backups.length, 1);
    assert.equal(backups[0]?.label, 'nightly');
    assert.equal(backups[0]?.stopLsn, '0/2000100');
    assert.equal(backups[0]?.stopTime?.toISOString(), '2026-11-22T03:00:05.000Z');
    const scanned = (await scanArchive(dir, { segmentSize: 16 * 1024 * 1024 })).backups;
    assert.deepEqual(backups, scanned);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
