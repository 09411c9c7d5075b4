// Finding a plan in pgbackup.yaml for `pgbr run` and `pgbr prune`: the keys a run needs, the defaults, and the refusals in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPlan } from '../../src/cli/plans';
import { PgbrError } from '../../src/core/platform/errors';

async function workspaceWith(yaml: string | undefined, run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-plans-'));
  try {
    if (yaml !== undefined) await fs.writeFile(path.join(dir, 'pgbackup.yaml'), yaml);
    await run(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const refused = (kind: string, message: RegExp) => (e: unknown) => e instanceof PgbrError && e.kind === kind && message.test(e.message);

test('a plan with every key: paths resolved against the workspace, keep and notify as written', async () => {
  const yaml = `dumpFolders: [dumps]
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
    archive: wal
`;
  await workspaceWith(yaml, async (dir) => {
    assert.deepEqual(await findPlan(dir, 'nightly'), {
      name: 'nightly', connection: 'prod', backup: 'dump', database: 'app', tables: ['public.orders'], format: 'directory',
      folder: path.join(dir, 'srv/dumps'), schedule: '*-*-* 02:30:00', timezone: 'Europe/Berlin',
      keep: { last: 3, daily: 7, within: { text: '2d', seconds: 2 * 86400 } }, verify: 'weekly',
      notify: { on: 'always', webhook: 'https://hooks.example/pg', command: ['/usr/bin/logger', '-t', 'pgbr'] },
    });
    const base = await findPlan(dir, 'base');
    assert.equal(base.folder, path.join(dir, '.pg-backups', 'base'));
    assert.equal(base.archive, path.join(dir, 'wal'));
    assert.equal(base.verify, 'always');
    assert.equal(base.timezone, Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

test('a dump plan without a folder writes to the first dump folder', async () => {
  await workspaceWith('dumpFolders: [first, second]\nplans:\n  - { name: n, connection: prod }\n', async (dir) => {
    const plan = await findPlan(dir, 'n');
    assert.equal(plan.folder, path.join(dir, 'first'));
    assert.equal(plan.backup, 'dump');
  });
});

test('a missing file, a missing plan and bad keys are refused with what to do', async () => {
  await workspaceWith(undefined, async (dir) => {
    await assert.rejects(findPlan(dir, 'nightly'), refused('config', /there is no pgbackup\.yaml in .*, so there is no plan nightly/));
  });
  await workspaceWith('connections: []\n', async (dir) => {
    await assert.rejects(findPlan(dir, 'nightly'), refused('usage', /no plan named "nightly" \(it has no "plans:"\)/));
  });
  const plans = (entry: string) => `plans:\n  - { name: other, connection: c }\n  - { name: p, ${entry} }\n`;
  await workspaceWith(plans('connection: c'), async (dir) => {
    await assert.rejects(findPlan(dir, 'nope'), refused('usage', /no plan named "nope" \(plans: other, p\)/));
  });
  const cases: [string, RegExp][] = [
    ['database: x', /"connection" is missing/],
    ['connection: c, backup: tarball', /"backup" is "tarball"; use one of dump, globals, basebackup/],
    ['connection: c, verify: sometimes', /"verify" is "sometimes"/],
    ['connection: c, keep: { last: -1 }', /"keep.last" must be a whole number of at least 0/],
    ['connection: c, keep: { daily: 1.5 }', /"keep.daily" must be a whole number/],
    ['connection: c, keep: { within: 3x }', /"keep.within" must be a duration/],
    ['connection: c, keep: 3', /"keep" must be a mapping/],
    ['connection: c, notify: { command: "mail -s x" }', /"notify.command" must be a list/],
    ['connection: c, notify: { on: sometimes }', /"notify.on" is "sometimes"/],
    ['connection: c, tables: orders', /"tables" must be a list/],
  ];
  for (const [entry, message] of cases) {
    await workspaceWith(plans(entry), async (dir) => {
      await assert.rejects(findPlan(dir, 'p'), refused('config', message), entry);
    });
  }
});
