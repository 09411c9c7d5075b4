// Archiver health without a server: durations, WAL distance, every checklist rule with and without a declared policy, the overall state, the hourly chart.
import { healthModel, niceCeiling } from '../../src/health/model';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogEntry } from '../../src/core/logical/catalog';
import type { DumpManifest } from '../../src/core/logical/manifest';
import { PgbrError } from '../../src/core/platform/errors';
import {
  archivedPerHour,
  assessHealth,
  buildChecklist,
  failuresPerHour,
  healthPolicy,
  overallState,
  unarchivedBytes,
  walDistance,
  type CheckId,
  type HealthFacts,
  type HealthInputs,
  type HealthSnapshot,
} from '../../src/core/health';
import { archiveTimeoutSeconds, formatDuration, parseDuration } from '../../src/core/platform/duration';
import { parseWorkspaceConfig } from '../../src/core/profiles/yamlConfig';
import type { ArchiverStatus, ServerInfo } from '../../src/core/postgres/server';

const MiB = 1024 * 1024;
const NOW = new Date('2026-11-22T12:30:00Z');
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);

function server(over: Partial<ServerInfo> = {}): ServerInfo {
  return {
    version: '15.8',
    versionNum: 150008,
    major: 15,
    walLevel: 'replica',
    archiveMode: 'on',
    archiveCommand: 'cp %p /srv/wal/%f',
    archiveLibrary: '',
    archiveTimeout: '0',
    maxWalSenders: 10,
    segmentSize: 16 * MiB,
    isSuperuser: true,
    hasReplication: true,
    serverTimeZone: 'UTC',
    ...over,
  };
}

function archiver(over: Partial<ArchiverStatus> = {}): ArchiverStatus {
  return {
    archivedCount: 10,
    lastArchivedWal: '000000010000000000000009',
    lastArchivedTime: ago(60),
    failedCount: 0,
    lastFailedWal: null,
    lastFailedTime: null,
    statsReset: new Date('2026-11-01T00:00:00Z'),
    currentWal: '00000001000000000000000A',
    ...over,
  };
}

function facts(over: Partial<HealthFacts> = {}): HealthFacts {
  return {
    server: server(),
    archiver: archiver(),
    inRecovery: false,
    // Some WAL written into segment 0A since 09 was archived.
    insertLsn: '0/A123456',
    readyFiles: 0,
    ...over,
  };
}

function dump(name: string, ageSeconds: number, verification?: { status: 'passed' | 'failed'; durationMs: number; ageSeconds?: number }, kind: 'database' | 'globals' = 'database'): CatalogEntry {
  const manifest = { kind } as DumpManifest;
  if (verification) {
    manifest.verification = {
      status: verification.status,
      at: ago(verification.ageSeconds ?? ageSeconds - 10).toISOString(),
      durationMs: verification.durationMs,
      target: 'local/scratch',
      tables: [],
    };
  }
  return { path: `/d/${name}`, name, format: 'custom', gzip: false, sizeBytes: 1000, time: ago(ageSeconds), manifest };
}

function assess(f: Partial<HealthFacts> = {}, inputs: Partial<HealthInputs> = {}): HealthSnapshot {
  return assessHealth(facts(f), { policy: {}, now: NOW, ...inputs });
}

function check(snapshot: HealthSnapshot, id: CheckId) {
  const found = snapshot.checklist.find((i) => i.id === id);
  assert.ok(found, `no checklist item ${id}`);
  return found;
}

test('parseDuration reads a number and a unit, combined units, and refuses the rest with an example', () => {
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('5m'), 300);
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('2d'), 172800);
  assert.equal(parseDuration('1w'), 604800);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('1.5h'), 5400);
  assert.equal(parseDuration(' 15 min '), 900);
  assert.equal(parseDuration('2 days'), 172800);
  for (const bad of ['5', 'abc', '5x', '', '0s', '5m later', 'm5']) {
    assert.throws(
      () => parseDuration(bad, 'rpo'),
      (e: unknown) => e instanceof PgbrError && e.kind === 'config' && /rpo ".*" is not a duration: .*90s, 5m, 1h, 2d or 1w/.test(e.message),
      bad,
    );
  }
  assert.throws(() => parseDuration(300, 'rpo'), /rpo 300 has no unit: write a number and a unit, like 90s/);
});

test('formatDuration reads like an age', () => {
  assert.equal(formatDuration(0), '0 s');
  assert.equal(formatDuration(45.9), '45 s');
  assert.equal(formatDuration(240), '4 min');
  assert.equal(formatDuration(7500), '2 h 5 min');
  assert.equal(formatDuration(7200), '2 h');
  assert.equal(formatDuration(86400), '1 day');
  assert.equal(formatDuration(86400 + 3 * 3600 + 59), '1 day 3 h');
  assert.equal(formatDuration(3 * 86400 + 5000), '3 days');
  assert.equal(formatDuration(-5), '0 s');
  assert.equal(archiveTimeoutSeconds('0'), 0);
  assert.equal(archiveTimeoutSeconds('60s'), 60);
  assert.equal(archiveTimeoutSeconds('5min'), 300);
  assert.equal(archiveTimeoutSeconds('1h'), 3600);
});

test('walDistance counts segments across log boundaries, segment sizes and timelines', () => {
  assert.deepEqual(walDistance('00000001000000000000000A', '000000010000000000000009', 16 * MiB), { segments: 1, bytes: 16 * MiB, sameTimeline: true });
  assert.deepEqual(walDistance('000000010000000000000009', '000000010000000000000009', 16 * MiB), { segments: 0, bytes: 0, sameTimeline: true });
  // 256 segments of 16 MiB per log: 0x1/0x02 is segno 258, 0x0/0xFE is 254.
  assert.deepEqual(walDistance('000000010000000100000002', '0000000100000000000000FE', 16 * MiB), { segments: 4, bytes: 64 * MiB, sameTimeline: true });
  // 64 per log at 64 MiB: 0x1/0x02 is 66, 0x0/0x3E is 62.
  assert.deepEqual(walDistance('000000010000000100000002', '00000001000000000000003E', 64 * MiB), { segments: 4, bytes: 256 * MiB, sameTimeline: true });
  const across = walDistance('000000020000000000000012', '000000010000000000000010', 16 * MiB);
  assert.equal(across?.segments, 2);
  assert.equal(across?.sameTimeline, false);
  assert.match(across?.note ?? '', /timeline 2 .* timeline 1/);
  // A backup history file stands for its starting segment; a .history file for no segment.
  assert.equal(walDistance('00000001000000000000000C', '00000001000000000000000A.00000028.backup', 16 * MiB)?.segments, 2);
  assert.equal(walDistance('00000002000000000000000C', '00000002.history', 16 * MiB), undefined);
  const behind = walDistance('000000010000000000000003', '000000010000000000000009', 16 * MiB);
  assert.equal(behind?.segments, 0);
  assert.match(behind?.note ?? '', /ahead of the current/);
});

test('unarchivedBytes is 40 (a bare page header) right after a switch, and what was written after it', () => {
  assert.equal(unarchivedBytes('0/2000028', '000000010000000000000001', '000000010000000000000001', 16 * MiB), 40);
  assert.equal(unarchivedBytes('0/2500000', '000000010000000000000002', '000000010000000000000001', 16 * MiB), 0x500000);
  assert.equal(unarchivedBytes('1/0000100', '000000010000000100000000', '0000000100000000000000FF', 16 * MiB), 0x100);
  assert.equal(unarchivedBytes('0/2500000', '000000020000000000000002', '000000010000000000000001', 16 * MiB), undefined);
});

test('archivedPerHour buckets complete segments by hour, oldest first, and ignores the rest', () => {
  const hours = archivedPerHour(
    [
      { name: '000000010000000000000001', mtime: new Date('2026-11-22T12:05:00Z') },
      { name: '000000010000000000000002.gz', mtime: new Date('2026-11-22T12:29:59Z') },
      { name: '000000010000000000000003', mtime: new Date('2026-11-22T10:00:00Z') },
      { name: '000000010000000000000004', mtime: new Date('2026-11-22T09:59:59Z') }, // before the window of 3 hours
      { name: '00000002.history', mtime: new Date('2026-11-22T12:10:00Z') },
      { name: '000000010000000000000003.00000028.backup', mtime: new Date('2026-11-22T12:10:00Z') },
      { name: '000000010000000000000005.partial', mtime: new Date('2026-11-22T12:10:00Z') },
    ],
    NOW,
    3,
  );
  assert.deepEqual(hours, [
    { hour: '2026-11-22T10:00:00.000Z', segments: 1 },
    { hour: '2026-11-22T11:00:00.000Z', segments: 0 },
    { hour: '2026-11-22T12:00:00.000Z', segments: 2 },
  ]);
  assert.equal(archivedPerHour([], NOW).length, 24);
});

test('failuresPerHour puts each rise of failed_count in the hour that saw it; a statistics reset starts over', () => {
  const reset1 = '2026-11-01T00:00:00.000Z';
  const reset2 = '2026-11-22T11:30:00.000Z';
  const hours = failuresPerHour(
    [
      { at: '2026-11-22T12:20:00Z', failedCount: 2, statsReset: reset2 }, // after the reset: 2 new
      { at: '2026-11-22T10:10:00Z', failedCount: 3, statsReset: reset1 },
      { at: '2026-11-22T10:40:00Z', failedCount: 5, statsReset: reset1 },
      { at: '2026-11-22T11:10:00Z', failedCount: 5, statsReset: reset1 },
    ],
    NOW,
    3,
  );
  assert.deepEqual(
    hours.map((h) => h.failures),
    [2, 0, 2],
  );
});

test('pgbackup.yaml accepts the policy keys and reports bad ones on their line', () => {
  const good = parseWorkspaceConfig(
    `rpo: 5m
rto: 1h
baseBackupMaxAge: 7d
dumpMaxAge: 1d
retention: { keepDumps: 14, keepBaseBackups: 4 }
offsite: s3://bucket/pg
`,
    '/w/pgbackup.yaml',
  );
  assert.deepEqual(good.problems, []);
  assert.deepEqual(healthPolicy(good.config), {
    rpoSeconds: 300,
    rtoSeconds: 3600,
    baseBackupMaxAgeSeconds: 604800,
    dumpMaxAgeSeconds: 86400,
    retention: { keepDumps: 14, keepBaseBackups: 4 },
    offsite: { target: 's3://bucket/pg' },
  });
  const mapped = parseWorkspaceConfig('offsite:\n  target: s3://b/p\n  command: rclone sync /srv/backups b:p\n', '/w/pgbackup.yaml');
  assert.deepEqual(mapped.problems, []);
  assert.deepEqual(healthPolicy(mapped.config).offsite, { target: 's3://b/p', command: 'rclone sync /srv/backups b:p' });

  const bad = parseWorkspaceConfig(
    `rpo: 300
rto: soon
dumpMaxAge: [1d]
baseBackupMaxAg: 7d
offsite: { bucket: x }
`,
    '/w/pgbackup.yaml',
  );
  assert.deepEqual(
    bad.problems.map((p) => [p.line, p.key, p.message]),
    [
      [1, 'rpo', 'rpo 300 has no unit: write a number and a unit, like 90s, 5m, 1h, 2d or 1w'],
      [2, 'rto', 'rto "soon" is not a duration: write a number and a unit, like 90s, 5m, 1h, 2d or 1w'],
      [3, 'dumpMaxAge', '"dumpMaxAge" must be a duration like 15m or 1h'],
      [4, 'baseBackupMaxAg', 'unknown key "baseBackupMaxAg" at the top of pgbackup.yaml: did you mean "baseBackupMaxAge"?'],
      [5, 'offsite', 'unknown key "bucket" under "offsite": the keys are target and command'],
    ],
  );
  assert.deepEqual(healthPolicy(bad.config), {});
  assert.deepEqual(healthPolicy(undefined), {});
});

test('archiving on: passes with a command or a library, fails when off, empty or wal_level minimal; a standby warns', () => {
  assert.equal(check(assess(), 'archiving-on').status, 'pass');
  const off = check(assess({ server: server({ archiveMode: 'off' }) }), 'archiving-on');
  assert.equal(off.status, 'fail');
  assert.equal(off.fix, 'set archive_mode = on and archive_command in postgresql.conf, then restart.');
  const empty = check(assess({ server: server({ archiveCommand: '' }) }), 'archiving-on');
  assert.equal(empty.status, 'fail');
  assert.match(empty.fix ?? '', /archive_command .* reload/);
  assert.equal(check(assess({ server: server({ archiveCommand: '', archiveLibrary: 'basic_archive' }) }), 'archiving-on').status, 'pass');
  assert.equal(check(assess({ server: server({ walLevel: 'minimal' }) }), 'archiving-on').status, 'fail');
  const standby = check(assess({ inRecovery: true, insertLsn: null, archiver: archiver({ currentWal: null }) }), 'archiving-on');
  assert.equal(standby.status, 'warn');
  assert.equal(check(assess({ inRecovery: true, server: server({ archiveMode: 'always' }) }), 'archiving-on').status, 'pass');
});

test('a recent archive: judged against the declared rpo, except when no WAL was written since; a warning without a target', () => {
  const rpo = { rpoSeconds: 300 };
  assert.equal(check(assess({ archiver: archiver({ lastArchivedTime: ago(240) }) }, { policy: rpo }), 'recent-archive').status, 'pass');
  const missed = check(assess({ archiver: archiver({ lastArchivedTime: ago(600) }) }, { policy: rpo }), 'recent-archive');
  assert.equal(missed.status, 'fail');
  assert.match(missed.detail, /10 min ago, longer than the rpo of 5 min/);
  assert.match(missed.fix ?? '', /archive_timeout = 300s/);
  // archive_timeout already short enough: the fix points at the archiver keeping up instead.
  assert.match(
    check(assess({ server: server({ archiveTimeout: '1min' }), archiver: archiver({ lastArchivedTime: ago(600) }) }, { policy: rpo }), 'recent-archive').fix ?? '',
    /keeps up/,
  );
  // Idle: the current segment holds nothing but its header, so the archive has everything.
  const idle = assess({ archiver: archiver({ lastArchivedTime: ago(3600), currentWal: '000000010000000000000009' }), insertLsn: '0/A000028' }, { policy: rpo });
  assert.equal(check(idle, 'recent-archive').status, 'pass');
  assert.equal(idle.rpo.wal.status, 'met');
  assert.equal(idle.overall, 'ok');

  assert.equal(check(assess({ archiver: archiver({ lastArchivedTime: ago(3600) }) }), 'recent-archive').status, 'pass');
  assert.equal(check(assess({ archiver: archiver({ lastArchivedTime: ago(2 * 86400) }) }), 'recent-archive').status, 'warn');
  const never = { archiver: archiver({ archivedCount: 0, lastArchivedWal: null, lastArchivedTime: null }) };
  assert.equal(check(assess(never), 'recent-archive').status, 'warn');
  assert.equal(check(assess(never, { policy: rpo }), 'recent-archive').status, 'fail');
  assert.equal(check(assess({ server: server({ archiveMode: 'off' }) }), 'recent-archive').status, 'warn');
});

test("a pgBackRest repository behind what the server reports archived: the RPO is the repository's newest WAL, and the item says so", () => {
  const rpo = { rpoSeconds: 300 };
  // The server says 09 is archived a minute ago; the repository's newest is 07, which arrived ten minutes ago (archive-async's queue).
  const behind = assess({}, { policy: rpo, repositoryWal: [{ stanza: 'main', newest: '000000010000000000000007', at: ago(600) }] });
  assert.equal(behind.rpo.wal.ageSeconds, 600);
  assert.equal(behind.rpo.wal.status, 'missed');
  assert.equal(behind.rpo.wal.newest, '000000010000000000000007');
  const item = check(behind, 'recent-archive');
  assert.equal(item.status, 'fail');
  assert.match(item.detail, /^the newest WAL in pgBackRest stanza main's repository; the server reports 000000010000000000000009 archived, which has not reached it: 000000010000000000000007 arrived 10 min ago, longer than the rpo of 5 min\.$/);
  assert.match(item.fix ?? '', /archive-push/);
  // Caught up (its newest is what the server reports), the server's own time counts as before.
  const level = assess({}, { policy: rpo, repositoryWal: [{ stanza: 'main', newest: '000000010000000000000009', at: ago(50) }] });
  assert.equal(level.rpo.wal.ageSeconds, 60);
  assert.equal(check(level, 'recent-archive').status, 'pass');
  // An object store gives no arrival time: nothing is judged from it.
  assert.equal(assess({}, { policy: rpo, repositoryWal: [{ stanza: 's3', newest: '000000010000000000000001' }] }).rpo.wal.ageSeconds, 60);
});

test('no failure since the last success: fails while failing, warns on failures since the previous check, passes once recovered', () => {
  const failing = assess({ archiver: archiver({ failedCount: 3, lastFailedWal: '00000001000000000000000A', lastFailedTime: ago(5) }) });
  const item = check(failing, 'no-failure-since-success');
  assert.equal(item.status, 'fail');
  assert.match(item.detail, /3 failures, the last for 00000001000000000000000A/);
  assert.match(item.fix ?? '', /run archive_command by hand/);

  const recovered = archiver({ failedCount: 3, lastFailedTime: ago(120), lastFailedWal: '000000010000000000000008' });
  const previous = { at: ago(300), archiver: { failedCount: 1, statsReset: recovered.statsReset } };
  const withPrevious = assess({ archiver: recovered }, { previous });
  assert.equal(withPrevious.failedSincePrevious, 2);
  assert.equal(check(withPrevious, 'no-failure-since-success').status, 'warn');
  assert.equal(check(assess({ archiver: recovered }), 'no-failure-since-success').status, 'pass');
  assert.equal(assess({ archiver: recovered }).failedSincePrevious, null);
  // A previous snapshot read back from JSON has its dates as text; a reset in between counts everything since.
  const afterReset = assess({ archiver: recovered }, { previous: { at: ago(300), archiver: { failedCount: 9, statsReset: '2026-10-01T00:00:00.000Z' } } });
  assert.equal(afterReset.failedSincePrevious, 3);
  const sameReset = assess({ archiver: recovered }, { previous: { at: ago(300), archiver: { failedCount: 3, statsReset: recovered.statsReset?.toISOString() ?? null } } });
  assert.equal(sameReset.failedSincePrevious, 0);
  assert.equal(check(assess(), 'no-failure-since-success').status, 'pass');
});

test('a base backup within policy: fails only against a declared baseBackupMaxAge, warns when undeclared or not looked for', () => {
  const week = { baseBackupMaxAgeSeconds: 7 * 86400 };
  assert.equal(check(assess(), 'base-backup').status, 'warn');
  assert.match(check(assess(), 'base-backup').fix ?? '', /--archive DIR/);
  assert.equal(check(assess({}, { baseBackups: [] }), 'base-backup').status, 'warn');
  assert.equal(check(assess({}, { baseBackups: [], policy: week }), 'base-backup').status, 'fail');
  const old = { baseBackups: [{ label: 'weekly', stopTime: ago(8 * 86400) }, { label: 'older', stopTime: ago(20 * 86400) }] };
  const oldCheck = check(assess({}, { ...old, policy: week }), 'base-backup');
  assert.equal(oldCheck.status, 'fail');
  assert.match(oldCheck.detail, /\(weekly\) finished 8 days ago, older than baseBackupMaxAge 7 days/);
  assert.equal(check(assess({}, { ...old }), 'base-backup').status, 'warn');
  const fresh = assess({}, { baseBackups: [{ stopTime: ago(86400) }], policy: week });
  assert.equal(check(fresh, 'base-backup').status, 'pass');
  assert.deepEqual([fresh.rpo.baseBackup.ageSeconds, fresh.rpo.baseBackup.status], [86400, 'met']);
});

test('a verified dump within policy: only passed verifications of database dumps count', () => {
  const day = { dumpMaxAgeSeconds: 86400 };
  assert.equal(check(assess(), 'verified-dump').status, 'warn');
  assert.equal(check(assess({}, { dumps: [] }), 'verified-dump').status, 'warn');
  assert.equal(check(assess({}, { dumps: [], policy: day }), 'verified-dump').status, 'fail');
  const unverified = [dump('shop_1.dump', 3600), dump('globals.sql', 60, { status: 'passed', durationMs: 10 }, 'globals')];
  const u = check(assess({}, { dumps: unverified, policy: day }), 'verified-dump');
  assert.equal(u.status, 'fail');
  assert.match(u.fix ?? '', /verify the newest dump/);
  const failedNewest = [dump('shop_2.dump', 600, { status: 'failed', durationMs: 5000 }), dump('shop_1.dump', 7200, { status: 'passed', durationMs: 42_000 })];
  const f = check(assess({}, { dumps: failedNewest, policy: day }), 'verified-dump');
  assert.equal(f.status, 'pass');
  assert.match(f.detail, /shop_1\.dump, was taken 2 h ago.*shop_2\.dump, failed its verification/);
  assert.equal(check(assess({}, { dumps: failedNewest }), 'verified-dump').status, 'warn');
  const stale = [dump('shop_0.dump', 3 * 86400, { status: 'passed', durationMs: 1000 })];
  assert.equal(check(assess({}, { dumps: stale, policy: day }), 'verified-dump').status, 'fail');
  // The dump RPO is the newest database dump, verified or not.
  const s = assess({}, { dumps: failedNewest, policy: day });
  assert.deepEqual([s.rpo.dump.newest, s.rpo.dump.ageSeconds, s.rpo.dump.status], ['shop_2.dump', 600, 'met']);
});

test('RTO evidence is the newest passed verification, against the declared rto', () => {
  const dumps = [dump('a.dump', 7200, { status: 'passed', durationMs: 90_000, ageSeconds: 100 }), dump('b.dump', 600, { status: 'passed', durationMs: 30_000, ageSeconds: 500 })];
  const s = assess({}, { dumps, policy: { rtoSeconds: 60 } });
  assert.deepEqual({ ...s.rto, at: undefined }, { status: 'missed', targetSeconds: 60, lastRestoreSeconds: 90, from: 'a.dump', at: undefined });
  assert.equal(assess({}, { dumps, policy: { rtoSeconds: 3600 } }).rto.status, 'met');
  assert.equal(assess({}, { dumps }).rto.status, 'no-target');
  assert.equal(assess({}, { dumps: [], policy: { rtoSeconds: 60 } }).rto.status, 'no-data');
});

test('retention passes only when a plan with keep rules has pruned; an offsite declaration is not a checked copy', () => {
  const none = assess();
  assert.equal(check(none, 'retention').status, 'warn');
  assert.match(check(none, 'retention').fix ?? '', /keep: \{ daily: 7/);
  assert.equal(check(none, 'offsite').status, 'warn');
  assert.match(check(none, 'offsite').fix ?? '', /offsite: \[\{ to: /);
  const declared = assess({}, { policy: { retention: { keepDumps: 14 }, offsite: { command: 'rclone sync a b' } } });
  assert.equal(check(declared, 'retention').status, 'warn', 'written down, never applied');
  assert.match(check(declared, 'retention').detail, /no plan applies it: nothing is ever removed/);
  assert.equal(check(declared, 'offsite').status, 'warn');
  assert.match(check(declared, 'offsite').detail, /declared \(rclone sync a b\), but no plan copies its backups there/);
  const ran = { outcome: 'succeeded' as const, endedAt: new Date(NOW.getTime() - 3600_000) };
  const notYet = assess({}, { plans: [{ name: 'nightly', keepRules: true, periodSeconds: 86400, lastRun: ran, lastSuccess: ran }] });
  assert.equal(check(notYet, 'retention').status, 'warn');
  assert.match(check(notYet, 'retention').detail, /plan nightly has keep rules but never pruned/);
  const pruned = assess({}, { plans: [{ name: 'nightly', keepRules: true, lastRun: ran, lastSuccess: ran, lastPrune: { endedAt: ran.endedAt, removed: 2 } }] });
  assert.equal(check(pruned, 'retention').status, 'pass');
  assert.match(check(pruned, 'retention').detail, /plan nightly applied its keep rules .* and removed 2 backups\./);
  assert.equal(check(pruned, 'retention').fix, undefined);
});

test('plans: a failed last run or a missed schedule fails, a plan that never ran warns', () => {
  const hoursAgo = (h: number): Date => new Date(NOW.getTime() - h * 3600_000);
  const ok = (h: number) => ({ outcome: 'succeeded' as const, endedAt: hoursAgo(h) });
  assert.equal(check(assess(), 'plans').status, 'warn');
  assert.match(check(assess(), 'plans').detail, /no plan backs up this connection, so its backups are taken by hand/);
  const good = assess({}, { plans: [{ name: 'nightly', keepRules: false, periodSeconds: 86400, lastRun: ok(20), lastSuccess: ok(20) }] });
  assert.equal(check(good, 'plans').status, 'pass');
  const failed = assess({}, {
    plans: [{ name: 'nightly', keepRules: false, periodSeconds: 86400, lastRun: { outcome: 'failed', endedAt: hoursAgo(1), error: 'could not connect to the server.' }, lastSuccess: ok(25) }],
  });
  assert.equal(check(failed, 'plans').status, 'fail');
  assert.match(check(failed, 'plans').detail, /the last run of plan nightly failed .*: could not connect to the server\./);
  assert.match(check(failed, 'plans').fix ?? '', /pgbr run nightly/);
  // Two periods and a bit without a success: the timer stopped.
  const missed = assess({}, { plans: [{ name: 'nightly', keepRules: false, periodSeconds: 86400, lastRun: ok(49), lastSuccess: ok(49) }] });
  assert.equal(check(missed, 'plans').status, 'fail');
  assert.match(check(missed, 'plans').detail, /more than two of its periods \(1 day\) ago: its schedule is not running/);
  assert.equal(check(assess({}, { plans: [{ name: 'nightly', keepRules: false, periodSeconds: 86400, lastRun: ok(47), lastSuccess: ok(47) }] }), 'plans').status, 'pass');
  const never = assess({}, { plans: [{ name: 'weekly', keepRules: true }] });
  assert.equal(check(never, 'plans').status, 'warn');
  assert.match(check(never, 'plans').detail, /1 plan \(weekly\) never ran/);
});

test('every item has a title and a detail; warn and fail items carry one fix sentence', () => {
  const s = assess({ server: server({ archiveMode: 'off' }) }, { dumps: [], baseBackups: [], policy: { dumpMaxAgeSeconds: 60, baseBackupMaxAgeSeconds: 60 } });
  assert.deepEqual(
    s.checklist.map((i) => i.id),
    ['archiving-on', 'recent-archive', 'no-failure-since-success', 'base-backup', 'verified-dump', 'plans', 'retention', 'offsite'],
  );
  for (const i of s.checklist) {
    assert.ok(i.title && i.detail.endsWith('.'), i.id);
    if (i.status === 'pass') assert.equal(i.fix, undefined, i.id);
    else assert.match(i.fix ?? '', /^[a-z].*\.$/, i.id);
  }
});

test('overall state: failing when off or failing now, lagging past the rpo or with WAL piling up, else ok', () => {
  assert.equal(assess().overall, 'ok');
  assert.deepEqual(assess().reasons, []);
  assert.equal(assess({ server: server({ archiveMode: 'off' }) }).overall, 'failing');
  const failing = assess({ archiver: archiver({ failedCount: 1, lastFailedTime: ago(1), lastFailedWal: '00000001000000000000000A' }) });
  assert.equal(failing.overall, 'failing');
  assert.match(failing.reasons.join(' '), /archiving is failing/);
  const late = assess({ archiver: archiver({ lastArchivedTime: ago(900) }) }, { policy: { rpoSeconds: 300 } });
  assert.equal(late.overall, 'lagging');
  assert.match(late.reasons[0] ?? '', /15 min ago, longer than the rpo of 5 min/);
  const far = assess({ archiver: archiver({ currentWal: '000000010000000000000019' }), insertLsn: '0/19000100' });
  assert.equal(far.lag.distance?.segments, 16);
  assert.equal(far.overall, 'lagging');
  assert.equal(assess({ readyFiles: 20 }).overall, 'lagging');
  assert.equal(assess({ readyFiles: 8 }).overall, 'ok');
  assert.equal(assess({ readyFiles: null, readyFilesNote: 'no' }).overall, 'ok');
  assert.equal(assess({ inRecovery: true, insertLsn: null, archiver: archiver({ currentWal: null }) }).overall, 'ok');
});

test('buildChecklist and overallState work on their input alone', () => {
  const s = assess({}, { baseBackups: [] });
  const input = {
    now: NOW,
    server: s.server,
    archiver: s.archiver,
    inRecovery: false,
    lag: s.lag,
    readyFiles: 0,
    failedSincePrevious: null,
    policy: {},
    rpoWal: s.rpo.wal,
    dumpRpo: s.rpo.dump,
    baseBackups: [],
    baseRpo: s.rpo.baseBackup,
  };
  assert.deepEqual(buildChecklist(input), s.checklist);
  assert.deepEqual(overallState(input), { state: 'ok', reasons: [] });
  assert.equal(overallState({ ...input, readyFiles: 100 }).state, 'lagging');
});

test('the snapshot carries the lag, the settings and the activity for the chart', () => {
  const activity = [{ hour: '2026-11-22T12:00:00.000Z', segments: 3 }];
  const s = assess({ readyFiles: null, readyFilesNote: 'needs pg_monitor' }, { archiveActivity: activity });
  assert.deepEqual(s.lag, {
    currentWal: '00000001000000000000000A',
    lastArchivedWal: '000000010000000000000009',
    distance: { segments: 1, bytes: 16 * MiB, sameTimeline: true },
    unarchivedBytes: 0x123456,
    lastArchiveAgeSeconds: 60,
  });
  assert.equal(s.readyFilesNote, 'needs pg_monitor');
  assert.equal(s.activity, activity);
  assert.equal(s.at, NOW);
  // Archive ages are measured on the server's clock when it is known, file ages on this machine's.
  const skewed = assessHealth(facts({ serverNow: new Date(NOW.getTime() + 30_000) }), { policy: {}, now: NOW });
  assert.equal(skewed.lag.lastArchiveAgeSeconds, 90);
});

test('the Health view does not promise a recovery without a base backup, and reads "never failed"', () => {
  const none = healthModel('e2e', assess({}, { baseBackups: [] }), { failures: [] });
  assert.match(none.missing ?? '', /no base backup is known, and archived WAL alone restores nothing/);
  assert.match(none.headline, /no base backup is known/);
  assert.equal(none.archiver.find((r) => r.name === 'last failed')?.value, 'never failed');
  const some = healthModel('e2e', assess({}, { baseBackups: [{ label: 'nightly', stopTime: ago(3600) }] }), { failures: [] });
  assert.equal(some.missing, undefined);
  assert.equal(some.headline, 'WAL is being archived and nothing is failing.');
});

test('the Health view writes times in local time with zone and age, and reads to the second', () => {
  const failed = archiver({ failedCount: 2, lastFailedWal: '00000001000000000000000A', lastFailedTime: ago(30) });
  const m = healthModel('e2e', assess({ archiver: failed }), { failures: [] }, { timeZone: 'Europe/Berlin' });
  const row = (name: string) => m.archiver.find((r) => r.name === name)?.value;
  assert.equal(row('last archived'), '000000010000000000000009, today 13:29 UTC+1 · 1 min ago');
  assert.equal(row('last failed'), '00000001000000000000000A, today 13:29 UTC+1 · just now');
  assert.equal(row('stats reset'), '1 Nov 01:00 UTC+1 · 21 days ago');
  assert.equal(m.polledText, 'today 13:30:00 UTC+1');
  assert.equal(m.polledAt, NOW.toISOString());
  for (const r of [...m.archiver, ...m.lag]) assert.doesNotMatch(r.value, /\d{4}-\d{2}-\d{2}T|\.\d{3}Z/, r.name);
  // The checklist and the headline come from the core, in the machine's zone: no ISO there either, and the age.
  const detail = m.checklist.find((c) => c.status === 'fail')?.detail ?? '';
  assert.match(detail, /for 00000001000000000000000A (today|yesterday) \d\d:\d\d UTC[+\d:-]* · just now, after the last success \((today|yesterday) \d\d:\d\d UTC[+\d:-]* · 1 min ago\)/);
  assert.match(m.headline, /failed (today|yesterday) \d\d:\d\d UTC[+\d:-]* · just now\.$/);
});

test('the 24-hour chart: every hour labelled by its local start, on a scale that ends on a round number', () => {
  const files = [
    { name: '000000010000000000000001', mtime: ago(60) },
    { name: '000000010000000000000002', mtime: ago(120) },
    { name: '000000010000000000000003', mtime: ago(23 * 3600) },
  ];
  const archived = archivedPerHour(files, NOW);
  const m = healthModel('e2e', assess(), { archived, failures: failuresPerHour([], NOW) }, { timeZone: 'Asia/Kolkata' });
  assert.equal(m.chart.length, 24);
  // 12:00 UTC is 17:30 in Kolkata; the oldest hour starts 23 hours earlier.
  assert.equal(m.chart.at(-1)?.hour, '17:30');
  assert.deepEqual(m.chart.at(-1), { hour: '17:30', archived: 2, failed: 0 });
  assert.equal(m.chart[0]?.hour, '18:30');
  assert.equal(m.chart[0]?.archived, 1);
  assert.equal(m.chartMax, 2);
  assert.deepEqual([0, 1, 2, 3, 5, 6, 10, 11, 49, 50, 51, 1000, 1001].map(niceCeiling), [1, 1, 2, 5, 5, 10, 10, 20, 50, 50, 100, 1000, 2000]);
});
