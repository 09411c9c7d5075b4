// UI scenario: dump commands started from the command palette with nothing selected lead somewhere: a list of
// the dumps, a free name for a new database, a read-only verify report, and TRUNCATE only where it can work.
// Runs after the Dumps scenario, whose dump of shop is still in the workspace.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import {
  contextMenuItem,
  activityIcon,
  Checks,
  collapseOtherPanes,
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
  type UiResult,
  type UiScenarioOptions,
} from './common';

/** A verification restores the whole dump: a few seconds. */
const VERIFY_TIMEOUT = 90_000;
/** Taken already, as in the report: the name the restore used to propose. */
const TAKEN = 'shop_restored';
/** A copy of the dump, made to look three days old. */
const OLDER = 'older_copy.dump';

export async function runPaletteUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const cluster = opts.cluster;
  if (!cluster) throw new Error('the palette scenario needs the cluster, to create a database whose name is taken');
  const checks = new Checks(log);
  const { context, page } = await openPage(opts);
  const { shots, failure } = await screenshotPaths(
    opts,
    {
      picker: 'palette-dump-picker.png',
      report: 'verify-report-readonly.png',
      taken: 'new-database-name-taken.png',
      truncate: 'truncate-ruled-out.png',
    },
    'palette-failure.png',
  );
  const dumps = pane(page, 'Dumps');
  let newest = '';
  let older = '';

  /** The open QuickPick's rows as `label — description`. */
  const pickRows = async (): Promise<{ label: string; description: string }[]> => {
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: TIMEOUT });
    const out: { label: string; description: string }[] = [];
    for (const r of await rows.all()) {
      out.push({
        label: ((await r.locator('.label-name').first().textContent()) ?? '').trim(),
        description: ((await r.locator('.label-description').first().textContent().catch(() => '')) ?? '').trim(),
      });
    }
    return out;
  };

  /** The dump picker a palette command shows: newest dump of shop first, with its database and age. */
  const expectDumpPicker = async (verb: string): Promise<void> => {
    const title = await waitForQuickInput(page, new RegExp(`^Which dump to ${verb}\\?`));
    const rows = await pickRows();
    log(`    asked: "${title}" → ${rows.map((r) => `${r.label} (${r.description})`).join(', ')}`);
    const first = rows[0];
    const second = rows[1];
    if (second?.label !== OLDER || !/^database unknown · 3 days ago/.test(second.description)) {
      throw new Error(`the second dump offered is "${second?.label ?? '(none)'}" (${second?.description ?? ''}), expected ${OLDER}, database unknown, 3 days ago`);
    }
    if (first?.label !== newest) throw new Error(`the first dump offered is "${first?.label ?? '(none)'}", expected the newest, "${newest}"`);
    if (!/^shop · (just now|\d+ min ago)/.test(first.description)) throw new Error(`the newest dump is described as "${first.description}", expected its database and age`);
  };

  const dialogText = async (): Promise<string> => (await page.locator('.monaco-dialog-box').allInnerTexts()).join(' ').replace(/\s+/g, ' ').trim();

  log('UI: dump commands from the command palette (no dead ends)');
  try {
    await checks.run('workbench opens; the Dumps view lists the dump of shop the Dumps scenario took', async () => {
      await cluster.sql(`DROP DATABASE IF EXISTS ${TAKEN}`);
      await cluster.sql(`CREATE DATABASE ${TAKEN}`);
      await openWorkbench(page, opts);
      await activityIcon(page).click();
      await widenSideBar(page, 560);
      await collapseOtherPanes(page, 'Dumps');
      await setPaneExpanded(page, 'Dumps', true);
      await dumps.locator('.monaco-list-row[aria-level="2"]').first().waitFor({ timeout: TIMEOUT });
      // The view lists newest first: the first dump of shop is the one the picker must offer first.
      const shop = (await treeRows(dumps)).filter((r) => r.level === 2 && r.label.startsWith('shop_'));
      newest = shop[0]?.label ?? '';
      if (!newest) throw new Error('no dump of shop is listed');
      log(`    newest dump: ${newest}`);
      // An older dump beside it (no manifest, three days old): the list must put it after the newest.
      const dumpFile = await findFile(opts.workspace, newest);
      if (!dumpFile) throw new Error(`${newest} is not in the workspace`);
      older = path.join(path.dirname(dumpFile), OLDER);
      await fs.copyFile(dumpFile, older);
      const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
      await fs.utimes(older, threeDaysAgo, threeDaysAgo);
      await row(dumps, OLDER).waitFor({ timeout: TIMEOUT });
    });

    await checks.run('"Show Contents" and "Delete Dump" with nothing selected offer the dumps, newest first, with database and age', async () => {
      await runFromPalette(page, 'PG Backup: Show Contents');
      await expectDumpPicker('show');
      await page.keyboard.press('Escape');
      await runFromPalette(page, 'PG Backup: Delete Dump');
      await expectDumpPicker('delete');
      await page.keyboard.press('Escape');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
      if (await page.locator('.monaco-dialog-box').isVisible()) throw new Error(`closing the list asked something anyway: ${await dialogText()}`);
    });

    await checks.run('"Verify (Test Restore)…" from the palette offers the same list instead of an error', async () => {
      await runFromPalette(page, 'PG Backup: Verify (Test Restore)…');
      await expectDumpPicker('verify');
      await screenshot(page, shots.picker, log);
      await quickPickRow(page, newest).click();
    });

    const reportName = (): string => `${newest}.verify.md`;
    await checks.run('the report opens as a saved, read-only document named after the dump, and it says passed', async () => {
      const tab = page.locator('.tabs-container .tab', { hasText: reportName() });
      await tab.waitFor({ timeout: VERIFY_TIMEOUT });
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.locator('.view-lines', { hasText: 'Verification passed' }).waitFor({ timeout: TIMEOUT });
      // Typing into it changes nothing: a read-only document is never dirty.
      await editor.locator('.view-lines').click();
      await page.keyboard.type('x');
      await page.locator('.monaco-editor-overlaymessage', { hasText: 'Cannot edit in read-only editor' }).waitFor({ timeout: TIMEOUT });
      const classes = (await tab.getAttribute('class')) ?? '';
      if (/\bdirty\b/.test(classes)) throw new Error('the report tab is dirty after typing: it is an editable buffer');
      if (/Untitled/.test((await tab.innerText()).trim())) throw new Error('the report is an Untitled buffer');
      const first = ((await editor.locator('.view-line').first().innerText()) ?? '').replace(/\u00a0/g, ' ');
      if (!first.startsWith(`# Verification passed: ${newest}`)) throw new Error(`the report starts "${first}"`);
      await screenshot(page, shots.report, log);
    });

    await checks.run('the report is saved beside the dump, and the Dumps view does not list it as a dump', async () => {
      const saved = await findFile(opts.workspace, reportName());
      if (!saved) throw new Error(`${reportName()} is not in the workspace`);
      const text = await fs.readFile(saved, 'utf8');
      if (!text.startsWith('# Verification passed')) throw new Error(`${saved} starts "${text.split('\n')[0]}"`);
      const listed = (await treeRows(dumps)).map((r) => r.label);
      if (listed.some((l) => l.endsWith('.verify.md'))) throw new Error(`the Dumps view lists the report: ${listed.join(', ')}`);
    });

    await checks.run('closing the report asks nothing (nothing to save)', async () => {
      await runFromPalette(page, 'View: Close Editor');
      await page.locator('.tabs-container .tab', { hasText: reportName() }).waitFor({ state: 'hidden', timeout: TIMEOUT });
      await page.waitForTimeout(300);
      if (await page.locator('.monaco-dialog-box').isVisible()) throw new Error(`closing the report asks: ${await dialogText()}`);
    });

    await checks.run(`"Restore…" from the palette: the list of dumps, then "New database…" proposes a free name, not ${TAKEN}`, async () => {
      await runFromPalette(page, 'PG Backup: Restore…');
      await expectDumpPicker('restore');
      await quickPickRow(page, newest).click();
      let title = await waitForQuickInput(page, /Restore into which connection|into which database/i);
      if (/which connection/i.test(title)) {
        await quickPickRow(page, 'e2e').click();
        title = await waitForQuickInput(page, /into which database/i);
      }
      await quickPickRow(page, 'New database…').click();
      await waitForQuickInput(page, /name of the new database/i);
      const input = page.locator('.quick-input-widget .quick-input-box input');
      const proposed = await input.inputValue();
      log(`    proposed name: "${proposed}"`);
      if (proposed !== `${TAKEN}_2`) throw new Error(`the proposed name is "${proposed}", expected the free "${TAKEN}_2"`);
    });

    await checks.run(`typing ${TAKEN}, which exists, is refused in the box with a free name to use; Enter does not end the flow`, async () => {
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.press('ControlOrMeta+a');
      await page.keyboard.type(TAKEN, { delay: 10 });
      const message = page.locator('.quick-input-widget .quick-input-message', { hasText: 'already exists' });
      await message.waitFor({ timeout: TIMEOUT });
      const said = ((await message.textContent()) ?? '').trim();
      log(`    the box says: "${said}"`);
      if (!said.includes(`"${TAKEN}" already exists`) || !said.includes(`${TAKEN}_2 is free`)) throw new Error(`the box says "${said}"`);
      await screenshot(page, shots.taken, log);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(500);
      if (!(await page.locator('.quick-input-widget').isVisible())) throw new Error('Enter on a taken name closed the box');
      if (await page.locator('.monaco-dialog-box').isVisible()) throw new Error(`Enter on a taken name shows: ${await dialogText()}`);
      await page.keyboard.press('Escape');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run('restoring customers into shop, where orders references it: TRUNCATE is not offered, and the key is named', async () => {
      await expand(row(dumps, newest));
      await expand(row(dumps, 'public').first());
      await row(dumps, 'customers').first().click({ button: 'right' });
      const item = contextMenuItem(page, 'Restore Table(s)…');
      await item.hover({ timeout: TIMEOUT });
      await page.waitForTimeout(300); // the menu ignores a click right after it opened
      await item.click();
      let title = await waitForQuickInput(page, /Restore into which connection|into which database/i);
      if (/which connection/i.test(title)) {
        await quickPickRow(page, 'e2e').click();
        title = await waitForQuickInput(page, /into which database/i);
      }
      await quickPickRow(page, 'shop').click();
      // shop is where the dump came from: that is asked first.
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: TIMEOUT });
      log(`    dialog: ${await dialogText()}`);
      await dialog.locator('.monaco-button', { hasText: 'Restore into it' }).click();
      const asked = await waitForQuickInput(page, /already exists? in shop/i);
      // One label per row: a reused row may keep the previous list's detail line in its DOM.
      const offered = (await pickRows()).map((r) => r.label);
      const why = (await page.locator('.quick-input-widget .quick-input-box input').getAttribute('placeholder')) ?? '';
      log(`    asked: "${asked}" → ${offered.join(', ')}; placeholder: "${why}"`);
      if (offered.some((l) => /Replace the rows/.test(l))) throw new Error(`TRUNCATE is still offered: ${offered.join(', ')}`);
      if (offered.join() !== 'Drop and recreate') throw new Error(`offered ${offered.join(', ')}, expected only "Drop and recreate"`);
      if (!/a foreign key rules out TRUNCATE$/.test(asked)) throw new Error(`the title does not say TRUNCATE is ruled out: "${asked}"`);
      if (why !== 'public.orders references public.customers (orders_customer_id_fkey)') throw new Error(`the reason given is "${why}"`);
      await screenshot(page, shots.truncate, log);
      await page.keyboard.press('Escape');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
    await cluster.sql(`DROP DATABASE IF EXISTS ${TAKEN}`).catch(() => undefined);
    if (older) await fs.rm(older, { force: true });
  }
  return scenarioResult(checks, Object.values(shots));
}

/** Opens a tree row unless it is open already (a view may keep its rows open from an earlier session). */
async function expand(treeRow: Locator): Promise<void> {
  await treeRow.waitFor({ timeout: TIMEOUT });
  if ((await treeRow.getAttribute('aria-expanded')) !== 'true') await treeRow.click();
  await treeRow.page().waitForTimeout(300);
}

/** The first file named `name` under `dir` (the dump folder is somewhere in the workspace). */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return path.join(entry.parentPath, entry.name);
  }
  return undefined;
}
