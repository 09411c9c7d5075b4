// What every UI scenario shares: its options and result, step-by-step checks, and locators on the workbench DOM.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { Cluster } from '../../integration/cluster';
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
  /** The throwaway server the profiles point at, for scenarios that change its state (switch WAL, break archiving). */
  cluster?: Cluster;
}

export interface UiResult {
  passed: number;
  failed: number;
  /** The scenario's screenshots, when every check passed. */
  screenshots?: string[];
}

/** How long one step waits for the workbench to show something. */
export const TIMEOUT = 30_000;

/** Each step is one check; once one fails the rest cannot run and count as failed too. */
export class Checks {
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

  /**
   * A step that is not a check (taking a screenshot for people to look at): it is not counted as
   * passed, but a step that throws still fails the scenario, and it is skipped after a failure.
   */
  async step(name: string, step: () => Promise<void>): Promise<void> {
    if (this.broken) return;
    try {
      await step();
      this.log(`  · ${name}`);
    } catch (e) {
      this.failed++;
      this.broken = true;
      this.log(`  ✘ ${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
}

/** A fresh browser context (no state left by another scenario) whose page closes when the run is aborted. */
export async function openPage(opts: UiScenarioOptions): Promise<{ context: BrowserContext; page: Page }> {
  const context = await opts.browser.newContext({ viewport: { width: 1280, height: 800 } });
  opts.signal?.addEventListener('abort', () => void context.close().catch(() => undefined));
  const page = await context.newPage();
  page.on('pageerror', (e) => opts.log(`  page error: ${e.message}`));
  await fs.mkdir(opts.screenshotDir, { recursive: true });
  return { context, page };
}

/** Loads the workbench with the extension under development, and waits until its activity-bar icon is there. */
export async function openWorkbench(page: Page, opts: UiScenarioOptions): Promise<void> {
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
}

/** A screenshot of the whole workbench as a person would look at it: no hover, no half-done animation. */
export async function screenshot(page: Page, file: string, log: (line: string) => void): Promise<void> {
  // Pointer off the side bar, so that no hover or tooltip covers it, and the last expansion's animation done.
  await page.mouse.move(900, 500);
  await page.waitForTimeout(300);
  // A screenshot once showed the whole workbench shifted a few pixels up and left: undo any root scroll.
  await page.evaluate("for (const e of document.querySelectorAll('html, body, .monaco-workbench')) { e.scrollTop = 0; e.scrollLeft = 0; }");
  await page.screenshot({ path: file });
  log(`  screenshot: ${path.relative(process.cwd(), file)}`);
}

/** After a failed check: what the workbench showed, for the post-mortem. */
export async function failureScreenshot(page: Page, file: string, log: (line: string) => void): Promise<void> {
  await page.screenshot({ path: file }).then(
    () => log(`  failure screenshot: ${path.relative(process.cwd(), file)}`),
    () => undefined,
  );
}

/**
 * A scenario's screenshot paths in the screenshot folder, and its failure shot; copies left by an earlier
 * run are removed first, so an old picture can never stand in for a new one.
 */
export async function screenshotPaths<K extends string>(
  opts: UiScenarioOptions,
  names: Record<K, string>,
  failureName: string,
): Promise<{ shots: Record<K, string>; failure: string }> {
  const shots = Object.fromEntries(Object.entries(names).map(([k, name]) => [k, path.join(opts.screenshotDir, name as string)])) as Record<K, string>;
  const failure = path.join(opts.screenshotDir, failureName);
  for (const file of [...Object.values<string>(shots), failure]) await fs.rm(file, { force: true });
  return { shots, failure };
}

/** The end of a scenario: the failure screenshot when a check failed, then the browser context closed. */
export async function endScenario(page: Page, context: BrowserContext, checks: Checks, failure: string, log: (line: string) => void): Promise<void> {
  if (checks.failed > 0) await failureScreenshot(page, failure, log);
  await context.close().catch(() => undefined);
}

/** What a scenario reports: its counts, and its screenshots when every check passed. */
export function scenarioResult(checks: Checks, screenshots: readonly string[]): UiResult {
  return { passed: checks.passed, failed: checks.failed, ...(checks.failed === 0 ? { screenshots: [...screenshots] } : {}) };
}

/** Drags the side bar's edge so that descriptions and error messages are readable in the screenshot. */
export async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/**
 * Collapses every view of the side bar but `keep`, as a person would to make room:
 * tree rows outside the visible part are not in the DOM and cannot be found or clicked.
 */
export async function collapseOtherPanes(page: Page, ...keep: string[]): Promise<void> {
  const expanded = '.part.sidebar .pane-header[aria-expanded="true"]';
  const titles = (await page.locator(`${expanded} h3.title`).allTextContents()).map((t) => t.trim());
  for (const title of titles.filter((t) => !keep.includes(t))) {
    await paneHeader(page, title).click();
  }
}

/** Expands or collapses one view of the side bar by clicking its header. */
export async function setPaneExpanded(page: Page, title: string, expanded: boolean): Promise<void> {
  const header = paneHeader(page, title);
  if ((await header.getAttribute('aria-expanded')) !== String(expanded)) await header.click();
  await page.locator(`.part.sidebar .pane-header[aria-expanded="${expanded}"]`, { has: page.locator('h3.title', { hasText: exactly(title) }) }).waitFor({ timeout: TIMEOUT });
}

function paneHeader(page: Page, title: string): Locator {
  return page.locator('.part.sidebar .pane-header', { has: page.locator('h3.title', { hasText: exactly(title) }) });
}

/** Drags the border below a view of the side bar until the view is `height` pixels tall (the next view gives way). */
export async function resizePane(page: Page, title: string, height: number): Promise<void> {
  const box = await pane(page, title).boundingBox();
  if (!box) throw new Error(`the ${title} view is not shown`);
  const bottom = box.y + box.height;
  // The border is a sash laid over the boundary between two views.
  let sash: { x: number; y: number; width: number; height: number } | undefined;
  for (const s of await page.locator('.part.sidebar .monaco-sash.horizontal').all()) {
    const b = await s.boundingBox();
    if (b && Math.abs(b.y + b.height / 2 - bottom) <= 4) sash = b;
  }
  if (!sash) throw new Error(`no border below the ${title} view`);
  const x = sash.x + sash.width / 2;
  const y = sash.y + sash.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x, y + (height - box.height), { steps: 5 });
  await page.mouse.up();
}

/** One view of the side bar, by its title. */
export function pane(page: Page, title: string): Locator {
  // `has` is matched inside each pane: no `.part.sidebar` prefix there.
  return page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { has: page.locator('h3.title', { hasText: exactly(title) }) }) });
}

/** A button of a view's title bar: shown while the pointer is over the view, as for a person. */
export async function clickViewAction(page: Page, title: string, action: string): Promise<void> {
  await paneHeader(page, title).hover();
  await pane(page, title).locator(`.pane-header .actions a.action-label[aria-label^="${action}"]`).click();
}

export function activityIcon(page: Page): Locator {
  return page.locator('.activitybar .action-item a.action-label[aria-label^="PG Backup"]');
}

/** The tree row whose label is exactly `label` (descriptions and other labels may contain it too). */
export function row(view: Locator, label: string): Locator {
  return view.locator('.monaco-list-row').filter({ has: view.page().locator('.label-name', { hasText: exactly(label) }) });
}

/** A regular expression matching `text` alone, give or take surrounding white space. */
export function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/** A tree row as a person reads it: its depth, label and description. */
export interface TreeRow {
  level: number;
  label: string;
  description: string;
}

/** The rows a view shows, top to bottom (the list reuses its row elements, so DOM order is not screen order). */
export async function treeRows(view: Locator): Promise<TreeRow[]> {
  const rows = await Promise.all(
    (await view.locator('.monaco-list-row').all()).map(async (r) => ({
      index: Number(await r.getAttribute('data-index')),
      level: Number(await r.getAttribute('aria-level')),
      label: ((await r.locator('.label-name').first().textContent()) ?? '').trim(),
      description: ((await r.locator('.label-description').first().textContent({ timeout: 1000 }).catch(() => '')) ?? '').trim(),
    })),
  );
  return rows.sort((a, b) => a.index - b.index).map(({ level, label, description }) => ({ level, label, description }));
}

/** The rows right below the row reached by following `labels` from the top level down. */
export function childRows(rows: TreeRow[], ...labels: string[]): TreeRow[] {
  let from = 0;
  let level = 0;
  for (const label of labels) {
    const i = rows.findIndex((r, j) => j >= from && r.level === level + 1 && r.label === label);
    if (i < 0) throw new Error(`no row "${label}" at depth ${level + 1} under ${labels.slice(0, labels.indexOf(label)).join(' → ') || 'the top'}`);
    from = i + 1;
    level++;
  }
  const end = rows.findIndex((r, j) => j >= from && r.level <= level);
  return rows.slice(from, end < 0 ? undefined : end).filter((r) => r.level === level + 1);
}

/** `label (description)` per row, for the log. */
export function describeRows(rows: TreeRow[]): string {
  return rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label}${r.description ? ` (${r.description})` : ''}`).join(' | ');
}

/** Runs a command from the command palette (F1), typing its title as a person would. */
export async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget .quick-input-box input').waitFor({ timeout: TIMEOUT });
  await page.keyboard.type(title, { delay: 10 });
  await quickPickRow(page, title).click({ timeout: TIMEOUT });
}

/** Waits for the QuickPick or input box whose title matches, and returns its title. */
export async function waitForQuickInput(page: Page, title: RegExp): Promise<string> {
  const titleBar = page.locator('.quick-input-widget .quick-input-title', { hasText: title });
  await titleBar.waitFor({ timeout: TIMEOUT });
  return ((await titleBar.textContent()) ?? '').trim();
}

/** The labels the open QuickPick offers. */
export async function quickPickLabels(page: Page): Promise<string[]> {
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.first().waitFor({ timeout: TIMEOUT });
  return (await rows.locator('.label-name').allTextContents()).map((t) => t.trim());
}

/** The item of the open QuickPick whose label is exactly `label` (an icon before it is ignored). */
export function quickPickRow(page: Page, label: string): Locator {
  return page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exactly(label) }) });
}

/** Polls a view's rows until `ready` holds; on timeout the error says what the view showed. */
export async function waitForRows(view: Locator, ready: (rows: TreeRow[]) => boolean, timeout: number): Promise<TreeRow[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const rows = await treeRows(view);
    if (ready(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`after ${timeout / 1000} s the view shows: ${describeRows(rows) || 'nothing'}`);
    await view.page().waitForTimeout(250);
  }
}

/** An entry of the open context menu (rendered in a shadow root, which Playwright's CSS locators pierce). */
export function contextMenuItem(page: Page, label: string): Locator {
  return page.locator('.context-view .monaco-menu .action-item:not(.disabled) .action-label', { hasText: label }).first();
}

/** Right-clicks `target` and clicks `label` in its context menu. */
export async function openMenuItem(page: Page, target: ReturnType<typeof row>, label: string): Promise<void> {
  await target.click({ button: 'right' });
  const item = contextMenuItem(page, label);
  await item.hover({ timeout: TIMEOUT });
  // The menu ignores a click that comes right after it opened (the right button's own release).
  await page.waitForTimeout(300);
  await item.click();
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden', timeout: TIMEOUT });
}
