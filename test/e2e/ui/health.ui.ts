// UI scenario: a person adds the server's WAL archive from the Connections hint, adds a damaged copy of it through the
// folder picker and sees the gap, then opens Health, breaks archiving and watches the view and the status bar turn red.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { parseDocument } from 'yaml';
import type { Cluster } from '../../integration/cluster';
import {
  waitForRows,
  activityIcon,
  Checks,
  childRows,
  collapseOtherPanes,
  describeRows,
  endScenario,
  exactly,
  openPage,
  openWorkbench,
  pane,
  row,
  runFromPalette,
  scenarioResult,
  screenshot,
  screenshotPaths,
  setPaneExpanded,
  TIMEOUT,
  waitForQuickInput,
  widenSideBar,
  type TreeRow,
  type UiResult,
  type UiScenarioOptions,
} from './common';
import { checkChart, checkNoTargetIsText, checkScrollKept, scrollToSection } from './healthLayout';

/** Archiving the switched segments, or failing to, takes the archiver a moment. */
const ARCHIVER_TIMEOUT = 60_000;
const SEGMENT = /^[0-9A-F]{24}$/;
const SUMMARY = /^[\d,]+ segments? · [\d.]+ [kMG]?B$/;

export async function runHealthUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { shots, failure } = await screenshotPaths(
    opts,
    {
      gap: 'wal-archive-gap.png',
      chart: 'health-chart.png',
      scroll: 'health-scroll-kept.png',
      failing: 'health-failing.png',
    },
    'health-failure.png',
  );
  const cluster = opts.cluster;
  if (!cluster) {
    log('UI: Health: no cluster given, cannot switch WAL or break archiving');
    return { passed: 0, failed: 1 };
  }
  const archiveDir = cluster.archiveDir;
  // A copy beside the real archive, as someone would make before moving it, with one segment lost on the way.
  const copyDir = path.join(path.dirname(archiveDir), 'archive-copy');
  const archiveMode = (await fs.stat(archiveDir)).mode & 0o7777;
  let missing = '';

  const { context, page } = await openPage(opts);
  const connections = pane(page, 'Connections');
  const archive = pane(page, 'WAL Archive');
  const health = healthFrame(page);

  log('UI: WAL Archive and Health (add the archive, a gap, archiving breaks)');
  try {
    await checks.run('a workspace without WAL archive locations, and a server that archives', async () => {
      // The extension-host suite ran in this workspace before: start from the profiles alone, as a new user would.
      const yamlFile = path.join(opts.workspace, 'pgbackup.yaml');
      const doc = parseDocument(await fs.readFile(yamlFile, 'utf8'));
      if (doc.has('archives')) {
        doc.delete('archives');
        await fs.writeFile(yamlFile, doc.toString());
      }
      await fs.chmod(archiveDir, archiveMode | 0o700);
      // A few segments, archived after any failure the suite provoked: the archive is whole and archiving succeeds.
      for (let i = 0; i < 3; i++) await switchWal(cluster);
      await waitForArchiver(cluster, (a) => a.archivedAfterFailure && a.waiting === 0, 'successful archiving of every segment after the last failure');
      const segments = (await fs.readdir(archiveDir)).filter((n) => SEGMENT.test(n));
      if (segments.length < 3) throw new Error(`only ${segments.length} segments archived`);
      log(`    ${segments.length} segments in ${archiveDir}`);
    });

    await checks.run('workbench opens with the "PG Backup" activity-bar icon', async () => {
      await openWorkbench(page, opts);
    });

    await checks.run(`expanding e2e in Connections shows the hint to add its WAL archive ${archiveDir}`, async () => {
      await activityIcon(page).click();
      await widenSideBar(page, 620);
      // Connections alone gets the side bar's height: the hint sits below the connection's databases, and earlier scenarios add databases.
      await collapseOtherPanes(page, 'Connections');
      await setPaneExpanded(page, 'Connections', true);
      await row(connections, 'e2e').click();
      await row(connections, 'Add its WAL archive').filter({ hasText: archiveDir }).waitFor({ timeout: TIMEOUT });
    });

    await checks.run('clicking the hint adds the folder: WAL Archive shows it, its summary and timeline 1', async () => {
      await row(connections, 'Add its WAL archive').filter({ hasText: archiveDir }).click();
      // From here on the archive is what is looked at: it gets the side bar's height.
      await setPaneExpanded(page, 'Connections', false);
      await setPaneExpanded(page, 'WAL Archive', true);
      const rows = await waitForRows(archive, (r) => childRows0(r, archiveDir).some((c) => c.label === 'timeline 1'), TIMEOUT);
      log(`    ${describeRows(rows)}`);
      const items = childRows(rows, archiveDir);
      const summary = items[0]?.label ?? '';
      if (!SUMMARY.test(summary)) throw new Error(`the first row under the location is "${summary}", expected "N segments · size"`);
      const problems = await errorRows(archive);
      if (problems.length > 0) throw new Error(`the whole archive shows problems: ${problems.join(' | ')}`);
    });

    await checks.run('expanding timeline 1 shows one run of segments', async () => {
      await row(archive, 'timeline 1').click();
      const rows = await waitForRows(archive, (r) => childRows0(r, archiveDir, 'timeline 1').length > 0, TIMEOUT);
      const runs = childRows(rows, archiveDir, 'timeline 1');
      log(`    runs: ${describeRows(runs)}`);
      if (runs.length !== 1) throw new Error(`${runs.length} runs under timeline 1, expected one unbroken run`);
    });

    await checks.run('a copy of the archive loses a segment in the middle', async () => {
      await fs.rm(copyDir, { recursive: true, force: true });
      await fs.cp(archiveDir, copyDir, { recursive: true });
      const names = (await fs.readdir(copyDir)).filter((n) => SEGMENT.test(n)).sort();
      missing = names[Math.floor(names.length / 2)] ?? '';
      await fs.rm(path.join(copyDir, missing));
      log(`    ${copyDir}: ${names.length - 1} segments, ${missing} missing`);
    });

    await checks.run('"PG Backup: Add WAL Archive Folder…" opens a folder picker; typing the copy\'s path and Enter adds it', async () => {
      await runFromPalette(page, 'PG Backup: Add WAL Archive Folder…');
      await pickFolder(page, copyDir, log);
    });

    await checks.run('the copy shows under its own location with a red row naming the missing segment', async () => {
      const rows = await waitForRows(archive, (r) => childRows0(r, copyDir).length > 0, TIMEOUT);
      log(`    ${describeRows(rows)}`);
      const gap = archive.locator('.monaco-list-row', { hasText: missing }).filter({ has: page.locator('.codicon-error') });
      await gap.first().waitFor({ timeout: TIMEOUT });
      const text = ((await gap.first().locator('.label-name').textContent()) ?? '').trim();
      log(`    red row: ${text}`);
      if (!/missing/i.test(text)) throw new Error(`the red row does not say the segment is missing: ${text}`);
    });

    await checks.run('expanding the copy\'s timeline 1 shows the two runs on either side of the gap', async () => {
      // The view may re-render under the click (a watcher's refresh after the copy was made): a row
      // replaced as it was clicked does not expand, so the click is repeated until it has children.
      let rows: Awaited<ReturnType<typeof waitForRows>> | undefined;
      for (let attempt = 1; !rows; attempt++) {
        const timelineRow = archive.locator('.monaco-list-row[aria-expanded="false"]', { hasText: '2 runs' });
        if ((await timelineRow.count()) > 0) await timelineRow.first().click();
        rows = await waitForRows(archive, (r) => childRows0(r, copyDir, 'timeline 1').length > 0, attempt < 3 ? 8_000 : TIMEOUT).catch((e: unknown) => {
          if (attempt >= 3) throw e;
          return undefined;
        });
      }
      const runs = childRows(rows, copyDir, 'timeline 1');
      log(`    runs: ${describeRows(runs)}`);
      if (runs.length !== 2) throw new Error(`${runs.length} runs under the copy's timeline 1, expected 2`);
    });

    await checks.step('screenshot of the WAL Archive view with the gap', async () => {
      // Wide enough for the whole red row, the only view open so that it has the height.
      await widenSideBar(page, 900);
      await collapseOtherPanes(page, 'WAL Archive');
      await row(archive, copyDir).waitFor({ timeout: TIMEOUT });
      await unscroll(page, log);
      await screenshot(page, shots.gap, log);
    });

    await checks.run('"PG Backup: Show Archiving Health" opens the Health view; the other views collapsed', async () => {
      await runFromPalette(page, 'PG Backup: Show Archiving Health');
      // The command opens the view by itself, a moment after the palette closes: clicking its header would race it.
      await page
        .locator('.part.sidebar .pane-header[aria-expanded="true"]', { has: page.locator('h3.title', { hasText: exactly('Health') }) })
        .waitFor({ timeout: TIMEOUT });
      await collapseOtherPanes(page, 'Health');
      await health.locator('#connection').waitFor({ timeout: TIMEOUT });
    });

    await checks.run('e2e is picked in the view\'s dropdown', async () => {
      const picker = health.locator('#connection');
      // The dropdown is filled once the view's script has loaded and the extension has sent the connections.
      // The options are in the DOM but hidden while the dropdown is closed.
      await picker.locator('vscode-option').first().waitFor({ state: 'attached', timeout: TIMEOUT });
      log(`    dropdown: "${await dropdownValue(picker)}" of ${(await picker.locator('vscode-option').allTextContents()).map((t) => `"${t.trim()}"`).join(', ')}`);
      if ((await dropdownValue(picker)) !== 'e2e') {
        await picker.click();
        await health.locator('vscode-option', { hasText: /^\s*e2e\s*$/ }).click();
      }
      const value = await dropdownValue(picker);
      if (value !== 'e2e') throw new Error(`the dropdown shows "${value}"`);
    });

    await checks.run('the banner says "Archiving OK" (or lagging) and the checklist is shown', async () => {
      const banner = await waitForBanner(health, /^Archiving (OK|lagging)\b/, TIMEOUT);
      log(`    banner: ${banner}`);
      for (const item of await checklist(health)) log(`    ${item}`);
    });

    await checks.run('the 24-hour chart has 24 hours, a scale from 0 to a round number, hour labels and bars drawn to that scale', async () => {
      await checkChart(health, log);
    });

    await checks.run('"no target" in the objectives is plain words: no tag, fill, border, padding or pointer', async () => {
      await checkNoTargetIsText(page, health, log);
    });

    await checks.step('screenshot of the chart and the objectives', async () => {
      await scrollToSection(page, 'Recovery objectives');
      await unscroll(page, log);
      await screenshot(page, shots.chart, log);
    });

    await checks.run('scrolled down to the Recovery objectives, a poll re-renders the view and the section stays where it was', async () => {
      await checkScrollKept(page, health, log);
    });

    await checks.step('screenshot of the view still scrolled after the poll', async () => {
      await unscroll(page, log);
      await screenshot(page, shots.scroll, log);
    });

    await checks.run('with the archive folder read-only and WAL switched, Refresh turns the banner to "Archiving failing" with a FAIL item', async () => {
      await fs.chmod(archiveDir, 0o555);
      for (let i = 0; i < 3; i++) await switchWal(cluster);
      // The archiver fails within a second or so; a person clicks Refresh until the view says so.
      const deadline = Date.now() + ARCHIVER_TIMEOUT;
      let banner = '';
      for (let clicks = 1; ; clicks++) {
        banner = await refreshHealth(page, health);
        if (/^Archiving failing\b/.test(banner) && (await health.locator('ul.checklist li.fail').count()) > 0) {
          log(`    after ${clicks} click${clicks === 1 ? '' : 's'} on Refresh: ${banner}`);
          break;
        }
        if (Date.now() > deadline) throw new Error(`the banner still says: ${banner}`);
      }
      for (const item of await checklist(health)) log(`    ${item}`);
    });

    await checks.run('the status bar says "e2e: archiving FAILING" on the error background', async () => {
      const item = page.locator('.statusbar-item', { hasText: 'e2e: archiving FAILING' });
      await item.waitFor({ timeout: TIMEOUT });
      const kind = (await item.getAttribute('class')) ?? '';
      const id = (await item.getAttribute('id')) ?? '';
      // An expression, not a function: this file is type-checked without the DOM's types.
      const background = String(await page.evaluate(`getComputedStyle(document.getElementById(${JSON.stringify(id)})).backgroundColor`));
      log(`    status bar item: "${((await item.textContent()) ?? '').trim()}", background ${background}`);
      if (!/\berror-kind\b/.test(kind) || /^(transparent|rgba\(0, 0, 0, 0\))$/.test(background)) {
        throw new Error(`the item is not shown as an error (classes: ${kind}; background ${background})`);
      }
    });

    await checks.step('screenshot of the failing Health view and the status bar', async () => {
      await unscroll(page, log);
      await screenshot(page, shots.failing, log);
    });
  } finally {
    await fs.chmod(archiveDir, archiveMode).catch((e: unknown) => log(`  could not restore ${archiveDir}'s permissions: ${String(e)}`));
    await endScenario(page, context, checks, failure, log);
    await fs.rm(copyDir, { recursive: true, force: true });
  }
  return scenarioResult(checks, Object.values(shots));
}

/**
 * Answers VS Code's own folder picker (in a browser, a quick input listing folders): the path typed over the
 * suggested one, then Enter until the picker closes (the first may only open the folder). Each Enter is logged
 * with what the picker showed.
 */
async function pickFolder(page: Page, folder: string, log: (line: string) => void): Promise<void> {
  const title = await waitForQuickInput(page, /WAL archive folder/i);
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // The picker opens on one folder and moves to the workspace's a moment later: type once it has settled.
  let suggested = await input.inputValue();
  for (let stable = 0; stable < 3; ) {
    await page.waitForTimeout(250);
    const now = await input.inputValue();
    stable = now === suggested ? stable + 1 : 0;
    suggested = now;
  }
  log(`    asked: "${title}", suggested "${suggested}"`);
  // With the trailing slash the picker opens the folder itself; without it, Enter takes whichever entry of the
  // parent folder is highlighted, which for a path that does not match exactly is another folder.
  const value = `${folder.replace(/\/+$/, '')}/`;
  await input.press('ControlOrMeta+a');
  await page.keyboard.type(value, { delay: 10 });
  const typed = await input.inputValue();
  if (typed !== value) throw new Error(`the picker shows "${typed}" after typing the path`);
  for (let i = 0; i < 4; i++) {
    await page.waitForTimeout(500);
    const items = (await page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name').allTextContents()).map((t) => t.trim());
    log(`    picker: "${await input.inputValue()}" → ${items.slice(0, 6).join(', ') || '(no entries)'}, Enter`);
    await page.keyboard.press('Enter');
    const closed = await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 2000 }).then(() => true, () => false);
    if (closed) return;
  }
  throw new Error('the folder picker did not close');
}

/**
 * After the folder picker and the tree clicks, a split view of the workbench is often left scrolled by 4 pixels, and
 * the screenshot shows everything below the title bar shifted up or left: scroll such containers back first.
 */
async function unscroll(page: Page, log: (line: string) => void): Promise<void> {
  // A string: this file is type-checked without the DOM's types.
  const scrolled = await page.evaluate<string[]>(`
    [...document.querySelectorAll('.monaco-workbench, .monaco-workbench *')]
      .filter((e) => e.scrollTop !== 0 || e.scrollLeft !== 0)
      .map((e) => {
        const what = e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' (' + e.scrollLeft + ', ' + e.scrollTop + ')';
        e.scrollTop = 0;
        e.scrollLeft = 0;
        return what;
      })`);
  if (scrolled.length > 0) log(`    scrolled back: ${scrolled.join(', ')}`);
}

/** The Health view's document: VS Code nests a webview's content in an iframe inside its host iframe. */
function healthFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready[src*="extensionId=pgbr.pg-backup"]').frameLocator('iframe#active-frame');
}

/** What the closed dropdown shows: its selected value (in its shadow root, which CSS locators pierce). */
async function dropdownValue(picker: Locator): Promise<string> {
  return ((await picker.locator('.selected-value').first().textContent()) ?? '').trim();
}

/**
 * Clicks the view's Refresh button and waits for the new reading (its time, shown to the second, changes);
 * returns the banner's text.
 */
async function refreshHealth(page: Page, frame: FrameLocator): Promise<string> {
  const read = frame.locator('#body > p.muted').first();
  const before = ((await read.textContent({ timeout: TIMEOUT })) ?? '').trim();
  await page.waitForTimeout(1000);
  await frame.locator('#refresh').click();
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const now = ((await read.textContent({ timeout: TIMEOUT })) ?? '').trim();
    if (now !== before && /, read /.test(now)) break;
    if (Date.now() > deadline) throw new Error(`no new reading after Refresh: the view says "${now}"`);
    await page.waitForTimeout(250);
  }
  return waitForBanner(frame, /^Archiving /, TIMEOUT);
}

/** Waits for a banner matching `text` (not "Reading e2e…"), and returns its text. */
async function waitForBanner(frame: FrameLocator, text: RegExp, timeout: number): Promise<string> {
  const banner = frame.locator('.banner').filter({ hasText: text });
  await banner.first().waitFor({ timeout });
  return ((await banner.first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The checklist as a person reads it: `PASS title`. */
async function checklist(frame: FrameLocator): Promise<string[]> {
  const items = await frame.locator('ul.checklist li').all();
  return Promise.all(
    items.map(async (li) => {
      const tag = ((await li.locator('vscode-tag').textContent()) ?? '').trim();
      const title = ((await li.locator('.title').textContent()) ?? '').trim();
      return `${tag} ${title}`;
    }),
  );
}

/** The labels of rows with the error icon. */
async function errorRows(view: Locator): Promise<string[]> {
  return (await view.locator('.monaco-list-row').filter({ has: view.page().locator('.codicon-error') }).locator('.label-name').allTextContents()).map((t) => t.trim());
}

/** childRows, or none when the path is not shown yet. */
function childRows0(rows: TreeRow[], ...labels: string[]): TreeRow[] {
  try {
    return childRows(rows, ...labels);
  } catch {
    return [];
  }
}

/** Writes some rows and closes the current WAL segment, so the archiver has a file to copy. */
async function switchWal(cluster: Cluster): Promise<void> {
  await cluster.sql('CREATE TABLE IF NOT EXISTS wal_filler (x int); INSERT INTO wal_filler SELECT generate_series(1, 1000); SELECT pg_switch_wal();');
}

interface ArchiverState {
  archivedAfterFailure: boolean;
  /** Segments waiting to be archived (.ready files). */
  waiting: number;
  text: string;
}

/** Polls pg_stat_archiver until `ready` holds. */
async function waitForArchiver(cluster: Cluster, ready: (a: ArchiverState) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + ARCHIVER_TIMEOUT;
  for (;;) {
    const out = await cluster.sql(
      `SELECT coalesce(last_archived_time > coalesce(last_failed_time, '-infinity'), false),
              (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'),
              archived_count || ' archived, ' || failed_count || ' failed'
         FROM pg_stat_archiver`,
    );
    const [archived, waiting, text] = out.split('|');
    const state = { archivedAfterFailure: archived === 't', waiting: Number(waiting), text: `${text ?? out}, ${waiting} waiting` };
    if (ready(state)) return;
    if (Date.now() > deadline) throw new Error(`no ${what} after ${ARCHIVER_TIMEOUT / 1000} s: ${state.text}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
