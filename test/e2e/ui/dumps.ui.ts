// UI scenario: a person backs up shop from the command palette, opens the dump down to its tables, and restores
// one table into a new database, which then shows in the Connections tree.
import type { Page } from 'playwright-core';
import {
  waitForRows,
  contextMenuItem,
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
  quickPickLabels,
  quickPickRow,
  resizePane,
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

/** A dump takes a few seconds; its row appears once the dump folder's watcher fires. */
const DUMP_TIMEOUT = 90_000;
const RESTORED = 'customers_restored';

export async function runDumpsUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { context, page } = await openPage(opts);
  const { shots, failure } = await screenshotPaths(
    opts,
    {
      dump: 'dump-expanded.png',
      restore: 'restore-result.png',
      recreate: 'restore-recreate-question.png',
    },
    'dumps-failure.png',
  );
  const dumps = pane(page, 'Dumps');
  const connections = pane(page, 'Connections');
  /** Dumps of shop listed before ours (say, left by an earlier run), and ours. */
  let earlier = new Set<string>();
  let dumpName = '';

  /** Waits for the next QuickPick or input box, logs what it asks and offers. */
  const expectQuickInput = async (title: RegExp, options = true): Promise<string> => {
    const shown = await waitForQuickInput(page, title).catch(async (e: unknown) => {
      // A command that failed shows a dialog instead of the next question: say what it said.
      const dialog = (await page.locator('.monaco-dialog-box').allInnerTexts()).join(' ').replace(/\s+/g, ' ').trim();
      throw dialog ? new Error(`instead of a question matching ${String(title)} the workbench shows: ${dialog}`) : e;
    });
    log(`    asked: "${shown}"${options ? ` → ${(await quickPickLabels(page)).map((l) => JSON.stringify(l)).join(', ')}` : ''}`);
    return shown;
  };

  log('UI: Dumps view (back up, browse, restore a table)');
  try {
    await checks.run('workbench opens with the "PG Backup" activity-bar icon', async () => {
      await openWorkbench(page, opts);
    });

    await checks.run('the Dumps view is shown, Connections and the other views collapsed', async () => {
      await activityIcon(page).click();
      await widenSideBar(page, 560);
      await collapseOtherPanes(page, 'Dumps');
      await setPaneExpanded(page, 'Dumps', true);
    });

    await checks.run('"PG Backup: Back Up Database…" from the command palette asks for the connection', async () => {
      earlier = new Set((await treeRows(dumps)).filter(isShopDump).map((r) => r.label));
      await runFromPalette(page, 'PG Backup: Back Up Database…');
      await expectQuickInput(/connection/i);
      await quickPickRow(page, 'e2e').click();
    });

    await checks.run('it asks for the database: shop', async () => {
      await expectQuickInput(/database on e2e/i);
      await quickPickRow(page, 'shop').click();
    });

    await checks.run('it offers every table of shop, all picked: Enter accepts them', async () => {
      await expectQuickInput(/tables of shop/i);
      for (const table of ['public.customers', 'public.orders', 'sales.invoices']) {
        const ticked = await quickPickRow(page, table).locator('[role="checkbox"]').getAttribute('aria-checked', { timeout: TIMEOUT });
        if (ticked !== 'true') throw new Error(`${table} is not picked`);
      }
      await page.keyboard.press('Enter');
    });

    await checks.run('format: custom', async () => {
      await expectQuickInput(/format/i);
      await quickPickRow(page, 'custom').click();
    });

    await checks.run('compression: default', async () => {
      await expectQuickInput(/compression/i);
      await quickPickRow(page, 'default').click();
    });

    await checks.run('contents: "Schema and data", then Enter starts the backup', async () => {
      await expectQuickInput(/contents/i);
      await quickPickRow(page, 'Schema and data').click();
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run('the new dump of shop appears in the Dumps view', async () => {
      const isNew = (r: TreeRow): boolean => isShopDump(r) && !earlier.has(r.label);
      const rows = await waitForRows(dumps, (r) => r.some(isNew), DUMP_TIMEOUT);
      log(`    ${describeRows(rows)}`);
      const taken = rows.filter(isNew);
      if (taken.length !== 1) throw new Error(`${taken.length} new dumps of shop are listed, expected the one just taken`);
      dumpName = taken[0]?.label ?? '';
    });

    await checks.run('expanding the dump and public shows customers (50 rows) and orders (200 rows)', async () => {
      await row(dumps, dumpName).click();
      await row(dumps, 'public').click();
      await row(dumps, 'customers').waitFor({ timeout: TIMEOUT });
      await row(dumps, 'orders').waitFor({ timeout: TIMEOUT });
      const rows = await treeRows(dumps);
      log(`    ${describeRows(rows)}`);
      const folder = rows.find((r) => r.level === 1)?.label ?? '';
      const tables = childRows(rows, folder, dumpName, 'public');
      const expect = (name: string, description: string): void => {
        const t = tables.find((r) => r.label === name);
        if (t?.description !== description) throw new Error(`${name} shows "${t?.description ?? '(no row)'}", expected "${description}"`);
      };
      expect('customers', '50 rows');
      expect('orders', '200 rows');
    });

    await checks.step('screenshot of the expanded dump', async () => {
      await screenshot(page, shots.dump, log);
    });

    await checks.run('right-click customers → "Restore Table(s)…"', async () => {
      await row(dumps, 'customers').click({ button: 'right' });
      const item = contextMenuItem(page, 'Restore Table(s)…');
      await item.hover({ timeout: TIMEOUT });
      // The menu ignores a click that comes right after it opened (the right button's own release).
      await page.waitForTimeout(300);
      await item.click();
      await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run(`into e2e, "New database…" named ${RESTORED}`, async () => {
      // The dump's own connection is taken without asking; another one would be asked for first.
      let title = await expectQuickInput(/Restore into which connection|into which database/i);
      if (/which connection/i.test(title)) {
        await quickPickRow(page, 'e2e').click();
        title = await expectQuickInput(/into which database/i);
      }
      if (!/ on e2e\b/.test(title)) throw new Error(`the database is asked for on another connection: "${title}"`);
      await quickPickRow(page, 'New database…').click();
      await expectQuickInput(/name of the new database/i, false);
      const input = page.locator('.quick-input-widget .quick-input-box input');
      log(`    suggested name: "${await input.inputValue()}"`);
      await input.press('ControlOrMeta+a');
      await page.keyboard.type(RESTORED, { delay: 10 });
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run(`the notification centre says customers was restored into ${RESTORED}`, async () => {
      // Toasts are hidden in this workbench: the bell in the status bar shows the same messages.
      await page.locator('.statusbar-item[id="status.notifications"] a, .statusbar-item[id="status.notifications"]').first().click();
      const center = page.locator('.notifications-center');
      // Not the progress item ("Restoring …"): the outcome, whichever it is.
      const done = center.locator('.notification-list-item-message', { hasText: /^\s*(Restored |Restore of .* FAILED|The restore of .* was cancelled)/ });
      await done.first().waitFor({ timeout: DUMP_TIMEOUT });
      const messages = (await center.locator('.notification-list-item-message').allTextContents()).map((m) => m.trim());
      for (const m of messages) log(`    notification: ${m}`);
      const outcome = messages.find((m) => /^(Restored |Restore of |The restore of )/.test(m)) ?? '';
      if (!outcome.startsWith('Restored ') || !outcome.includes(` into ${RESTORED}`)) throw new Error(`the restore did not succeed: ${outcome}`);
    });

    await checks.run(`after a refresh, Connections shows ${RESTORED} → public → customers only`, async () => {
      await setPaneExpanded(page, 'Connections', true);
      // Room for the restored database's rows above the dump's, as a person would drag the views' border.
      await page.waitForTimeout(300); // the view's opening animation
      await resizePane(page, 'Connections', 260);
      await clickViewAction(page, 'Connections', 'Refresh Connections');
      await row(connections, 'e2e').click();
      await row(connections, RESTORED).waitFor({ timeout: TIMEOUT });
      await row(connections, RESTORED).click();
      await row(connections, 'public').click();
      await row(connections, 'customers').waitFor({ timeout: TIMEOUT });
      const rows = await treeRows(connections);
      log(`    ${describeRows(rows)}`);
      const schemas = childRows(rows, 'e2e', RESTORED).map((r) => r.label);
      const tables = childRows(rows, 'e2e', RESTORED, 'public').map((r) => r.label);
      if (tables.join() !== 'customers') throw new Error(`public of ${RESTORED} holds ${tables.join(', ') || 'nothing'}, expected customers only`);
      if (schemas.includes('sales')) throw new Error(`${RESTORED} has a sales schema: more than the one table was restored`);
    });

    await checks.step('screenshot of the restored database', async () => {
      await page.keyboard.press('Escape'); // close the notification centre's focus trap, keep the tree as it is
      await screenshot(page, shots.restore, log);
    });

    await checks.run(`restoring customers again into ${RESTORED}, where it now exists, with "Drop and recreate" asks first; Cancel restores nothing`, async () => {
      const restoredBefore = await restoredNotifications(page);
      await row(dumps, 'customers').click({ button: 'right' });
      const item = contextMenuItem(page, 'Restore Table(s)…');
      await item.hover({ timeout: TIMEOUT });
      await page.waitForTimeout(300);
      await item.click();
      let title = await expectQuickInput(/Restore into which connection|into which database/i);
      if (/which connection/i.test(title)) {
        await quickPickRow(page, 'e2e').click();
        title = await expectQuickInput(/into which database/i);
      }
      await quickPickRow(page, RESTORED).click();
      await expectQuickInput(/already exists? in /i);
      await quickPickRow(page, 'Drop and recreate').click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: TIMEOUT });
      const text = (await dialog.innerText()).replace(/\s+/g, ' ').trim();
      log(`    dialog: ${text}`);
      if (!text.includes(`Drop public.customers in ${RESTORED} and recreate them from the dump?`)) throw new Error(`the dialog does not ask about dropping customers: ${text}`);
      if (!/Drop and recreate/.test(text) || !/Cancel/.test(text)) throw new Error(`the dialog lacks its buttons: ${text}`);
      await screenshot(page, shots.recreate, log);
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden', timeout: TIMEOUT });
      await page.waitForTimeout(1000); // a restore that went ahead anyway would have started by now
      const restoredAfter = await restoredNotifications(page);
      if (restoredAfter !== restoredBefore) throw new Error(`a restore ran after Cancel (${restoredBefore} → ${restoredAfter} "Restored" or "Restoring" messages)`);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
  }
  return scenarioResult(checks, [shots.dump, shots.restore, shots.recreate]);
}

/** A dump of shop, as the Dumps view lists it under its folder (named after the database by default). */
function isShopDump(r: TreeRow): boolean {
  return r.level === 2 && r.label.startsWith('shop_');
}

/** How many notifications speak of a restore (done or running), read in the notification centre, which keeps them all. */
async function restoredNotifications(page: Page): Promise<number> {
  const center = page.locator('.notifications-center');
  if (!(await center.isVisible())) {
    await page.locator('.statusbar-item[id="status.notifications"] a, .statusbar-item[id="status.notifications"]').first().click();
    await center.waitFor({ timeout: TIMEOUT });
  }
  const messages = await center.locator('.notification-list-item-message').allTextContents();
  await page.keyboard.press('Escape');
  return messages.filter((m) => /^\s*(Restored |Restoring )/.test(m)).length;
}
