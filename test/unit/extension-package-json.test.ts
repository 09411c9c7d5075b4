// The manifest promises what the code delivers: every command registered, menus guarded, activation lazy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/commandIds';

interface Manifest {
  activationEvents: string[];
  extensionKind: string[];
  main: string;
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    views: Record<string, { id: string; name: string; type?: string }[]>;
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    viewsWelcome: { view: string; contents: string }[];
  };
}

const root = path.resolve(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

test('every contributed command is in the typed registry, and the other way round', () => {
  const contributed = manifest.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(contributed, [...COMMAND_IDS].sort());
});

test('every menu entry has a when clause and names a contributed command', () => {
  const ids = new Set<string>(COMMAND_IDS);
  for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
    for (const entry of entries) {
      assert.ok(entry.when, `${menu} entry for ${entry.command} has no when clause`);
      assert.ok(ids.has(entry.command), `${menu} names unknown command ${entry.command}`);
    }
  }
});

test('activation is lazy: no "*" and no onStartupFinished', () => {
  assert.ok(!manifest.activationEvents.includes('*'));
  assert.ok(!manifest.activationEvents.includes('onStartupFinished'));
  for (const view of manifest.contributes.views.pgBackup ?? []) {
    assert.ok(manifest.activationEvents.includes(`onView:${view.id}`), `no activation on view ${view.id}`);
  }
});

test('the PG Backup container holds Connections, Dumps, WAL Archive, Plans and a Health webview', () => {
  const container = manifest.contributes.viewsContainers.activitybar.find((c) => c.id === 'pgBackup');
  assert.equal(container?.title, 'PG Backup');
  assert.ok(container && fs.existsSync(path.join(root, container.icon)), 'activity-bar icon file missing');
  const views = manifest.contributes.views.pgBackup ?? [];
  assert.deepEqual(
    views.map((v) => v.name),
    ['Connections', 'Dumps', 'WAL Archive', 'Plans', 'Health'],
  );
  assert.equal(views.find((v) => v.name === 'Health')?.type, 'webview');
  assert.deepEqual(manifest.extensionKind, ['workspace']);
});

test('empty views say what will appear and how to start', () => {
  for (const [id, command] of [
    ['pgBackup.connections', 'pgBackup.addConnection'],
    ['pgBackup.dumps', 'pgBackup.backupDatabase'],
    ['pgBackup.walArchive', 'pgBackup.addArchive'],
  ]) {
    const welcome = manifest.contributes.viewsWelcome.find((w) => w.view === id);
    assert.match(welcome?.contents ?? '', new RegExp(`\\(command:${command}\\)`), id);
  }
});
