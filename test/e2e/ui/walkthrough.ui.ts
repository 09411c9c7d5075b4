// UI scenario: a person opens the Get Started walkthrough, takes a first dump from its step's button, and
// sees that step ticked once the dump is in the folder, then "See what is inside" ticked by expanding it.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  activityIcon,
  Checks,
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
  waitForQuickInput,
  waitForRows,
  widenSideBar,
  type UiResult,
  type UiScenarioOptions,
} from './common';

const DUMP_TIMEOUT = 90_000;
const WALKTHROUGH_TITLE = 'Get Started with PostgreSQL Backup & Recovery';
/** A dump folder of this scenario's own, so that dumps other scenarios took do not tick the step beforehand. */
const DUMP_FOLDER = '.walkthrough-dumps';

export async function runWalkthroughUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const settingsFile = path.join(opts.workspace, '.vscode', 'settings.json');
  const settingsBefore = await fs.readFile(settingsFile, 'utf8').catch(() => undefined);
  await fs.rm(path.join(opts.workspace, DUMP_FOLDER), { recursive: true, force: true });
  await fs.mkdir(path.dirname(settingsFile), { recursive: true });
  await fs.writeFile(settingsFile, `${JSON.stringify({ ...(settingsBefore ? (JSON.parse(settingsBefore) as object) : {}), 'pgBackup.dumpFolders': [DUMP_FOLDER] }, null, 2)}\n`);
  const { context, page } = await openPage(opts);
  const { shots, failure } = await screenshotPaths(opts, { done: 'walkthrough-first-dump.png' }, 'walkthrough-failure.png');
  const dumps = pane(page, 'Dumps');
  let dumpName = '';

  log('UI: the Get Started walkthrough (a first dump ticks its step)');
  try {
    await checks.run('workbench opens with the "PG Backup" activity-bar icon; opening it activates the extension', async () => {
      await openWorkbench(page, opts);
      await activityIcon(page).click();
      await widenSideBar(page, 420);
      await collapseOtherPanes(page, 'Dumps');
      await setPaneExpanded(page, 'Dumps', true);
    });

    await checks.run(`"Welcome: Open Walkthrough…" lists "${WALKTHROUGH_TITLE}" and opens it`, async () => {
      await runFromPalette(page, 'Welcome: Open Walkthrough...');
      await quickPickRow(page, WALKTHROUGH_TITLE).click({ timeout: TIMEOUT });
      await step(page, 'dump').waitFor({ timeout: TIMEOUT });
    });

    await checks.run('a connection and a plan exist, so their steps are ticked; "Take a first dump" is not', async () => {
      await waitForChecked(page, 'connection', true);
      await waitForChecked(page, 'plan', true);
      await waitForChecked(page, 'dump', false);
      await waitForChecked(page, 'contents', false);
    });

    await checks.run('the step\'s "Back Up Database…" button asks for the connection: e2e, then the database: shop', async () => {
      await step(page, 'dump').click();
      await page.locator('.gettingStartedContainer').getByRole('button', { name: 'Back Up Database…' }).click({ timeout: TIMEOUT });
      await waitForQuickInput(page, /connection/i);
      await quickPickRow(page, 'e2e').click();
      await waitForQuickInput(page, /database on e2e/i);
      await quickPickRow(page, 'shop').click();
    });

    await checks.run('every table, custom format, default compression, schema and data: the backup starts', async () => {
      await waitForQuickInput(page, /tables of shop/i);
      await page.keyboard.press('Enter');
      await waitForQuickInput(page, /format/i);
      await quickPickRow(page, 'custom').click();
      await waitForQuickInput(page, /compression/i);
      await quickPickRow(page, 'default').click();
      await waitForQuickInput(page, /contents/i);
      await quickPickRow(page, 'Schema and data').click();
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run('the dump appears in the Dumps view, and "Take a first dump" is ticked', async () => {
      const rows = await waitForRows(dumps, (r) => r.some((x) => x.level === 2 && x.label.startsWith('shop_')), DUMP_TIMEOUT);
      log(`    ${describeRows(rows)}`);
      dumpName = rows.find((x) => x.level === 2 && x.label.startsWith('shop_'))?.label ?? '';
      await waitForChecked(page, 'dump', true);
      await waitForChecked(page, 'contents', false);
    });

    await checks.run('expanding the dump in the Dumps view ticks "See what is inside"', async () => {
      await row(dumps, dumpName).click();
      await row(dumps, 'public').waitFor({ timeout: TIMEOUT });
      await waitForChecked(page, 'contents', true);
    });

    await checks.step('screenshot of the walkthrough with its ticked steps', async () => {
      await screenshot(page, shots.done, log);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
    if (settingsBefore === undefined) await fs.rm(settingsFile, { force: true });
    else await fs.writeFile(settingsFile, settingsBefore);
  }
  return scenarioResult(checks, [shots.done]);
}

/** A step's button in the open walkthrough (its id ends with `#<step>`). */
function step(page: Page, id: string): ReturnType<Page['locator']> {
  return page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id$="#${id}"]`);
}

/** Waits until the step shows as done (or not done): VS Code sets aria-checked on the step's button. */
async function waitForChecked(page: Page, id: string, checked: boolean): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const state = await step(page, id).getAttribute('aria-checked', { timeout: TIMEOUT });
    if (state === String(checked)) return;
    if (Date.now() > deadline) throw new Error(`the "${id}" step shows aria-checked="${state ?? ''}", expected ${String(checked)}`);
    await page.waitForTimeout(250);
  }
}
