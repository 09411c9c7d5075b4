// UI scenario: a second server archiving into a posix pgBackRest repository, with a full and a diff
// backup taken by pgbr, listed under repositories: in pgbackup.yaml. The WAL Archive view must show the
// stanza, its window, the chain (diff under its full) and the archive read without a gap; "pgBackRest
// Backup…" from the stanza's menu takes an incr, which then appears under the diff; the PITR generator with
// "A pgBackRest backup" as its source drills a recovery of the stanza and counts its rows.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startBackrestRepo, type BackrestRepo } from '../../integration/backrestRepo';
import { runBackrest } from '../../../src/core/backrest/run';
import {
  activityIcon,
  Checks,
  collapseOtherPanes,
  describeRows,
  endScenario,
  openMenuItem,
  openPage,
  openWorkbench,
  pane,
  quickPickRow,
  row,
  runFromPalette,
  scenarioResult,
  screenshot,
  screenshotPaths,
  setPaneExpanded,
  TIMEOUT,
  waitForQuickInput,
  waitForRows,
  widenSideBar,
  type TreeRow,
  type UiResult,
  type UiScenarioOptions,
} from './common';
import { waitForNotifications } from './notifications';
import { drillFromPanel, expectField, pick, pitrFrame, runCheck, typeInto } from './pitrPanel';

const run = promisify(execFile);
const STANZA = 'ui';
const BACKUP_TIMEOUT = 120_000;

export async function runBackrestUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { shots, failure } = await screenshotPaths(opts, { repository: 'backrest-repository.png', backup: 'backrest-after-backup.png', drill: 'backrest-drill.png' }, 'backrest-failure.png');
  const yaml = path.join(opts.workspace, 'pgbackup.yaml');
  const before = await fs.readFile(yaml, 'utf8');
  let repo: BackrestRepo | undefined;
  const pgbr = path.join(opts.extensionDevelopmentPath, 'dist', 'pgbr.js');

  try {
    repo = await startBackrestRepo(STANZA, 'pgbr-e2e-backrest-');
    const r = repo;
    await r.cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 2000) g;');
    const created = await runBackrest({ stanza: STANZA, config: r.config }, 'stanza-create', []);
    if (created.status !== 'succeeded') throw new Error(`stanza-create failed: ${created.status === 'failed' ? created.message : created.status}`);
    const cli = async (args: string[]) => (await run(process.execPath, [pgbr, 'backrest', ...args, '--workspace', r.work, '--json'], { cwd: r.work })).stdout;
    const full = (JSON.parse(await cli(['backup', '--type', 'full'])) as { backup: { label: string } }).backup.label;
    await r.cluster.sql('INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(2001, 3000) g');
    const diff = (JSON.parse(await cli(['backup', '--type', 'diff'])) as { backup: { label: string } }).backup.label;
    await r.cluster.sql('SELECT pg_switch_wal()');
    log(`  stanza ${STANZA}: full ${full}, diff ${diff}`);
    // What the person adds to pgbackup.yaml; the views reload it on their own.
    await fs.writeFile(yaml, `${before.trimEnd()}\nrepositories:\n  - kind: pgbackrest\n    stanza: ${STANZA}\n    config: ${r.config}\n`);

    const { context, page } = await openPage(opts);
    const archive = pane(page, 'WAL Archive');
    const stanzaRow = `stanza ${STANZA}`;
    log('UI: a pgBackRest stanza in the WAL Archive view, and a backup taken from its menu');
    try {
      let rows: TreeRow[] = [];
      await checks.run(`the WAL Archive view shows stanza ${STANZA} with its window, the diff under its full, and its archive without a gap`, async () => {
        await openWorkbench(page, opts);
        await activityIcon(page).click();
        await widenSideBar(page, 720);
        await collapseOtherPanes(page, 'WAL Archive');
        await setPaneExpanded(page, 'WAL Archive', true);
        rows = await waitForRows(archive, (x) => x.some((y) => y.label === diff) && x.some((y) => y.label.startsWith('WAL 15-')), BACKUP_TIMEOUT);
        log(`    ${describeRows(rows)}`);
        const stanza = rows.find((x) => x.label === stanzaRow);
        const fullRow = rows.find((x) => x.label === full);
        const diffRow = rows.find((x) => x.label === diff);
        const status = rows.find((x) => x.label.startsWith('2 backups'));
        const wal = rows.find((x) => x.label.startsWith('WAL 15-'));
        if (!stanza || !fullRow || !diffRow || !status || !wal) throw new Error('a row is missing');
        if (!/recoverable /.test(status.description)) throw new Error(`the status row reads "${status.description}", without the recoverable window`);
        if (!(fullRow.level === stanza.level + 1 && diffRow.level === fullRow.level + 1)) throw new Error(`the diff is not drawn under its full (levels ${stanza.level}, ${fullRow.level}, ${diffRow.level})`);
        if (!/^full · /.test(fullRow.description) || !/^diff · .* · recoverable /.test(diffRow.description)) throw new Error(`the backups read "${fullRow.description}" and "${diffRow.description}"`);
        if (!/ · no gaps/.test(wal.description)) throw new Error(`the archive row reads "${wal.description}"`);
      });

      await checks.step('screenshot of the stanza in the WAL Archive view', async () => {
        await screenshot(page, shots.repository, log);
      });

      await checks.run(`right-click stanza ${STANZA} → "pgBackRest Backup…" → incr: the notification names the new backup`, async () => {
        await openMenuItem(page, row(archive, stanzaRow), 'pgBackRest Backup…');
        await waitForQuickInput(page, /which type/);
        await quickPickRow(page, 'incr').click();
        const done = await waitForNotifications(page, new RegExp(`^Backup \\S+I of stanza ${STANZA}: incr, `), 1, BACKUP_TIMEOUT);
        log(`    notification: ${((await done.first().locator('.notification-list-item-message').textContent()) ?? '').trim()}`);
      });

      await checks.run('the new incr appears under the diff it builds on', async () => {
        const under = (x: TreeRow[]) => {
          const at = x.findIndex((y) => y.label === diff);
          const next = x[at + 1];
          return at >= 0 && next !== undefined && /^incr · /.test(next.description) && next.level === (x[at] as TreeRow).level + 1;
        };
        const after = await waitForRows(archive, under, 30_000).catch(async (e: Error) => {
          throw new Error(`the incr is not under the diff: ${e.message}`);
        });
        log(`    ${describeRows(after.filter((x) => /^(diff|incr) · /.test(x.description)))}`);
      });

      await checks.step('screenshot after the backup', async () => {
        await screenshot(page, shots.backup, log);
      });

      await checks.run(`Point-in-Time Recovery… with "A pgBackRest backup": stanza ${STANZA} picked, its archive read without a gap, the latest target checked`, async () => {
        // The notification centre, left open by the last check, would cover the panel's buttons.
        await runFromPalette(page, 'Notifications: Hide Notifications');
        await runFromPalette(page, 'PG Backup: Point-in-Time Recovery…');
        const frame = await pitrFrame(page);
        await frame.locator('#stanzaPick vscode-option').nth(1).waitFor({ state: 'attached', timeout: TIMEOUT });
        await pick(frame, 'vscode-dropdown[data-field="source"]', /^\s*A pgBackRest backup\s*$/);
        await pick(frame, '#stanzaPick', new RegExp(`^\\s*${STANZA}\\b`));
        await expectField(page, frame, 'stanza', STANZA);
        log(`    step 1: ${await runCheck(page, 'backup')}`);
        const source = await runCheck(page, 'source');
        log(`    step 2: ${source}`);
        if (!/through pgbackrest archive-get: \d+ segments in the repository's archive, no gaps/.test(source)) throw new Error(`step 2 says: ${source}`);
        log(`    step 3: ${await runCheck(page, 'target')}`);
      });

      await checks.run('"Test this recovery (drill)" restores the stanza with pgbackrest restore on a scratch server and counts its 3,000 orders', async () => {
        const { rows } = await drillFromPanel(page, log, BACKUP_TIMEOUT);
        const orders = rows.find(([k]) => k === 'postgres: public.orders')?.[1];
        if (orders !== '3,000') throw new Error(`postgres: public.orders has "${orders ?? '(no row)'}" rows, expected 3,000`);
      });

      await checks.run('step 4 with a new data directory previews the pgbackrest restore command, archive_mode off, and writes nothing', async () => {
        const frame = await pitrFrame(page);
        const dataDir = path.join(r.work, 'recovered');
        await typeInto(page, frame, 'dataDir', dataDir);
        log(`    step 4: ${await runCheck(page, 'dataDir')}`);
        const command = ((await frame.locator('#preview pre').first().textContent()) ?? '').trim();
        log(`    ${command.replace(/\n/g, ' ')}`);
        if (!command.startsWith(`pgbackrest --stanza=${STANZA} --config=${r.config} restore`) || !command.includes(`--pg1-path=${dataDir}`) || !command.includes('--archive-mode=off')) {
          throw new Error(`the preview shows: ${command}`);
        }
        if (await fs.stat(dataDir).catch(() => undefined)) throw new Error(`${dataDir} exists after the preview`);
      });

      await checks.step('screenshot of the drill report', async () => {
        const frame = await pitrFrame(page);
        await frame.evaluate(`document.getElementById('drill-report').scrollIntoView({ block: 'end' })`);
        await screenshot(page, shots.drill, log);
      });
    } finally {
      await endScenario(page, context, checks, failure, log);
    }
  } finally {
    // The next scenarios see the workspace as it was.
    await fs.writeFile(yaml, before);
    await repo?.cluster.stop();
    if (repo) await fs.rm(repo.work, { recursive: true, force: true });
  }
  return scenarioResult(checks, [shots.repository, shots.backup, shots.drill]);
}
