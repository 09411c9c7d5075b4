// Logical backups in a real extension host: dump, expand the dump to its tables, restore one table, verify.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pushDump, verifyCopy } from '../../../src/core/offsite/copies';
import { parseRemote } from '../../../src/core/offsite/remote';
import { tocIndexFile } from '../../../src/core/logical/toc';
import { cacheFolder } from '../../../src/core/platform/cacheFolder';
import { activateExtension, child, children, labels, type PgBackupApi, type Shown } from './tree';

interface DumpResult {
  path: string;
  manifest: { rowCounts: { schema: string; table: string; rows: number }[]; sha256: Record<string, string>; database: string };
}

suite('Dumps', () => {
  let api: PgBackupApi;
  let dump: DumpResult;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  test('Back Up Database dumps shop with exact counts, and the dump appears in the Dumps view', async () => {
    const result = await vscode.commands.executeCommand<DumpResult | undefined>('pgBackup.backupDatabase', {
      profile: 'e2e',
      database: 'shop',
      quiet: true,
    });
    assert.ok(result, 'the backup command returned nothing: see the log');
    dump = result;
    await fs.access(dump.path);
    const counts = Object.fromEntries(dump.manifest.rowCounts.map((r) => [`${r.schema}.${r.table}`, r.rows]));
    assert.equal(counts['public.customers'], 50);
    assert.equal(counts['public.orders'], 200);
    assert.equal(counts['sales.invoices'], 120);
    assert.ok(Object.keys(dump.manifest.sha256).length >= 1);

    const folders = await children(api.dumps, undefined);
    assert.equal(folders.length, 1, labels(folders));
    const dumps = await children(api.dumps, folders[0]?.element);
    const node = dumps.find((d) => dump.path.endsWith(d.label));
    assert.ok(node, `dump not listed: ${labels(dumps)}`);
    assert.match(node.description, /shop/);
    assert.match(node.contextValue ?? '', /^dump\.custom/);
  });

  test('expanding the dump shows schemas and tables with their row counts', async () => {
    const node = await dumpNode(api, dump.path);
    const schemas = await children(api.dumps, node.element);
    for (const s of ['public', 'sales']) assert.ok(schemas.some((x) => x.label === s), labels(schemas));
    const publicTables = await children(api.dumps, (await child(api.dumps, node.element, 'public')).element);
    const orders = publicTables.find((t) => t.label === 'orders');
    assert.ok(orders, labels(publicTables));
    assert.equal(orders.description, '200 rows');
    assert.match(orders.contextValue ?? '', /^dumpTable\.table\.data/);
  });

  test('a group of objects lists its entries with their TOC lines, read from the dump when it is opened', async () => {
    const node = await dumpNode(api, dump.path);
    const publicSchema = await child(api.dumps, node.element, 'public');
    const constraints = await child(api.dumps, publicSchema.element, 'constraints');
    const entries = await children(api.dumps, constraints.element);
    assert.equal(constraints.description, String(entries.length));
    const pkey = entries.find((e) => e.label === 'orders_pkey');
    assert.ok(pkey, labels(entries));
    assert.equal(pkey.description, 'constraint on orders');
    assert.match(pkey.item.tooltip as string, /^\d+; \d+ \d+ CONSTRAINT public orders orders_pkey /);
  });

  test('a dump cut after its table of contents shows the damage first, read afresh and then from the index its first reading wrote', async () => {
    const cut = path.join(path.dirname(dump.path), 'cut-short.dump');
    const bytes = await fs.readFile(dump.path);
    await fs.writeFile(cut, bytes.subarray(0, bytes.length - 3));
    const cache = cacheFolder(process.env);
    assert.ok(cache, 'no cache folder in the extension host');
    const index = tocIndexFile(cache, await fs.realpath(cut));
    try {
      api.dumps.refresh();
      const read = await children(api.dumps, (await dumpNode(api, cut)).element);
      assert.match(read[0]?.label ?? '', /truncated/, labels(read));
      assert.deepEqual(read.slice(1).map((r) => r.label), ['public', 'sales']);
      // Indexed as it was read (not waited for): the next reading takes the tree from the index, and checks the data again.
      for (let tries = 0; !(await fs.stat(index).catch(() => undefined)); tries++) {
        assert.ok(tries < 100, `no TOC index was written at ${index}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      api.dumps.refresh();
      const indexed = await children(api.dumps, (await dumpNode(api, cut)).element);
      assert.deepEqual(indexed.map((r) => r.label), read.map((r) => r.label));
    } finally {
      await fs.rm(cut, { force: true });
      await fs.rm(index, { force: true });
      api.dumps.refresh();
    }
  });

  test('Restore Table(s) restores one table into a new database, and the Connections tree shows it', async () => {
    const node = await dumpNode(api, dump.path);
    const orders = await child(api.dumps, (await child(api.dumps, node.element, 'public')).element, 'orders');
    const result = await vscode.commands.executeCommand<{ status: string; message: string; errors: string[] } | undefined>(
      'pgBackup.restoreTables',
      orders.element,
      [orders.element],
      { profile: 'e2e', database: 'orders_only', create: true },
    );
    assert.ok(result, 'the restore command returned nothing: see the log');
    assert.equal(result.status, 'succeeded', `${result.message} ${result.errors.join(' | ')}`);

    api.connections.refresh();
    const e2e = await child(api.connections, undefined, 'e2e');
    const restored = await child(api.connections, e2e.element, 'orders_only');
    const schemas = await children(api.connections, restored.element);
    const tables = await children(api.connections, (await child(api.connections, restored.element, 'public')).element);
    assert.deepEqual(tables.map((t) => t.label), ['orders'], `only orders was restored; schemas ${labels(schemas)}`);
  });

  test('Verify restores into a scratch database, compares counts, and marks the dump verified', async () => {
    const report = await vscode.commands.executeCommand<{ status: string; message: string; tables: { ok: boolean }[]; scratchDropped: boolean }>(
      'pgBackup.verifyDump',
      dump.path,
      { profile: 'e2e', show: false },
    );
    assert.equal(report.status, 'passed', report.message);
    assert.ok(report.tables.length >= 3 && report.tables.every((t) => t.ok));
    assert.ok(report.scratchDropped);
    const node = await dumpNode(api, dump.path);
    assert.equal((node.item.iconPath as vscode.ThemeIcon).id, 'pass');
  });

  test('Verify saves its report beside the dump and shows it read-only, and the Dumps view does not list the report', async () => {
    const report = await vscode.commands.executeCommand<{ status: string; message: string } | undefined>('pgBackup.verifyDump', dump.path, { profile: 'e2e' });
    assert.equal(report?.status, 'passed', report?.message);
    const saved = await fs.readFile(`${dump.path}.verify.md`, 'utf8');
    assert.match(saved, /^# Verification passed: /);
    const doc = vscode.window.activeTextEditor?.document;
    assert.equal(doc?.uri.scheme, 'pgbackup-verify', 'the report is not shown from the saved file');
    assert.equal(doc.isUntitled, false);
    assert.equal(doc.isDirty, false);
    assert.equal(doc.getText(), saved);
    assert.equal(doc.languageId, 'markdown');
    const [folder] = await children(api.dumps, undefined);
    const listed = (await children(api.dumps, folder?.element)).map((d) => d.label);
    assert.ok(!listed.some((l) => l.endsWith('.verify.md')), `the report is listed as a dump: ${JSON.stringify(listed)}`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('Verify passes a backup of one table whose foreign key points at a table left out, and names the key it did not check', async () => {
    const one = await vscode.commands.executeCommand<DumpResult | undefined>('pgBackup.backupDatabase', {
      profile: 'e2e',
      database: 'shop',
      quiet: true,
      tables: [{ schema: 'public', name: 'orders' }],
      fileName: 'orders-only.dump',
    });
    assert.ok(one, 'the backup command returned nothing: see the log');
    try {
      const report = await vscode.commands.executeCommand<{ status: string; message: string; foreignKeysLeftOut: { name: string }[] }>('pgBackup.verifyDump', one.path, {
        profile: 'e2e',
        show: false,
      });
      assert.equal(report.status, 'passed', report.message);
      assert.deepEqual(report.foreignKeysLeftOut.map((k) => k.name), ['orders_customer_id_fkey']);
      const saved = await fs.readFile(`${one.path}.verify.md`, 'utf8');
      assert.match(saved, /## Left out of the test restore\n\n- foreign key "orders_customer_id_fkey" on "public"\."orders" not checked: it references "public"\."customers", which is not in the dump\n/);
      const node = await dumpNode(api, one.path);
      assert.equal((node.item.iconPath as vscode.ThemeIcon).id, 'pass');
      const tooltip = (node.item.tooltip as vscode.MarkdownString).value;
      assert.match(tooltip, /verified .*\n1 foreign key \("orders\\_customer\\_id\\_fkey" on "public"\."orders" to "public"\."customers"\) was left out of the test restore and not checked/);
    } finally {
      await vscode.commands.executeCommand('pgBackup.deleteDump', one.path, { confirm: true });
    }
  });

  test('a verified offsite copy shows on the dump, and Restore from Offsite pulls it (checked), then restores it', async () => {
    const remoteDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-e2e-offsite-'));
    let pulled: string | undefined;
    try {
      const remote = parseRemote(remoteDir, remoteDir);
      await pushDump(dump.path, remote);
      assert.equal((await verifyCopy(dump.path, remote)).ok, true);
      api.dumps.refresh();
      const node = await dumpNode(api, dump.path);
      assert.match(node.description, / · offsite ✓$/);
      assert.match((node.item.tooltip as vscode.MarkdownString).value, new RegExp(`copy at ${remoteDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: verified just now`));

      const name = path.basename(dump.path);
      const result = await vscode.commands.executeCommand<{ status: string; message: string; errors: string[] } | undefined>(
        'pgBackup.restoreFromOffsite',
        { from: remoteDir, dump: name },
        { profile: 'e2e', database: 'from_offsite', create: true },
      );
      assert.ok(result, 'the command returned nothing: see the log');
      assert.equal(result.status, 'succeeded', `${result.message} ${result.errors.join(' | ')}`);
      // The dump itself is still here, so the pulled copy took the next free name beside it.
      pulled = path.join(path.dirname(dump.path), name.replace(/\.dump$/, '-2.dump'));
      await fs.access(pulled);
      api.connections.refresh();
      const e2e = await child(api.connections, undefined, 'e2e');
      await child(api.connections, e2e.element, 'from_offsite');
    } finally {
      if (pulled) await vscode.commands.executeCommand('pgBackup.deleteDump', pulled, { confirm: true });
      await fs.rm(remoteDir, { recursive: true, force: true });
    }
  });

  test('Reveal uses what this VS Code has: the Explorer in a browser or remote window, the OS file manager on a desktop', async () => {
    const where = await vscode.commands.executeCommand<string | undefined>('pgBackup.revealDump', dump.path);
    const desktop = vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined;
    assert.equal(where, desktop ? 'os' : 'explorer');
  });

  test('Show Contents opens the table of contents read-only', async () => {
    const text = await vscode.commands.executeCommand<string>('pgBackup.showDumpContents', dump.path);
    assert.match(text, /TABLE DATA public orders/);
    assert.equal(vscode.window.activeTextEditor?.document.uri.scheme, 'pgbackup-toc');
  });

  test('Delete Dump refuses paths outside the dump folders, whoever asks, even when told it is confirmed', async () => {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-e2e-keep-'));
    const elsewhere = path.join(scratch, 'precious.dump');
    await fs.writeFile(elsewhere, 'not a dump of ours');
    const yaml = path.join(path.dirname(path.dirname(dump.path)), 'pgbackup.yaml');
    const sneaky = path.join(path.dirname(dump.path), '..', 'pgbackup.yaml');
    try {
      // The command reports the refusal as an error message and returns nothing (a deletion returns true).
      for (const target of [elsewhere, sneaky]) {
        assert.equal(await vscode.commands.executeCommand('pgBackup.deleteDump', target, { confirm: true }), undefined, target);
      }
      await fs.writeFile(`${elsewhere}.partial`, '');
      assert.equal(await vscode.commands.executeCommand('pgBackup.cleanPartials', [`${elsewhere}.partial`], { confirm: true }), undefined);
      await fs.access(`${elsewhere}.partial`);
      await fs.access(elsewhere);
      await fs.access(yaml);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });

  test('Delete Dump acts on the whole multi-selection', async () => {
    const folder = path.dirname(dump.path);
    const copies = [path.join(folder, 'copy-a.dump'), path.join(folder, 'copy-b.dump')];
    for (const c of copies) await fs.copyFile(dump.path, c);
    // What VS Code passes for a context-menu click on one of two selected items: the item, then the selection.
    assert.equal(await vscode.commands.executeCommand('pgBackup.deleteDump', copies[1], copies, { confirm: true }), true);
    for (const c of copies) await assert.rejects(fs.access(c), `${c} is still there`);
    await fs.access(dump.path);
  });

  test('Delete Dump removes the dump, its manifest and its verify report', async () => {
    await fs.access(`${dump.path}.verify.md`);
    assert.equal(await vscode.commands.executeCommand('pgBackup.deleteDump', dump.path, { confirm: true }), true);
    await assert.rejects(fs.access(dump.path));
    await assert.rejects(fs.access(`${dump.path}.manifest.json`));
    await assert.rejects(fs.access(`${dump.path}.verify.md`));
  });
});

async function dumpNode(api: PgBackupApi, dumpPath: string): Promise<Shown> {
  const [folder] = await children(api.dumps, undefined);
  const dumps = await children(api.dumps, folder?.element);
  const found = dumps.find((d) => dumpPath.endsWith(d.label));
  assert.ok(found, `${dumpPath} not listed: ${labels(dumps)}`);
  return found;
}
