// The table as it was just before a bad DELETE, from a pgBackRest repository: drillPastSource with the
// backrestSource restores the stanza into a scratch folder with the xid target (exclusive) and the read sees
// the deleted rows and none of the later commits; the scratch server and folder are gone afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { backrestSource } from '../../src/core/backrest';
import { withClient } from '../../src/core/postgres/server';
import { drillPastSource } from '../../src/core/undo';
import { deleteAfterBackup, startBackrestRepo, type BackrestRepo } from './backrestRepo';
import { processesWith } from './processes';

let r: BackrestRepo;
let deleteXid = '';


before(async () => {
  r = await startBackrestRepo('past', 'pgbr-brpast-');
  deleteXid = await deleteAfterBackup(r);
});

after(async () => {
  await r?.cluster.stop();
  if (r?.work) await fs.rm(r.work, { recursive: true, force: true });
});

test('pgBackRest, just before the DELETE xid: its 200 rows, none of the later commits, and nothing left', { timeout: 180_000 }, async () => {
  const scratch = path.join(r.work, 'scratch');
  await fs.mkdir(scratch, { mode: 0o711 });
  const target = { stanza: r.stanza, config: r.config };
  const source = drillPastSource({ source: backrestSource({ target }), label: `pgBackRest stanza ${r.stanza}`, target: { beforeXid: deleteXid }, database: 'shop', binDir: r.cluster.binDir, scratchParent: scratch, timeoutMs: 120_000 });
  const seen = await source(async (server) => ({
    server,
    rows: await withClient({ host: server.socketDir, port: server.port, user: server.user, database: server.database, sslmode: 'disable' }, {}, async (c) =>
      (await c.query<{ n: number; late: number; later: string | null }>("SELECT count(*)::int AS n, count(*) FILTER (WHERE id = 500)::int AS late, to_regclass('public.later')::text AS later FROM orders")).rows[0],
    ),
  }));
  assert.deepEqual(seen.rows, { n: 200, late: 0, later: null });
  assert.equal(seen.server.source, `pgBackRest stanza past with WAL to just before xid ${deleteXid}`);
  assert.deepEqual(processesWith(seen.server.socketDir), []);
  assert.deepEqual(await fs.readdir(scratch), []);
});
