// WAL archive and archiving health in a real extension host: the archive tree, a gap, the Health poll, a failure.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withClient } from '../../../src/core/postgres/server';
import { activateExtension, child, children, labels, settledChildren, type PgBackupApi } from './tree';

const port = Number(process.env.PGBR_E2E_PORT);
const archiveDir = process.env.PGBR_E2E_ARCHIVE_DIR ?? '';
/** The superuser reaches the throwaway cluster over TCP without a password (trust in its pg_hba.conf). */
const superuser = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };

interface Snapshot {
  overall: string;
  failedSincePrevious: number | null;
  archiver: { archivedCount: number; failedCount: number };
  checklist: { id: string; status: string; detail: string }[];
}

async function sql(query: string): Promise<void> {
  await withClient(superuser, {}, async (c) => {
    await c.query(query);
  });
}

async function switchWal(): Promise<void> {
  await sql('CREATE TABLE IF NOT EXISTS wal_filler (x int); INSERT INTO wal_filler SELECT generate_series(1, 1000)');
  await sql('SELECT pg_switch_wal()');
}

suite('WAL archive and health', () => {
  let api: PgBackupApi;
  let gapDir: string;
  let yamlFile: string;
  let yamlBefore: string;

  suiteSetup(async () => {
    api = await activateExtension();
    yamlFile = `${vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? ''}/pgbackup.yaml`;
    yamlBefore = await fs.readFile(yamlFile, 'utf8');
    for (let i = 0; i < 3; i++) await switchWal();
    // Wait until the archiver has copied them.
    for (let i = 0; i < 100; i++) {
      if ((await fs.readdir(archiveDir)).filter((n) => /^[0-9A-F]{24}$/.test(n)).length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  suiteTeardown(async () => {
    await fs.chmod(archiveDir, 0o700).catch(() => undefined);
    if (gapDir) await fs.rm(gapDir, { recursive: true, force: true });
    // Leave the workspace as it was: the archives added here belong to this suite only.
    await fs.writeFile(yamlFile, yamlBefore);
    await vscode.commands.executeCommand('pgBackup.refreshConnections');
  });

  test('the archive folder found in archive_command is offered, and adding it shows one unbroken run', async () => {
    api.connections.refresh();
    const e2e = await child(api.connections, undefined, 'e2e');
    const kids = await children(api.connections, e2e.element);
    const offer = kids.find((k) => k.contextValue === 'archiveSuggestion');
    assert.ok(offer, `no archive suggestion: ${labels(kids)}`);
    assert.equal(offer.item.command?.command, 'pgBackup.addArchive');
    await vscode.commands.executeCommand('pgBackup.addArchive', ...((offer.item.command?.arguments ?? []) as unknown[]));

    const [location] = await children(api.archive, undefined);
    assert.equal(location?.label, archiveDir);
    const items = await settledChildren(api.archive, location?.element);
    assert.match(items[0]?.label ?? '', /^[\d,]+ segments? · [\d.]+ [kMG]?B$/);
    // The summary's icon says what its words say: a green check only where something can be recovered.
    const summary = items[0]?.item;
    const restoresNothing = /restores nothing|no recoverable window/.test(String(summary?.description ?? ''));
    assert.equal((summary?.iconPath as vscode.ThemeIcon | undefined)?.id, restoresNothing ? 'warning' : 'pass', String(summary?.description));
    const timeline = await child(api.archive, location?.element, 'timeline 1');
    const runs = await children(api.archive, timeline.element);
    assert.equal(runs.length, 1, labels(runs));
    assert.ok(!items.some((i) => /^walProblem\.error/.test(i.contextValue ?? '')), labels(items));
  });

  test('a missing segment in the middle shows as a red gap node that says what it breaks', async () => {
    const names = (await fs.readdir(archiveDir)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort();
    assert.ok(names.length >= 3, `only ${names.length} segments archived`);
    gapDir = path.join(path.dirname(archiveDir), 'archive-with-gap');
    await fs.mkdir(gapDir, { recursive: true });
    for (const n of names) await fs.copyFile(path.join(archiveDir, n), path.join(gapDir, n));
    const missing = names[1] as string;
    await fs.rm(path.join(gapDir, missing));
    await vscode.commands.executeCommand('pgBackup.addArchive', gapDir);

    const locations = await children(api.archive, undefined);
    const gapLocation = locations.find((l) => l.label === gapDir);
    assert.ok(gapLocation, labels(locations));
    const items = await settledChildren(api.archive, gapLocation.element);
    const gap = items.find((i) => i.contextValue === 'walProblem.error' && /missing/.test(i.label));
    assert.ok(gap, labels(items));
    assert.match(gap.label, new RegExp(missing));
    // The row says what is wrong in a few words; why it matters is in the tooltip.
    assert.ok(gap.label.length <= 70, `the row is too long to read whole: ${gap.label}`);
    const tip = gap.item.tooltip;
    assert.match(typeof tip === 'string' ? tip : (tip?.value ?? ''), /impossible|breaks|cannot/i);
  });

  test('Show Health reads the archiver: archiving OK, and the status bar says so', async () => {
    const s = await vscode.commands.executeCommand<Snapshot | undefined>('pgBackup.showHealth', 'e2e');
    assert.ok(s, 'no snapshot: see the log');
    assert.ok(s.archiver.archivedCount >= 3);
    assert.equal(s.archiver.failedCount, 0);
    assert.notEqual(s.overall, 'failing', JSON.stringify(s.checklist));
    // The workspace's plan nightly backs up e2e and has not run yet (the Plans UI scenario runs it later): a warning, not a pass.
    const plans = s.checklist.find((c) => c.id === 'plans');
    assert.equal(plans?.status, 'warn', JSON.stringify(plans));
    assert.match(plans.detail, /^1 plan \(nightly\) never ran\.$/);
    assert.match(api.health.statusItem.text, /e2e: archiving (OK|lagging)/);
  });

  test('a read-only archive makes archiving fail: failed_count rises, Health and the status bar turn to failing', async () => {
    await fs.chmod(archiveDir, 0o555);
    await switchWal();
    let s: Snapshot | undefined;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 500));
      s = (await api.health.pollNow()) as Snapshot | undefined;
      if (s && s.archiver.failedCount > 0 && s.overall === 'failing') break;
    }
    assert.ok(s && s.archiver.failedCount > 0, `failed_count did not rise: ${JSON.stringify(s?.archiver)}`);
    assert.equal(s.overall, 'failing');
    assert.equal(s.checklist.find((c) => c.id === 'no-failure-since-success')?.status, 'fail');
    assert.match(api.health.statusItem.text, /e2e: archiving FAILING/);
    console.log(`      status bar: ${api.health.statusItem.text}`);
  });
});
