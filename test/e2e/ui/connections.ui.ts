// UI scenario: a person opens PG Backup, sees both profiles, drills into e2e → shop → public, and the dead profile's error;
// the hint to add the server's WAL archive reads whole, and clicking it says where the folder was saved.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import {
  activityIcon,
  Checks,
  collapseOtherPanes,
  failureScreenshot,
  openPage,
  openWorkbench,
  pane,
  row,
  scenarioResult,
  screenshot,
  TIMEOUT,
  widenSideBar,
  type UiResult,
  type UiScenarioOptions,
} from './common';
import { clickNotificationButton, describeNotification, waitForNotifications } from './notifications';

/** The Connections row that offers the server's WAL archive folder (its label; the folder is its description). */
const HINT = 'Add its WAL archive';

export async function runConnectionsUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { context, page } = await openPage(opts);
  const shot = path.join(opts.screenshotDir, 'connections.png');
  const addedShot = path.join(opts.screenshotDir, 'archive-hint-added.png');
  const shownShot = path.join(opts.screenshotDir, 'archive-hint-shown.png');
  for (const file of [shot, addedShot, shownShot]) await fs.rm(file, { force: true });
  const archiveDir = opts.env.PGBR_E2E_ARCHIVE_DIR ?? '';
  const yamlFile = path.join(opts.workspace, 'pgbackup.yaml');
  let yamlBefore: string | undefined;
  const connections = (): Locator => pane(page, 'Connections');

  log('UI: Connections view');
  try {
    await checks.run('workbench opens with the "PG Backup" activity-bar icon', async () => {
      await openWorkbench(page, opts);
    });

    await checks.run('the Connections view lists the "e2e" and "down" profiles', async () => {
      await activityIcon(page).click();
      await widenSideBar(page, 560);
      await collapseOtherPanes(page, 'Connections');
      await row(connections(), 'e2e').waitFor({ timeout: TIMEOUT });
      await row(connections(), 'down').waitFor({ timeout: TIMEOUT });
    });

    await checks.run('expanding e2e shows the server version and the "shop" database', async () => {
      await row(connections(), 'e2e').click();
      await row(connections(), 'shop').waitFor({ timeout: TIMEOUT });
      await row(connections(), 'e2e').filter({ hasText: /PostgreSQL \d+/ }).waitFor({ timeout: TIMEOUT });
    });

    await checks.run('expanding shop shows the "public" and "sales" schemas', async () => {
      await row(connections(), 'shop').click();
      await row(connections(), 'public').waitFor({ timeout: TIMEOUT });
      await row(connections(), 'sales').waitFor({ timeout: TIMEOUT });
    });

    await checks.run('expanding public shows the "customers" and "orders" tables', async () => {
      await row(connections(), 'public').click();
      await row(connections(), 'customers').waitFor({ timeout: TIMEOUT });
      await row(connections(), 'orders').waitFor({ timeout: TIMEOUT });
    });

    await checks.run('under e2e, the hint "Add its WAL archive" shows whole, with the archive folder beside it', async () => {
      const hint = row(connections(), HINT);
      await hint.waitFor({ timeout: TIMEOUT });
      const description = ((await hint.locator('.label-description').textContent()) ?? '').trim();
      if (description !== archiveDir) throw new Error(`the hint's description is "${description}", expected ${archiveDir}`);
      // Cut off, the label's text runs past the box that clips it.
      const id = await hint.getAttribute('id');
      const overflow = Number(
        await page.evaluate(
          `(() => { const r = document.getElementById(${JSON.stringify(id)}); const name = r.querySelector('.label-name').getBoundingClientRect(); const box = r.querySelector('.monaco-icon-label-container').getBoundingClientRect(); return name.right - box.right; })()`,
        ),
      );
      if (overflow > 0.5) throw new Error(`the hint's label is cut off by ${overflow.toFixed(0)} px`);
    });

    await checks.run('expanding down shows why it cannot connect', async () => {
      await row(connections(), 'down').click();
      await connections()
        .locator('.monaco-list-row', { hasText: /no PostgreSQL server is listening/i })
        .waitFor({ timeout: TIMEOUT });
    });

    await checks.step('screenshot of the expanded tree', async () => {
      await screenshot(page, shot, log);
      const rows = await Promise.all((await connections().locator('.monaco-list-row').all()).map((r) => r.getAttribute('aria-label')));
      log(`  rows: ${JSON.stringify(rows.map((r) => r?.replace(/\s*\n+\s*/g, ' / ')))}`);
    });

    await checks.run('clicking the hint adds the folder: a notification names it and the file it was saved in; the hint is gone', async () => {
      yamlBefore = await fs.readFile(yamlFile, 'utf8');
      await row(connections(), HINT).click();
      const added = await waitForNotifications(page, /^\s*Added the WAL archive /, 1);
      const { message, buttons } = await describeNotification(added.first());
      log(`    notification: ${message} [${buttons.join(' | ')}]`);
      if (!message.includes(archiveDir) || !message.includes(yamlFile)) throw new Error(`the notification does not name ${archiveDir} and ${yamlFile}: ${message}`);
      if (!(await fs.readFile(yamlFile, 'utf8')).includes(archiveDir)) throw new Error(`${yamlFile} does not list ${archiveDir}`);
      await row(connections(), HINT).waitFor({ state: 'detached', timeout: TIMEOUT });
      await screenshot(page, addedShot, log);
    });

    await checks.run('its "Show WAL Archive" button opens the WAL Archive view, which lists the folder', async () => {
      await clickNotificationButton((await waitForNotifications(page, /^\s*Added the WAL archive /, 1)).first(), 'Show WAL Archive');
      await row(pane(page, 'WAL Archive'), archiveDir).waitFor({ timeout: TIMEOUT });
      await screenshot(page, shownShot, log);
    });
  } finally {
    if (checks.failed > 0) {
      await failureScreenshot(page, path.join(opts.screenshotDir, 'connections-failure.png'), log);
    }
    await context.close().catch(() => undefined);
    // The later scenarios start from the profiles alone, as a new user would.
    if (yamlBefore !== undefined) await fs.writeFile(yamlFile, yamlBefore);
  }
  return scenarioResult(checks, [shot, addedShot, shownShot]);
}
