// pgBackRest in a real extension host: Generate pgBackRest Config… writes the file as shown for a
// connection and lists its stanza, which the WAL Archive view then shows with pgBackRest's own word on it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, children, labels, type PgBackupApi } from './tree';

const port = Number(process.env.PGBR_E2E_PORT);

suite('pgBackRest', () => {
  let api: PgBackupApi;
  let scratch = '';
  let yaml = '';
  let before = '';

  suiteSetup(async () => {
    api = await activateExtension();
    // As root pgBackRest runs as the repository's owner (postgres), who must reach the config: the host's
    // temp folder is private to root, /tmp is not.
    scratch = await fs.mkdtemp(path.join(process.getuid?.() === 0 ? '/tmp' : os.tmpdir(), 'pgbr-e2e-brsetup-'));
    await fs.chmod(scratch, 0o711);
    yaml = path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', 'pgbackup.yaml');
    before = await fs.readFile(yaml, 'utf8');
    await vscode.commands.executeCommand('pgBackup.addConnection', { name: 'br-admin', host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('pgBackup.removeConnection', 'br-admin', { confirm: true });
    // The other suites see pgbackup.yaml as it was.
    await fs.writeFile(yaml, before);
    await fs.rm(scratch, { recursive: true, force: true });
  });

  test('Generate pgBackRest Config… writes the stanza for the server it reads, and adds it to pgbackup.yaml with its connection', async () => {
    const config = path.join(scratch, 'pgbackrest.conf');
    const repo = path.join(scratch, 'repo');
    const result = await vscode.commands.executeCommand<{ plan: { configText: string; sql: string[] } } | undefined>('pgBackup.generateBackrestConfig', 'br-admin', {
      stanza: 'e2egen',
      repoPath: repo,
      config,
      confirm: 'write',
    });
    assert.ok(result, 'no result: see the log');
    const written = await fs.readFile(config, 'utf8');
    assert.equal(written, result.plan.configText, 'the file is what was shown');
    assert.match(written, /^\[e2egen\]$/m);
    assert.match(written, new RegExp(`^pg1-port=${port}$`, 'm'));
    assert.match(written, new RegExp(`^repo1-path=${repo.replace(/[/.]/g, '\\$&')}$`, 'm'));
    assert.ok(!/cipher-pass|s3-key/.test(written), 'no secret in the file');
    assert.ok(result.plan.sql.some((q) => q.startsWith('ALTER SYSTEM SET archive_command = ')), result.plan.sql.join('\n'));
    assert.ok((await fs.stat(repo)).isDirectory(), 'the repository folder is made');
    const listed = await fs.readFile(yaml, 'utf8');
    assert.match(listed, new RegExp(`repositories:\\n  - kind: pgbackrest\\n    stanza: e2egen\\n    config: ${config.replace(/[/.]/g, '\\$&')}\\n    connection: br-admin\\n`));
  });

  test('the WAL Archive view shows the stanza, and what pgBackRest says of it before stanza-create', async () => {
    let rows = await children(api.archive, undefined);
    for (let i = 0; i < 50 && !rows.some((r) => r.label === 'stanza e2egen'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await children(api.archive, undefined);
    }
    const stanza = rows.find((r) => r.label === 'stanza e2egen');
    assert.ok(stanza, labels(rows));
    assert.equal(stanza.contextValue, 'backrestStanza');
    const kids = await children(api.archive, stanza.element);
    assert.match(kids[0]?.description ?? '', /^status 1 \(missing-stanza-path\)$/, labels(kids));
    assert.ok(kids.some((k) => /^stanza "e2egen" does not exist in the repository/.test(k.label)), labels(kids));
  });
});
