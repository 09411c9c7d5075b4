// WAL Archive and base backup rows show local wall time with its zone and an age, against a fixed clock and zone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseBackupDescription, pointText, problemHeadline, restorePointDescription, runTooltip } from '../../src/archive/labels';
import type { BaseBackupRecord } from '../../src/core/physical';
import type { SegmentRun } from '../../src/core/wal/check';

const clock = { now: new Date('2026-11-24T18:22:00Z'), timeZone: 'Europe/Berlin' };

void test('a window point is the wall time in the zone, "~" when estimated, the age only when asked for', () => {
  const exact = { lsn: '0/3000028', timeline: 1, time: new Date('2026-11-24T18:19:00Z'), exact: true, source: 'backup label' };
  assert.equal(pointText(exact, clock), 'today 19:19 UTC+1');
  assert.equal(pointText({ ...exact, exact: false }, clock), '~today 19:19 UTC+1');
  assert.equal(pointText(exact, clock, true), 'today 19:19 UTC+1 · 3 min ago');
  assert.equal(pointText({ ...exact, time: undefined }, clock), '0/3000028');
});

void test('a run\'s tooltip gives both ends with their age, never ISO with milliseconds', () => {
  const run = {
    first: '000000010000000000000001',
    last: '000000010000000000000003',
    firstTime: new Date('2026-11-23T22:10:00.500Z'),
    lastTime: new Date('2026-11-24T18:21:59Z'),
    startLsn: '0/1000000',
    endLsn: '0/4000000',
  } as SegmentRun;
  const tip = runTooltip(run, clock);
  assert.equal(tip, '0/1000000 – 0/4000000\narchived yesterday 23:10 UTC+1 · 20 h ago – today 19:21 UTC+1 · just now');
  assert.doesNotMatch(tip, /\d{4}-\d\d-\d\dT|\.\d{3}Z/);
});

void test('a base backup row says when it finished, its size, format and verification', () => {
  const record = {
    stopTime: '2026-11-24T18:19:00.000Z',
    sizeBytes: 25 * 1024 * 1024,
    format: 'tar',
    compression: 'gzip:6',
    verification: { status: 'passed', tool: 'pg_verifybackup' },
  } as unknown as BaseBackupRecord;
  assert.equal(baseBackupDescription(record, clock), 'today 19:19 UTC+1 · 3 min ago · 25 MB · tar gzip:6 · verified');
  const plain = { ...record, compression: 'none', verification: { status: 'failed', tool: 'pg_verifybackup' } } as unknown as BaseBackupRecord;
  assert.match(baseBackupDescription(plain, { ...clock, timeZone: 'UTC' }), /^today 18:19 UTC · 3 min ago · 25 MB · tar · verification FAILED$/);
});

void test('a restore point is shown to the second, as a recovery target is', () => {
  const p = { name: 'before-migration', lsn: '0/3000090', time: '2026-11-24T18:19:05.987654Z', timeline: 1, walFile: '000000010000000000000003', profile: 'shop', host: 'h', port: 5432 };
  assert.equal(restorePointDescription(p, clock), 'shop · 0/3000090 · today 19:19:05 UTC+1 · 2 min ago');
});

test('a problem row keeps the what and leaves the why to its tooltip', () => {
  assert.equal(
    problemHeadline('segment 000000010000000000000007 is missing on timeline 1: PITR past 0/7000000 on timeline 1 is impossible from any base backup that ends before it'),
    'segment 000000010000000000000007 is missing on timeline 1',
  );
  assert.equal(problemHeadline('core.1234 is not a WAL segment'), 'core.1234 is not a WAL segment');
});
