// One decision on "is archiving on", read the same by pgbr status, the checklist and the Connections view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiverProblems } from '../../src/core/health/archiverCheck';
import { archivingBlock, archivingOn } from '../../src/core/health/archiving';
import { buildChecklist, type ChecklistInput } from '../../src/core/health';
import type { ArchiverStatus, ServerInfo } from '../../src/core/postgres/server';

const server = (over: Partial<ServerInfo> = {}): ServerInfo => ({
  version: '15.8',
  versionNum: 150008,
  major: 15,
  walLevel: 'replica',
  archiveMode: 'on',
  archiveCommand: 'cp %p /archive/%f',
  archiveLibrary: '',
  archiveTimeout: '0',
  maxWalSenders: 10,
  segmentSize: 16 << 20,
  isSuperuser: false,
  hasReplication: true,
  serverTimeZone: 'UTC',
  ...over,
});

const quiet: ArchiverStatus = {
  archivedCount: 0,
  lastArchivedWal: null,
  lastArchivedTime: null,
  failedCount: 0,
  lastFailedWal: null,
  lastFailedTime: null,
  statsReset: null,
} as ArchiverStatus;

const noTarget = { ageSeconds: null, status: 'no-target' };
const checklistInput = (s: ServerInfo): ChecklistInput =>
  ({ now: new Date(0), server: s, archiver: quiet, inRecovery: false, lag: {}, readyFiles: 0, failedSincePrevious: null, policy: {}, rpoWal: noTarget, dumpRpo: noTarget, baseRpo: noTarget }) as unknown as ChecklistInput;

test('archive_library alone is archiving: no problem for pgbr status, a pass in the checklist, "on" in the tree', () => {
  const s = server({ archiveCommand: '', archiveLibrary: 'basic_archive' });
  assert.equal(archivingOn(s), true);
  assert.deepEqual(archiverProblems(s, quiet), []);
  assert.equal(archivingBlock(s), undefined);
  assert.equal(buildChecklist(checklistInput(s)).find((i) => i.id === 'archiving-on')?.status, 'pass');
});

test('each way archiving is off is named once, with the same words everywhere', () => {
  const cases: [Partial<ServerInfo>, RegExp, string][] = [
    [{ walLevel: 'minimal' }, /wal_level is minimal/, 'wal_level minimal'],
    [{ archiveMode: 'off' }, /archive_mode is off/, 'archiving off'],
    [{ archiveCommand: '', archiveLibrary: '' }, /archive_command and archive_library are empty/, 'archive_mode on, no archive_command'],
    [{ archiveMode: 'always', archiveCommand: '  ', archiveLibrary: undefined }, /archive_mode is always but/, 'archive_mode always, no archive_command'],
  ];
  for (const [over, words, short] of cases) {
    const s = server(over);
    assert.equal(archivingOn(s), false, JSON.stringify(over));
    assert.equal(archivingBlock(s)?.short, short);
    const problems = archiverProblems(s, quiet);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, words);
    const item = buildChecklist(checklistInput(s)).find((i) => i.id === 'archiving-on');
    assert.equal(item?.status, 'fail');
    assert.match(item?.detail ?? '', words);
  }
});
