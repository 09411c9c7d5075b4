// Counts read as people write them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plural } from '../../src/core/platform/plural';

test('one is singular, everything else plural, with thousands separated', () => {
  assert.equal(plural(1, 'table'), '1 table');
  assert.equal(plural(0, 'table'), '0 tables');
  assert.equal(plural(2, 'table'), '2 tables');
  assert.equal(plural(1204, 'row'), '1,204 rows');
  assert.equal(plural(3, 'index', 'indexes'), '3 indexes');
});
