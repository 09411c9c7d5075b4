// Without WAL: the newest dump of the connection's database whose table of contents has the table's rows,
// and how much is lost going back to it, counted to a clock passed in (never today's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CatalogEntry, DumpManifest } from '../../src/core/logical';
import { newestDumpWithTable } from '../../src/core/undo';

const FIXTURE = path.join(__dirname, '../fixtures/toc-hostile.dump');
const NOW = new Date('2026-12-01T15:47:30Z');
const orders = { schema: 'public', name: 'orders' };

function entry(name: string, file: string, startedAt: string, over: Partial<DumpManifest> = {}, damage?: string): CatalogEntry {
  const manifest: DumpManifest = {
    manifestVersion: 1, kind: 'database', profile: 'shop-prod', host: 'db1', port: 5432, user: 'app', database: 'shop', serverVersion: '15.8', tool: 'pg_dump', toolVersion: '15.8', format: 'custom',
    options: {}, startedAt, finishedAt: new Date(new Date(startedAt).getTime() + 60_000).toISOString(), durationMs: 60_000, sizeBytes: 1, sha256: {}, rowCounts: [], ...over,
  };
  return { path: file, name, format: 'custom', gzip: false, sizeBytes: 1, time: new Date(manifest.finishedAt), manifest, ...(damage ? { damage } : {}) };
}

test('the newest dump of that connection and database with the table is chosen; others, damaged and unreadable ones are passed over', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-newest-'));
  try {
    const broken = path.join(dir, 'broken.dump');
    await fs.writeFile(broken, 'PGDMP not really');
    const dumps = [
      entry('old.dump', FIXTURE, '2026-11-30T03:00:00Z'),
      entry('good.dump', FIXTURE, '2026-12-01T03:00:04Z'),
      entry('broken.dump', broken, '2026-12-01T04:00:00Z'),
      entry('damaged.dump', FIXTURE, '2026-12-01T05:00:00Z', {}, 'its sha256 differs from the manifest'),
      entry('other-db.dump', FIXTURE, '2026-12-01T06:00:00Z', { database: 'crm' }),
      entry('other-conn.dump', FIXTURE, '2026-12-01T07:00:00Z', { profile: 'shop-staging' }),
      entry('globals.sql', FIXTURE, '2026-12-01T08:00:00Z', { kind: 'globals' }),
    ];
    const r = await newestDumpWithTable({ dumps, connection: 'shop-prod', database: 'shop', table: orders, now: NOW, timeZone: 'UTC' });
    assert.equal(r.found?.dump.name, 'good.dump');
    assert.equal(r.found?.takenAt.toISOString(), '2026-12-01T03:00:04.000Z');
    assert.equal(r.found?.lostMs, (12 * 3600 + 47 * 60 + 26) * 1000);
    assert.equal(r.found?.message, 'the newest dump with public.orders is good.dump of 2026-12-01 03:00:04 UTC: changes after it are lost (12 h 47 min before now)');
    assert.deepEqual(r.skipped.map((s) => s.split(':')[0]), ['damaged.dump', 'broken.dump']);

    // Wanted as it was before 2026-12-01 02:00: the dump of the day before.
    const before = await newestDumpWithTable({ dumps, connection: 'shop-prod', database: 'shop', table: orders, now: NOW, before: new Date('2026-12-01T02:00:00Z'), timeZone: 'UTC' });
    assert.equal(before.found?.dump.name, 'old.dump');
    assert.match(before.found?.message ?? '', /\(1 day 12 h before now\)$/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a table whose rows no dump holds finds none', async () => {
  const dumps = [entry('good.dump', FIXTURE, '2026-12-01T03:00:04Z')];
  const r = await newestDumpWithTable({ dumps, connection: 'shop-prod', database: 'shop', table: { schema: 'public', name: 'nosuch' }, now: NOW });
  assert.deepEqual(r, { skipped: [] });
  // A schema that is only a prefix of another is not the table's.
  const near = await newestDumpWithTable({ dumps, connection: 'shop-prod', database: 'shop', table: { schema: 'public2', name: 'orders' }, now: NOW });
  assert.equal(near.found, undefined);
});
