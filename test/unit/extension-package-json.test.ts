// The manifest promises what the code delivers: every command registered, menus guarded, activation lazy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/commandIds';
import { WALKTHROUGH_ID, WALKTHROUGH_STEPS, walkthroughCompletionEvents } from '../../src/walkthroughSteps';

interface Manifest {
  version: string;
  license: string;
  icon: string;
  galleryBanner: { color: string; theme: string };
  categories: string[];
  keywords: string[];
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  repository?: unknown;
  bugs?: unknown;
  capabilities: Record<string, { supported: boolean | string; description: string }>;
  activationEvents: string[];
  extensionKind: string[];
  main: string;
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    views: Record<string, { id: string; name: string; type?: string }[]>;
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    viewsWelcome: { view: string; contents: string }[];
    walkthroughs: { id: string; title: string; steps: { id: string; title: string; description: string; media: { markdown: string }; completionEvents: string[] }[] }[];
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

/** The categories the Marketplace and VS Code accept (VS Code's EXTENSION_CATEGORIES). */
const MARKETPLACE_CATEGORIES = ['AI', 'Azure', 'Chat', 'Data Science', 'Debuggers', 'Extension Packs', 'Education', 'Formatters', 'Keymaps', 'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Programming Languages', 'SCM Providers', 'Snippets', 'Testing', 'Themes', 'Visualization', 'Other'];

test('the Marketplace listing: a 128×128 PNG icon, a banner, known categories, keywords, MIT licence and changelog', () => {
  const png = fs.readFileSync(path.join(root, manifest.icon));
  assert.equal(png.toString('latin1', 1, 4), 'PNG', `${manifest.icon} is not a PNG`);
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'the icon is not 128×128');
  assert.match(manifest.galleryBanner.color, /^#[0-9a-f]{6}$/i);
  assert.ok(['dark', 'light'].includes(manifest.galleryBanner.theme));
  assert.ok(manifest.categories.length > 0);
  for (const c of manifest.categories) assert.ok(MARKETPLACE_CATEGORIES.includes(c), `"${c}" is not a Marketplace category`);
  // vsce refuses more than 30 keywords.
  assert.ok(manifest.keywords.length > 0 && manifest.keywords.length <= 30);
  assert.equal(manifest.repository, undefined, 'no repository: the project is not published at a URL yet');
  assert.equal(manifest.bugs, undefined);
  assert.equal(manifest.license, 'MIT');
  const license = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} pgbr contributors\n/);
  assert.match(fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## \\[${manifest.version.replace(/\./g, '\\.')}\\]`, 'm'), 'CHANGELOG.md has no entry for this version');
});

test('engines.vscode is no older than the API the code is typed against', () => {
  const minimum = (range: string): number[] => (/(\d+)\.(\d+)\.(\d+)/.exec(range) ?? []).slice(1).map(Number);
  const engine = minimum(manifest.engines.vscode);
  const types = minimum(manifest.devDependencies['@types/vscode'] ?? '');
  assert.equal(engine.length, 3, manifest.engines.vscode);
  assert.equal(types.length, 3);
  const compare = engine.map((n, i) => n - (types[i] ?? 0)).find((d) => d !== 0) ?? 0;
  assert.ok(compare >= 0, `@types/vscode ${types.join('.')} is newer than engines.vscode ${engine.join('.')}: vsce refuses that`);
});

test('virtual workspaces are refused with a reason, untrusted ones stay limited', () => {
  assert.equal(manifest.capabilities.virtualWorkspaces?.supported, false);
  assert.match(manifest.capabilities.virtualWorkspaces?.description ?? '', /pg_dump/);
  assert.equal(manifest.capabilities.untrustedWorkspaces?.supported, 'limited');
});

test('each walkthrough step completes on the context key the extension sets, and has a command link and its media', () => {
  const walkthrough = manifest.contributes.walkthroughs.find((w) => w.id === WALKTHROUGH_ID);
  assert.ok(walkthrough, `no walkthrough ${WALKTHROUGH_ID}`);
  assert.deepEqual(walkthrough.steps.map((s) => s.id), Object.keys(WALKTHROUGH_STEPS));
  const commands = new Set<string>(COMMAND_IDS);
  const viewFocus = new Set((manifest.contributes.views.pgBackup ?? []).map((v) => `${v.id}.focus`));
  for (const step of walkthrough.steps) {
    assert.deepEqual(step.completionEvents, walkthroughCompletionEvents(step.id as keyof typeof WALKTHROUGH_STEPS), step.id);
    const links = [...step.description.matchAll(/\]\(command:([\w.]+)\)/g)].map((m) => m[1] ?? '');
    assert.ok(links.length > 0, `step ${step.id} has no command link`);
    for (const link of links) assert.ok(commands.has(link) || viewFocus.has(link), `step ${step.id} links to unknown command ${link}`);
    assert.ok(fs.existsSync(path.join(root, step.media.markdown)), `step ${step.id}: ${step.media.markdown} is missing`);
  }
});
