// pgbackrest verify's text as 2.45 prints it (exit 0 even with damage): the verdict, the counts, and a sentence per problem.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseVerifyOutput } from '../../src/core/backrest/verify';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'backrest', name), 'utf8');

test('a clean repository: status ok, the WAL and every backup counted, no problems', () => {
  const r = parseVerifyOutput(fixture('verify-ok.txt'));
  assert.equal(r.stanza, 'demo');
  assert.equal(r.status, 'ok');
  assert.deepEqual(r.archives, [{ archiveId: '15-1', walChecked: 9, walValid: 9, errors: { missing: 0, checksumInvalid: 0, sizeInvalid: 0, other: 0 } }]);
  assert.equal(r.backups.length, 4);
  assert.ok(r.backups.every((b) => b.status === 'valid' && b.filesChecked === 964 && b.filesValid === 964));
  assert.deepEqual([r.notes, r.problems], [[], []]);
});

test('an overwritten WAL segment: status error and the archive named with its count', () => {
  const r = parseVerifyOutput(fixture('verify-error.txt'));
  assert.equal(r.status, 'error');
  assert.deepEqual(r.archives[0]?.errors, { missing: 0, checksumInvalid: 0, sizeInvalid: 0, other: 1 });
  assert.deepEqual(r.problems, ['WAL in archive 15-1: 1 of 9 segments are damaged (1 unreadable).']);
});

test('a removed backup file without --verbose: only the non-zero count is printed, and every backup that uses it is invalid', () => {
  const r = parseVerifyOutput(fixture('verify-missing-file.txt'));
  assert.equal(r.status, 'error');
  assert.deepEqual(r.archives, []);
  assert.deepEqual(r.backups.map((b) => [b.status, b.errors.missing]), [['invalid', 1], ['invalid', 1], ['invalid', 1], ['invalid', 1]]);
  assert.equal(r.problems[0], 'backup 20261202-054530F is invalid: 1 of 964 files are damaged (1 missing).');
});

test('an error without counts keeps verify\'s own words; output that is not verify\'s (or none, as without --output=text) is refused', () => {
  const r = parseVerifyOutput('stanza: main\nstatus: error\n  No usable backup.info file\n');
  assert.deepEqual([r.notes, r.problems], [['No usable backup.info file'], ['No usable backup.info file']]);
  assert.equal(fixture('verify-ok-quiet.txt'), '');
  assert.throws(() => parseVerifyOutput(fixture('verify-ok-quiet.txt')), /printed no "stanza:" and "status:" lines: run pgbackrest verify --output=text --verbose/);
  assert.throws(() => parseVerifyOutput('ERROR: [055]: unable to load info file\n'), /\(it printed "ERROR: \[055\]/);
});
