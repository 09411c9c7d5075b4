// UI scenario: a wrong password stored for e2e. The error says the stored password was refused and offers Forget
// Password, Set Password…, Edit Connection and Retry; each does what it says; the status bar turns red, then back.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  activityIcon,
  Checks,
  collapseOtherPanes,
  endScenario,
  exactly,
  openPage,
  openWorkbench,
  pane,
  row,
  runFromPalette,
  scenarioResult,
  screenshot,
  setPaneExpanded,
  TIMEOUT,
  waitForQuickInput,
  widenSideBar,
  type UiResult,
  type UiScenarioOptions,
} from './common';
import { clearNotifications, clickNotificationButton, describeNotification, openNotifications, waitForNotifications } from './notifications';

const WRONG = 'not-the-password';
const REFUSED = /refused the password stored in VS Code for "e2e"/;
const CONNECTED = /^\s*Connected to "e2e"/;
const BUTTONS = ['Forget Password', 'Set Password…', 'Edit Connection', 'Retry'];

export async function runWrongPasswordUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const cluster = opts.cluster;
  const right = opts.env.PGBR_E2E_APP_PASSWORD;
  if (!cluster || !right) {
    log('UI: wrong password: no cluster or app password given');
    return { passed: 0, failed: 1 };
  }
  const shots = { refused: path.join(opts.screenshotDir, 'wrong-password.png'), fixed: path.join(opts.screenshotDir, 'wrong-password-fixed.png') };
  const failure = path.join(opts.screenshotDir, 'wrong-password-failure.png');
  for (const file of [...Object.values(shots), failure]) await fs.rm(file, { force: true });
  const { context, page } = await openPage(opts);
  const connections = pane(page, 'Connections');
  const status = page.locator('.statusbar-item', { hasText: /\be2e: / });

  /** Runs a command on e2e from its context menu in the Connections view, as a person would. */
  const onE2e = async (title: string): Promise<void> => {
    const item = page.locator('.context-view .monaco-menu .action-item:not(.disabled) .action-label', { hasText: exactly(title) }).first();
    // A connection that just succeeded re-renders the tree: a right-click can land on the row that moved
    // under the pointer (its menu has other items). Then the menu is closed and the click made again.
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Escape');
      await row(connections, 'e2e').click({ button: 'right' });
      const opened = await item.waitFor({ timeout: 3000 }).then(() => true, () => false);
      if (opened) break;
      if (attempt === 3) throw new Error(`the context menu of e2e has no "${title}" after three right-clicks`);
    }
    await item.hover({ timeout: TIMEOUT });
    // The menu ignores a click that comes right after it opened (the right button's own release).
    await page.waitForTimeout(300);
    await item.click();
    await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden', timeout: TIMEOUT });
  };
  const setPassword = async (password: string): Promise<void> => {
    await waitForQuickInput(page, /Password for "e2e"/);
    await page.keyboard.type(password, { delay: 5 });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
  };
  /** The refused-password notification (shown once while it is listed: each is clicked or cleared before the next). */
  const refusal = async (): Promise<Locator> => (await waitForNotifications(page, REFUSED, 1)).first();

  log('UI: a wrong stored password, its toast and its fixes');
  try {
    await checks.run('workbench opens; "Show Archiving Health" makes e2e the status bar\'s connection', async () => {
      await openWorkbench(page, opts);
      await activityIcon(page).click();
      await widenSideBar(page, 600);
      await runFromPalette(page, 'PG Backup: Show Archiving Health');
      await status.filter({ hasText: /e2e: archiving/ }).waitFor({ timeout: TIMEOUT });
      log(`    status bar: "${await statusText(status)}", ${await statusLook(page, status)}`);
      await collapseOtherPanes(page, 'Connections');
      await setPaneExpanded(page, 'Connections', true);
    });

    await checks.run('"Set Password…" stores a wrong password for e2e; its row now says, in a few words, that the stored password was refused', async () => {
      await onE2e('Set Password…');
      await setPassword(WRONG);
      await row(connections, 'e2e').click();
      const error = connections.locator('.monaco-list-row', { hasText: 'the server refused the password stored in VS Code' });
      await error.waitFor({ timeout: TIMEOUT });
      const description = ((await error.locator('.label-description').textContent()) ?? '').trim();
      log(`    row: ${((await error.locator('.label-name').textContent()) ?? '').trim()} (${description})`);
      if (description !== 'Forget Password') throw new Error(`the error row's fix is "${description}", expected Forget Password`);
      // The whole advice is the row's tooltip, which is also what a screen reader reads.
      const tooltip = (await error.getAttribute('aria-label')) ?? '';
      if (!REFUSED.test(tooltip) || !/Forget it to use the one in .*pgpass/.test(tooltip)) throw new Error(`the row's tooltip does not give the whole advice: ${tooltip}`);
    });

    await checks.run('the status bar says "e2e: sign-in refused" on the error background, not green', async () => {
      await status.filter({ hasText: 'e2e: sign-in refused' }).waitFor({ timeout: TIMEOUT });
      const look = await statusLook(page, status);
      log(`    status bar: "${await statusText(status)}", ${look}`);
      if (!look.startsWith('error')) throw new Error(`the item is not shown as an error: ${look}`);
    });

    await checks.run('"Test Connection" fails with a toast that names the stored password and offers the four fixes', async () => {
      await onE2e('Test Connection');
      const { message, buttons } = await describeNotification(await refusal());
      log(`    toast: ${message} [${buttons.join(' | ')}]`);
      if (/Set password…" or in ~\/\.pgpass/.test(message)) throw new Error('the toast still points at ~/.pgpass for a stored password');
      if (buttons.join('|') !== BUTTONS.join('|')) throw new Error(`the toast offers ${buttons.join(', ') || 'no buttons'}, expected ${BUTTONS.join(', ')}`);
      // The finished test's progress message goes a moment after the error comes.
      await page.locator('.notifications-center .notification-list-item', { hasText: 'Testing connection' }).waitFor({ state: 'detached', timeout: TIMEOUT });
      await screenshot(page, shots.refused, log);
    });

    await checks.run('Edit Connection opens pgbackup.yaml in an editor', async () => {
      await clickNotificationButton(await refusal(), 'Edit Connection');
      await page.locator('.tabs-container .tab', { hasText: exactly('pgbackup.yaml') }).waitFor({ timeout: TIMEOUT });
      const line = ((await page.locator('.editor-instance .view-line', { hasText: 'name: e2e' }).first().textContent()) ?? '').trim();
      log(`    editor shows: ${line}`);
    });

    await checks.run('Retry runs Test Connection again: with the server\'s password changed to the stored one, it connects', async () => {
      await clearNotifications(page);
      await onE2e('Test Connection');
      const toast = await refusal();
      await cluster.sql(`ALTER ROLE ${cluster.appUser} PASSWORD ${literal(WRONG)};`);
      try {
        await clickNotificationButton(toast, 'Retry');
        await waitForNotifications(page, CONNECTED, 1);
      } finally {
        await cluster.sql(`ALTER ROLE ${cluster.appUser} PASSWORD ${literal(right)};`);
      }
    });

    await checks.run('Set Password… asks for the password, stores it and tries again: it connects', async () => {
      await clearNotifications(page);
      await onE2e('Test Connection');
      await clickNotificationButton(await refusal(), 'Set Password…');
      await setPassword(right);
      await waitForNotifications(page, CONNECTED, 1);
    });

    await checks.run('with the wrong password stored again, Forget Password forgets it and tries again with ~/.pgpass: it connects', async () => {
      await onE2e('Set Password…');
      await setPassword(WRONG);
      await clearNotifications(page);
      await onE2e('Test Connection');
      await clickNotificationButton(await refusal(), 'Forget Password');
      const done = await waitForNotifications(page, CONNECTED, 1);
      log(`    ${((await done.first().locator('.notification-list-item-message').textContent()) ?? '').trim()}`);
    });

    await checks.run('the status bar is back to e2e\'s archiving state and the tree lists e2e\'s databases', async () => {
      await status.filter({ hasText: /e2e: archiving/ }).waitFor({ timeout: TIMEOUT });
      const look = await statusLook(page, status);
      log(`    status bar: "${await statusText(status)}", ${look}`);
      if (look.startsWith('error')) throw new Error(`the item still shows an error: ${look}`);
      await page.keyboard.press('Escape');
      await row(connections, 'shop').waitFor({ timeout: TIMEOUT });
      await openNotifications(page);
      await screenshot(page, shots.fixed, log);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
    await cluster.sql(`ALTER ROLE ${cluster.appUser} PASSWORD ${literal(right)};`).catch(() => undefined);
  }
  return scenarioResult(checks, Object.values(shots));
}

async function statusText(item: Locator): Promise<string> {
  return ((await item.first().textContent()) ?? '').trim();
}

/** `error, background rgb(…)` for an item on the error background; `plain, …` otherwise. */
async function statusLook(page: Page, item: Locator): Promise<string> {
  const kind = (await item.first().getAttribute('class')) ?? '';
  const id = (await item.first().getAttribute('id')) ?? '';
  // An expression, not a function: this file is type-checked without the DOM's types.
  const background = String(await page.evaluate(`getComputedStyle(document.getElementById(${JSON.stringify(id)})).backgroundColor`));
  const shown = /\berror-kind\b/.test(kind) ? 'error' : /\bwarning-kind\b/.test(kind) ? 'warning' : 'plain';
  return `${shown}, background ${background}`;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
