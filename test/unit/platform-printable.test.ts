// Printing names from a dump: control characters become visible escapes, so a name cannot fake a line of `pgbr toc` or `pgbr verify`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable } from '../../src/core/platform/printable';
import { renderVerify } from '../../src/cli/restoreCommands';
import { renderToc } from '../../src/cli/tocCommand';
import { makeOutput } from '../../src/cli/output';
import { PgbrError } from '../../src/core/platform/errors';
import { compactTree, groupToc, type Toc, type TocEntry } from '../../src/core/logical/toc';
import type { VerifyReport } from '../../src/core/logical/verify';

test('control characters print as escapes; quotes, dots, backslashes and other Unicode print as they are', () => {
  assert.equal(printable('a\nb\tc\rd'), 'a\\nb\\tc\\rd');
  assert.equal(printable('\x1b[31mred\x1b[0m'), '\\x1b[31mred\\x1b[0m');
  assert.equal(printable('\0\x7f\x85'), '\\0\\x7f\\x85');
  assert.equal(printable('line\u2028sep'), 'line\\u2028sep');
  for (const exact of ['"Order""s"', 'a.b', 'x*y', 'ÜberTable', 'naïve 表', 'back\\slash', 'emoji 🐘', '']) assert.equal(printable(exact), exact);
});

function entry(dumpId: number, desc: string, schema: string | null, tag: string, table?: string): TocEntry {
  return { dumpId, catalogOid: 1259, objectOid: dumpId, desc, schema, name: tag, tag, owner: 'postgres', rawLine: `${dumpId}; 1259 ${dumpId} ${desc} ${schema ?? '-'} ${tag} postgres`, ...(table ? { table } : {}) };
}

const FAKE = 'x\nschema public\n  tables (1)\n    evil';

test('pgbr toc text output escapes a table name holding a newline or tab; every line it prints is its own', () => {
  const entries = [
    entry(1, 'TABLE', 'public', FAKE),
    entry(2, 'TABLE DATA', 'public', FAKE, FAKE),
    entry(3, 'TABLE', 'public', 'tab\there'),
    entry(4, 'TABLE', 'public', 'Order"s'),
    entry(5, 'SEQUENCE', 'public', 'seq\x1b[2J'),
  ];
  const toc: Toc = { path: '/d/x.dump', format: 'custom', gzip: false, header: { dbname: 'shop\nfake' }, entries, source: 'archive' };
  const text = renderToc(toc, compactTree(groupToc(entries)), undefined);
  assert.ok(text.includes('"x\\nschema public\\n  tables (1)\\n    evil"'), text);
  assert.ok(text.includes('"tab\\there"'), text);
  assert.ok(text.includes('"Order""s"'), text);
  assert.ok(text.includes('"seq\\x1b[2J"'), text);
  assert.ok(text.includes('database shop\\nfake'), text);
  assert.doesNotMatch(text, /[\t\x1b]/);
  assert.equal(text.split('\n').filter((l) => l.startsWith('schema ')).length, 1, text);
});

test('pgbr verify text output and every pgbr error line escape control characters too', () => {
  const report: VerifyReport = {
    status: 'failed',
    dumpPath: '/d/x.dump',
    manifestFound: true,
    checksum: 'intact',
    scratchDatabase: 'pgbr_verify_x',
    scratchDropped: true,
    target: 'p/x',
    tables: [{ schema: 'public', table: FAKE, expected: 3, actual: 2, ok: false }],
    foreignKeysLeftOut: [],
    message: `1 table differs: public."${FAKE}"`,
    at: '2026-11-22T10:00:00Z',
    durationMs: 10,
    recorded: false,
  };
  const text = renderVerify(report);
  assert.equal(text.split('\n').length, 3, text);
  assert.ok(text.includes('public."x\\nschema public\\n  tables (1)\\n    evil"'), text);

  let err = '';
  makeOutput(false, () => {}, (s) => (err += s)).fail(new PgbrError('usage', `table "a\nb" is not in this dump`));
  assert.equal(err, 'pgbr: table "a\\nb" is not in this dump\n');
});
