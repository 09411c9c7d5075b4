// The name proposed for a new restore target, and what the input box says about the one typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NAME_BYTES, freeName, newDatabaseNameProblem } from '../../src/core/postgres/names';

test('a free base name is proposed as it is; a taken one gets the first free _N', () => {
  assert.equal(freeName('shop_restored', new Set(['shop'])), 'shop_restored');
  assert.equal(freeName('shop_restored', new Set(['shop', 'shop_restored'])), 'shop_restored_2');
  assert.equal(freeName('shop_restored', new Set(['shop_restored', 'shop_restored_2', 'shop_restored_3'])), 'shop_restored_4');
  // A gap is taken: _2 is free even though _3 exists.
  assert.equal(freeName('shop_restored', new Set(['shop_restored', 'shop_restored_3'])), 'shop_restored_2');
});

test('the proposed name fits in 63 bytes, on each side of the limit, multi-byte characters included', () => {
  const exactly = 'a'.repeat(MAX_NAME_BYTES);
  assert.equal(freeName(exactly, new Set()), exactly);
  assert.equal(freeName(exactly + 'b', new Set()), exactly);
  const taken = freeName(exactly, new Set([exactly]));
  assert.equal(taken, `${'a'.repeat(MAX_NAME_BYTES - 2)}_2`);
  assert.equal(Buffer.byteLength(taken), MAX_NAME_BYTES);
  const wide = freeName('é'.repeat(40), new Set()); // 80 bytes
  assert.ok(Buffer.byteLength(wide) <= MAX_NAME_BYTES, wide);
  assert.equal(wide, 'é'.repeat(31));
});

test('the input box refuses an existing name and says which one is free', () => {
  const taken = new Set(['shop', 'shop_restored']);
  assert.equal(
    newDatabaseNameProblem('shop_restored', taken),
    'A database named "shop_restored" already exists on this server: choose another name (shop_restored_2 is free).',
  );
  assert.equal(newDatabaseNameProblem('shop_restored_2', taken), undefined);
  assert.match(newDatabaseNameProblem('', taken) ?? '', /^Type a name/);
  assert.match(newDatabaseNameProblem('   ', taken) ?? '', /^Type a name/);
  assert.match(newDatabaseNameProblem(' shop2', taken) ?? '', /space/);
});

test('the input box accepts 63 bytes and refuses 64', () => {
  assert.equal(newDatabaseNameProblem('a'.repeat(MAX_NAME_BYTES), new Set()), undefined);
  assert.equal(newDatabaseNameProblem('a'.repeat(MAX_NAME_BYTES + 1), new Set()), 'The name is 64 bytes long; PostgreSQL keeps only 63: shorten it.');
});
