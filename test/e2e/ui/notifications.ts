// The notification centre, where this workbench (started with the smoke-test driver, which hides toasts) keeps every message and its buttons.
import type { Locator, Page } from 'playwright-core';
import { TIMEOUT } from './common';

/** Opens the notification centre (the bell in the status bar) unless it is open. */
export async function openNotifications(page: Page): Promise<Locator> {
  const center = page.locator('.notifications-center');
  if (!(await center.isVisible())) {
    await page.locator('.statusbar-item[id="status.notifications"] a, .statusbar-item[id="status.notifications"]').first().click();
    await center.waitFor({ timeout: TIMEOUT });
  }
  return center;
}

/** The notifications whose message matches, newest first. */
export async function notifications(page: Page, message: RegExp): Promise<Locator> {
  const center = await openNotifications(page);
  return center.locator('.notification-list-item', { has: page.locator('.notification-list-item-message', { hasText: message }) });
}

/** Waits until `count` notifications match (the centre keeps them until they are closed or clicked). */
export async function waitForNotifications(page: Page, message: RegExp, count: number, timeout = TIMEOUT): Promise<Locator> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const items = await notifications(page, message);
    if ((await items.count()) >= count) return items;
    if (Date.now() > deadline) {
      const all = (await page.locator('.notifications-center .notification-list-item-message').allTextContents()).map((m) => m.trim());
      throw new Error(`after ${timeout / 1000} s no ${count > 1 ? `${count} notifications` : 'notification'} matching ${String(message)}; the centre holds: ${all.join(' | ') || 'nothing'}`);
    }
    await page.waitForTimeout(250);
  }
}

/** A notification's text and the labels of its buttons. */
export async function describeNotification(item: Locator): Promise<{ message: string; buttons: string[] }> {
  // A collapsed notification hides its buttons: expand it as a person would, with its chevron.
  const expand = item.locator('.codicon-notifications-expand');
  if ((await expand.count()) > 0) await expand.first().click();
  const message = ((await item.locator('.notification-list-item-message').textContent()) ?? '').trim();
  const buttons = (await item.locator('.notification-list-item-buttons-container .monaco-button').allTextContents()).map((b) => b.trim());
  return { message, buttons };
}

/** Clicks one of a notification's buttons. */
export async function clickNotificationButton(item: Locator, label: string): Promise<void> {
  // The pointer may still rest on the status bar's bell, whose "Hide Notifications" hover then covers the
  // toast's last button: move it away first, as a person reaching for the button would.
  await item.page().mouse.move(0, 0);
  await item.locator('.notification-list-item-buttons-container .monaco-button', { hasText: label }).click();
}

/** Closes every notification: the workbench shows a message once while the same one is still listed. */
export async function clearNotifications(page: Page): Promise<void> {
  const center = await openNotifications(page);
  // With nothing listed the button is disabled, and a click on it would wait for ever.
  if ((await center.locator('.notification-list-item').count()) > 0) {
    await center.locator('.notifications-center-header .codicon-notifications-clear-all').click();
  }
  await center.locator('.notification-list-item').first().waitFor({ state: 'detached', timeout: TIMEOUT });
}
