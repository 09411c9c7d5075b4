// An age-encrypted dump in a real extension host: without an identity the Dumps view asks for one; Set
// Decryption Identity… (its answer passed) opens it to its tables, and one table restores from it.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { parseRecipient } from '../../../src/core/crypto';
import { runDump } from '../../../src/core/logical';
import type { ToolInventory } from '../../../src/core/platform';
import { withClient } from '../../../src/core/postgres';
import { activateExtension, child, children, labels, type PgBackupApi } from './tree';

const port = Number(process.env.PGBR_E2E_PORT);
const superuser = { host: '127.0.0.1', port, user: 'postgres', database: 'shop' };

suite('Encrypted dumps', () => {
  let api: PgBackupApi;
  let keyDir: string;
  let identityFile: string;
  let dumpPath: string;

  suiteSetup(async () => {
    api = await activateExtension();
    await vscode.commands.executeCommand('pgBackup.forgetDecryptionIdentity');
    keyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-e2e-age-'));
    identityFile = path.join(keyDir, 'key.txt');
    await promisify(execFile)('age-keygen', ['-o', identityFile]);
    const publicKey = /# public key: (age1\S+)/.exec(await fs.readFile(identityFile, 'utf8'))?.[1];
    assert.ok(publicKey, 'age-keygen wrote no public key');
    // The dump folder the editor uses: where its own backup lands (that plain dump is not kept).
    const plain = await vscode.commands.executeCommand<{ path: string } | undefined>('pgBackup.backupDatabase', { profile: 'e2e', database: 'shop', quiet: true, fileName: 'folder-probe.dump' });
    assert.ok(plain, 'the backup command returned nothing: see the log');
    await vscode.commands.executeCommand('pgBackup.deleteDump', plain.path, { confirm: true });
    const dumpFolder = path.dirname(plain.path);
    const result = await runDump({
      connection: { params: superuser },
      profile: 'e2e',
      database: 'shop',
      output: { folder: dumpFolder, fileName: 'shop-encrypted' },
      tools: await vscode.commands.executeCommand<ToolInventory>('pgBackup.showTools', { show: false }),
      encryption: { scheme: 'age', recipients: [parseRecipient(publicKey)] },
    });
    dumpPath = result.path;
    assert.match(dumpPath, /\.dump\.age$/);
    api.dumps.refresh();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('pgBackup.forgetDecryptionIdentity');
    if (dumpPath) await vscode.commands.executeCommand('pgBackup.deleteDump', dumpPath, { confirm: true });
    await withClient({ ...superuser, database: 'postgres' }, {}, (c) => c.query('DROP DATABASE IF EXISTS invoices_from_age'));
    if (keyDir) await fs.rm(keyDir, { recursive: true, force: true });
  });

  test('without an identity, the encrypted dump shows one row that runs Set Decryption Identity…', async () => {
    const rows = await children(api.dumps, (await encryptedNode()).element);
    assert.equal(rows.length, 1, labels(rows));
    assert.equal(rows[0]?.label, 'encrypted with age: set a decryption identity to see its tables');
    assert.equal(rows[0]?.item.command?.command, 'pgBackup.setDecryptionIdentity');
  });

  test('the encrypted row\'s menu offers Set and Forget Decryption Identity (and a plain dump\'s does not); from the menu, Set asks', async () => {
    const node = await encryptedNode();
    assert.equal(node.item.contextValue, 'dump.custom.age');
    const manifest = vscode.extensions.getExtension('pgbr.pg-backup')?.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
    const matching = (contextValue: string) =>
      manifest.contributes.menus['view/item/context']!.filter((m) => {
        const re = /viewItem =~ \/(.*)\/$/.exec(m.when ?? '')?.[1];
        return m.when?.includes('view == pgBackup.dumps') && re !== undefined && new RegExp(re).test(contextValue);
      }).map((m) => m.command);
    for (const command of ['pgBackup.setDecryptionIdentity', 'pgBackup.forgetDecryptionIdentity']) {
      assert.ok(matching('dump.custom.age').includes(command), `${command} is not on the encrypted row's menu`);
      assert.ok(!matching('dump.custom').includes(command), `${command} is on a plain dump's menu`);
    }
    // The menu passes the row and the selection: the command asks (here: closed at once) instead of reading them as an answer.
    const asked = vscode.commands.executeCommand('pgBackup.setDecryptionIdentity', node.element, [node.element]);
    await new Promise((r) => setTimeout(r, 500));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await asked, false);
  });

  test('a key that does not open it is one line from the core, and the row still offers another identity', async () => {
    const other = path.join(keyDir, 'other.txt');
    await promisify(execFile)('age-keygen', ['-o', other]);
    assert.equal(await vscode.commands.executeCommand('pgBackup.setDecryptionIdentity', other), true);
    const rows = await children(api.dumps, (await encryptedNode()).element);
    assert.equal(rows.length, 1, labels(rows));
    assert.ok(!rows[0]?.label.includes('\n') && rows[0]?.label !== '', labels(rows));
    assert.equal(rows[0]?.item.command?.command, 'pgBackup.setDecryptionIdentity');
    assert.ok(!labels(rows).includes('AGE-SECRET-KEY'), 'a key reached the tree');
  });

  test('with the pasted key set, the dump expands to its tables, with their counts', async () => {
    const key = (await fs.readFile(identityFile, 'utf8')).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'));
    assert.ok(key);
    assert.equal(await vscode.commands.executeCommand('pgBackup.setDecryptionIdentity', key), true);
    const node = await encryptedNode();
    const schemas = await children(api.dumps, node.element);
    for (const s of ['public', 'sales']) assert.ok(schemas.some((x) => x.label === s), labels(schemas));
    const invoices = await child(api.dumps, (await child(api.dumps, node.element, 'sales')).element, 'invoices');
    assert.equal(invoices.description, '120 rows');
  });

  test('Restore Table(s) restores one table from the encrypted dump into a new database', async () => {
    const node = await encryptedNode();
    const invoices = await child(api.dumps, (await child(api.dumps, node.element, 'sales')).element, 'invoices');
    const result = await vscode.commands.executeCommand<{ status: string; message: string; errors: string[] } | undefined>(
      'pgBackup.restoreTables',
      invoices.element,
      [invoices.element],
      { profile: 'e2e', database: 'invoices_from_age', create: true },
    );
    assert.ok(result, 'the restore command returned nothing: see the log');
    assert.equal(result.status, 'succeeded', `${result.message} ${result.errors.join(' | ')}`);
    const rows = await withClient({ ...superuser, database: 'invoices_from_age' }, {}, async (c) => (await c.query<{ n: string }>('SELECT count(*) AS n FROM sales.invoices')).rows[0]?.n);
    assert.equal(rows, '120');
  });

  async function encryptedNode() {
    const [folder] = await children(api.dumps, undefined);
    const dumps = await children(api.dumps, folder?.element);
    const node = dumps.find((d) => dumpPath.endsWith(d.label));
    assert.ok(node, `encrypted dump not listed: ${labels(dumps)}`);
    return node;
  }
});
