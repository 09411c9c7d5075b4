import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'node:test';
import { baseBackupsSeen } from '../../src/core/health';
import type { BaseBackupRecord } from '../../src/core/physical';

function record(name: string, profile: string, stopTime: string): BaseBackupRecord {
  return {
    recordVersion: 1, kind: 'basebackup', name, label: name, profile, host: '127.0.0.1', port: 5433, user: 'postgres',
    serverVersion: '15.18', tool: 'pg_basebackup', toolVersion: '15.18', format: 'plain', compression: 'none', checkpoint: 'fast', walMethod: 'stream',
    startLsn: '0/3000028', startWal: '000000010000000000000003', stopLsn: '0/3000100', stopWal: '000000010000000000000003', timeline: 1, startTimeline: 1,
    startTime: stopTime, stopTime, startedAt: stopTime, finishedAt: stopTime, durationMs: 1000, sizeBytes: 1, segmentSize: 16777216,
    files: ['backup_label'], verification: { tool: 'pg_verifybackup', status: 'passed', at: stopTime },
  };
}

const history = (label: string, stop: string) => `START WAL LOCATION: 0/D00028 (file 00000001000000000000000D)
STOP WAL LOCATION: 0/D00100 (file 00000001000000000000000D)
CHECKPOINT LOCATION: 0/D00060
BACKUP METHOD: streamed
BACKUP FROM: primary
START TIME: ${stop}
LABEL: ${label}
START TIMELINE: 1
STOP TIME: ${stop}
STOP TIMELINE: 1
`;

test('base backups seen: the archive and the records of the connection, one backup listed once, newest first', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-seen-'));
  try {
    const archive = path.join(root, 'archive');
    const folder = path.join(root, 'base');
    await fs.mkdir(archive);
    await fs.mkdir(folder);
    // A backup another tool took: only in the archive.
    await fs.writeFile(path.join(archive, '00000001000000000000000D.00000028.backup'), history('other-tool', '2026-11-20 07:00:00 UTC'));
    // One this tool took with archiving on: in both, listed once.
    await fs.writeFile(path.join(archive, '00000001000000000000000E.00000028.backup'), history('both', '2026-11-21 07:00:00 UTC'));
    for (const [name, profile, stop] of [['both', 'app', '2026-11-21T07:00:00.000Z'], ['no-archive', 'app', '2026-11-22T07:00:00.000Z'], ['elsewhere', 'other', '2026-11-23T07:00:00.000Z'], ['deleted', 'app', '2026-11-24T07:00:00.000Z']] as const) {
      if (name !== 'deleted') await fs.mkdir(path.join(folder, name));
      await fs.writeFile(path.join(folder, `${name}.basebackup.json`), JSON.stringify(record(name, profile, stop)));
    }
    const notes: string[] = [];
    const seen = await baseBackupsSeen({ archive, folder, profile: 'app' }, notes);
    assert.deepEqual(seen.map((s) => [s.label, s.stopTime.toISOString()]), [
      ['no-archive', '2026-11-22T07:00:00.000Z'],
      ['both', '2026-11-21T07:00:00.000Z'],
      ['other-tool', '2026-11-20T07:00:00.000Z'],
    ]);
    assert.deepEqual(notes, []);

    // Without an archive, the records still count; an archive that cannot be read is a note, not a failure.
    const alone = await baseBackupsSeen({ folder, profile: 'app' }, notes);
    assert.deepEqual(alone.map((s) => s.label), ['no-archive', 'both']);
    const broken: string[] = [];
    const withBroken = await baseBackupsSeen({ archive: path.join(root, 'nope'), folder, profile: 'app' }, broken);
    assert.deepEqual(withBroken.map((s) => s.label), ['no-archive', 'both']);
    assert.equal(broken.length, 1);
    assert.match(broken[0]!, /base backups in the archive not checked/);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
