// Restore point names and the restore-points.json file beside the base backups, without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRestorePoints, recordRestorePoint, restorePointsFileFor, validateRestorePointName } from '../../src/core/physical/restorePoints';

test('restore point names: not empty, one line, at most 63 bytes as PostgreSQL stores them', () => {
  validateRestorePointName('before-migration-42');
  validateRestorePointName('x'.repeat(63));
  // Bytes, not characters: 21 three-byte characters fill 63 bytes.
  validateRestorePointName('€'.repeat(21));
  assert.throws(() => validateRestorePointName('€'.repeat(22)), /66 bytes long and PostgreSQL allows 63/);
  assert.throws(() => validateRestorePointName('x'.repeat(64)), /64 bytes/);
  assert.throws(() => validateRestorePointName(''), /name is empty/);
  assert.throws(() => validateRestorePointName('  '), /name is empty/);
  assert.throws(() => validateRestorePointName('a\nb'), /line break/);
});

test('recorded restore points accumulate in order and survive a re-read; a missing file is none', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-rp-'));
  try {
    const file = restorePointsFileFor(path.join(dir, 'base'));
    assert.equal(path.basename(file), 'restore-points.json');
    assert.deepEqual(await readRestorePoints(file), []);
    const first = { name: 'a', lsn: '0/3000090', time: '2026-11-22T08:00:00.000Z', timeline: 1, walFile: '000000010000000000000003', profile: 'app', host: '127.0.0.1', port: 5433 };
    await recordRestorePoint(file, first);
    const all = await recordRestorePoint(file, { ...first, name: 'b', lsn: '0/4000028' });
    assert.deepEqual(all.map((p) => p.name), ['a', 'b']);
    assert.deepEqual(await readRestorePoints(file), all);
    // Written atomically: no temp file is left beside it.
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['restore-points.json']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a damaged or foreign restore point file is a config error naming the file, never silently replaced', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-rp-'));
  try {
    const file = path.join(dir, 'restore-points.json');
    await fs.writeFile(file, '{ not json');
    await assert.rejects(readRestorePoints(file), (e: Error & { kind?: string }) => e.kind === 'config' && /not valid JSON/.test(e.message));
    await assert.rejects(recordRestorePoint(file, { name: 'x', lsn: '0/1', time: 't', timeline: 1, walFile: 'w', profile: 'p' }), /not valid JSON/);
    assert.equal(await fs.readFile(file, 'utf8'), '{ not json');
    await fs.writeFile(file, '[]');
    await assert.rejects(readRestorePoints(file), /not a pgbr restore point list/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
