// The Connections view in a real extension host: activation, commands, and the tree a user expands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, child, children, labelOf, labels, type PgBackupApi, EXTENSION_ID } from './tree';

/** Profiles the e2e runner writes into the workspace's pgbackup.yaml. */
const UP = 'e2e';
const DOWN = 'down';
/** Major version of the test cluster, passed by the runner; Debian's 15 otherwise. */
const SERVER_MAJOR = process.env.PGBR_E2E_SERVER_MAJOR ?? '15';

suite('Connections', () => {
  let api: PgBackupApi;

  suiteSetup(async () => {
    api = await activateExtension();
  });

  test('activates quickly and returns its API', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 'extension is not active');
    assert.equal(typeof api.activationMs, 'number', 'the API has no activationMs');
    console.log(`      activation took ${api.activationMs.toFixed(1)} ms (target 20 ms)`);
    // The 20 ms target is a measurement on an idle machine (bench/RESULTS.md); the assertion only catches an activation that
    // does real work (discovery, connections) up front, which takes seconds.
    assert.ok(api.activationMs < 2000, `activation took ${api.activationMs} ms: it is doing work that should wait until it is needed`);
  });

  test('registers every contributed command', async () => {
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as PackageJson).contributes.commands.map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), [], 'contributed but not registered');
  });

  test(`shows the "${UP}" profile with its server version, databases, schemas and tables`, async () => {
    const up = await child(api.connections, undefined, UP);
    const databases = await children(api.connections, up.element);
    assert.match((await labelOf(api.connections, up.element)).description, new RegExp(`PostgreSQL ${SERVER_MAJOR}\\b`), 'profile description after expanding');

    assert.ok(databases.some((d) => d.label === 'shop'), `databases: ${labels(databases)}`);
    const shop = await child(api.connections, up.element, 'shop');
    const schemas = await children(api.connections, shop.element);
    for (const name of ['public', 'sales']) assert.ok(schemas.some((s) => s.label === name), `schemas of shop: ${labels(schemas)}`);

    const publicTables = await children(api.connections, (await child(api.connections, shop.element, 'public')).element);
    for (const name of ['customers', 'orders']) assert.ok(publicTables.some((t) => t.label === name), `tables of public: ${labels(publicTables)}`);
    const salesTables = await children(api.connections, (await child(api.connections, shop.element, 'sales')).element);
    assert.ok(salesTables.some((t) => t.label === 'invoices'), `tables of sales: ${labels(salesTables)}`);
    // The runner analyses the sample database, so the size comes with a row estimate.
    const customers = publicTables.find((t) => t.label === 'customers');
    assert.match(customers?.description ?? '', /\d+(\.\d+)? [kMG]?B · ~[\d,]+ rows/, 'description of customers');
    console.log(`      customers: ${customers?.description}`);
  });

  test(`shows one error child for the "${DOWN}" profile, whose server is not running`, async () => {
    const down = await child(api.connections, undefined, DOWN);
    const kids = await children(api.connections, down.element);
    assert.equal(kids.length, 1, `children of ${DOWN}: ${labels(kids)}`);
    const [error] = kids;
    assert.equal(error?.contextValue, 'error');
    assert.match(error?.label ?? '', /no PostgreSQL server is listening/i);
    console.log(`      ${DOWN}: ${error?.label}`);
  });

  test(`keeps "${UP}" working next to the failing profile`, async () => {
    const up = await child(api.connections, undefined, UP);
    const databases = await children(api.connections, up.element);
    assert.ok(databases.some((d) => d.label === 'shop'), `databases: ${labels(databases)}`);
  });
});

interface PackageJson {
  contributes: { commands: { command: string }[] };
}
