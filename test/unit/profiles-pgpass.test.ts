// ~/.pgpass exactly as libpq reads it: escapes, wildcards, first match, comments and the socket rule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  escapePgpassField,
  formatPgpassLine,
  lookupPgpass,
  parsePgpass,
  pgpassFilePath,
} from '../../src/core/profiles/pgpass';

const target = { host: 'db.example.com', port: 5432, database: 'app', user: 'backup' };

test('escaped \\: and \\\\ are literal in every field, including the password', () => {
  const entries = parsePgpass('fe80\\:\\:1:5432:my\\\\db:us\\:er:pa\\:ss\\\\word\n');
  assert.deepEqual(entries, [
    { host: 'fe80::1', port: '5432', database: 'my\\db', user: 'us:er', password: 'pa:ss\\word', line: 1 },
  ]);
  assert.equal(lookupPgpass(entries, { host: 'fe80::1', port: 5432, database: 'my\\db', user: 'us:er' }), 'pa:ss\\word');
  assert.equal(lookupPgpass(entries, { host: 'fe80', port: 5432, database: 'my\\db', user: 'us:er' }), undefined);
});

test('a bare * matches anything; an escaped \\* only matches a literal star', () => {
  const entries = parsePgpass('*:*:*:backup:any\n\\*:5432:app:other:star\n');
  assert.equal(lookupPgpass(entries, target), 'any');
  assert.equal(lookupPgpass(entries, { ...target, host: '10.1.1.1', port: 6543, database: 'x' }), 'any');
  assert.equal(lookupPgpass(entries, { ...target, user: 'other' }), undefined);
  assert.equal(lookupPgpass(entries, { ...target, host: '*', user: 'other' }), 'star');
  // A star inside a field is literal too.
  assert.equal(lookupPgpass(parsePgpass('db*:*:*:*:x\n'), target), undefined);
});

test('the first matching line wins, even over a more specific later one', () => {
  const text = ['db.example.com:*:*:backup:first', 'db.example.com:5432:app:backup:second'].join('\n');
  assert.equal(lookupPgpass(parsePgpass(text), target), 'first');
  const reversed = ['db.example.com:5432:app:backup:second', 'db.example.com:*:*:backup:first'].join('\n');
  assert.equal(lookupPgpass(parsePgpass(reversed), target), 'second');
});

test('comments start in the first column only; short and empty lines never match', () => {
  const text = [
    '# db.example.com:5432:app:backup:commented',
    '',
    'db.example.com:5432:app',
    '  #db.example.com:5432:app:backup:indented-is-data',
    'db.example.com:5432:app:backup:real',
  ].join('\n');
  const entries = parsePgpass(text);
  assert.deepEqual(entries.map((e) => e.line), [4, 5]);
  assert.equal(lookupPgpass(entries, target), 'real');
});

test('the password ends at the next unescaped colon; CRLF line ends are dropped', () => {
  const entries = parsePgpass('h:1:d:u:secret:ignored\r\nh:2:d:u:\r\n');
  assert.equal(lookupPgpass(entries, { host: 'h', port: 1, database: 'd', user: 'u' }), 'secret');
  assert.equal(lookupPgpass(entries, { host: 'h', port: 2, database: 'd', user: 'u' }), '');
});

test('no host and the default socket folders are looked up as localhost; other folders literally', () => {
  const entries = parsePgpass(
    ['/var/run/postgresql:5432:app:backup:socket-line', 'localhost:5432:app:backup:local', '/srv/pg:5432:app:backup:custom'].join('\n'),
  );
  for (const host of ['', '/var/run/postgresql', '/tmp', 'localhost']) {
    assert.equal(lookupPgpass(entries, { ...target, host }), 'local', host);
  }
  assert.equal(lookupPgpass(entries, { ...target, host: '/srv/pg' }), 'custom');
  assert.equal(lookupPgpass(entries, { ...target, host: '/srv/other' }), undefined);
  assert.equal(lookupPgpass(entries, { ...target, host: '127.0.0.1' }), undefined);
});

test('ports are compared as written', () => {
  const entries = parsePgpass('h:05432:d:u:padded\nh:5432:d:u:plain\n');
  assert.equal(lookupPgpass(entries, { host: 'h', port: 5432, database: 'd', user: 'u' }), 'plain');
});

test('the password file is PGPASSFILE, ~/.pgpass, or pgpass.conf under APPDATA on Windows', () => {
  assert.equal(pgpassFilePath({ PGPASSFILE: '/run/secrets/pgpass' }, '/home/ana', 'linux'), '/run/secrets/pgpass');
  assert.equal(pgpassFilePath({}, '/home/ana', 'linux'), '/home/ana/.pgpass');
  assert.equal(pgpassFilePath({}, '/Users/ana', 'darwin'), '/Users/ana/.pgpass');
  assert.equal(
    pgpassFilePath({ APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'C:\\Users\\ana', 'win32'),
    'C:\\Users\\ana\\AppData\\Roaming\\postgresql\\pgpass.conf',
  );
  assert.equal(pgpassFilePath({}, 'C:\\Users\\ana', 'win32'), 'C:\\Users\\ana\\AppData\\Roaming\\postgresql\\pgpass.conf');
});

test('written lines escape what libpq unescapes and read back to the same match', () => {
  assert.equal(escapePgpassField('a:b\\c'), 'a\\:b\\\\c');
  const fields = { host: '::1', port: 5432, database: 'we:ird\\db', user: 'u', password: 'p:a\\ss' };
  const line = formatPgpassLine(fields);
  assert.equal(line, '\\:\\:1:5432:we\\:ird\\\\db:u:p\\:a\\\\ss');
  assert.equal(lookupPgpass(parsePgpass(line), { host: '::1', port: 5432, database: 'we:ird\\db', user: 'u' }), 'p:a\\ss');
  assert.equal(formatPgpassLine({ host: '*', port: '*', database: '*', user: 'u', password: '*' }), '*:*:*:u:*');
});
