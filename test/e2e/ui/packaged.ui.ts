// UI scenario: the extension as the .vsix ships it (test/support/packageVsix.ts, unpacked), not the checkout:
// its activity-bar icon, the Health webview's script and styles, and the walkthrough's media all load from it.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { packageVsix } from '../../support/packageVsix';
import {
  activityIcon,
  Checks,
  collapseOtherPanes,
  endScenario,
  exactly,
  openPage,
  openWorkbench,
  quickPickRow,
  runFromPalette,
  scenarioResult,
  screenshot,
  screenshotPaths,
  TIMEOUT,
  type UiResult,
  type UiScenarioOptions,
} from './common';

/** The page's own, run in the browser (this file is type-checked without the DOM's types). */
declare function getComputedStyle(element: unknown): { display: string; maskImage: string; webkitMaskImage: string };

const WALKTHROUGH_TITLE = 'Get Started with PostgreSQL Backup & Recovery';

export async function runPackagedUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const packaged = await packageVsix();
  const unpacked = path.join(path.dirname(packaged.vsix), 'unpacked');
  const { context, page } = await openPage(opts);
  const { shots, failure } = await screenshotPaths(opts, { walkthrough: 'packaged-walkthrough.png' }, 'packaged-failure.png');
  const health = page.frameLocator('iframe.webview.ready[src*="extensionId=pgbr.pg-backup"]').frameLocator('iframe#active-frame');

  log('UI: the packaged extension (.vsix contents only)');
  try {
    await checks.run('the .vsix unpacks, and the workbench loads the extension from it with its activity-bar icon', async () => {
      await promisify(execFile)('unzip', ['-q', packaged.vsix, 'extension/*', '-d', unpacked]);
      await openWorkbench(page, { ...opts, extensionDevelopmentPath: path.join(unpacked, 'extension') });
      const icon = await activityIcon(page).evaluate((e) => `${getComputedStyle(e).maskImage} ${getComputedStyle(e).webkitMaskImage}`);
      if (!icon.includes('activity.svg')) throw new Error(`the activity-bar icon is not media/activity.svg: ${icon}`);
    });

    await checks.run('"PG Backup: Show Archiving Health": the Health webview runs its script and lists e2e', async () => {
      await activityIcon(page).click();
      await runFromPalette(page, 'PG Backup: Show Archiving Health');
      await page.locator('.part.sidebar .pane-header[aria-expanded="true"]', { has: page.locator('h3.title', { hasText: exactly('Health') }) }).waitFor({ timeout: TIMEOUT });
      await collapseOtherPanes(page, 'Health');
      // Options appear only once health.js ran (the toolkit's components defined) and the extension answered.
      await health.locator('#connection vscode-option', { hasText: /^\s*e2e\s*$/ }).waitFor({ state: 'attached', timeout: TIMEOUT });
      const styled = await health.locator('header').evaluate((e) => getComputedStyle(e).display);
      if (styled !== 'flex') throw new Error(`health.css is not applied: the header's display is "${styled}"`);
    });

    await checks.run('the walkthrough opens and its first step shows its markdown media from media/walkthrough', async () => {
      // Without the side bar the editor is wide enough to show a step's media beside the steps.
      await runFromPalette(page, 'View: Toggle Primary Side Bar Visibility');
      await page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: TIMEOUT });
      await runFromPalette(page, 'Welcome: Open Walkthrough...');
      await quickPickRow(page, WALKTHROUGH_TITLE).click({ timeout: TIMEOUT });
      await page.locator('.gettingStartedContainer button.getting-started-step[data-step-id$="#connection"]').click({ timeout: TIMEOUT });
      await waitForTextInFrames(page, 'PG Backup merges connection profiles from four places');
    });

    await checks.step('screenshot of the packaged walkthrough', async () => {
      await screenshot(page, shots.walkthrough, log);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
    packaged.cleanup();
  }
  return scenarioResult(checks, [shots.walkthrough]);
}

/** A step's markdown media renders in a webview of its own: look for the text in every frame. */
async function waitForTextInFrames(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    for (const frame of page.frames()) {
      if ((await frame.getByText(text).count().catch(() => 0)) > 0) return;
    }
    if (Date.now() > deadline) throw new Error(`no frame shows "${text}"`);
    await page.waitForTimeout(250);
  }
}
