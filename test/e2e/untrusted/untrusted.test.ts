// Restricted Mode in a real extension host: the folder is not trusted, so nothing it names is run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, children } from '../suite/tree';
import type { ToolInventory } from '../../../src/core/platform/tools';

/** A folder with a pg_dump that records being run; the workspace's settings.json names it as binPath. */
const planted = process.env.PGBR_E2E_PLANTED_BIN ?? '';

suite('Untrusted folder', () => {
  test('VS Code opened the folder in Restricted Mode', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('the extension activates, but a pgBackup.binPath from the workspace settings is not used', async () => {
    assert.ok(planted, 'PGBR_E2E_PLANTED_BIN is not set');
    await activateExtension();
    const inspected = vscode.workspace.getConfiguration('pgBackup').inspect<string>('binPath');
    // The setting is there: Restricted Mode is what keeps it out.
    const settingsFile = path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', '.vscode', 'settings.json');
    assert.match(await fs.readFile(settingsFile, 'utf8'), /pgBackup\.binPath/);
    assert.notEqual(vscode.workspace.getConfiguration('pgBackup').get<string>('binPath'), planted, `binPath ${JSON.stringify(inspected)}`);

    const inventory = await vscode.commands.executeCommand<ToolInventory>('pgBackup.showTools', { show: false });
    const dirs = inventory.installs.map((i) => i.binDir);
    assert.ok(!dirs.some((d) => path.resolve(d) === path.resolve(planted)), `the planted folder was used: ${dirs.join(', ')}`);
    assert.ok(!inventory.installs.some((i) => i.via.includes('binPath')), 'an install came from pgBackup.binPath');
    await assert.rejects(fs.access(path.join(planted, 'ran')), 'the planted pg_dump was run');
  });

  test('pgbackup.yaml still lists its connections; its offsite command is left out, and the view says why', async () => {
    const api = await activateExtension();
    const shown = (await children(api.connections, undefined)).map((s) => s.label);
    assert.ok(shown.includes('e2e'), `connections shown: ${shown.join(' | ')}`);
    assert.ok(
      shown.some((l) => /"offsite\.command" in pgbackup\.yaml is not used because this folder is not trusted/.test(l)),
      `no line says the offsite command is left out: ${shown.join(' | ')}`,
    );
  });

  test('Delete Dump asks the person even when the caller says it is confirmed: the folder chose its dump folders', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const dump = path.join(folder, '.pg-backups', 'kept.dump');
    await fs.mkdir(path.dirname(dump), { recursive: true });
    await fs.writeFile(dump, 'a dump');
    // The workbench refuses to show a modal while extension tests run, so the question fails here (the
    // command then returns nothing); on a person's screen it waits for an answer. Either way: not deleted.
    const outcome = await Promise.race([
      Promise.resolve(vscode.commands.executeCommand('pgBackup.deleteDump', dump, { confirm: true })),
      new Promise((resolve) => setTimeout(() => resolve('still asking'), 3000)),
    ]);
    assert.notEqual(outcome, true, 'the dump was deleted without asking');
    await fs.access(dump);
  });

  test('Install Schedule… is refused, even with the answers given: a schedule would run pgbr on this folder on its own', async () => {
    const unitDir = process.env.PGBR_SYSTEMD_DIR ?? '';
    assert.ok(unitDir, 'PGBR_SYSTEMD_DIR is not set');
    const outcome = await vscode.commands.executeCommand('pgBackup.installPlanSchedule', 'untrusted-nightly', { scheduler: 'systemd', user: true, confirm: true });
    assert.equal(outcome, undefined);
    await assert.rejects(fs.access(path.join(unitDir, 'pgbr-untrusted-nightly.timer')), 'the timer was written');
    await assert.rejects(fs.access(path.join(unitDir, 'pgbr-untrusted-nightly.service')), 'the service was written');
    // Removing writes nothing that runs: it stays allowed, and finds nothing to remove.
    const removed = await vscode.commands.executeCommand<{ done: string[] } | undefined>('pgBackup.removePlanSchedule', 'untrusted-nightly', { scheduler: 'systemd', user: true, confirm: true });
    assert.deepEqual(removed?.done, ['plan untrusted-nightly has no systemd schedule installed: nothing to remove']);
  });
});
