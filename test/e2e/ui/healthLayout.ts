// Checks of how the Health view reads: the 24-hour chart's scale and labels, objectives without a target, and the
// reader's place kept when a poll re-renders the view. Each measures the rendered page, not the data sent to it.
import type { Frame, FrameLocator, Page } from 'playwright-core';
import { TIMEOUT } from './common';

type Box = { x: number; y: number; width: number; height: number };

/** The Health view's document as a Frame, to evaluate expressions in (strings: this file is type-checked without the DOM's types). */
async function healthDocument(page: Page): Promise<Frame> {
  for (const frame of page.frames()) {
    if (frame.isDetached()) continue;
    if ((await frame.locator('#connection').count().catch(() => 0)) > 0 && (await frame.locator('#body').count().catch(() => 0)) > 0) return frame;
  }
  throw new Error('the Health view\'s document is not found');
}

/** Scrolls the Health view so that the section with this heading starts at the top. */
export async function scrollToSection(page: Page, heading: string): Promise<void> {
  const doc = await healthDocument(page);
  const found = await doc.evaluate(`(() => {
    const h = [...document.querySelectorAll('h3')].find((e) => e.textContent === ${JSON.stringify(heading)});
    if (h) h.scrollIntoView({ block: 'start' });
    return !!h;
  })()`);
  if (!found) throw new Error(`the Health view has no section "${heading}"`);
}

async function box(frame: FrameLocator, selector: string): Promise<Box> {
  const b = await frame.locator(selector).first().boundingBox();
  if (!b) throw new Error(`${selector} is not shown`);
  return b;
}

/** The chart has 24 hours, a scale from 0 to a round number, hour labels inside it, and bars drawn to that scale. */
export async function checkChart(frame: FrameLocator, log: (line: string) => void): Promise<void> {
  const chart = frame.locator('.chart');
  await chart.scrollIntoViewIfNeeded({ timeout: TIMEOUT });
  const slots = await chart.locator('.slot').count();
  if (slots !== 24) throw new Error(`the chart has ${slots} hours, expected 24`);
  const scale = (await chart.locator('.y-axis span').allTextContents()).map((t) => t.trim());
  const hours = (await chart.locator('.x-axis span').allTextContents()).map((t) => t.trim());
  log(`    scale: ${scale.join(' / ')}; hour labels: ${hours.join(' ')}`);
  const top = Number(scale[0]);
  if (!(top >= 1) || !/^(1|2|5)0*$/.test(String(top)) || scale.at(-1) !== '0') throw new Error(`the scale reads "${scale.join(' / ')}", expected a round number down to 0`);
  const clock = hours.filter((h) => /^\d\d:\d\d$/.test(h));
  if (clock.length !== 4 || hours.at(-1) !== 'now') throw new Error(`the hour labels are "${hours.join(' ')}", expected four hours and "now"`);
  const plot = await box(frame, '.chart .plot');
  const outer = await box(frame, '.chart');
  for (const label of await chart.locator('.x-axis span, .y-axis span').all()) {
    const b = await label.boundingBox();
    if (!b || b.x < outer.x - 1 || b.x + b.width > outer.x + outer.width + 1) throw new Error(`the label "${await label.textContent()}" sticks out of the chart`);
  }
  // The busiest hour's bar: as tall as its count on the scale, and with a round top at least 40 % of the plot.
  const bars = await Promise.all(
    (await chart.locator('.slot').all()).map(async (slot) => {
      const title = (await slot.getAttribute('title')) ?? '';
      const archived = Number(/: (\d+) archived/.exec(title)?.[1] ?? 0);
      const bar = slot.locator('.bar.archived');
      return { title, archived, height: (await bar.count()) > 0 ? ((await bar.boundingBox())?.height ?? 0) : 0 };
    }),
  );
  const busiest = bars.reduce((a, b) => (b.archived > a.archived ? b : a));
  log(`    busiest hour: ${busiest.title}, bar ${busiest.height.toFixed(1)} of ${plot.height.toFixed(1)} px`);
  if (busiest.archived === 0) throw new Error('no hour has an archived segment, although segments were archived just now');
  const expected = (busiest.archived / top) * (plot.height - 1);
  if (Math.abs(busiest.height - expected) > 3) throw new Error(`the busiest bar is ${busiest.height} px tall, expected ${expected.toFixed(1)} px for ${busiest.archived} of ${top}`);
  if (busiest.height < 0.4 * plot.height) throw new Error(`the busiest bar is only ${busiest.height} px of the plot's ${plot.height} px`);
}

/** "no target" is words in the table: no tag, no fill, no border, no pointer, not upper-cased like the PASS tags. */
export async function checkNoTargetIsText(page: Page, frame: FrameLocator, log: (line: string) => void): Promise<void> {
  const words = frame.locator('td .status.none');
  const count = await words.count();
  if (count === 0) throw new Error('no objective says "no target" (the e2e workspace declares no targets)');
  const inTags = await frame.locator('vscode-tag', { hasText: /no target/i }).count();
  if (inTags > 0) throw new Error(`${inTags} "no target" tags are still vscode-tag elements`);
  const style = await (await healthDocument(page)).evaluate(`(() => {
    const e = document.querySelector('td .status.none');
    const s = getComputedStyle(e);
    return { tag: e.tagName, text: e.innerText, background: s.backgroundColor, border: s.borderTopWidth + ' ' + s.borderTopStyle, cursor: s.cursor, transform: s.textTransform, padding: s.paddingLeft, role: e.getAttribute('role') };
  })()`);
  const s = style as { tag: string; text: string; background: string; border: string; cursor: string; transform: string; padding: string; role: string | null };
  log(`    ${count} × "${s.text}": <${s.tag.toLowerCase()}>, background ${s.background}, border ${s.border}, cursor ${s.cursor}, text-transform ${s.transform}, padding ${s.padding}`);
  const problems = [
    s.tag !== 'SPAN' ? `it is a <${s.tag.toLowerCase()}>` : '',
    !/^(transparent|rgba\(0, 0, 0, 0\))$/.test(s.background) ? `it has a background (${s.background})` : '',
    !s.border.startsWith('0px') && !s.border.endsWith('none') ? `it has a border (${s.border})` : '',
    s.cursor === 'pointer' ? 'the pointer becomes a hand over it' : '',
    s.transform === 'uppercase' || s.text !== 'no target' ? `it reads "${s.text}"` : '',
    s.padding !== '0px' ? `it is padded like a tag (${s.padding})` : '',
    s.role === 'button' ? 'its role is button' : '',
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`"no target" looks like a control: ${problems.join('; ')}`);
}


/**
 * Scrolls the view to its Recovery objectives section (mid-page, so the browser does not hold the place by
 * clamping at the bottom), has the extension poll again (Refresh, clicked without scrolling to it,
 * as a timer's poll would come), waits for the new reading, and checks the section has not moved.
 */
export async function checkScrollKept(page: Page, frame: FrameLocator, log: (line: string) => void): Promise<void> {
  const doc = await healthDocument(page);
  const heading = frame.locator('h3', { hasText: 'Recovery objectives' });
  await scrollToSection(page, 'Recovery objectives');
  await page.waitForTimeout(300);
  const before = Number(await doc.evaluate('window.scrollY'));
  if (before < 50) throw new Error(`the view scrolls only ${before} px: it is not taller than the side bar, nothing to keep`);
  const maxScroll = Number(await doc.evaluate('document.documentElement.scrollHeight - window.innerHeight'));
  if (before >= maxScroll - 2) throw new Error(`the section is at the bottom (${before} of ${maxScroll} px): a kept place would prove nothing`);
  const headingTop = (await heading.boundingBox())?.y ?? NaN;
  // Marks the shown banner: a re-render replaces it, so a mark that is gone proves the view was drawn anew.
  await doc.evaluate(`document.querySelector('.banner').setAttribute('data-before-poll', '')`);
  const read = frame.locator('#body > p.muted').first();
  const readBefore = ((await read.textContent()) ?? '').trim();
  await page.waitForTimeout(1100); // the reading is shown to the second
  await frame.locator('#refresh').dispatchEvent('click');
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const now = ((await read.textContent()) ?? '').trim();
    if (now !== readBefore && /, read /.test(now) && (await frame.locator('[data-before-poll]').count()) === 0) break;
    if (Date.now() > deadline) throw new Error(`no new reading after the poll: "${now}"`);
    await page.waitForTimeout(200);
  }
  await page.waitForTimeout(300);
  const after = Number(await doc.evaluate('window.scrollY'));
  const headingAfter = (await heading.boundingBox())?.y ?? NaN;
  log(`    scrolled ${before} px before the poll, ${after} px after it; the heading at ${headingTop.toFixed(0)} px, then ${headingAfter.toFixed(0)} px`);
  if (Math.abs(after - before) > 2 || !(Math.abs(headingAfter - headingTop) <= 2)) throw new Error(`the poll moved the view: ${before} → ${after} px`);
}
