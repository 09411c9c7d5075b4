// Table names in SQL syntax, and pg_dump patterns that match exactly one table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactTablePattern, formatQualifiedName, parseQualifiedName, quoteIdent } from '../../src/core/postgres/names';
import { PgbrError } from '../../src/core/platform/errors';

test('parses names as PostgreSQL does', () => {
  assert.deepEqual(parseQualifiedName('orders'), { schema: 'public', name: 'orders' });
  assert.deepEqual(parseQualifiedName('Sales.Orders'), { schema: 'sales', name: 'orders' });
  assert.deepEqual(parseQualifiedName('public."a.b"'), { schema: 'public', name: 'a.b' });
  assert.deepEqual(parseQualifiedName('"My Schema"."Order""s"'), { schema: 'My Schema', name: 'Order"s' });
  assert.deepEqual(parseQualifiedName('"x*y"'), { schema: 'public', name: 'x*y' });
  assert.deepEqual(parseQualifiedName('"ÜberTable"'), { schema: 'public', name: 'ÜberTable' });
  assert.deepEqual(parseQualifiedName('orders', 'sales'), { schema: 'sales', name: 'orders' });
});

test('rejects malformed names with a message that shows the syntax', () => {
  for (const bad of ['', 'a.', '.a', 'a.b.c', '"open', 'two words', '""', 'a..b']) {
    assert.throws(() => parseQualifiedName(bad), (e: unknown) => e instanceof PgbrError && /e\.g\. public\.orders/.test(e.message), bad);
  }
});

test('quotes only where needed, and round-trips through the parser', () => {
  assert.equal(quoteIdent('orders'), 'orders');
  assert.equal(quoteIdent('MixedCase'), '"MixedCase"');
  assert.equal(quoteIdent('select'), '"select"');
  assert.equal(quoteIdent('Order"s'), '"Order""s"');
  for (const name of ['Order"s', 'a.b', 'x*y', 'ÜberTable', 'MixedCase', 'x'.repeat(63), 'with space', 'user']) {
    const q = { schema: 'public2', name };
    assert.deepEqual(parseQualifiedName(formatQualifiedName(q)), q);
  }
});

test('exact patterns quote every part so pattern characters are literal', () => {
  assert.equal(exactTablePattern({ schema: 'public', name: 'x*y' }), '"public"."x*y"');
  assert.equal(exactTablePattern({ schema: 'My Schema', name: 'Order"s' }), '"My Schema"."Order""s"');
  assert.equal(exactTablePattern({ schema: 'public', name: 'a.b' }), '"public"."a.b"');
});
