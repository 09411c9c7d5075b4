// UI scenario: a DBA opens the Backup flow's "Options…" step, leaves one table's rows out, reads the exact command before it
// runs, and finds the dump holding that table's definition only; then restores it into a new database with options.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { DUMP_OPTION_HELP } from '../../../src/core/logical/options';
import { RESTORE_OPTION_HELP } from '../../../src/core/logical/restoreOptions';
import {
  waitForRows,
  contextMenuItem,
  activityIcon,
  Checks,
  childRows,
  collapseOtherPanes,
  describeRows,
  endScenario,
  openPage,
  openWorkbench,
  pane,
  quickPickLabels,
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

const DUMP_TIMEOUT = 90_000;
const RESTORED = 'shop_options';

export async function runOptionsUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const cluster = opts.cluster;
  if (!cluster) throw new Error('the options scenario needs the cluster, to look at what the restore made');
  const checks = new Checks(log);
  const { context, page } = await openPage(opts);
  const { shots, failure } = await screenshotPaths(
    opts,
    {
      options: 'backup-options-step.png',
      preview: 'backup-options-preview.png',
      dump: 'backup-options-dump.png',
      restoreOptions: 'restore-new-database-options.png',
      restorePreview: 'restore-new-database-preview.png',
    },
    'options-failure.png',
  );
  const dumps = pane(page, 'Dumps');
  let earlier = new Set<string>();
  let dumpName = '';
  const dialog = page.locator('.monaco-dialog-box');
  // The command is one option a line, joined by shell continuations: read as one line.
  const dialogText = async (): Promise<string> => ((await dialog.innerText()) ?? '').replace(/ \\\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
  const dialogLines = async (): Promise<string[]> => ((await dialog.innerText()) ?? '').split('\n').map((l) => l.trim());

  const ask = async (title: RegExp): Promise<string> => {
    const shown = await waitForQuickInput(page, title).catch(async (e: unknown) => {
      const said = (await page.locator('.monaco-dialog-box').allInnerTexts()).join(' ').replace(/\s+/g, ' ').trim();
      throw said ? new Error(`instead of a question matching ${String(title)} the workbench shows: ${said}`) : e;
    });
    log(`    asked: "${shown}"`);
    return shown;
  };

  log('UI: options for a backup and for a restore into a new database, with the command shown first');
  try {
    await checks.run('workbench opens, the Dumps view shown', async () => {
      await openWorkbench(page, opts);
      await activityIcon(page).click();
      await widenSideBar(page, 560);
      await collapseOtherPanes(page, 'Dumps');
      await setPaneExpanded(page, 'Dumps', true);
      earlier = new Set((await treeRows(dumps)).filter(isShopDump).map((r) => r.label));
    });

    await checks.run('Back Up Database… → e2e → shop → all tables → custom → default compression', async () => {
      await runFromPalette(page, 'PG Backup: Back Up Database…');
      await ask(/connection/i);
      await quickPickRow(page, 'e2e').click();
      await ask(/database on e2e/i);
      await quickPickRow(page, 'shop').click();
      await ask(/tables of shop/i);
      await page.keyboard.press('Enter');
      await ask(/format/i);
      await quickPickRow(page, 'custom').click();
      await ask(/compression/i);
      await quickPickRow(page, 'default').click();
    });

    await checks.run('the last step offers "Options…", unticked: the common path stays as it was', async () => {
      await ask(/contents/i);
      const options = quickPickRow(page, 'Options…');
      const ticked = await options.locator('[role="checkbox"]').getAttribute('aria-checked', { timeout: TIMEOUT });
      if (ticked === 'true') throw new Error('"Options…" is ticked by default');
      await quickPickRow(page, 'Schema and data').click();
      await options.click();
      await page.keyboard.press('Enter');
    });

    await checks.run('the Options step lists what pgAdmin users look for, each explained in one line', async () => {
      await ask(/Back up shop: options/);
      const labels = await quickPickLabels(page);
      for (const want of ['Exclude table data…', 'Only some schemas…', 'Sections…', 'Include large objects', 'Leave out large objects', 'Encoding…', 'No tablespaces', 'Lock wait timeout…', 'Role…']) {
        if (!labels.includes(want)) throw new Error(`"${want}" is not offered: ${labels.join(', ')}`);
      }
      if (labels.includes('Clean')) throw new Error('"Clean" is offered for a custom dump, where pg_dump ignores it');
      const exclude = ((await quickPickRow(page, 'Exclude table data…').textContent()) ?? '').replace(/\s+/g, ' ');
      if (!exclude.includes(DUMP_OPTION_HELP.excludeTableData)) throw new Error(`"Exclude table data…" is not explained: ${exclude}`);
      await allReadable(page);
      await quickPickRow(page, 'Exclude table data…').click();
      await screenshot(page, shots.options, log);
      await page.keyboard.press('Enter');
    });

    await checks.run('it asks whose rows to leave out: sales.invoices', async () => {
      await ask(/tables whose rows are left out/);
      await quickPickRow(page, 'sales.invoices').click();
      await page.keyboard.press('Enter');
    });

    await checks.run('the exact command is shown before it runs, with the flag, quoted, and no password', async () => {
      await dialog.waitFor({ timeout: TIMEOUT });
      const text = await dialogText();
      log(`    dialog: ${text}`);
      if (!text.includes('Back up shop with this command?')) throw new Error(`the dialog does not ask to run the command: ${text}`);
      if (!text.includes(`'--exclude-table-data="sales"."invoices"'`)) throw new Error(`the command lacks the quoted --exclude-table-data: ${text}`);
      if (!/PGDATABASE=shop \S*pg_dump --verbose --no-password --format=custom --file=\S+shop_\d{8}-\d{6}\.dump\.partial/.test(text)) {
        throw new Error(`the command is not the pg_dump run with its output file: ${text}`);
      }
      if (text.includes(cluster.appPassword) || /PGPASSWORD/.test(text)) throw new Error('the preview shows a password');
      // One option a line: a narrow dialog must not break a flag in two.
      const lines = await dialogLines();
      if (!lines.includes('--verbose \\') || !lines.includes(`'--exclude-table-data="sales"."invoices"'`)) throw new Error(`the flags are not one a line: ${lines.join(' | ')}`);
      await screenshot(page, shots.preview, log);
      await dialog.locator('.monaco-button', { hasText: 'Back Up Now' }).click();
      await dialog.waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run('the dump appears; sales → invoices is "schema only", customers keeps its 50 rows', async () => {
      const isNew = (r: TreeRow): boolean => isShopDump(r) && !earlier.has(r.label);
      const rows = await waitForRows(dumps, (r) => r.some(isNew), DUMP_TIMEOUT);
      dumpName = rows.find(isNew)?.label ?? '';
      await row(dumps, dumpName).click();
      await row(dumps, 'sales').click();
      await row(dumps, 'invoices').waitFor({ timeout: TIMEOUT });
      await row(dumps, 'public').click();
      await row(dumps, 'customers').waitFor({ timeout: TIMEOUT });
      const all = await treeRows(dumps);
      log(`    ${describeRows(all)}`);
      const folder = all.find((r) => r.level === 1)?.label ?? '';
      const invoices = childRows(all, folder, dumpName, 'sales').find((r) => r.label === 'invoices');
      const customers = childRows(all, folder, dumpName, 'public').find((r) => r.label === 'customers');
      if (invoices?.description !== 'schema only') throw new Error(`invoices shows "${invoices?.description ?? '(no row)'}", expected "schema only"`);
      if (customers?.description !== '50 rows') throw new Error(`customers shows "${customers?.description ?? '(no row)'}", expected "50 rows"`);
      await screenshot(page, shots.dump, log);
    });

    await checks.run('the manifest records the left-out rows, and counts no rows for invoices', async () => {
      const file = await findFile(opts.workspace, `${dumpName}.manifest.json`);
      if (!file) throw new Error(`no ${dumpName}.manifest.json under the workspace`);
      const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as { options: { excludeTableData?: string[] }; rowCounts: { table: string }[] };
      if (manifest.options.excludeTableData?.join() !== 'sales.invoices') throw new Error(`the manifest says ${JSON.stringify(manifest.options)}`);
      if (manifest.rowCounts.some((r) => r.table === 'invoices')) throw new Error('the manifest expects rows for invoices');
    });

    await checks.run(`right-click the dump → Restore… → "New database, with options…" named ${RESTORED}`, async () => {
      await cluster.sql(`DROP DATABASE IF EXISTS ${RESTORED}`);
      await row(dumps, dumpName).click({ button: 'right' });
      const item = contextMenuItem(page, 'Restore…');
      await item.hover({ timeout: TIMEOUT });
      await page.waitForTimeout(300);
      await item.click();
      let title = await ask(/Restore into which connection|into which database/i);
      if (/which connection/i.test(title)) {
        await quickPickRow(page, 'e2e').click();
        title = await ask(/into which database/i);
      }
      const labels = await quickPickLabels(page);
      if (labels[0] !== 'New database…' || labels[1] !== 'New database, with options…') throw new Error(`the first choices are ${labels.slice(0, 3).join(', ')}`);
      await quickPickRow(page, 'New database, with options…').click();
      await ask(/name of the new database/i);
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.press('ControlOrMeta+a');
      await page.keyboard.type(RESTORED, { delay: 10 });
      await page.keyboard.press('Enter');
    });

    await checks.run('the restore options: jobs, owner handling, sections, each in one line; pick "No owner" and leave out post-data', async () => {
      await ask(new RegExp(`Restore into the new database ${RESTORED}: options`));
      const labels = await quickPickLabels(page);
      for (const want of ['Parallel jobs…', 'No owner', 'Role…', 'Sections…', 'Single transaction']) {
        if (!labels.includes(want)) throw new Error(`"${want}" is not offered: ${labels.join(', ')}`);
      }
      const noOwner = ((await quickPickRow(page, 'No owner').textContent()) ?? '').replace(/\s+/g, ' ');
      if (!noOwner.includes(RESTORE_OPTION_HELP.noOwner)) throw new Error(`"No owner" is not explained: ${noOwner}`);
      await allReadable(page);
      await quickPickRow(page, 'No owner').click();
      await quickPickRow(page, 'Sections…').click();
      await screenshot(page, shots.restoreOptions, log);
      await page.keyboard.press('Enter');
      await ask(new RegExp(`Restore into ${RESTORED}: sections`));
      await quickPickRow(page, 'post-data').click(); // all three are ticked: untick post-data
      await page.keyboard.press('Enter');
    });

    await checks.run('the pg_restore command is shown with --no-owner and the two sections, then runs', async () => {
      await dialog.waitFor({ timeout: TIMEOUT });
      const text = await dialogText();
      log(`    dialog: ${text}`);
      if (!text.includes(`Create ${RESTORED} and restore into it with this command?`)) throw new Error(`the dialog does not ask: ${text}`);
      if (!/pg_restore --verbose --dbname "dbname='shop_options'" --no-owner --exit-on-error --section=pre-data --section=data \S+\.dump/.test(text)) {
        throw new Error(`the command is not the expected pg_restore: ${text}`);
      }
      if (text.includes(cluster.appPassword)) throw new Error('the preview shows a password');
      await screenshot(page, shots.restorePreview, log);
      await dialog.locator('.monaco-button', { hasText: 'Restore Now' }).click();
      await dialog.waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run(`the notification says when it was restored; ${RESTORED} has the rows but no indexes (post-data left out)`, async () => {
      await page.locator('.statusbar-item[id="status.notifications"] a, .statusbar-item[id="status.notifications"]').first().click();
      const center = page.locator('.notifications-center');
      const done = center.locator('.notification-list-item-message', { hasText: new RegExp(`(Restored .* into ${RESTORED}|FAILED)`) });
      await done.first().waitFor({ timeout: DUMP_TIMEOUT });
      const said = ((await done.first().textContent()) ?? '').trim();
      log(`    notification: ${said}`);
      if (!new RegExp(`^Restored \\S+ into ${RESTORED} today \\d\\d:\\d\\d UTC\\S* \\(\\d+ items, `).test(said)) throw new Error(`the notification says: ${said}`);
      await page.keyboard.press('Escape');
      const customers = (await cluster.sql('SELECT count(*) FROM public.customers', RESTORED)).trim();
      const indexes = (await cluster.sql(`SELECT count(*) FROM pg_indexes WHERE schemaname IN ('public', 'sales')`, RESTORED)).trim();
      const invoices = (await cluster.sql('SELECT count(*) FROM sales.invoices', RESTORED)).trim();
      if (customers !== '50' || indexes !== '0' || invoices !== '0') throw new Error(`${RESTORED} has ${customers} customers, ${invoices} invoices and ${indexes} indexes; expected 50, 0, 0`);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
    await cluster.sql(`DROP DATABASE IF EXISTS ${RESTORED}`).catch(() => undefined);
  }
  return scenarioResult(checks, Object.values(shots));
}

/** The first file called `name` under `dir`, dot-folders included (dumps go to .pg-backups by default). */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  const entries = await fs.readdir(dir, { recursive: true });
  const found = entries.find((e) => path.basename(e) === name);
  return found === undefined ? undefined : path.join(dir, found);
}

function isShopDump(r: TreeRow): boolean {
  return r.level === 2 && r.label.startsWith('shop_');
}

/** Every row of the open QuickPick, its label and one-line explanation, and the title show whole, never cut with an ellipsis. */
async function allReadable(page: Page): Promise<void> {
  const found = await page.evaluate<{ rows: number; cut: string[] }>(`(() => {
    const rows = [...document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row .monaco-icon-label-container')];
    const title = [...document.querySelectorAll('.quick-input-widget .quick-input-title')];
    return { rows: rows.length, cut: [...rows, ...title].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.trim()) };
  })()`);
  if (found.rows === 0) throw new Error('no QuickPick rows found to measure');
  if (found.cut.length > 0) throw new Error(`cut off: ${found.cut.join(' | ')}`);
}

