// Where dumps, base backups and archives live: one set of rules for the editor and pgbr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { baseBackupFolderFrom, dumpFoldersFrom, expandFolder } from '../../src/core/profiles/places';
import { parseArchiveLocations } from '../../src/core/wal/locations';
import { baseBackupFolderFor, dumpFoldersFor } from '../../src/cli/workspace';

const places = { workspaceFolder: '/ws', storage: '/gs', homedir: '/home/ann' };

test('dump folders: the configured ones in order, deduplicated, else the workspace .pg-backups, else the storage folder', () => {
  assert.deepEqual(dumpFoldersFrom(['  ', '/srv/dumps', 'rel', '/srv/dumps/', 3], places), ['/srv/dumps', path.join('/ws', 'rel')]);
  assert.deepEqual(dumpFoldersFrom([], places), [path.join('/ws', '.pg-backups')]);
  assert.deepEqual(dumpFoldersFrom([], { storage: '/gs' }), ['/gs']);
});

test('the base-backup folder: configured (relative to the workspace), else .pg-backups/base, else storage/base', () => {
  assert.equal(baseBackupFolderFrom(undefined, places), path.join('/ws', '.pg-backups', 'base'));
  assert.equal(baseBackupFolderFrom('backups/base', places), path.join('/ws', 'backups', 'base'));
  assert.equal(baseBackupFolderFrom('/srv/base', places), '/srv/base');
  assert.equal(baseBackupFolderFrom('  ', { storage: '/gs' }), path.join('/gs', 'base'));
});

test('~ means the home folder everywhere: dump folders, the base-backup folder and archives', () => {
  assert.equal(expandFolder('~', places), '/home/ann');
  assert.equal(expandFolder(' ~/dumps ', places), path.join('/home/ann', 'dumps'));
  assert.deepEqual(dumpFoldersFrom(['~/dumps'], places), [path.join('/home/ann', 'dumps')]);
  assert.equal(baseBackupFolderFrom('~/base', places), path.join('/home/ann', 'base'));
  const { locations } = parseArchiveLocations(['~/wal'], 'pgbackup.yaml', '/ws', '/home/ann');
  assert.equal(locations[0]?.path, path.join('/home/ann', 'wal'));
  assert.equal(parseArchiveLocations(['wal'], 'pgbackup.yaml', '/ws', '/home/ann').locations[0]?.path, path.join('/ws', 'wal'));
});

test('pgbr reads the same folders as the editor from pgbackup.yaml', () => {
  assert.deepEqual(dumpFoldersFor({ connections: [], dumpFolders: ['backups', '/srv/more'] }, '/ws'), [path.join('/ws', 'backups'), '/srv/more']);
  assert.deepEqual(dumpFoldersFor(undefined, '/ws'), [path.join('/ws', '.pg-backups')]);
  assert.equal(baseBackupFolderFor({ connections: [], baseBackupFolder: 'phys' }, '/ws'), path.join('/ws', 'phys'));
});
