// Dump names: the template, safe characters, extensions by format, and the default folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpExtension, expandNameTemplate, safeFileName, splitDumpFileName } from '../../src/core/logical/naming';
import { PgbrError } from '../../src/core/platform/errors';

// Local time on purpose: names follow the user's clock.
const when = new Date(2026, 10, 22, 9, 5, 7);
const values = { db: 'shop', profile: 'prod', format: 'custom' as const, date: when };

test('the default template gives db and a sortable local timestamp', () => {
  assert.equal(expandNameTemplate('{db}_{yyyyMMdd-HHmmss}', values), 'shop_20261122-090507');
});

test('every token expands', () => {
  assert.equal(expandNameTemplate('{profile}-{db}-{format}-{yyyy}.{MM}.{dd}-{HH}{mm}{ss}', values), 'prod-shop-custom-2026.11.22-090507');
});

test('an unknown token is a settings error naming the valid ones', () => {
  assert.throws(
    () => expandNameTemplate('{db}_{date}', values),
    (e: unknown) => e instanceof PgbrError && e.kind === 'config' && /\{date\}/.test(e.message) && /\{yyyyMMdd-HHmmss\}/.test(e.message),
  );
});

test('characters unsafe in file names are replaced, whatever they came from', () => {
  assert.equal(expandNameTemplate('{profile}_{db}', { ...values, profile: 'app@127.0.0.1:5433/postgres', db: 'a/b\\c' }), 'app@127.0.0.1_5433_postgres_a_b_c');
  assert.equal(safeFileName('x*y?<z>|"q"'), 'x_y__z___q_');
  assert.equal(safeFileName('tab\there\nnewline'), 'tab_here_newline');
  assert.equal(safeFileName('..hidden'), '__hidden', 'a leading dot would hide the dump');
  assert.equal(safeFileName('name. '), 'name', 'Windows drops trailing dots and spaces');
  assert.equal(safeFileName('CON'), '_CON');
  assert.equal(safeFileName('nul.dump'), '_nul.dump');
  assert.equal(safeFileName(''), 'dump');
  assert.equal(safeFileName('ÜberDB'), 'ÜberDB', 'letters beyond ASCII are kept');
});

test('long names are cut on a character boundary within the byte limit', () => {
  const name = safeFileName('ü'.repeat(200));
  assert.ok(Buffer.byteLength(name) <= 180);
  assert.ok(!name.includes('\ufffd'));
  assert.equal(name, 'ü'.repeat(90));
});

test('extensions by format', () => {
  assert.equal(dumpExtension('custom'), '.dump');
  assert.equal(dumpExtension('directory'), '');
  assert.equal(dumpExtension('tar'), '.tar');
  assert.equal(dumpExtension('plain'), '.sql');
  assert.equal(dumpExtension('plain', true), '.sql.gz');
});

test('a chosen file name splits into base and extension, .sql.gz kept whole', () => {
  assert.deepEqual(splitDumpFileName('nightly.dump'), { base: 'nightly', extension: '.dump' });
  assert.deepEqual(splitDumpFileName('shop.sql.gz'), { base: 'shop', extension: '.sql.gz' });
  assert.deepEqual(splitDumpFileName('my.db.v2.tar'), { base: 'my.db.v2', extension: '.tar' });
  assert.deepEqual(splitDumpFileName('noext'), { base: 'noext', extension: '' });
});

