// UI scenario in a folder nobody trusted: the PG Backup views say they are in Restricted Mode, what is
// left out, and how to trust the folder; the yaml's offsite command shows as left out.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  activityIcon,
  Checks,
  endScenario,
  openPage,
  openWorkbench,
  pane,
  scenarioResult,
  screenshot,
  TIMEOUT,
  widenSideBar,
  type UiResult,
  type UiScenarioOptions,
} from './common';

const MESSAGE = /Restricted Mode: this folder is not trusted, so pgBackup\.binPath from its settings and commands in its pgbackup\.yaml are not run\. To use them, trust the folder with "Workspaces: Manage Workspace Trust"\./;

export async function runUntrustedUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { context, page } = await openPage(opts);
  const shot = path.join(opts.screenshotDir, 'untrusted-connections.png');
  const failure = path.join(opts.screenshotDir, 'untrusted-failure.png');
  for (const file of [shot, failure]) await fs.rm(file, { force: true });
  log('UI: an untrusted folder (Restricted Mode)');
  try {
    await checks.run('the workbench opens the folder in Restricted Mode', async () => {
      await openWorkbench(page, opts);
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: TIMEOUT });
    });

    await checks.run('the Connections, Dumps and WAL Archive views say why nothing the folder names is run, and how to trust it', async () => {
      await activityIcon(page).click();
      await widenSideBar(page, 560);
      const connections = pane(page, 'Connections');
      const message = connections.locator('.message', { hasText: 'Restricted Mode' });
      await message.waitFor({ timeout: TIMEOUT });
      const text = (await message.innerText()).replace(/\s+/g, ' ').trim();
      log(`    message: ${text}`);
      if (!MESSAGE.test(text)) throw new Error(`the view's message is "${text}"`);
      for (const title of ['Dumps', 'WAL Archive']) {
        await pane(page, title).locator('.message', { hasText: MESSAGE }).waitFor({ timeout: TIMEOUT });
      }
    });

    await checks.run('the profile from pgbackup.yaml is listed, and its offsite command shows as left out', async () => {
      const connections = pane(page, 'Connections');
      await connections.locator('.monaco-list-row', { hasText: /^\s*e2e/ }).first().waitFor({ timeout: TIMEOUT });
      const problem = connections.locator('.monaco-list-row', { hasText: '"offsite.command" in pgbackup.yaml is not used because this folder is not trusted' });
      await problem.first().waitFor({ timeout: TIMEOUT });
    });

    await checks.step('screenshot of the Connections view in Restricted Mode', async () => {
      await screenshot(page, shot, log);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
  }
  return scenarioResult(checks, [shot]);
}
