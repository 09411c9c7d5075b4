// Replacing tables that exist in the target asks first, whichever way they are replaced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existingTablesQuestion } from '../../src/dumps/restoreQuestions';

test('drop and recreate of an existing table asks first, as TRUNCATE does, naming the tables and the database', () => {
  for (const choice of ['data', 'recreate'] as const) {
    const q = existingTablesQuestion(choice, 'public.orders', 'shop');
    assert.match(q.message, /public\.orders/);
    assert.match(q.message, /shop/);
    assert.match(q.detail, /rows there now are lost/);
    assert.ok(q.confirm.length > 0);
  }
  assert.match(existingTablesQuestion('recreate', 'public.orders', 'shop').message, /^Drop public\.orders in shop and recreate/);
  assert.equal(existingTablesQuestion('recreate', 'x', 'y').confirm, 'Drop and recreate');
});
