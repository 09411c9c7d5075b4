// Bringing a table back, without a server: the as-of name (UTC, cut to 63 bytes on whole characters), which
// columns the past and live shapes let through, every name quoted in the SQL, and how the report reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgbrError } from '../../src/core/platform/errors';
import { asOfStamp, asOfTableName, type BringBackReport, type ColumnShape, columnsToBringBack, describeBringBack, type TableShape } from '../../src/core/undo';
import { matching, missingRowsSql, wholeRowCost } from '../../src/core/undo/compare';

const AT = new Date('2026-12-01T15:47:02.999Z');

test('the as-of stamp is the moment in UTC to the second, whatever the zone it was given in', () => {
  assert.equal(asOfStamp(AT), '20261201_154702');
  assert.equal(asOfStamp(new Date('2026-12-02T00:30:00+02:00')), '20261201_223000');
  assert.equal(asOfTableName('orders', AT), 'orders_as_of_20261201_154702');
  assert.throws(() => asOfStamp(new Date('not a time')), (e: unknown) => e instanceof PgbrError && /not a valid time/.test(e.message));
});

test('a name that would pass 63 bytes loses the end of the table part, never the moment, and never half a character', () => {
  const suffix = '_as_of_20261201_154702'; // 22 bytes: 41 are left for the table
  const fits = 'a'.repeat(41);
  assert.equal(asOfTableName(fits, AT), fits + suffix);
  assert.equal(asOfTableName(`${fits}b`, AT), fits + suffix);
  // "é" is two bytes: 40 a's and one é make 42, so the é goes, and the name is 62 bytes.
  const wide = asOfTableName(`${'a'.repeat(40)}é`, AT);
  assert.equal(wide, 'a'.repeat(40) + suffix);
  assert.equal(Buffer.byteLength(wide), 62);
  const emoji = asOfTableName(`${'a'.repeat(39)}😀x`, AT);
  assert.equal(emoji, 'a'.repeat(39) + suffix);
  assert.ok(!emoji.includes('\uFFFD'));
  assert.equal(asOfTableName('My "Odd" Table', AT), 'My "Odd" Table_as_of_20261201_154702');
});

const column = (name: string, type = 'integer', over: Partial<ColumnShape> = {}): ColumnShape => ({ name, type, notNull: false, generated: false, identity: undefined, userType: false, ...over });
const shape = (columns: ColumnShape[], key?: string[]): TableShape => ({
  table: { schema: 'Sales Dept', name: 'Or"ders' },
  columns,
  key: key ? { columns: key, kind: 'primary key', name: 'pk' } : undefined,
  foreignKeys: [],
  referencedBy: [],
  sequences: [],
});

test('columns gone now or of another type now block bringing rows back, naming the column; columns added since take their default', () => {
  const past = shape([column('id'), column('Total', 'numeric(10,2)'), column('twice', 'integer', { generated: true })], ['id']);
  assert.throws(() => columnsToBringBack(past, shape([column('id')], ['id'])), /^PgbrError: Column "Total" of "Sales Dept"\."Or""ders" was there then but is not now/);
  assert.throws(() => columnsToBringBack(past, shape([column('id'), column('Total', 'numeric(12,2)')], ['id'])), /Column "Total" of "Sales Dept"\."Or""ders" was numeric\(10,2\) then and is numeric\(12,2\) now/);
  // A generated column gone now is no loss; one generated now is computed there, not written.
  const live = shape([column('id'), column('Total', 'numeric(10,2)'), column('added', 'text'), column('twice', 'integer', { generated: true })], ['id']);
  assert.deepEqual(columnsToBringBack(past, live).map((c) => c.name), ['id', 'Total']);
  assert.deepEqual(columnsToBringBack(past, shape([column('id'), column('Total', 'numeric(10,2)'), column('twice')])).map((c) => c.name), ['id', 'Total', 'twice']);
});

test('rows are matched by the live key when the past has all its columns, else whole; every name in the SQL is quoted', () => {
  const live = shape([column('Id'), column('a b')], ['Id']);
  const byKey = matching(live, live.columns);
  assert.deepEqual(byKey.key, ['Id']);
  assert.match(missingRowsSql(byKey), /FROM "Sales Dept"\."Or""ders" l WHERE l\."Id" = s\."Id"/);
  const whole = matching(live, [column('a b')]);
  assert.equal(whole.key, undefined);
  assert.match(missingRowsSql(whole), /^SELECT x\.c0::integer AS "a b" FROM \(SELECT s\."a b"::text AS c0 FROM pg_temp\.pgbr_past_rows s EXCEPT ALL SELECT l\."a b"::text AS c0 FROM "Sales Dept"\."Or""ders" l\) x$/);
  assert.equal(wholeRowCost({ schema: 'public', name: 'log' }, 1), 'public.log has no primary key (nor a unique index on NOT NULL columns), so rows were compared whole: both versions were read in full and sorted on all 1 column (EXCEPT ALL), and a row that changed counts as one missing and one added.');
});

const report = (over: Partial<BringBackReport> = {}): BringBackReport => ({
  mode: 'missing-rows',
  table: 'public.orders',
  source: 'base backup 20261201-030000 with WAL to just before xid 1234',
  dryRun: false,
  counts: { pastRows: 1204, liveRows: 3, missing: 1204, differ: 0, added: 3, inserted: 1194, updated: 0, deleted: 0 },
  lock: 'SHARE ROW EXCLUSIVE on public.orders from the comparison to the commit (reads go on, writes wait)',
  sequenceFixes: [],
  fkProblems: [],
  durations: { stageMs: 120, compareMs: 30, applyMs: 50 },
  notes: ['Rows there now are left as they are, also where they differ from the past version.'],
  ...over,
});

test('the report says where the rows came from, what came back, what was left out and how long it took', () => {
  const lines = describeBringBack(report({
    fkProblems: [{ constraint: 'orders_customer_id_fkey', direction: 'out', table: 'public.orders', references: 'public.customers', rows: 10, samples: ['(9,10,"order 9")'], skipped: true }],
    sequenceFixes: [{ sequence: 'public.orders_id_seq', column: 'id', from: '3', to: '1204', applied: true }],
  }));
  assert.deepEqual(lines, [
    'From base backup 20261201-030000 with WAL to just before xid 1234.',
    'public.orders: 1,204 rows then, 3 rows now; 1,204 rows missing now, 0 rows differ, 3 rows added since (compared by primary key).',
    '1,194 rows were brought back; rows that are there now were left as they are.',
    '10 rows reference a row of public.customers that is gone now (orders_customer_id_fkey): left out, e.g. (9,10,"order 9").',
    'Sequence public.orders_id_seq was moved from 3 to 1204, the highest id now, so new rows do not collide with the ones brought back.',
    'Lock: SHARE ROW EXCLUSIVE on public.orders from the comparison to the commit (reads go on, writes wait).',
    'Rows there now are left as they are, also where they differ from the past version.',
    'Took 200 ms: 120 ms copying the past rows over, 30 ms comparing, 50 ms changing the table.',
  ]);
});

test('a dry run says so first and words every change as what would happen; replace names what it loses', () => {
  const lines = describeBringBack(report({
    mode: 'replace',
    dryRun: true,
    counts: { pastRows: 50, liveRows: 51, missing: 0, differ: 10, added: 1, inserted: 0, updated: 10, deleted: 1 },
    sequenceFixes: [{ sequence: 'public.prices_id_seq', column: 'id', from: '1', to: '50', applied: false }],
  }));
  assert.equal(lines[0], 'Dry run: everything below was done inside a transaction and rolled back; nothing changed.');
  assert.ok(lines.includes('0 rows would be inserted, 10 rows updated back and 1 row deleted; lost: 1 row added since and the current version of 10 rows.'));
  assert.ok(lines.some((l) => l.startsWith('Sequence public.prices_id_seq would be moved from 1 to 50')));
  assert.match(lines.at(-1) ?? '', /50 ms trying the change\.$/);
  const copy = describeBringBack(report({ mode: 'new-table', newTable: 'public.orders_as_of_20261201_154702', counts: { pastRows: 1204, liveRows: 0, missing: 0, differ: 0, added: 0, inserted: 1204, updated: 0, deleted: 0 } }));
  assert.equal(copy[1], '1,204 rows of public.orders as it was were copied into the new table public.orders_as_of_20261201_154702 (counted exactly).');
});
