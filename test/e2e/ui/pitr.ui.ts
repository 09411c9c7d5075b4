// UI scenario: a person opens the point-in-time recovery panel, walks its four steps (the base backup the suite took,
// the server's WAL archive, the restore point before-e2e-change, a new data directory), previews the changes, and
// drills the recovery on a scratch server.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConsoleMessage } from 'playwright-core';
import {
  Checks,
  failureScreenshot,
  openPage,
  openWorkbench,
  runFromPalette,
  scenarioResult,
  screenshot,
  screenshotPaths,
  TIMEOUT,
  type UiResult,
  type UiScenarioOptions,
} from './common';
import { drillFromPanel, escape, expectField, fieldValue, optionTexts, pick, pitrFrame, runCheck, typeInto, waitFor } from './pitrPanel';

/** The drill restores the backup, starts a scratch server and replays WAL to the restore point. */
const DRILL_TIMEOUT = 90_000;
const RESTORE_POINT = 'before-e2e-change';
/** A time written for a machine, not a person: `2026-12-01T23:38:42.123Z`, or with milliseconds or microseconds. */
const RAW_TIME = /\d{4}-\d{2}-\d{2}T\d|\d{2}:\d{2}:\d{2}\.\d/;

export async function runPitrUi(opts: UiScenarioOptions): Promise<UiResult> {
  const { log } = opts;
  const checks = new Checks(log);
  const { shots, failure } = await screenshotPaths(
    opts,
    {
      restorePoint: 'pitr-restore-point-check.png',
      timeError: 'pitr-time-error.png',
      preview: 'pitr-preview.png',
      drill: 'pitr-drill-report.png',
    },
    'pitr-failure.png',
  );
  const archiveDir = opts.cluster?.archiveDir;
  if (!archiveDir) {
    log('UI: PITR: no cluster given, the archive folder is unknown');
    return { passed: 0, failed: 1 };
  }
  // A fresh folder the recovery would be written into (it is only previewed): its parent under the system temp folder,
  // which the postgres OS user can reach; the folder itself does not exist yet.
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-e2e-pitr-'));
  await fs.chmod(scratch, 0o755);
  const dataDir = path.join(scratch, 'recovered');
  let backupPath = '';

  const { context, page } = await openPage(opts);
  // What the panel's script says: worth having in the log when a step does not behave.
  const consoleLines: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    const where = m.location().url;
    // Only the webview's frames (its host page and the panel's document), not the workbench's own chatter.
    if (!/vscode-cdn|pitr\.js|\/webview\/|index\.html\?id=/.test(where)) return;
    const line = `[${m.type()}] ${m.text()}${where ? ` (${where.replace(/^.*\//, '')})` : ''}`;
    consoleLines.push(line);
    if (m.type() === 'error' || m.type() === 'warning') log(`    webview console: ${line}`);
  });

  log('UI: Point-in-time recovery (four steps, preview, drill to a restore point)');
  try {
    await checks.run('the suite left a base backup and the restore point before-e2e-change in the workspace', async () => {
      const base = path.join(opts.workspace, '.pg-backups', 'base');
      // Each backup is a folder beside its record (NAME.basebackup.json).
      const entries = await fs.readdir(base, { withFileTypes: true });
      const names = entries.filter((e) => e.isDirectory() && /^admin_base_/.test(e.name)).map((e) => e.name).sort();
      const last = names.at(-1);
      if (!last) throw new Error(`no admin_base_* folder in ${base}: ${(await fs.readdir(base)).join(', ')}`);
      backupPath = path.join(base, last);
      const points = await fs.readFile(path.join(base, 'restore-points.json'), 'utf8');
      if (!points.includes(RESTORE_POINT)) throw new Error(`restore-points.json does not name ${RESTORE_POINT}`);
      log(`    ${backupPath}`);
    });

    await checks.run('workbench opens with the "PG Backup" activity-bar icon', async () => {
      await openWorkbench(page, opts);
    });

    await checks.run('"PG Backup: Point-in-Time Recovery…" opens the panel with step 1 open and the others locked', async () => {
      await runFromPalette(page, 'PG Backup: Point-in-Time Recovery…');
      await page.locator('.tabs-container .tab', { hasText: 'Point-in-time recovery' }).waitFor({ timeout: TIMEOUT });
      const frame = await pitrFrame(page);
      // The dropdowns are filled once the script has loaded and the extension answered its "ready".
      await frame.locator('#baseBackupPick vscode-option').first().waitFor({ state: 'attached', timeout: TIMEOUT });
      const locked = await Promise.all((await frame.locator('section[data-step].locked').all()).map((s) => s.getAttribute('data-step')));
      log(`    locked steps: ${locked.join(', ') || 'none'}`);
      if (locked.includes('backup') || !locked.includes('source')) throw new Error(`expected step 1 open and step 2 locked, locked: ${locked.join(', ')}`);
    });

    await checks.run('step 1: the base backup picked from the dropdown fills the folder; "Check base backup" says ✓', async () => {
      const frame = await pitrFrame(page);
      const options = await optionTexts(frame.locator('#baseBackupPick'));
      log(`    dropdown: ${options.map((o) => `"${o}"`).join(', ')}`);
      const raw = options.filter((o) => RAW_TIME.test(o) || (o !== 'Pick…' && !/ ended .* UTC[+\d:-]* · /.test(o)));
      if (raw.length > 0) throw new Error(`base backups not written as "ended today 19:19:05 UTC+1 · 3 min ago": ${raw.join(' | ')}`);
      const name = path.basename(backupPath);
      await pick(frame, '#baseBackupPick', new RegExp(`^\\s*${escape(name)}\\b`));
      await expectField(page, frame, 'baseBackup', backupPath);
      log(`    ${await runCheck(page, 'backup')}`);
    });

    await checks.run(`step 2: the archive folder ${archiveDir}; "Check WAL source" says ✓`, async () => {
      const frame = await pitrFrame(page);
      const options = await optionTexts(frame.locator('#archivePick'));
      log(`    dropdown: ${options.map((o) => `"${o}"`).join(', ')}; field: "${await fieldValue(frame, 'archive')}"`);
      if ((await fieldValue(frame, 'archive')) !== archiveDir) {
        // The dropdown lists the workspace's WAL archive locations: "path (connection)", or none known.
        const entry = new RegExp(`^\\s*${escape(archiveDir)}(\\s+\\(.*\\))?\\s*$`);
        if (options.some((o) => entry.test(o))) await pick(frame, '#archivePick', entry);
        else await typeInto(page, frame, 'archive', archiveDir);
      }
      await expectField(page, frame, 'archive', archiveDir);
      log(`    ${await runCheck(page, 'source')}`);
    });

    await checks.run(`step 3: target "A restore point", ${RESTORE_POINT} picked; "Check target" says ✓`, async () => {
      const frame = await pitrFrame(page);
      await pick(frame, 'vscode-dropdown[data-field="targetKind"]', /^\s*A restore point\s*$/);
      const points = frame.locator('#restorePointPick');
      await points.waitFor({ state: 'visible', timeout: TIMEOUT });
      const options = await optionTexts(points);
      log(`    restore points: ${options.map((o) => `"${o}"`).join(', ')}`);
      const raw = options.filter((o) => RAW_TIME.test(o));
      if (raw.length > 0) throw new Error(`restore points with raw times: ${raw.join(' | ')}`);
      if (!options.some((o) => o.startsWith(`${RESTORE_POINT} `))) throw new Error(`the dropdown does not offer ${RESTORE_POINT}, which the suite recorded`);
      await pick(frame, '#restorePointPick', new RegExp(`^\\s*${escape(RESTORE_POINT)}\\b`));
      await expectField(page, frame, 'targetName', RESTORE_POINT);
      const verdict = await runCheck(page, 'target');
      log(`    ${verdict}`);
      // The suite recorded the point's LSN when it made it: the check places it, it does not guess.
      if (!/lies within the window/.test(verdict) || /cannot be placed|estimated/.test(verdict)) throw new Error(`the restore point is not placed by its recorded LSN: ${verdict}`);
      if (RAW_TIME.test(verdict)) throw new Error(`the verdict writes a raw time: ${verdict}`);
    });

    await checks.step('screenshot of the restore point placed in the window', async () => {
      const frame = await pitrFrame(page);
      await frame.evaluate(`document.querySelector('section[data-step="target"]').scrollIntoView({ block: 'start' })`);
      await screenshot(page, shots.restorePoint, log);
    });

    await checks.run('a time before the backup gets a ✗ verdict under step 3; an impossible time then shows its error beside the time field and the verdict goes', async () => {
      const frame = await pitrFrame(page);
      await pick(frame, 'vscode-dropdown[data-field="targetKind"]', /^\s*A time\s*$/);
      await typeInto(page, frame, 'targetTime', '2000-01-01 00:00:00');
      const section = frame.locator('section[data-step="target"]');
      await section.locator('vscode-button.check').click();
      const box = section.locator('.status');
      const early = await waitFor(page, async () => {
        const text = ((await box.innerText()) ?? '').trim();
        return /\bbad\b/.test((await box.getAttribute('class')) ?? '') && text ? text : undefined;
      }, 'a verdict on the time 2000-01-01');
      log(`    first verdict: ${early.replace(/\n+/g, ' | ')}`);
      if (!/is before base backup/.test(early)) throw new Error(`expected "before base backup", got: ${early}`);
      await typeInto(page, frame, 'targetTime', '2026-13-45 25:00');
      await section.locator('vscode-button.check').click();
      const error = section.locator('.field-error[data-error-for="targetTime"]');
      await error.waitFor({ timeout: TIMEOUT });
      const message = ((await error.textContent()) ?? '').trim();
      log(`    beside the field: ${message}`);
      if (!/"2026-13-45 25:00" is not a real date and time/.test(message)) throw new Error(`the error beside the field says: ${message}`);
      const input = await frame.locator('vscode-text-field[data-field="targetTime"]').boundingBox();
      const shown = await error.boundingBox();
      if (!input || !shown) throw new Error('the time field or its error is not shown');
      const gap = shown.y - (input.y + input.height);
      log(`    the error is ${gap.toFixed(0)} px below the time field, ${(shown.x - input.x).toFixed(0)} px to its right`);
      if (gap < 0 || gap > 24 || Math.abs(shown.x - input.x) > 4) throw new Error(`the error is not right below the time field (${gap} px below, ${shown.x - input.x} px across)`);
      const stale = ((await box.innerText()) ?? '').trim();
      if (stale) throw new Error(`the old verdict is still under step 3: ${stale}`);
      const bottom = ((await frame.locator('#result').innerText()) ?? '').trim();
      if (bottom) throw new Error(`the bottom of the page says: ${bottom}`);
    });

    await checks.step('screenshot of the time error beside its field', async () => {
      const frame = await pitrFrame(page);
      await frame.evaluate(`document.querySelector('section[data-step="target"]').scrollIntoView({ block: 'start' })`);
      await screenshot(page, shots.timeError, log);
    });

    await checks.run(`back to the restore point ${RESTORE_POINT}: "Check target" says ✓ and the time error is gone`, async () => {
      const frame = await pitrFrame(page);
      await pick(frame, 'vscode-dropdown[data-field="targetKind"]', /^\s*A restore point\s*$/);
      await expectField(page, frame, 'targetName', RESTORE_POINT);
      log(`    ${await runCheck(page, 'target')}`);
      const left = await frame.locator('.field-error').count();
      if (left > 0) throw new Error(`${left} field errors are still shown`);
    });

    await checks.run('step 4: a new data directory typed in; "Preview changes" lists recovery.signal and postgresql.auto.conf', async () => {
      const frame = await pitrFrame(page);
      await typeInto(page, frame, 'dataDir', dataDir);
      log(`    ${await runCheck(page, 'dataDir')}`);
      const changes = (await frame.locator('#preview .change .file').allTextContents()).map((t) => t.trim());
      for (const c of changes) log(`    change: ${c}`);
      for (const file of ['recovery.signal', 'postgresql.auto.conf']) {
        if (!changes.some((c) => c.endsWith(file))) throw new Error(`the preview does not list ${file}: ${changes.join(' | ')}`);
      }
      const settings = ((await frame.locator('#preview pre').first().textContent()) ?? '').trim();
      log(`    settings: ${settings.replace(/\n/g, ' | ')}`);
      if (!settings.includes(`recovery_target_name = '${RESTORE_POINT}'`)) throw new Error(`the settings do not name the restore point: ${settings}`);
      if (!settings.includes("archive_mode = 'off'")) throw new Error(`the settings do not turn archiving off: ${settings}`);
      const details = (await frame.locator('#preview .change .detail').allTextContents()).map((t) => t.trim());
      const archiving = details.find((d) => d.startsWith('archive_mode = off: '));
      if (!archiving) throw new Error(`no listed change says archive_mode = off: ${details.join(' | ')}`);
      log(`    change: ${archiving}`);
      await fs.access(dataDir).then(
        () => {
          throw new Error(`${dataDir} exists after the preview`);
        },
        () => undefined,
      );
    });

    await checks.step('screenshot of the preview', async () => {
      const frame = await pitrFrame(page);
      // The panel is taller than the editor: scroll inside it so that the preview's start is at the top.
      // An expression, not a function: this file is type-checked without the DOM's types.
      await frame.evaluate(`document.querySelector('section[data-step="dataDir"]').scrollIntoView({ block: 'start' })`);
      await screenshot(page, shots.preview, log);
    });

    await checks.run('"Test this recovery (drill)" reports "Drill: recovery reached its target" with the LSN, last commit and row counts', async () => {
      const { rows, message } = await drillFromPanel(page, log, DRILL_TIMEOUT);
      const value = (key: string): string => rows.find(([k]) => k === key)?.[1] ?? '';
      if (!/^[0-9A-F]+\/[0-9A-F]+$/.test(value('recovered LSN'))) throw new Error(`recovered LSN is "${value('recovered LSN')}"`);
      // "–" when no transaction committed between the backup's end and the restore point (none does in this run):
      // the server only knows the time of commits it replayed.
      if (!value('last commit replayed')) throw new Error('the report has no "last commit replayed" row');
      for (const [what, text] of [['last commit replayed', value('last commit replayed')], ['the message', message]] as const) {
        if (RAW_TIME.test(text)) throw new Error(`${what} writes a raw time: ${text}`);
      }
      if (value('shop: public.customers') !== '50') throw new Error(`shop: public.customers has "${value('shop: public.customers')}" rows, expected 50`);
    });

    await checks.step('screenshot of the drill report', async () => {
      const frame = await pitrFrame(page);
      await frame.evaluate(`document.getElementById('drill-report').scrollIntoView({ block: 'end' })`);
      await screenshot(page, shots.drill, log);
    });
  } finally {
    if (checks.failed > 0) {
      await failureScreenshot(page, failure, log);
      if (consoleLines.length > 0) log(`    webview console (${consoleLines.length} lines):\n      ${consoleLines.slice(-30).join('\n      ')}`);
    }
    await context.close().catch(() => undefined);
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return scenarioResult(checks, Object.values(shots));
}
