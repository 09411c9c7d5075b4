// UI scenario: a person opens PG Backup, sees both profiles, drills into e2e → shop → public, and the dead profile's error.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import {
  Checks,
  TIMEOUT,
  activityIcon,
  collapseOtherPanes,
  failureScreenshot,
  openPage,
  openWorkbench,
  pane,
  row,
  screenshot,
  widenSideBar,
  type UiResult,
  type UiScenarioOptions,
} from './common';

export async function runConnectionsUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { context, page } = await openPage(opts);
  const shot = path.join(opts.screenshotDir, 'connections.png');
  await fs.rm(shot, { force: true });
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

    await checks.run('expanding down shows why it cannot connect', async () => {
      await row(connections(), 'down').click();
      await connections()
        .locator('.monaco-list-row', { hasText: /no PostgreSQL server is listening/i })
        .waitFor({ timeout: TIMEOUT });
    });

    await checks.run('screenshot of the expanded tree', async () => {
      await screenshot(page, shot, log);
      const rows = await Promise.all((await connections().locator('.monaco-list-row').all()).map((r) => r.getAttribute('aria-label')));
      log(`  rows: ${JSON.stringify(rows.map((r) => r?.replace(/\s*\n+\s*/g, ' / ')))}`);
    });
  } finally {
    if (checks.failed > 0) {
      await failureScreenshot(page, path.join(opts.screenshotDir, 'connections-failure.png'), log);
    }
    await context.close().catch(() => undefined);
  }
  return { passed: checks.passed, failed: checks.failed, ...(checks.failed === 0 ? { screenshots: [shot] } : {}) };
}
