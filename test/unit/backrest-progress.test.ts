// pgbackrest backup's console lines at detail level as progress, as 2.45 prints them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readBackupLine } from '../../src/core/backrest/commands';

const at = '2026-12-02 06:04:00.269 P00   INFO: ';

test('the phases in the order a 2.45 full backup prints them, and the new label', () => {
  assert.deepEqual(readBackupLine(`${at}execute non-exclusive backup start: backup begins after the requested immediate checkpoint completes`), { phase: 'starting' });
  // At the start pgBackRest waits for the start segment: that is not the end's wait for the backup's WAL.
  assert.equal(readBackupLine(`${at}check archive for segment 000000010000000000000011`), undefined);
  assert.equal(readBackupLine(`${at}check archive for prior segment 00000001000000000000000F`), undefined);
  assert.deepEqual(readBackupLine(`${at}execute non-exclusive backup stop and wait for all WAL segments to archive`), { phase: 'stopping' });
  assert.deepEqual(readBackupLine(`${at}check archive for segment(s) 000000010000000000000010:000000010000000000000010`), { phase: 'archiving' });
  assert.deepEqual(readBackupLine(`${at}new backup label = 20261202-060359F`), { label: '20261202-060359F' });
  assert.deepEqual(readBackupLine(`${at}expire command begin 2.45: --stanza=demo`), { phase: 'expiring' });
  assert.equal(readBackupLine(`${at}full backup size = 22.0MB, file total = 964`), undefined);
});

test('per-file lines give the percentage of the database copied, for copied and unchanged files alike', () => {
  assert.deepEqual(readBackupLine('2026-12-02 05:59:24.331 P01 DETAIL: backup file /srv/pg/data/base/1/2619 (192KB, 40.67%) checksum bbaa00a2d5617e6ab61e3e7036b4d77e6b7293ee'), { phase: 'copying', percent: 40.67 });
  assert.deepEqual(readBackupLine('2026-12-02 05:59:24.483 P01 DETAIL: backup file /srv/pg/data/pg_logical/replorigin_checkpoint (8B, 100.00%) checksum 347f'), { phase: 'copying', percent: 100 });
  assert.deepEqual(readBackupLine('P01 DETAIL: match file from prior backup /srv/pg/data/base/1/112 (8KB, 0.04%) checksum 1a2b'), { phase: 'copying', percent: 0.04 });
  assert.deepEqual(readBackupLine('P01 DETAIL: checksum resumed file /srv/pg/data/base/1/113 (16KB, 12.00%) checksum 1a2b'), { phase: 'copying', percent: 12 });
  assert.deepEqual(readBackupLine('P01 DETAIL: backup file /srv/pg/data/base/1/114 (bundle 1/1024, 8KB, 55.10%) checksum 1a2b'), { phase: 'copying', percent: 55.1 });
  assert.equal(readBackupLine('P01 DETAIL: skip file removed by database /srv/pg/data/base/1/115'), undefined);
  // A path with parentheses and a percent sign still yields the size's percentage.
  assert.deepEqual(readBackupLine('P01 DETAIL: backup file /srv/pg (100%) data/base/1/1 (0B, 7.50%) checksum 1a'), { phase: 'copying', percent: 7.5 });
  assert.equal(readBackupLine('P00 DETAIL: reference pg_data/base/1/113 to 20261202-054530F'), undefined);
});
