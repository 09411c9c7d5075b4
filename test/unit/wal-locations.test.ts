// Archive locations from configuration, and the folder of a plain-copy archive_command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addArchiveToYaml, archiveFolderFromCommand, archiveForConnection, parseArchiveLocations, parseSegmentSize } from '../../src/core/wal/locations';

test('reads a plain-copy archive_command, with or without test ! -f and quotes', () => {
  assert.equal(archiveFolderFromCommand('cp %p /srv/wal/%f'), '/srv/wal');
  assert.equal(archiveFolderFromCommand("test ! -f '/srv/my wal/%f' && cp %p '/srv/my wal/%f'"), '/srv/my wal');
  assert.equal(archiveFolderFromCommand('test ! -f /a/%f && cp "%p" /a/%f'), '/a');
  assert.equal(archiveFolderFromCommand('/bin/cp %p /a/%f'), '/a');
});

test('anything but a plain local copy is not a folder', () => {
  for (const cmd of ['rsync -a %p backup:/wal/%f', 'pgbackrest --stanza=main archive-push %p', 'wal-g wal-push %p', 'cp %p wal/%f', 'test ! -f /a/%f && cp %p /b/%f', '', 'false', 'cp %p /a/%f; rm -rf /']) {
    assert.equal(archiveFolderFromCommand(cmd), undefined, cmd);
  }
});

test('archive entries: paths or objects, relative to the workspace, bad ones reported and skipped', () => {
  const { locations, problems } = parseArchiveLocations(
    ['wal', { path: '/srv/wal', connection: 'prod', segmentSize: '64MB' }, { connection: 'x' }, { path: '/b', segmentSize: '3MB' }, 42, { path: '/c', colour: 'red' }],
    'pgbackup.yaml',
    '/home/ann/proj',
  );
  assert.deepEqual(
    locations.map((l) => [l.path, l.connection, l.segmentSize]),
    [
      ['/home/ann/proj/wal', undefined, undefined],
      ['/srv/wal', 'prod', 64 * 1024 * 1024],
      ['/b', undefined, undefined],
      ['/c', undefined, undefined],
    ],
  );
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems.join('\n'), /archives\[2\]: "path" is missing/);
  assert.match(problems.join('\n'), /3MB is not a valid WAL segment size/);
  assert.match(problems.join('\n'), /unknown key "colour"/);
});

test('segment sizes', () => {
  assert.equal(parseSegmentSize('16MB'), 16 << 20);
  assert.equal(parseSegmentSize(1 << 30), 1 << 30);
  assert.equal(parseSegmentSize(undefined), undefined);
  assert.equal(parseSegmentSize('17MB'), null);
  assert.equal(parseSegmentSize('lots'), null);
});

test('adding an archive to pgbackup.yaml keeps comments and does not list a path twice', () => {
  const text = '# team file\nconnections:\n  - name: a\n    host: x\n';
  const once = addArchiveToYaml(text, { path: '/srv/wal', connection: 'a' });
  assert.match(once, /^# team file/);
  assert.match(once, /archives:\n\s+- path: \/srv\/wal\n\s+connection: a/);
  assert.equal(addArchiveToYaml(once, { path: '/srv/wal' }), once);
  const twice = addArchiveToYaml(once, { path: '/srv/wal2' });
  assert.equal((twice.match(/- path:/g) ?? []).length, 2);
  assert.throws(() => addArchiveToYaml('archives: 5\n', { path: '/x' }), /not a list/);
});

test('adding an archive to an empty or missing pgbackup.yaml creates the list', () => {
  assert.match(addArchiveToYaml(undefined, { path: '/w' }), /^archives:\n\s+- path: \/w\n$/);
  assert.match(addArchiveToYaml('', { path: '/w' }), /^archives:/);
});

test('shell quoting that joins words is read as the shell reads it', () => {
  assert.equal(archiveFolderFromCommand("test ! -f '/tmp/x y/archive'/%f && cp %p '/tmp/x y/archive'/%f"), '/tmp/x y/archive');
  assert.equal(archiveFolderFromCommand('cp %p "/srv/w"/%f'), '/srv/w');
  assert.equal(archiveFolderFromCommand('cp %p /srv/$DIR/%f'), undefined);
  assert.equal(archiveFolderFromCommand("cp %p '/srv/w/%f' extra"), undefined);
});

test('the archive of a connection: declared for it, else its archive_command folder, else the one unnamed location', () => {
  const prod = { path: '/srv/wal/prod', connection: 'prod', source: 'pgbackup.yaml' };
  const shared = { path: '/srv/wal/shared', source: 'pgbackup.yaml' };
  const copy = (dir: string): string => `test ! -f ${dir}/%f && cp %p ${dir}/%f`;
  assert.equal(archiveForConnection([shared, prod], 'prod', copy('/elsewhere')), prod, 'a declaration wins over the command');
  assert.equal(archiveForConnection([prod, shared], 'app', copy('/srv/wal/shared/')), shared, 'the declared location of the command folder');
  assert.deepEqual(archiveForConnection([prod], 'app', copy('/srv/other')), { path: '/srv/other', source: 'archive_command' });
  assert.equal(archiveForConnection([shared], 'app', ''), shared, 'one location that names no connection');
  assert.equal(archiveForConnection([prod], 'app', ''), undefined, "another connection's archive is not this one's");
  assert.equal(archiveForConnection([shared, { ...shared, path: '/srv/b' }], 'app', ''), undefined, 'two unnamed: no guess');
});
