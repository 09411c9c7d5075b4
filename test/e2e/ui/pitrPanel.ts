// The Point-in-time recovery panel as the UI scenarios drive it: its frame, its step checks, dropdowns, fields and the drill.
import type { Frame, Locator, Page } from 'playwright-core';
import { TIMEOUT } from './common';

export const STEP_TITLES = { backup: 'Check base backup', source: 'Check WAL source', target: 'Check target', dataDir: 'Preview changes' } as const;
export type Step = keyof typeof STEP_TITLES;

/**
 * The panel's document: VS Code nests a webview's content in an iframe inside its host iframe. Found by its content,
 * since the sidebar may hold other webviews; looked up afresh each step, as a hidden webview's frames are replaced.
 */
export async function pitrFrame(page: Page): Promise<Frame> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame.isDetached()) continue;
      const found = await frame
        .locator('section[data-step="backup"]')
        .count()
        .catch(() => 0);
      if (found > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error('the Point-in-time recovery panel did not show its steps');
    await page.waitForTimeout(250);
  }
}

/** Clicks a step's check button and waits for its ✓ line; a ✗ line fails with its text. */
export async function runCheck(page: Page, step: Step): Promise<string> {
  const frame = await pitrFrame(page);
  const section = frame.locator(`section[data-step="${step}"]`);
  const box = section.locator('.status');
  await section.locator('vscode-button.check', { hasText: STEP_TITLES[step] }).click();
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const cls = (await box.getAttribute('class')) ?? '';
    const text = ((await box.innerText()) ?? '').trim().replace(/\n+/g, ' | ');
    if (/\bok\b/.test(cls) && text.startsWith('✓')) return text;
    if (/\bbad\b/.test(cls) && text) throw new Error(`"${STEP_TITLES[step]}" says: ${text}`);
    if (Date.now() > deadline) throw new Error(`"${STEP_TITLES[step]}" showed nothing after ${TIMEOUT / 1000} s`);
    await page.waitForTimeout(200);
  }
}

/** Polls `probe` until it returns something. */
export async function waitFor<T>(page: Page, probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} after ${TIMEOUT / 1000} s`);
    await page.waitForTimeout(200);
  }
}

/** Opens a dropdown and clicks the option whose text matches. */
export async function pick(frame: Frame, dropdown: string, option: RegExp): Promise<void> {
  const picker = frame.locator(dropdown);
  await picker.click();
  await picker.locator('vscode-option', { hasText: option }).first().click();
}

/** The texts of a dropdown's options (in the DOM, hidden while it is closed). */
export async function optionTexts(picker: Locator): Promise<string[]> {
  await picker.locator('vscode-option').first().waitFor({ state: 'attached', timeout: TIMEOUT });
  return (await picker.locator('vscode-option').allTextContents()).map((t) => t.trim());
}

/** What a text field holds (its input is in the component's shadow root, which CSS locators pierce). */
export async function fieldValue(frame: Frame, field: string): Promise<string> {
  return frame.locator(`vscode-text-field[data-field="${field}"] input`).inputValue();
}

/** Waits for a text field to show `expected`: the component updates its input a moment after the script sets it. */
export async function expectField(page: Page, frame: Frame, field: string, expected: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await fieldValue(frame, field);
    if (value === expected) return;
    if (Date.now() > deadline) throw new Error(`the ${field} field shows "${value}", expected "${expected}"`);
    await page.waitForTimeout(100);
  }
}

/** Clicks a text field, replaces its content and types `value`, as a person would. */
export async function typeInto(page: Page, frame: Frame, field: string, value: string): Promise<void> {
  const input = frame.locator(`vscode-text-field[data-field="${field}"] input`);
  // A keystroke that lands while the panel redraws the step (its verdict arriving) can be lost on a busy
  // machine: type again, a few times, and fail only if the field never shows what was typed.
  let typed = '';
  for (let attempt = 0; attempt < 3 && typed !== value; attempt++) {
    await input.click();
    await input.press('ControlOrMeta+a');
    await input.pressSequentially(value, { delay: 5 });
    typed = await input.inputValue();
  }
  if (typed !== value) throw new Error(`the ${field} field shows "${typed}" after typing "${value}" three times`);
  await page.waitForTimeout(100);
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Clicks "Test this recovery (drill)" and waits for its report; a report other than "reached its target" fails with the log's end. */
export async function drillFromPanel(page: Page, log: (line: string) => void, timeout: number): Promise<{ title: string; message: string; rows: string[][] }> {
  const frame = await pitrFrame(page);
  const t0 = Date.now();
  await frame.locator('#drill').click();
  const report = frame.locator('#drill-report h4').first();
  const error = frame.locator('#result .bad');
  const deadline = Date.now() + timeout;
  let lastBusy = '';
  for (;;) {
    if (await report.isVisible()) break;
    if (await error.isVisible()) throw new Error(`the panel says: ${((await error.textContent()) ?? '').trim()}`);
    const busy = ((await frame.locator('#busy').textContent()) ?? '').trim();
    if (busy && busy !== lastBusy) log(`    busy: ${busy}`);
    lastBusy = busy || lastBusy;
    if (Date.now() > deadline) throw new Error(`no drill report after ${timeout / 1000} s (last: ${lastBusy || 'nothing'})`);
    await page.waitForTimeout(250);
  }
  const title = ((await report.textContent()) ?? '').trim();
  const rows = await Promise.all((await frame.locator('#drill-report tr').all()).map(async (tr) => (await tr.locator('td').allTextContents()).map((t) => t.trim())));
  const message = ((await frame.locator('#drill-report > div').first().textContent()) ?? '').trim();
  log(`    ${title} after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${message}`);
  for (const [k, v] of rows) log(`      ${k}: ${v}`);
  if (title !== 'Drill: recovery reached its target') {
    const tail = ((await frame.locator('#drill-report pre').last().textContent()) ?? '').trim();
    throw new Error(`${title}${tail ? `: ${tail.split('\n').slice(-3).join(' / ')}` : ''}`);
  }
  return { title, message, rows };
}
