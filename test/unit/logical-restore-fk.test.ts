// Foreign keys of chosen tables: which table each references, and which cannot be restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referencedTable, type TocEntry } from '../../src/core/logical/toc';
import { withoutDanglingForeignKeys } from '../../src/core/logical/restoreList';

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
