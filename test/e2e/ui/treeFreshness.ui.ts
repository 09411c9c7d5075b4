// UI scenario: the Connections tree follows the server. A table grows shop; a backup shows the new size and table
// count without a refresh; a restore into a new database shows that database; the refresh button re-reads the rest.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  activityIcon,
  Checks,
  childRows,
  clickViewAction,
  collapseOtherPanes,
  describeRows,
  endScenario,
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
  treeRows,
  waitForQuickInput,
  widenSideBar,
  type TreeRow,
  type UiResult,
  type UiScenarioOptions,
} from './common';
import { waitForNotifications } from './notifications';

/** A dump or a restore takes a few seconds. */
const JOB_TIMEOUT = 90_000;
const NEW_DATABASE = 'shop_tree_check';
const GROWN = 'tree_growth';
const LATER = 'tree_refresh';

export async function runTreeFreshnessUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const cluster = opts.cluster;
  if (!cluster) {
    log('UI: Connections tree freshness: no cluster given, cannot change the database');
    return { passed: 0, failed: 1 };
  }
  const { shots, failure } = await screenshotPaths(
    opts,
    {
      backup: 'connections-after-backup.png',
      restore: 'connections-after-restore.png',
      refresh: 'connections-after-refresh.png',
    },
    'tree-freshness-failure.png',
  );
  const { context, page } = await openPage(opts);
  const connections = pane(page, 'Connections');
  let before = { shop: '', publicTables: '' };
  // The dump taken here is removed at the end: the later scenarios count the dumps of shop.
  const dumpDir = path.join(opts.workspace, '.pg-backups');
  const dumpsBefore = new Set(await fs.readdir(dumpDir).catch(() => []));

  const answer = async (title: RegExp, label?: string): Promise<string> => {
    const shown = await waitForQuickInput(page, title);
    log(`    asked: "${shown}"`);
    if (label) await quickPickRow(page, label).click();
    return shown;
  };

  log('UI: the Connections tree after a backup, a restore into a new database, and Refresh');
  try {
    await checks.run('workbench opens; Connections shows e2e → shop → public expanded', async () => {
      await openWorkbench(page, opts);
      await activityIcon(page).click();
      await widenSideBar(page, 600);
      await collapseOtherPanes(page, 'Connections');
      await setPaneExpanded(page, 'Connections', true);
      await row(connections, 'e2e').click();
      await row(connections, 'shop').click();
      await row(connections, 'public').click();
      await row(connections, 'customers').waitFor({ timeout: TIMEOUT });
      const rows = await treeRows(connections);
      log(`    ${describeRows(rows)}`);
      before = { shop: descriptionOf(rows, 'e2e', 'shop'), publicTables: descriptionOf(rows, 'e2e', 'shop', 'public') };
      if (!/^\d+ tables?$/.test(before.publicTables)) throw new Error(`public shows "${before.publicTables}", expected a table count`);
    });

    await checks.run(`the server gains a table of about 10 MB in shop (${GROWN}), and the tree, not yet re-read, does not show it`, async () => {
      await cluster.sql(
        `SET ROLE ${cluster.appUser}; CREATE TABLE public.${GROWN} AS SELECT g AS id, repeat('x', 500) AS pad FROM generate_series(1, 20000) g; ANALYZE public.${GROWN};`,
        'shop',
      );
      if (await row(connections, GROWN).count()) throw new Error(`${GROWN} shows before anything re-read the tree`);
    });

    await checks.run('"PG Backup: Back Up Database…" of e2e → shop, every table, custom format, runs', async () => {
      await runFromPalette(page, 'PG Backup: Back Up Database…');
      await answer(/connection/i, 'e2e');
      await answer(/database on e2e/i, 'shop');
      await answer(/tables of shop/i);
      await page.keyboard.press('Enter');
      await answer(/format/i, 'custom');
      await answer(/compression/i, 'default');
      await answer(/contents/i, 'Schema and data');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
      const done = await waitForNotifications(page, /^\s*Backed up shop\b/, 1, JOB_TIMEOUT);
      log(`    notification: ${((await done.first().textContent()) ?? '').trim()}`);
      await page.keyboard.press('Escape');
    });

    await checks.run(`without a refresh, the tree shows shop's new size, one table more in public, and ${GROWN}`, async () => {
      const rows = await waitForRows(connections, (r) => {
        const shop = descriptionOf(r, 'e2e', 'shop');
        return shop !== before.shop && descriptionOf(r, 'e2e', 'shop', 'public') === tablesText(before.publicTables, 1) && hasChild(r, GROWN, 'e2e', 'shop', 'public');
      }, TIMEOUT);
      log(`    ${describeRows(rows)}`);
      log(`    shop: "${before.shop}" → "${descriptionOf(rows, 'e2e', 'shop')}"; public: "${before.publicTables}" → "${descriptionOf(rows, 'e2e', 'shop', 'public')}"`);
      const grown = childRows(rows, 'e2e', 'shop', 'public').find((t) => t.label === GROWN);
      if (!/^\d+(\.\d+)? MB · ~20,000 rows$/.test(grown?.description ?? '')) throw new Error(`${GROWN} shows "${grown?.description ?? ''}", expected its size in MB and ~20,000 rows`);
      await screenshot(page, shots.backup, log);
    });

    await checks.run(`"PG Backup: Restore…" of the newest dump into a new database ${NEW_DATABASE} on e2e`, async () => {
      await runFromPalette(page, 'PG Backup: Restore…');
      await answer(/which dump to restore/i);
      // Newest first: the dump just taken.
      await page.keyboard.press('Enter');
      let title = await answer(/into which connection|into which database/i);
      if (/which connection/i.test(title)) {
        await quickPickRow(page, 'e2e').click();
        title = await answer(/into which database/i);
      }
      await quickPickRow(page, 'New database…').click();
      await answer(/name of the new database/i);
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.press('ControlOrMeta+a');
      await page.keyboard.type(NEW_DATABASE, { delay: 10 });
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
      const done = await waitForNotifications(page, new RegExp(`^\\s*(Restored .* into ${NEW_DATABASE}|Restore of .* FAILED)`), 1, JOB_TIMEOUT);
      const text = ((await done.first().textContent()) ?? '').trim();
      log(`    notification: ${text}`);
      if (!text.startsWith('Restored ')) throw new Error(`the restore did not succeed: ${text}`);
      await page.keyboard.press('Escape');
    });

    await checks.run(`without a refresh, e2e lists ${NEW_DATABASE} with its size`, async () => {
      const rows = await waitForRows(connections, (r) => hasChild(r, NEW_DATABASE, 'e2e'), TIMEOUT);
      log(`    ${describeRows(childRows(rows, 'e2e'))}`);
      const size = descriptionOf(rows, 'e2e', NEW_DATABASE);
      if (!/^\d+(\.\d+)? [kMG]?B$/.test(size)) throw new Error(`${NEW_DATABASE} shows "${size}", expected its size`);
      await row(connections, NEW_DATABASE).scrollIntoViewIfNeeded();
      await screenshot(page, shots.restore, log);
    });

    await checks.run(`the server gains ${LATER} in shop; the view's Refresh button shows it and the new count`, async () => {
      await cluster.sql(`SET ROLE ${cluster.appUser}; CREATE TABLE public.${LATER} (id int);`, 'shop');
      await page.waitForTimeout(500);
      if (await row(connections, LATER).count()) throw new Error(`${LATER} shows before the refresh`);
      await clickViewAction(page, 'Connections', 'Refresh Connections');
      const rows = await waitForRows(connections, (r) => descriptionOf(r, 'e2e', 'shop', 'public') === tablesText(before.publicTables, 2) && hasChild(r, LATER, 'e2e', 'shop', 'public'), TIMEOUT);
      log(`    public: ${describeRows(childRows(rows, 'e2e', 'shop', 'public'))}`);
      await row(connections, LATER).scrollIntoViewIfNeeded();
      await screenshot(page, shots.refresh, log);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
    // Leave the server and the dump folder as the later scenarios expect them.
    for (const name of await fs.readdir(dumpDir).catch(() => [])) {
      if (!dumpsBefore.has(name)) await fs.rm(path.join(dumpDir, name), { recursive: true, force: true });
    }
    await cluster.sql(`DROP TABLE IF EXISTS public.${GROWN}, public.${LATER};`, 'shop').catch((e: unknown) => log(`    clean-up: ${String(e)}`));
    await cluster.sql(`DROP DATABASE IF EXISTS ${NEW_DATABASE} WITH (FORCE);`).catch((e: unknown) => log(`    clean-up: ${String(e)}`));
  }
  return scenarioResult(checks, Object.values(shots));
}

/** The description of the row reached by following `labels` from the top ('' when it is not shown). */
function descriptionOf(rows: TreeRow[], ...labels: string[]): string {
  const name = labels.at(-1) ?? '';
  try {
    return childRows(rows, ...labels.slice(0, -1)).find((r) => r.label === name)?.description ?? '';
  } catch {
    return '';
  }
}

function hasChild(rows: TreeRow[], label: string, ...under: string[]): boolean {
  try {
    return childRows(rows, ...under).some((r) => r.label === label);
  } catch {
    return false;
  }
}

/** `2 tables` → `3 tables` for one more. */
function tablesText(count: string, more: number): string {
  const n = Number(/^(\d+)/.exec(count)?.[1] ?? NaN) + more;
  return `${n} table${n === 1 ? '' : 's'}`;
}

/** Polls a view's rows until `ready` holds; on timeout the error says what the view showed. */
async function waitForRows(view: Locator, ready: (rows: TreeRow[]) => boolean, timeout: number): Promise<TreeRow[]> {
  const page: Page = view.page();
  const deadline = Date.now() + timeout;
  for (;;) {
    const rows = await treeRows(view);
    if (ready(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`after ${timeout / 1000} s the view shows: ${describeRows(rows) || 'nothing'}`);
    await page.waitForTimeout(250);
  }
}
