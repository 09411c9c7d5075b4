// UI scenario: an age-encrypted dump of shop (taken with pgbr, copied offsite to a folder remote and
// verified there) shows "offsite ✓" in the Dumps view and asks for an identity; "Set Decryption
// Identity…" from the row's menu with the pasted key opens it to its tables with their counts, and
// sales.invoices restores from it into a new database.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  activityIcon,
  Checks,
  childRows,
  collapseOtherPanes,
  describeRows,
  endScenario,
  openMenuItem,
  openPage,
  openWorkbench,
  pane,
  quickPickRow,
  row,
  scenarioResult,
  screenshot,
  screenshotPaths,
  setPaneExpanded,
  TIMEOUT,
  treeRows,
  waitForQuickInput,
  waitForRows,
  widenSideBar,
  type UiResult,
  type UiScenarioOptions,
} from './common';

const run = promisify(execFile);
const RESTORED = 'invoices_from_age_ui';
const DUMP_TIMEOUT = 90_000;

export async function runEncryptedUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { shots, failure } = await screenshotPaths(opts, { badge: 'encrypted-offsite-badge.png', expanded: 'encrypted-expanded.png', restored: 'encrypted-restored.png' }, 'encrypted-failure.png');
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-e2e-encrypted-'));
  const pgbr = path.join(opts.extensionDevelopmentPath, 'dist', 'pgbr.js');
  const env = { ...process.env, ...opts.env };
  const cli = async (args: string[]) => (await run(process.execPath, [pgbr, ...args, '--workspace', opts.workspace, '--json'], { env, cwd: opts.workspace })).stdout;

  // What the person did before opening the editor: a key, an encrypted dump, a verified copy offsite.
  const identity = path.join(scratch, 'key.txt');
  await run('age-keygen', ['-o', identity]);
  const keyText = await fs.readFile(identity, 'utf8');
  const publicKey = /# public key: (age1\S+)/.exec(keyText)?.[1] ?? '';
  const secretKey = keyText.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '';
  const dumpPath = (JSON.parse(await cli(['dump', '--conn', 'e2e', '--db', 'shop', '--name', 'secret-shop', '--encrypt-to', publicKey])) as { path: string }).path;
  const remote = path.join(scratch, 'offsite');
  await fs.mkdir(remote);
  await cli(['offsite', 'push', dumpPath, '--to', remote]);
  await cli(['offsite', 'verify', dumpPath, '--to', remote]);
  const dumpName = path.basename(dumpPath);
  log(`  took ${dumpName}, copied to and verified at a folder remote`);

  const { context, page } = await openPage(opts);
  const dumps = pane(page, 'Dumps');

  log('UI: an encrypted dump, its offsite badge, its identity and a table restored from it');
  try {
    await checks.run('the Dumps view lists the encrypted dump with "offsite ✓" in its description', async () => {
      await openWorkbench(page, opts);
      await activityIcon(page).click();
      await widenSideBar(page, 640);
      await collapseOtherPanes(page, 'Dumps');
      await setPaneExpanded(page, 'Dumps', true);
      const rows = await waitForRows(dumps, (r) => r.some((x) => x.label === dumpName), DUMP_TIMEOUT);
      const shown = rows.find((x) => x.label === dumpName);
      log(`    ${dumpName}: ${shown?.description ?? ''}`);
      if (!/offsite ✓/.test(shown?.description ?? '')) throw new Error(`the row reads "${shown?.description ?? ''}", without "offsite ✓"`);
    });

    await checks.run('expanded without an identity, it shows one row asking for one', async () => {
      await row(dumps, dumpName).click();
      await row(dumps, 'encrypted with age: set a decryption identity to see its tables').waitFor({ timeout: TIMEOUT });
    });

    await checks.step('screenshot of the encrypted dump with its offsite badge', async () => {
      await screenshot(page, shots.badge, log);
    });

    await checks.run('right-click the dump → "Set Decryption Identity…" → paste the key', async () => {
      await openMenuItem(page, row(dumps, dumpName), 'Set Decryption Identity…');
      await waitForQuickInput(page, /Decryption identity for age-encrypted dumps/);
      await quickPickRow(page, 'Paste an age secret key').click();
      await waitForQuickInput(page, /age secret key/);
      const input = page.locator('.quick-input-widget .quick-input-box input');
      if ((await input.getAttribute('type')) !== 'password') throw new Error('the key is typed into a field that shows it');
      await input.fill(secretKey);
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run('the dump now opens to public and sales; sales.invoices shows 120 rows', async () => {
      await row(dumps, 'sales').waitFor({ timeout: TIMEOUT });
      await row(dumps, 'sales').click();
      await row(dumps, 'invoices').waitFor({ timeout: TIMEOUT });
      const rows = await treeRows(dumps);
      log(`    ${describeRows(rows)}`);
      const folder = rows.find((r) => r.level === 1)?.label ?? '';
      const invoices = childRows(rows, folder, dumpName, 'sales').find((r) => r.label === 'invoices');
      if (invoices?.description !== '120 rows') throw new Error(`invoices shows "${invoices?.description ?? '(no row)'}", expected "120 rows"`);
      if (rows.some((r) => r.label.includes('AGE-SECRET-KEY'))) throw new Error('the key reached the tree');
    });

    await checks.step('screenshot of the decrypted table of contents', async () => {
      await screenshot(page, shots.expanded, log);
    });

    await checks.run(`right-click invoices → "Restore Table(s)…" into a new database ${RESTORED}`, async () => {
      await openMenuItem(page, row(dumps, 'invoices'), 'Restore Table(s)…');
      let title = await waitForQuickInput(page, /Restore into which connection|into which database/i);
      if (/which connection/i.test(title)) {
        await quickPickRow(page, 'e2e').click();
        title = await waitForQuickInput(page, /into which database/i);
      }
      await quickPickRow(page, 'New database…').click();
      await waitForQuickInput(page, /name of the new database/i);
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.press('ControlOrMeta+a');
      await page.keyboard.type(RESTORED, { delay: 10 });
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
    });

    await checks.run(`the notification centre says invoices was restored into ${RESTORED}, and the database holds its 120 rows`, async () => {
      await page.locator('.statusbar-item[id="status.notifications"] a, .statusbar-item[id="status.notifications"]').first().click();
      const center = page.locator('.notifications-center');
      const done = center.locator('.notification-list-item-message', { hasText: /^\s*(Restored |Restore of .* FAILED|The restore of .* was cancelled)/ });
      await done.first().waitFor({ timeout: DUMP_TIMEOUT });
      const messages = (await center.locator('.notification-list-item-message').allTextContents()).map((m) => m.trim());
      for (const m of messages) log(`    notification: ${m}`);
      const outcome = messages.find((m) => /^(Restored |Restore of |The restore of )/.test(m)) ?? '';
      if (!outcome.startsWith('Restored ') || !outcome.includes(` into ${RESTORED}`)) throw new Error(`the restore did not succeed: ${outcome}`);
      if (opts.cluster) {
        const count = await opts.cluster.sql('SELECT count(*) FROM sales.invoices', RESTORED);
        if (count !== '120') throw new Error(`${RESTORED} holds ${count} invoices, expected 120`);
      }
    });

    await checks.step('screenshot after the restore', async () => {
      await screenshot(page, shots.restored, log);
    });
  } finally {
    await endScenario(page, context, checks, failure, log);
    // The next scenarios see the workspace as it was: no encrypted dump, no identity, no restored database.
    await fs.rm(dumpPath, { force: true });
    await fs.rm(`${dumpPath}.manifest.json`, { force: true });
    await fs.rm(scratch, { recursive: true, force: true });
    await opts.cluster?.sql(`DROP DATABASE IF EXISTS ${RESTORED}`).catch(() => undefined);
  }
  return scenarioResult(checks, [shots.badge, shots.expanded, shots.restored]);
}
