// UI scenario: a DELETE without WHERE on a table of a server that archives WAL and has a base backup; a person
// right-clicks the table in Connections, picks the delete in the transaction list, recovers the table on the side,
// reads the comparison, previews and applies "missing rows only", and reads the report; the rows are back.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO_ROOT } from '../harness';
import type { Cluster } from '../../integration/cluster';
import {
  activityIcon,
  Checks,
  collapseOtherPanes,
  failureScreenshot,
  openMenuItem,
  openPage,
  openWorkbench,
  pane,
  row,
  scenarioResult,
  screenshot,
  screenshotPaths,
  TIMEOUT,
  type UiResult,
  type UiScenarioOptions,
  widenSideBar,
} from './common';

/** Recovery restores the base backup, starts a scratch server and replays WAL to just before the delete. */
const RECOVER_TIMEOUT = 120_000;
const TABLE = 'undo_orders';
const ROWS = 200;
const rowsSum = `SELECT count(*) || ' ' || md5(coalesce(string_agg(id || ':' || note, ',' ORDER BY id), '')) FROM ${TABLE}`;

/** The panel's document (nested in the webview's host iframe), found by its content. */
async function undoFrame(page: Page): Promise<Frame> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame.isDetached()) continue;
      if ((await frame.locator('section[data-step="moment"]').count().catch(() => 0)) > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error('the Recover Table panel did not show its steps');
    await page.waitForTimeout(250);
  }
}

/** Waits until `probe` returns text, failing early with a ✗ line the panel shows under `step`. */
async function waitForText(page: Page, frame: Frame, step: string, probe: () => Promise<string | undefined>, what: string, timeout = TIMEOUT): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = await probe();
    if (found) return found;
    // allTextContents does not wait for the element (textContent would, for the locator's whole timeout).
    const status = (await frame.locator(`section[data-step="${step}"] .status.bad`).allTextContents()).join(' ').trim();
    if (status) throw new Error(`waiting for ${what}, the panel says: ${status}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeout / 1000} s`);
    await page.waitForTimeout(300);
  }
}

async function switchAndWaitArchived(cluster: Cluster): Promise<void> {
  const wal = await cluster.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
  await cluster.sql('SELECT pg_switch_wal()');
  for (let i = 0; i < 400; i++) {
    if ((await cluster.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) >= wal) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`segment ${wal} was not archived in time`);
}

/** The scratch folders (`…/pgbr-drill-XXXXXX`) that running processes name in their command lines: the drill's server. */
function drillFolders(): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('ps', ['-eo', 'args'], (e, out) => (e ? reject(new Error(`ps: ${e.message}`)) : resolve([...new Set([...out.matchAll(/\/\S*\/pgbr-drill-[A-Za-z0-9]+/g)].map((m) => m[0]))]))),
  );
}

/** `pgbr basebackup` of the e2e connection into the workspace's base backup folder, as a person would take it. */
function baseBackup(opts: UiScenarioOptions, cluster: Cluster): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'pgbr.js'), 'basebackup', '--conn', 'e2e', '--checkpoint', 'fast', '--json', '--workspace', opts.workspace, '--bin-path', cluster.binDir], {
      env: { PATH: process.env.PATH ?? '', HOME: opts.workspace, PGPASSFILE: opts.env.PGPASSFILE ?? '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pgbr basebackup exited ${code}: ${err.trim() || out.trim()}`))));
  });
}

export async function runRecoverTableUi(opts: UiScenarioOptions & { cluster?: Cluster }): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { shots, failure } = await screenshotPaths(opts, { list: 'recover-table-transactions.png', comparison: 'recover-table-comparison.png', report: 'recover-table-report.png' }, 'recover-table-failure.png');
  const cluster = opts.cluster;
  if (!cluster) {
    log('UI: Recover table: no cluster given');
    return { passed: 0, failed: 1 };
  }
  let deleteXid = '';
  let scratch: string[] = [];
  let before = '';
  const { context, page } = await openPage(opts);
  log('UI: Recover Table As It Was… (a DELETE without WHERE undone with missing rows)');
  try {
    await checks.run(`setup: ${TABLE} with ${ROWS} rows over two commits around a base backup, then DELETE FROM ${TABLE} and an unrelated commit, all archived`, async () => {
      await cluster.sql(`CREATE TABLE public.${TABLE} (id int PRIMARY KEY, note text NOT NULL); ALTER TABLE public.${TABLE} OWNER TO ${cluster.appUser}; CREATE TABLE public.undo_audit (id serial PRIMARY KEY, what text); ALTER TABLE public.undo_audit OWNER TO ${cluster.appUser};`, 'shop');
      await cluster.sql(`INSERT INTO public.${TABLE} SELECT g, 'order ' || g FROM generate_series(1, 150) g`, 'shop');
      // pg_basebackup needs a replication role: the e2e connection's user gets it for this scenario.
      await cluster.sql(`ALTER ROLE ${cluster.appUser} REPLICATION`);
      const taken = await baseBackup(opts, cluster);
      log(`    base backup: ${(JSON.parse(taken) as { name?: string }).name ?? taken.slice(0, 120)}`);
      await cluster.sql(`INSERT INTO public.${TABLE} SELECT g, 'order ' || g FROM generate_series(151, ${ROWS}) g`, 'shop');
      before = await cluster.sql(rowsSum, 'shop');
      // Commits in the WAL carry their time to the second: the delete is not in the same second as the inserts.
      await new Promise((r) => setTimeout(r, 1100));
      deleteXid = (await cluster.sql(`BEGIN; DELETE FROM public.${TABLE}; SELECT pg_current_xact_id(); COMMIT;`, 'shop')).trim().split('\n').filter(Boolean).at(-1) ?? '';
      await cluster.sql("INSERT INTO public.undo_audit (what) VALUES ('after the delete')", 'shop');
      await switchAndWaitArchived(cluster);
      log(`    ${before} before, the delete is xid ${deleteXid}`);
      if (!/^\d+$/.test(deleteXid)) throw new Error(`the delete's xid is "${deleteXid}"`);
    });

    await checks.run('workbench opens; the table shows under e2e → shop → public', async () => {
      await openWorkbench(page, opts);
      await activityIcon(page).click();
      await widenSideBar(page, 420);
      await collapseOtherPanes(page, 'Connections');
      const connections = pane(page, 'Connections');
      for (const label of ['e2e', 'shop', 'public']) {
        await row(connections, label).waitFor({ timeout: TIMEOUT });
        if ((await row(connections, label).getAttribute('aria-expanded')) !== 'true') await row(connections, label).click();
      }
      await row(connections, TABLE).waitFor({ timeout: TIMEOUT });
    });

    await checks.run('right-click → "Recover Table As It Was…" opens the panel with the last 24 h as the window', async () => {
      await openMenuItem(page, row(pane(page, 'Connections'), TABLE), 'Recover Table As It Was…');
      await page.locator('.tabs-container .tab', { hasText: `Recover public.${TABLE}` }).waitFor({ timeout: TIMEOUT });
      const frame = await undoFrame(page);
      const from = await waitForText(page, frame, 'moment', async () => (await frame.locator('#from input').inputValue()) || undefined, 'window start');
      const to = await frame.locator('#to input').inputValue();
      log(`    window: ${from} – ${to}`);
    });

    await checks.run(`"List transactions" lists xid ${deleteXid} as the one that deleted ${ROWS} rows`, async () => {
      const frame = await undoFrame(page);
      await frame.locator('#list').click();
      const tr = frame.locator(`tr.tx[data-xid="${deleteXid}"]`);
      const started = Date.now();
      const text = await waitForText(page, frame, 'moment', async () => ((await tr.count()) > 0 ? ((await tr.innerText()) ?? '').replace(/\s+/g, ' ') : undefined), `the row of xid ${deleteXid}`, RECOVER_TIMEOUT);
      log(`    listed after ${((Date.now() - started) / 1000).toFixed(1)} s; row: ${text}`);
      const label = (await tr.getAttribute('title')) ?? '';
      log(`    label: ${label}`);
      if (!label.startsWith(`just before xid ${deleteXid} — deleted ${ROWS} rows at `)) throw new Error(`the delete reads "${label}"`);
      const cells = (await tr.locator('td').allTextContents()).map((c) => c.trim());
      if (cells[4] !== String(ROWS) || cells[2] !== '0') throw new Error(`the delete's counts are ${cells.join(' | ')}`);
      const all = (await frame.locator('tr.tx').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
      for (const a of all) log(`    listed: ${a}`);
      await tr.click();
    });

    await checks.step('screenshot of the transaction list', async () => {
      await screenshot(page, shots.list, log);
    });

    await checks.run(`"Recover on the side" compares: ${ROWS} rows then, 0 now, ${ROWS} missing, with a countdown`, async () => {
      const frame = await undoFrame(page);
      const picked = ((await frame.locator('#picked').textContent()) ?? '').trim();
      if (!picked.includes(`xid ${deleteXid}`)) throw new Error(`the picked moment reads "${picked}"`);
      await frame.locator('#recover').click();
      const count = (k: string) => frame.locator(`#comparison tr[data-count="${k}"] td.n`);
      const missing = await waitForText(page, frame, 'recover', async () => ((await count('missing now').count()) > 0 ? ((await count('missing now').textContent()) ?? '').trim() : undefined), 'comparison', RECOVER_TIMEOUT);
      const then = ((await count('rows then').textContent()) ?? '').trim();
      const now = ((await count('rows now').textContent()) ?? '').trim();
      log(`    then ${then}, now ${now}, missing ${missing}`);
      log(`    ${((await frame.locator('#comparison p').first().textContent()) ?? '').trim()}`);
      if (missing !== String(ROWS) || then !== String(ROWS) || now !== '0') throw new Error(`the comparison shows then ${then}, now ${now}, missing ${missing}`);
      const samples = ((await frame.locator('#comparison pre').first().textContent()) ?? '').trim();
      if (!samples.includes('(1,"order 1")')) throw new Error(`the missing sample does not show row 1: ${samples}`);
      const countdown = ((await frame.locator('#countdown').textContent()) ?? '').trim();
      log(`    ${countdown}`);
      if (!/kept up 1[45]:\d\d more/.test(countdown)) throw new Error(`no countdown: "${countdown}"`);
      scratch = await drillFolders();
      log(`    scratch server held in ${scratch.join(', ') || 'no folder a process names'}`);
      if (scratch.length === 0) throw new Error('no scratch server is running while the comparison is shown');
    });

    await checks.step('screenshot of the comparison', async () => {
      const frame = await undoFrame(page);
      await frame.evaluate(`document.querySelector('section[data-step="recover"]').scrollIntoView({ block: 'start' })`);
      await screenshot(page, shots.comparison, log);
    });

    await checks.run(`"Missing rows only": the preview says ${ROWS} rows would be brought back; Apply brings them back`, async () => {
      const frame = await undoFrame(page);
      await frame.locator('vscode-radio[value="missing-rows"]').click();
      await frame.locator('#preview').click();
      const preview = await waitForText(page, frame, 'bring', async () => ((await frame.locator('#preview-result pre').count()) > 0 ? ((await frame.locator('#preview-result pre').textContent()) ?? '').trim() : undefined), 'preview');
      log(`    preview: ${preview.replace(/\n/g, ' | ')}`);
      if (!preview.includes(`${ROWS} rows would be brought back`)) throw new Error(`the preview says: ${preview}`);
      if ((await cluster.sql(`SELECT count(*) FROM ${TABLE}`, 'shop')) !== '0') throw new Error('the preview changed the live table');
      await frame.locator('#apply').click();
      const report = await waitForText(page, frame, 'bring', async () => ((await frame.locator('#report pre').count()) > 0 ? ((await frame.locator('#report pre').textContent()) ?? '').trim() : undefined), 'report');
      for (const l of report.split('\n')) log(`    report: ${l}`);
      if (!report.includes(`${ROWS} rows were brought back`)) throw new Error('the report does not say the rows were brought back');
      if (!/^Recovery time \(RTO evidence\): /m.test(report)) throw new Error('the report has no recovery time');
      if (!new RegExp(`just before xid ${deleteXid}, from base backup e2e_base_`).test(report)) throw new Error('the report does not name the base backup and the xid');
    });

    await checks.run(`the live table has its ${ROWS} rows back, the same ones, and the later unrelated commit stays`, async () => {
      const after = await cluster.sql(rowsSum, 'shop');
      log(`    ${after}`);
      if (after !== before) throw new Error(`the table holds ${after}, before the delete it held ${before}`);
      if ((await cluster.sql('SELECT count(*) FROM public.undo_audit', 'shop')) !== '1') throw new Error('the unrelated commit is gone');
    });

    await checks.run('after the apply the scratch server is stopped and its folder removed', async () => {
      const left = (await drillFolders()).filter((f) => scratch.includes(f));
      if (left.length > 0) throw new Error(`processes still run in ${left.join(', ')}`);
      for (const f of scratch) {
        const exists = await fs.access(f).then(() => true, () => false);
        if (exists) throw new Error(`${f} is still there`);
      }
    });

    await checks.step('screenshot of the report', async () => {
      await screenshot(page, shots.report, log);
    });
  } finally {
    if (checks.failed > 0) await failureScreenshot(page, failure, log);
    await context.close().catch(() => undefined);
  }
  return scenarioResult(checks, Object.values(shots));
}
