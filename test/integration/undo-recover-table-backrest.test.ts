// `pgbr recover-table` for a connection whose server archives into a pgBackRest stanza (named by
// `repositories:` in pgbackup.yaml): the table just before a bad DELETE is restored through pgbackrest
// restore onto a scratch server, and its missing rows come back while the later commits stay; nothing is left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RecoverTableReport } from '../../src/core/undo';
import { deleteAfterBackup, startBackrestRepo, type BackrestRepo } from './backrestRepo';
import { processesWith } from './processes';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let r: BackrestRepo;
let workspace: string;
let tmp: string;
let deleteXid = '';


function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pgbr, ...args, '--workspace', workspace, '--bin-path', r.cluster.binDir], { env: { PATH: process.env.PATH ?? '', HOME: workspace, TMPDIR: tmp } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  r = await startBackrestRepo('shop', 'pgbr-recover-br-');
  workspace = path.join(r.work, 'ws');
  tmp = path.join(r.work, 'tmp');
  await fs.mkdir(workspace);
  await fs.mkdir(tmp);
  await fs.chmod(tmp, 0o1777);
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    `connections:\n  - name: shop\n    host: 127.0.0.1\n    port: ${r.cluster.port}\n    user: postgres\n    database: shop\n    sslmode: disable\nrepositories:\n  - kind: pgbackrest\n    stanza: ${r.stanza}\n    config: ${r.config}\n    connection: shop\n`,
  );
  deleteXid = await deleteAfterBackup(r);
});

after(async () => {
  await r?.cluster.stop();
  if (r?.work) await fs.rm(r.work, { recursive: true, force: true });
});

test('through pgBackRest, just before the DELETE xid: the 200 rows come back beside the later one; nothing is left', { skip: existsSync(pgbr) ? false : 'dist/pgbr.js is not built (node esbuild.mjs)', timeout: 240_000 }, async () => {
  const run = await cli(['recover-table', '--conn', 'shop', '--db', 'shop', '--table', 'orders', '--before-xid', deleteXid, '--mode', 'missing-rows', '--json']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const report = JSON.parse(run.stdout) as RecoverTableReport;
  assert.match(report.source, new RegExp(`^stanza shop with pgbackrest restore with WAL to just before xid ${deleteXid}$`));
  assert.deepEqual([report.comparison.pastRows, report.comparison.missing, report.comparison.added, report.bringBack?.counts.inserted], [200, 200, 1, 200]);
  assert.equal(await r.cluster.sql("SELECT count(*) || ' ' || count(*) FILTER (WHERE id = 500) FROM orders", 'shop'), '201 1');
  assert.equal(await r.cluster.sql("SELECT to_regclass('public.later') IS NOT NULL", 'shop'), 't');
  assert.deepEqual(await fs.readdir(tmp), []);
  assert.deepEqual(processesWith(tmp), []);
});
