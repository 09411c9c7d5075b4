// Base backups without a server: pg_basebackup 15's real --progress/--verbose output, backup_label and backup_manifest reading, the pg_basebackup arguments, and the explained failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BaseBackupProgressTracker,
  explainBaseBackupFailure,
  listBaseBackups,
  parseBackupLabel,
  parseBackupManifest,
  parseProgressLine,
  planBaseBackup,
  readLabelFromTar,
  toKnownBaseBackup,
  validateBaseBackupOptions,
  type BaseBackupProgress,
  type BaseBackupRecord,
} from '../../src/core/physical';
import { parseCompression } from '../../src/core/logical/dump';

// Captured from pg_basebackup 15.18 -F t -X stream -P -v --max-rate=12M, stderr piped (not a terminal: one report per line).
const VERBOSE_PIPED = `pg_basebackup: initiating base backup, waiting for checkpoint to complete
pg_basebackup: checkpoint completed
pg_basebackup: write-ahead log start point: 0/3000028 on timeline 1
pg_basebackup: starting background WAL receiver
pg_basebackup: created temporary replication slot "pg_basebackup_27016"
12331/37068 kB (33%), 0/1 tablespace (/srv/backups/b.partial/base.tar  )
24593/37068 kB (66%), 0/1 tablespace (/srv/backups/b.partial/base.tar  )
36877/37068 kB (99%), 0/1 tablespace (/srv/backups/b.partial/base.tar  )
37079/37079 kB (100%), 0/1 tablespace (/srv/backups/b.partial/base.tar  )
37079/37079 kB (100%), 1/1 tablespace                                         
pg_basebackup: write-ahead log end point: 0/3000100
pg_basebackup: waiting for background process to finish streaming ...
pg_basebackup: syncing data to disk ...
pg_basebackup: renaming backup_manifest.tmp to backup_manifest
pg_basebackup: base backup completed
`;

// The same run on a terminal, without --verbose: reports separated by carriage returns.
const TERMINAL =
  'waiting for checkpoint\r12331/37068 kB (33%), 0/1 tablespace\r24593/37068 kB (66%), 0/1 tablespace\r36876/37068 kB (99%), 0/1 tablespace\r37079/37079 kB (100%), 0/1 tablespace\r37079/37079 kB (100%), 1/1 tablespace\r\n';

const LABEL = `START WAL LOCATION: 0/5000028 (file 000000010000000000000005)
CHECKPOINT LOCATION: 0/5000060
BACKUP METHOD: streamed
BACKUP FROM: primary
START TIME: 2026-11-22 08:04:03 UTC
LABEL: mylabel
START TIMELINE: 1
`;

/** A manifest laid out as the server writes it, with its checksum over everything before the last line. */
function manifest(walRanges: string, systemId = '7310988396113291305'): Buffer {
  const body = `{ "PostgreSQL-Backup-Manifest-Version": 2,
"System-Identifier": ${systemId},
"Files": [
{ "Path": "backup_label", "Size": 207, "Last-Modified": "2026-11-22 08:04:03 GMT", "Checksum-Algorithm": "CRC32C", "Checksum": "f888bd92" },
{ "Path": "global/pg_control", "Size": 8192, "Last-Modified": "2026-11-22 08:04:03 GMT", "Checksum-Algorithm": "CRC32C", "Checksum": "43872087" }
],
"WAL-Ranges": [
${walRanges}
],
`;
  const sum = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${body}"Manifest-Checksum": "${sum}"}\n`);
}

function feed(text: string): { events: BaseBackupProgress[]; tracker: BaseBackupProgressTracker; stops: number } {
  const events: BaseBackupProgress[] = [];
  let stops = 0;
  const tracker = new BaseBackupProgressTracker(
    (p) => events.push(p),
    () => stops++,
  );
  // What the runner does: readline ends a line at \n, \r or \r\n.
  for (const line of text.split(/\r\n|\r|\n/)) tracker.onLine(line);
  return { events, tracker, get stops() { return stops; } };
}

test('progress reports parse to bytes, the estimate and the percentage', () => {
  assert.deepEqual(parseProgressLine('12331/37068 kB (33%), 0/1 tablespace (/srv/backups/b.partial/base.tar  )'), {
    doneBytes: 12331 * 1024,
    totalBytes: 37068 * 1024,
    percent: 33,
    tablespacesDone: 0,
    tablespacesTotal: 1,
  });
  assert.equal(parseProgressLine('  512/70023 kB (0%), 0/3 tablespaces (...data/base/1/1259)')?.tablespacesTotal, 3);
  // Without a size estimate there is no total and no percentage.
  assert.deepEqual(parseProgressLine('2048 kB, 0/1 tablespace'), { doneBytes: 2048 * 1024, tablespacesDone: 0, tablespacesTotal: 1 });
  assert.equal(parseProgressLine('pg_basebackup: checkpoint completed'), undefined);
  // Several carriage-return separated reports in one chunk: the last one counts.
  assert.equal(parseProgressLine('100/400 kB (25%), 0/1 tablespace\r300/400 kB (75%), 0/1 tablespace\r')?.percent, 75);
});

test('piped --verbose output walks the phases and reports the copy as it goes', () => {
  const { events, tracker, stops } = feed(VERBOSE_PIPED);
  const phases = [...new Set(events.map((e) => e.phase))];
  assert.deepEqual(phases, ['checkpoint', 'copying', 'finishing', 'syncing']);
  const copying = events.filter((e) => e.phase === 'copying' && e.percent !== undefined).map((e) => e.percent);
  assert.deepEqual(copying, [33, 66, 99, 100, 100]);
  assert.equal(tracker.current.doneBytes, 37079 * 1024);
  assert.deepEqual(tracker.facts, { startLsn: '0/3000028', startTimeline: 1, stopLsn: '0/3000100' });
  assert.equal(stops, 1, 'the end point is announced once');
});

test('terminal output separated by carriage returns gives the same reports', () => {
  const { events, tracker } = feed(TERMINAL);
  assert.deepEqual(
    events.filter((e) => e.phase === 'copying').map((e) => e.percent),
    [33, 66, 99, 100, 100],
  );
  assert.equal(events[0]?.phase, 'checkpoint');
  assert.equal(tracker.current.tablespacesDone, 1);
  // A whole chunk handed over at once is split by the tracker itself.
  const whole = feed('').tracker;
  whole.onLine(TERMINAL.trimEnd());
  assert.equal(whole.current.percent, 100);
});

test('backup_label: start location, segment, checkpoint, label, time and timeline', () => {
  const label = parseBackupLabel(LABEL);
  assert.deepEqual(label, {
    startLsn: '0/5000028',
    startWal: '000000010000000000000005',
    checkpointLsn: '0/5000060',
    label: 'mylabel',
    startTimeText: '2026-11-22 08:04:03 UTC',
    startTime: new Date('2026-11-22T08:04:03Z'),
    startTimeline: 1,
  });
  assert.equal(parseBackupLabel('LABEL: nothing else\n'), undefined);
  // A zone that cannot be placed keeps the text and leaves the time out rather than guessing.
  assert.equal(parseBackupLabel(LABEL.replace('UTC', 'IST'))?.startTime, undefined);
});

test('backup_manifest: WAL ranges, the time of backup_label, the system identifier and its own checksum', () => {
  const bytes = manifest('{ "Timeline": 1, "Start-LSN": "0/5000028", "End-LSN": "0/5000100" }');
  const summary = parseBackupManifest(bytes);
  assert.deepEqual(summary.walRanges, [{ timeline: 1, startLsn: '0/5000028', endLsn: '0/5000100' }]);
  assert.deepEqual(summary.labelTime, new Date('2026-11-22T08:04:03Z'));
  // Beyond 2^53: kept as the digits the server wrote.
  assert.equal(summary.systemIdentifier, '7310988396113291305');
  assert.equal(summary.checksumValid, true);

  const tampered = Buffer.from(bytes.toString().replace('"Size": 8192', '"Size": 8193'));
  assert.equal(parseBackupManifest(tampered).checksumValid, false);
  assert.throws(() => parseBackupManifest(Buffer.from('{ "Files": [')), /not valid JSON/);

  const promoted = parseBackupManifest(
    manifest('{ "Timeline": 1, "Start-LSN": "0/5000028", "End-LSN": "0/6000000" },\n{ "Timeline": 2, "Start-LSN": "0/6000000", "End-LSN": "0/6000100" }'),
  );
  assert.equal(promoted.walRanges.at(-1)?.timeline, 2);
});

test('backup_label is read out of base.tar and base.tar.gz, and skipped for formats Node cannot read', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bbtar-'));
  try {
    const src = path.join(dir, 'src');
    await fs.mkdir(path.join(src, 'global'), { recursive: true });
    await fs.writeFile(path.join(src, 'global', 'pg_control'), Buffer.alloc(8192, 1));
    await fs.writeFile(path.join(src, 'backup_label'), LABEL);
    // pg_basebackup sends backup_label first; the reader must also skip entries before it.
    execFileSync('tar', ['-cf', path.join(dir, 'base.tar'), '-C', src, 'global/pg_control', 'backup_label']);
    execFileSync('tar', ['-czf', path.join(dir, 'base.tar.gz'), '-C', src, 'backup_label', 'global/pg_control']);
    assert.equal(await readLabelFromTar(path.join(dir, 'base.tar')), LABEL);
    assert.equal(await readLabelFromTar(path.join(dir, 'base.tar.gz')), LABEL);
    await fs.writeFile(path.join(dir, 'base.tar.zst'), 'not read');
    assert.equal(await readLabelFromTar(path.join(dir, 'base.tar.zst')), undefined);
    await fs.writeFile(path.join(dir, 'broken.tar.gz'), 'not gzip at all');
    assert.equal(await readLabelFromTar(path.join(dir, 'broken.tar.gz')), undefined);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('pg_basebackup arguments: streamed WAL, progress, label, compression by tool version, no password prompt', () => {
  const args = planBaseBackup({ outputPath: '/b/x.partial', format: 'tar', compression: parseCompression('gzip:5'), checkpoint: 'spread', label: 'nightly', toolMajor: 15 });
  assert.deepEqual(args, [
    '--pgdata', '/b/x.partial', '--format', 'tar', '--wal-method', 'stream', '--checkpoint', 'spread', '--label', 'nightly',
    '--progress', '--verbose', '--no-password', '--compress', 'gzip:5',
  ]);
  // Before 15, --compress takes a gzip level only.
  assert.deepEqual(planBaseBackup({ outputPath: 'o', format: 'tar', compression: parseCompression('gzip'), checkpoint: 'fast', label: 'l', toolMajor: 14 }).slice(-2), ['--compress', '6']);
  assert.throws(() => planBaseBackup({ outputPath: 'o', format: 'tar', compression: parseCompression('zstd'), checkpoint: 'fast', label: 'l', toolMajor: 14 }), /zstd compression needs pg_basebackup 15/);
  assert.deepEqual(planBaseBackup({ outputPath: 'o', format: 'plain', checkpoint: 'fast', label: 'l', maxRate: '20M', toolMajor: 15 }).slice(-2), ['--max-rate', '20M']);
});

test('options pg_basebackup would refuse are usage errors before anything runs', () => {
  const ok = { format: 'tar', checkpoint: 'fast' } as const;
  assert.throws(() => validateBaseBackupOptions({ ...ok, format: 'plain', compression: 'gzip' }), /only compresses the tar format/);
  assert.equal(validateBaseBackupOptions({ ...ok, format: 'plain', compression: 'none' }), undefined);
  assert.deepEqual(validateBaseBackupOptions({ ...ok, compression: 'zstd:3' }), { method: 'zstd', level: 3 });
  assert.throws(() => validateBaseBackupOptions({ ...ok, label: 'two\nlines' }), /line break/);
  assert.throws(() => validateBaseBackupOptions({ ...ok, label: '   ' }), /label is empty/);
  assert.throws(() => validateBaseBackupOptions({ ...ok, label: 'x'.repeat(1024) }), /longer than 1023 bytes/);
  assert.throws(() => validateBaseBackupOptions({ ...ok, maxRate: 'fast' }), /max rate "fast"/);
  assert.throws(() => validateBaseBackupOptions({ ...ok, compression: 'brotli' }), /not understood/);
});

// Real pg_basebackup 15 stderr for each refusal.
const NO_REPLICATION = ['pg_basebackup: error: connection to server at "127.0.0.1", port 34619 failed: FATAL:  must be superuser or replication role to start walsender'];
const NO_SENDERS = ['pg_basebackup: error: connection to server at "127.0.0.1", port 33537 failed: FATAL:  number of requested standby connections exceeds max_wal_senders (currently 0)'];

test('failures are explained with the fix to apply', () => {
  const role = explainBaseBackupFailure(NO_REPLICATION, { user: 'app_backup' });
  assert.equal(role.kind, 'auth');
  assert.match(role.message, /ALTER ROLE app_backup REPLICATION;/);
  // PostgreSQL 16 words it differently.
  assert.match(
    explainBaseBackupFailure(['pg_basebackup: error: connection to server on socket "/run/postgresql/.s.PGSQL.5433" failed: FATAL:  permission denied to start WAL sender'], { user: 'Mixed Case' }).message,
    /ALTER ROLE "Mixed Case" REPLICATION;/,
  );
  // A role named like a reserved word is quoted, or the advised SQL would not parse.
  assert.match(explainBaseBackupFailure(NO_REPLICATION, { user: 'user' }).message, /ALTER ROLE "user" REPLICATION;/);

  const hba = explainBaseBackupFailure([
    'pg_basebackup: error: connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf entry for replication connection from host "10.0.0.9", user "backup", no encryption',
  ]);
  assert.equal(hba.kind, 'auth');
  assert.match(hba.message, /"host replication backup 10\.0\.0\.9\/32 scram-sha-256"/);
  assert.match(hba.message, /pg_reload_conf/);
  assert.match(
    explainBaseBackupFailure(['FATAL:  no pg_hba.conf entry for replication connection from host "[local]", user "backup", no encryption']).message,
    /"local replication backup scram-sha-256"/,
  );
  assert.match(explainBaseBackupFailure(['FATAL:  no pg_hba.conf entry for replication connection from host "::1", user "b", no encryption']).message, /::1\/128/);

  const senders = explainBaseBackupFailure(NO_SENDERS);
  assert.equal(senders.kind, 'config');
  assert.match(senders.message, /ALTER SYSTEM SET max_wal_senders = 10;.*restart/);
  const busy = explainBaseBackupFailure([NO_SENDERS[0]!.replace('currently 0', 'currently 2')]);
  assert.equal(busy.kind, 'connection');
  assert.match(busy.message, /all 2 WAL senders .* in use/);

  const full = explainBaseBackupFailure([
    'pg_basebackup: error: could not write to file "/srv/b.partial/base/16384/16390": No space left on device',
    'pg_basebackup: removing contents of data directory "/srv/b.partial"',
  ]);
  assert.equal(full.kind, 'tool-failed');
  assert.match(full.message, /No space left on device.*nothing was kept: free space/);

  assert.match(explainBaseBackupFailure(['pg_basebackup: error: could not create temporary replication slot "x": ERROR:  all replication slots are in use']).message, /max_replication_slots/);
  assert.match(explainBaseBackupFailure(['FATAL:  WAL level not sufficient for making an online backup']).message, /wal_level = replica/);
  const other = explainBaseBackupFailure(['pg_basebackup: error: something unexpected', 'pg_basebackup: hint: Try "pg_basebackup --help" for more information.']);
  assert.equal(other.kind, 'tool-failed');
  assert.equal(other.message, 'pg_basebackup failed: something unexpected');
});

function record(name: string, stopTime: string, stopLsn = '0/3000100'): BaseBackupRecord {
  return {
    recordVersion: 1, kind: 'basebackup', name, label: name, profile: 'app', host: '127.0.0.1', port: 5433, user: 'postgres',
    serverVersion: '15.18', tool: 'pg_basebackup', toolVersion: '15.18', format: 'plain', compression: 'none', checkpoint: 'fast', walMethod: 'stream',
    startLsn: '0/3000028', startWal: '000000010000000000000003', stopLsn, stopWal: '000000010000000000000003', timeline: 1, startTimeline: 1,
    startTime: stopTime, stopTime, startedAt: stopTime, finishedAt: stopTime, durationMs: 1000, sizeBytes: 1, segmentSize: 16777216,
    files: ['backup_label'], verification: { tool: 'pg_verifybackup', status: 'passed', at: stopTime },
  };
}

test('listBaseBackups: newest first, missing folders flagged, leftovers and unreadable records reported', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bblist-'));
  try {
    for (const [name, time] of [['older', '2026-11-01T00:00:00.000Z'], ['newer', '2026-11-20T00:00:00.000Z']] as const) {
      await fs.mkdir(path.join(dir, name));
      await fs.writeFile(path.join(dir, `${name}.basebackup.json`), JSON.stringify(record(name, time)));
    }
    await fs.writeFile(path.join(dir, 'gone.basebackup.json'), JSON.stringify(record('gone', '2026-11-10T00:00:00.000Z')));
    await fs.writeFile(path.join(dir, 'bad.basebackup.json'), '{ "kind": "dump" }');
    await fs.mkdir(path.join(dir, 'crashed.partial'));
    const catalog = await listBaseBackups(dir);
    assert.deepEqual(catalog.backups.map((b) => [b.record.name, b.missing]), [['newer', false], ['gone', true], ['older', false]]);
    assert.deepEqual(catalog.partials.map((p) => path.basename(p.path)), ['crashed.partial']);
    assert.equal(catalog.problems.length, 1);
    assert.match(catalog.problems[0]!, /bad\.basebackup\.json cannot be read/);
    assert.deepEqual(await listBaseBackups(path.join(dir, 'nope')), { backups: [], partials: [], problems: [] });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a record becomes a known base backup for the recoverable window', () => {
  assert.deepEqual(toKnownBaseBackup(record('b', '2026-11-20T10:00:00.000Z', '0/3000100')), {
    label: 'b',
    stopLsn: '0/3000100',
    stopWal: '000000010000000000000003',
    stopTime: new Date('2026-11-20T10:00:00.000Z'),
    timeline: 1,
  });
});

