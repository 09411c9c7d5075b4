// Profile commands in a real extension host: add, password, remove, a malformed pgbackup.yaml, tool discovery.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, child, children, labels, type PgBackupApi } from './tree';

const port = Number(process.env.PGBR_E2E_PORT);
const appPassword = process.env.PGBR_E2E_APP_PASSWORD ?? '';

suite('Profile commands', () => {
  let api: PgBackupApi;
  let yamlFile: string;
  let original: string;

  suiteSetup(async () => {
    api = await activateExtension();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'no workspace folder');
    yamlFile = path.join(folder, 'pgbackup.yaml');
    original = await fs.readFile(yamlFile, 'utf8');
  });

  suiteTeardown(async () => {
    await fs.writeFile(yamlFile, original);
    await vscode.commands.executeCommand('pgBackup.refreshConnections');
  });

  test('Add Connection tests the server, then writes the profile (never a password) to pgbackup.yaml', async () => {
    await fs.writeFile(yamlFile, `# team profiles\n${original}`);
    const where = await vscode.commands.executeCommand<string>('pgBackup.addConnection', {
      name: 'added',
      host: '127.0.0.1',
      port,
      user: 'pgbr_app',
      database: 'shop',
    });
    assert.equal(where, yamlFile);
    const text = await fs.readFile(yamlFile, 'utf8');
    assert.match(text, /^# team profiles$/m, 'the comment was kept');
    assert.match(text, /name: added/);
    assert.ok(!text.includes(appPassword), 'a password reached pgbackup.yaml');
    const added = await child(api.connections, undefined, 'added');
    const databases = await children(api.connections, added.element);
    assert.ok(databases.some((d) => d.label === 'shop'), `databases of added: ${labels(databases)}`);
  });

  test('a wrong stored password shows one auth error that says so, whose fix is "Forget Password" (~/.pgpass has the right one); setting it fixes the tree', async () => {
    await vscode.commands.executeCommand('pgBackup.addConnection', {
      name: 'secret',
      host: '127.0.0.1',
      port,
      user: 'pgbr_app',
      database: 'shop',
      password: 'not-the-password',
      saveWithoutTest: true,
    });
    const secret = await child(api.connections, undefined, 'secret');
    assert.match(secret.contextValue ?? '', /storedPassword/);
    const kids = await children(api.connections, secret.element);
    assert.equal(kids.length, 1, labels(kids));
    assert.equal(kids[0]?.label, 'the server refused the password stored in VS Code');
    assert.match(typeof kids[0]?.item.tooltip === 'string' ? kids[0].item.tooltip : '', /refused the password stored in VS Code for "secret"\. Forget it to use the one in .*pgpass instead/);
    assert.equal(kids[0]?.item.command?.command, 'pgBackup.forgetPassword');

    await vscode.commands.executeCommand('pgBackup.setPassword', 'secret', appPassword);
    const fixed = await child(api.connections, undefined, 'secret');
    assert.ok((await children(api.connections, fixed.element)).some((d) => d.label === 'shop'));

    // Without the stored password, ~/.pgpass (PGPASSFILE) still has it: the profile keeps working.
    await vscode.commands.executeCommand('pgBackup.forgetPassword', 'secret');
    const viaPgpass = await child(api.connections, undefined, 'secret');
    assert.doesNotMatch(viaPgpass.contextValue ?? '', /storedPassword/);
    assert.ok((await children(api.connections, viaPgpass.element)).some((d) => d.label === 'shop'));
  });

  test('Test Connection reports the server', async () => {
    const server = await vscode.commands.executeCommand<{ major: number; walLevel: string }>('pgBackup.testConnection', 'added');
    assert.equal(server.major, Number(process.env.PGBR_E2E_SERVER_MAJOR ?? 15));
    assert.equal(server.walLevel, 'replica');
  });

  test('Remove Connection deletes the profile from pgbackup.yaml and the tree', async () => {
    assert.equal(await vscode.commands.executeCommand('pgBackup.removeConnection', 'added', { confirm: true }), true);
    assert.equal(await vscode.commands.executeCommand('pgBackup.removeConnection', 'secret', { confirm: true }), true);
    const text = await fs.readFile(yamlFile, 'utf8');
    assert.doesNotMatch(text, /name: (added|secret)/);
    assert.match(text, /^# team profiles$/m);
    const roots = await children(api.connections, undefined);
    assert.ok(!roots.some((r) => r.label === 'added' || r.label === 'secret'), labels(roots));
  });

  test('a malformed entry in pgbackup.yaml shows as one problem with its line; the other profiles keep working', async () => {
    const broken = `${original.trimEnd()}\n  - name: typo\n    host: 127.0.0.1\n    prot: 5432\n`;
    await fs.writeFile(yamlFile, broken);
    await vscode.commands.executeCommand('pgBackup.refreshConnections');
    const roots = await children(api.connections, undefined);
    const problems = roots.filter((r) => r.contextValue === 'problem');
    assert.equal(problems.length, 1, labels(roots));
    const line = broken.split('\n').findIndex((l) => l.includes('prot:')) + 1;
    assert.equal(problems[0]?.description, `pgbackup.yaml:${line}`);
    assert.match(problems[0]?.label ?? '', /unknown key "prot".*did you mean "port"/);
    assert.ok(roots.some((r) => r.label === 'e2e'), 'the valid profile is gone');
    const e2e = await child(api.connections, undefined, 'e2e');
    assert.ok((await children(api.connections, e2e.element)).some((d) => d.label === 'shop'));
  });

  test('Show PostgreSQL Tools finds the client tools by running them', async () => {
    const inventory = await vscode.commands.executeCommand<{ installs: { major: number; tools: Record<string, { version: string }> }[] }>(
      'pgBackup.showTools',
      { show: false },
    );
    const install = inventory.installs.find((i) => i.major >= Number(process.env.PGBR_E2E_SERVER_MAJOR ?? 15));
    assert.ok(install, JSON.stringify(inventory));
    assert.match(install.tools.pg_dump?.version ?? '', /^\d+\.\d+/);
  });
});
