// Shared by the extension-host suites: the extension's API, and reading its trees as a user sees them.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'pgbr.pg-backup';

/** What activate() returns (the extension's public API). */
export interface PgBackupApi {
  connections: vscode.TreeDataProvider<unknown> & { refresh(): void };
  dumps: vscode.TreeDataProvider<unknown> & { refresh(): void };
  archive: vscode.TreeDataProvider<unknown> & { refresh(): void };
  health: { statusItem: vscode.StatusBarItem; pollNow(): Promise<unknown> };
  activationMs: number;
}

export interface Shown {
  element: unknown;
  label: string;
  description: string;
  contextValue: string | undefined;
  item: vscode.TreeItem;
}

export async function activateExtension(): Promise<PgBackupApi> {
  const extension = vscode.extensions.getExtension<PgBackupApi | undefined>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
  const exported = await extension.activate();
  assert.ok(exported, 'activate() returned no API: activation failed (see the extension host log)');
  return exported;
}

type Tree = Pick<vscode.TreeDataProvider<unknown>, 'getTreeItem' | 'getChildren'>;

export async function labelOf(tree: Tree, element: unknown): Promise<Shown> {
  const item = await tree.getTreeItem(element);
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const description = typeof item.description === 'string' ? item.description : '';
  return { element, label, description, contextValue: item.contextValue, item };
}

export async function children(tree: Tree, element: unknown): Promise<Shown[]> {
  const kids = (await tree.getChildren(element)) ?? [];
  return Promise.all(kids.map((kid) => labelOf(tree, kid)));
}

export async function child(tree: Tree, parent: unknown, label: string): Promise<Shown> {
  const kids = await children(tree, parent);
  const found = kids.find((k) => k.label === label);
  if (found) return found;
  const under = parent === undefined ? 'the root' : `"${(await labelOf(tree, parent)).label}"`;
  assert.fail(`no "${label}" under ${under}: ${labels(kids)}`);
}

export function labels(shown: Shown[]): string {
  return JSON.stringify(shown.map((s) => s.label));
}

/** Children once a large folder's scan is in: a "scanning" row is shown while it runs. */
export async function settledChildren(tree: Tree, element: unknown, timeoutMs = 20_000): Promise<Shown[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const kids = await children(tree, element);
    if (!kids.some((k) => k.contextValue === 'walScanning') || Date.now() > deadline) return kids;
    await new Promise((r) => setTimeout(r, 100));
  }
}
