// A throwaway cluster archiving into a pgBackRest repository in a temp folder (posix by default), for tests that drive pgBackRest.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBackrest } from '../../src/core/backrest/run';
import { startCluster, switchAndWaitArchived, transactionXid, type Cluster } from './cluster';

export interface BackrestRepo {
  cluster: Cluster;
  work: string;
  config: string;
  repo: string;
  stanza: string;
}

export interface BackrestRepoOptions {
  /** The folder to work in, made by the caller (it holds what the repository needs, like a certificate); default a new temp folder. */
  work?: string;
  /** The [global] lines that say where the repository is; default a posix folder `<work>/repo`. */
  repoLines?: string[];
  /** Options of the server's archive-push before `--stanza` (an include folder of keys only it reads). */
  archivePushOptions?: string;
  /** More files and folders the server's user must own when we are root. */
  ownedByServer?: string[];
}

export async function startBackrestRepo(stanza: string, prefix: string, opts: BackrestRepoOptions = {}): Promise<BackrestRepo> {
  const work = opts.work ?? (await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
  // Data directories restored under it are run by the postgres user when we are root: it must be able to pass through.
  await fs.chmod(work, 0o711);
  const repo = path.join(work, 'repo');
  const config = path.join(work, 'pgbackrest.conf');
  const archiveCommand = `pgbackrest --config=${config}${opts.archivePushOptions ? ` ${opts.archivePushOptions}` : ''} --stanza=${stanza} archive-push %p`;
  const cluster = await startCluster({ extraConf: { archive_mode: 'on', archive_command: `'${archiveCommand}'` } });
  const dirs = [...(opts.repoLines ? [] : ['repo']), 'lock', 'log'];
  for (const dir of dirs) await fs.mkdir(path.join(work, dir));
  await fs.writeFile(
    config,
    [
      '[global]',
      ...(opts.repoLines ?? [`repo1-path=${repo}`]),
      `lock-path=${path.join(work, 'lock')}`,
      `log-path=${path.join(work, 'log')}`,
      'log-level-file=detail',
      'start-fast=y',
      'repo1-retention-full=9999',
      'archive-timeout=60',
      '',
      `[${stanza}]`,
      `pg1-path=${cluster.dataDir}`,
      `pg1-socket-path=${cluster.socketDir}`,
      `pg1-port=${cluster.port}`,
      'pg1-user=postgres',
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0) {
    // The server archives as postgres: the repository and everything pgBackRest writes belong to it.
    const { uid, gid } = await fs.stat(cluster.dataDir);
    for (const p of [work, ...dirs.map((d) => path.join(work, d)), config, ...(opts.ownedByServer ?? [])]) await fs.chown(p, uid, gid);
  }
  await fs.writeFile(path.join(work, 'pgbackup.yaml'), `repositories:\n  - kind: pgbackrest\n    stanza: ${stanza}\n    config: ${config}\n`);
  return { cluster, work, config, repo, stanza };
}

/**
 * The bad-DELETE story on a stanza: orders 1–120, a full backup, orders 121–200, a `DELETE FROM orders`
 * (whose xid is returned), then a later row and a later table, all archived.
 */
export async function deleteAfterBackup(r: BackrestRepo): Promise<string> {
  const created = await runBackrest({ stanza: r.stanza, config: r.config }, 'stanza-create', []);
  assert.equal(created.status, 'succeeded', created.status === 'failed' ? created.message : '');
  await r.cluster.sql('CREATE DATABASE shop');
  await r.cluster.sql("CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'before the backup' FROM generate_series(1, 120) g;", 'shop');
  const full = await runBackrest({ stanza: r.stanza, config: r.config }, 'backup', ['--type=full']);
  assert.equal(full.status, 'succeeded', full.status === 'failed' ? full.message : '');
  await r.cluster.sql("INSERT INTO orders SELECT g, 'after the backup' FROM generate_series(121, 200) g;", 'shop');
  const deleteXid = await transactionXid(r.cluster, 'DELETE FROM orders');
  await r.cluster.sql("INSERT INTO orders VALUES (500, 'after the delete'); CREATE TABLE later (id int);", 'shop');
  await switchAndWaitArchived(r.cluster);
  return deleteXid;
}
