// Finding a plan in pgbackup.yaml for `pgbr run` and `pgbr prune`: the validated plan with its paths
// resolved and its zone decided, or the problem that keeps it from loading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPlanToRun } from '../../src/cli/plans';
import { PgbrError } from '../../src/core/platform/errors';
import type { Io } from '../../src/cli/io';

async function workspaceWith(yaml: string | undefined, run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-plans-'));
  try {
    if (yaml !== undefined) await fs.writeFile(path.join(dir, 'pgbackup.yaml'), yaml);
    await run(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const io = (dir: string): Io => ({ out: () => {}, err: () => {}, env: { HOME: dir, PATH: process.env.PATH } });
const refused = (kind: string, message: RegExp) => (e: unknown) => e instanceof PgbrError && e.kind === kind && message.test(e.message);

test('a plan as a run takes it: paths resolved against the workspace, keep and notify as written, the zone decided', async () => {
  const yaml = `connections:
  - { name: prod, host: db.example, user: app, database: app }
dumpFolders: [dumps]
archives: [wal]
plans:
  - name: nightly
    connection: prod
    backup: dump
    database: app
    tables: [public.orders]
    format: directory
    folder: srv/dumps
    schedule: "*-*-* 02:30:00"
    timezone: Europe/Berlin
    keep: { last: 3, daily: 7, within: 2d }
    verify: weekly
    notify: { on: always, webhook: "https://hooks.example/pg", command: [/usr/bin/logger, -t, pgbr] }
  - name: base
    connection: prod
    backup: basebackup
    schedule: weekly
    archive: wal
`;
  await workspaceWith(yaml, async (dir) => {
    assert.deepEqual(await findPlanToRun('nightly', dir, io(dir)), {
      name: 'nightly', connection: 'prod', backup: 'dump', database: 'app', tables: ['public.orders'], format: 'directory',
      folder: path.join(dir, 'srv/dumps'), schedule: '*-*-* 02:30:00', timezone: 'Europe/Berlin',
      keep: { last: 3, daily: 7, within: { text: '2d', seconds: 2 * 86400 } }, verify: 'weekly',
      notify: { on: 'always', webhook: 'https://hooks.example/pg', command: ['/usr/bin/logger', '-t', 'pgbr'] },
    });
    const base = await findPlanToRun('base', dir, io(dir));
    assert.equal(base.folder, path.join(dir, '.pg-backups', 'base'));
    assert.equal(base.archive, path.join(dir, 'wal'));
    assert.equal(base.verify, 'always');
    assert.equal(base.timezone, Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

test('a missing plan, and a plan that does not load, are refused with what to do', async () => {
  const yaml = (entry: string) => `connections:\n  - { name: c, host: h }\nplans:\n  - { name: other, connection: c, backup: dump, database: d, schedule: daily }\n  - { name: p, ${entry} }\n`;
  await workspaceWith(yaml('connection: c, backup: dump, database: d, schedule: daily'), async (dir) => {
    await assert.rejects(findPlanToRun('nope', dir, io(dir)), refused('usage', /no plan named "nope" in pgbackup\.yaml \(plans: other, p\)/));
  });
  await workspaceWith(yaml('connection: c, backup: dump, database: d, schedule: daily, keep: { last: -1 }'), async (dir) => {
    await assert.rejects(findPlanToRun('p', dir, io(dir)), (e: unknown) => refused('config', /plan "p" does not load until this is fixed/)(e) && (e as PgbrError).line === 5);
  });
});
