// Foreign keys of chosen tables or a whole dump: which table each references, which cannot be restored, and how a verification says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referencedTable, type TocEntry } from '../../src/core/logical/toc';
import { dumpRelations, listOf, withoutDanglingForeignKeys } from '../../src/core/logical/restoreList';
import { leftOutForeignKeyLine, uncheckedForeignKeys } from '../../src/core/logical/verify';

test('reads the referenced table from a foreign key definition, quoted names included', () => {
  assert.deepEqual(
    referencedTable('ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT f FOREIGN KEY (customer_id) REFERENCES public.customers(id);\n'),
    { schema: 'public', name: 'customers' },
  );
  assert.deepEqual(referencedTable('ALTER TABLE ONLY "My Schema".x ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES "My Schema"."Cust""omers"(id);'), {
    schema: 'My Schema',
    name: 'Cust"omers',
  });
  assert.equal(referencedTable('ALTER TABLE ONLY public.x ADD CONSTRAINT c CHECK (a > 0);'), undefined);
});

const entry = (dumpId: number, desc: string, name: string, extra: Partial<TocEntry> = {}): TocEntry => ({
  dumpId,
  catalogOid: 0,
  objectOid: 0,
  desc,
  schema: 'public',
  name,
  tag: name,
  owner: 'app',
  rawLine: `${dumpId}; 0 0 ${desc} public ${name} app`,
  ...extra,
});

test('drops only the keys whose referenced table is neither chosen nor present, with their comments', () => {
  const entries = [
    entry(1, 'TABLE', 'orders'),
    entry(2, 'TABLE DATA', 'orders'),
    entry(3, 'FK CONSTRAINT', 'orders_customer_fkey', { table: 'orders', references: { schema: 'public', name: 'customers' } }),
    entry(4, 'FK CONSTRAINT', 'orders_item_fkey', { table: 'orders', references: { schema: 'public', name: 'items' } }),
    entry(5, 'FK CONSTRAINT', 'orders_parent_fkey', { table: 'orders', references: { schema: 'public', name: 'orders' } }),
    entry(6, 'COMMENT', 'CONSTRAINT orders_customer_fkey ON orders', { dependencies: [3] }),
  ];
  const list = { entries, text: '' };
  const out = withoutDanglingForeignKeys(list, [{ schema: 'public', name: 'orders' }], (t) => t.name === 'items');
  assert.deepEqual(out.list.entries.map((e) => e.dumpId), [1, 2, 4, 5]);
  assert.equal(out.warnings.length, 1);
  assert.match(out.warnings[0] ?? '', /"orders_customer_fkey".*references "public"\."customers"/);
  assert.equal(out.list.text.split('\n').filter(Boolean).length, 4);
});

test('a whole dump keeps the keys to its own relations and leaves out those to tables it does not hold', () => {
  const entries = [
    entry(1, 'SCHEMA', 'sales', { schema: null }),
    entry(2, 'TABLE', 'orders'),
    entry(3, 'TABLE', 'invoices', { schema: 'sales' }),
    entry(4, 'TABLE DATA', 'orders'),
    entry(5, 'FK CONSTRAINT', 'invoices_order_fkey', { schema: 'sales', table: 'invoices', references: { schema: 'public', name: 'orders' } }),
    entry(6, 'FK CONSTRAINT', 'orders_customer_fkey', { table: 'orders', references: { schema: 'public', name: 'customers' } }),
    // Same name, other schema: not the table the key references.
    entry(7, 'FK CONSTRAINT', 'invoices_customer_fkey', { schema: 'sales', table: 'invoices', references: { schema: 'sales', name: 'orders' } }),
    // Read from a list without definitions: what it references is unknown, so it is kept and fails loudly if it must.
    entry(8, 'FK CONSTRAINT', 'orders_unknown_fkey', { table: 'orders' }),
    entry(9, 'COMMENT', 'CONSTRAINT orders_customer_fkey ON orders', { dependencies: [6] }),
  ];
  assert.deepEqual(dumpRelations(entries), [
    { schema: 'public', name: 'orders' },
    { schema: 'sales', name: 'invoices' },
  ]);
  const out = withoutDanglingForeignKeys(listOf(entries), dumpRelations(entries), () => false);
  assert.deepEqual(out.list.entries.map((e) => e.dumpId), [1, 2, 3, 4, 5, 8]);
  assert.equal(out.list.text, [1, 2, 3, 4, 5, 8].map((id) => entries.find((e) => e.dumpId === id)!.rawLine).join('\n') + '\n');
  assert.deepEqual(out.left, [
    { schema: 'public', table: 'orders', name: 'orders_customer_fkey', references: { schema: 'public', name: 'customers' } },
    { schema: 'sales', table: 'invoices', name: 'invoices_customer_fkey', references: { schema: 'sales', name: 'orders' } },
  ]);
  // A table the target already holds keeps its key.
  const there = withoutDanglingForeignKeys(listOf(entries), dumpRelations(entries), (t) => t.schema === 'public' && t.name === 'customers');
  assert.deepEqual(there.left.map((k) => k.name), ['invoices_customer_fkey']);
});

test('with every key in place the list is the one given, and nothing is left out', () => {
  const entries = [entry(1, 'TABLE', 'orders'), entry(2, 'FK CONSTRAINT', 'orders_parent_fkey', { table: 'orders', references: { schema: 'public', name: 'orders' } })];
  const list = listOf(entries);
  const out = withoutDanglingForeignKeys(list, dumpRelations(entries), () => false);
  assert.equal(out.list, list);
  assert.deepEqual([out.left, out.warnings], [[], []]);
});

test('a verification names the keys it could not check: one, several, and more than it shows', () => {
  const key = (n: number) => ({ schema: 'public', table: 'orders', name: `k${n}`, references: { schema: 'public', name: `t${n}` } });
  assert.equal(uncheckedForeignKeys([]), undefined);
  assert.equal(
    uncheckedForeignKeys([key(1)]),
    '1 foreign key ("k1" on "public"."orders" to "public"."t1") was left out of the test restore and not checked: the table it references is not in the dump.',
  );
  assert.match(uncheckedForeignKeys([key(1), key(2)]) ?? '', /^2 foreign keys \("k1" .*, "k2" on "public"\."orders" to "public"\."t2"\) were left out .*: the tables they reference are not in the dump\.$/);
  const four = uncheckedForeignKeys([key(1), key(2), key(3), key(4)]) ?? '';
  assert.match(four, /"k3" on "public"\."orders" to "public"\."t3" and 1 more\) were left out/);
  assert.doesNotMatch(four, /"k4"/);
  assert.equal(leftOutForeignKeyLine(key(1)), 'foreign key "k1" on "public"."orders" not checked: it references "public"."t1", which is not in the dump');
});
