// UI scenario: a person opens PG Backup, sees both profiles, drills into e2e → shop → public, and the dead profile's error.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { workbenchUrl } from '../harness';

export interface UiScenarioOptions {
  browser: Browser;
  /** `127.0.0.1:PORT` of a code-server started with the smoke-test driver. */
  authority: string;
  workspace: string;
  extensionDevelopmentPath: string;
  /** Extension-host environment (PGPASSFILE...). */
  env: Record<string, string>;
  screenshotDir: string;
  log: (line: string) => void;
  /** Closes the page: every pending step fails at once. */
  signal?: AbortSignal;
}

export interface UiResult {
  passed: number;
  failed: number;
  screenshot?: string;
}

/** Each step is one check; once one fails the rest cannot run and count as failed too. */
class Checks {
  passed = 0;
  failed = 0;
  private broken = false;

  constructor(private readonly log: (line: string) => void) {}

  async run(name: string, step: () => Promise<void>): Promise<void> {
    if (this.broken) {
      this.failed++;
      this.log(`  - ${name}: not run (an earlier check failed)`);
      return;
    }
    const started = Date.now();
    try {
      await step();
      this.passed++;
      this.log(`  ✔ ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      this.failed++;
      this.broken = true;
      this.log(`  ✘ ${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
}

const TIMEOUT = 30_000;

export async function runConnectionsUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const context = await opts.browser.newContext({ viewport: { width: 1280, height: 800 } });
  opts.signal?.addEventListener('abort', () => void context.close().catch(() => undefined));
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`  page error: ${e.message}`));
  await fs.mkdir(opts.screenshotDir, { recursive: true });
  const screenshot = path.join(opts.screenshotDir, 'connections.png');
  await fs.rm(screenshot, { force: true });
  let view: Locator | undefined;
  const connections = (): Locator => {
    if (!view) throw new Error('the Connections view was not found');
    return view;
  };

  log('UI: Connections view');
  try {
    await checks.run('workbench opens with the "PG Backup" activity-bar icon', async () => {
      await page.goto(
        workbenchUrl(opts.authority, {
          folder: opts.workspace,
          extensionDevelopmentPath: opts.extensionDevelopmentPath,
          env: opts.env,
        }),
      );
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // The icon appears once the extension host has scanned the extension under development.
      await activityIcon(page).waitFor({ timeout: 60_000 });
    });

    await checks.run('the Connections view lists the "e2e" and "down" profiles', async () => {
      await activityIcon(page).click();
      await widenSideBar(page, 560);
      await collapseOtherPanes(page, 'Connections');
      view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Connections/ }) });
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
      // Pointer off the tree, so that no hover or tooltip covers it, and the last expansion's animation done.
      await page.mouse.move(900, 500);
      await page.waitForTimeout(300);
      // A screenshot once showed the whole workbench shifted a few pixels up and left: undo any root scroll.
      await page.evaluate("for (const e of document.querySelectorAll('html, body, .monaco-workbench')) { e.scrollTop = 0; e.scrollLeft = 0; }");
      await page.screenshot({ path: screenshot });
      log(`  screenshot: ${path.relative(process.cwd(), screenshot)}`);
      const rows = await Promise.all((await connections().locator('.monaco-list-row').all()).map((r) => r.getAttribute('aria-label')));
      log(`  rows: ${JSON.stringify(rows.map((r) => r?.replace(/\s*\n+\s*/g, ' / ')))}`);
    });
  } finally {
    if (checks.failed > 0) {
      const failure = path.join(opts.screenshotDir, 'connections-failure.png');
      await page.screenshot({ path: failure }).then(
        () => log(`  failure screenshot: ${path.relative(process.cwd(), failure)}`),
        () => undefined,
      );
    }
    await context.close().catch(() => undefined);
  }
  return { passed: checks.passed, failed: checks.failed, ...(checks.failed === 0 ? { screenshot } : {}) };
}

/** Drags the side bar's edge so that descriptions and error messages are readable in the screenshot. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/**
 * Gives one view of the container the whole side bar, as a person would by collapsing the others:
 * tree rows outside the visible part are not in the DOM and cannot be found or clicked.
 */
async function collapseOtherPanes(page: Page, keep: string): Promise<void> {
  const expanded = '.part.sidebar .pane-header[aria-expanded="true"]';
  const titles = (await page.locator(`${expanded} h3.title`).allTextContents()).map((t) => t.trim());
  for (const title of titles.filter((t) => t !== keep)) {
    await page.locator(expanded, { has: page.locator('h3.title', { hasText: exactly(title) }) }).click();
  }
}

function activityIcon(page: Page): Locator {
  return page.locator('.activitybar .action-item a.action-label[aria-label^="PG Backup"]');
}

/** The tree row whose label is exactly `label` (descriptions and other labels may contain it too). */
function row(view: Locator, label: string): Locator {
  return view.locator('.monaco-list-row').filter({ has: view.page().locator('.label-name', { hasText: exactly(label) }) });
}

function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}
