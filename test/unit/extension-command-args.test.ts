// The command-argument resolver: what VS Code or a caller passes becomes the typed argument each command
// takes, once per selected item where the command takes several, the command's question when nothing came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand, type CommandTable } from '../../src/commandArgs';
import type { CommandId } from '../../src/commandIds';
import { PgbrError } from '../../src/core/platform/errors';
import type { ConnectionProfile } from '../../src/core/profiles/types';
import type { NodeTarget } from '../../src/targets';

/** A tree node as the resolver sees one: a row with the target it stands for (what every real node exposes). */
const node = (target: NodeTarget) => ({ label: 'a row', target });
const profile = (name: string): ConnectionProfile => ({ name, params: {}, source: { kind: 'setting', label: 'settings' } });
const dump = (path: string) => node({ kind: 'dump', path });
const table = (database: string, name: string) => node({ kind: 'table', profile: profile('e2e'), database, table: { schema: 'public', name } });
const dumpTable = (dumpPath: string, name: string) => node({ kind: 'dumpTable', dumpPath, table: { schema: 'public', name } });

interface Run {
  calls: [unknown, unknown][];
  picks: number;
  result: unknown;
}

/** Runs the command with a handler that records what it was given; `picked` is what its question answers. */
async function run(id: CommandId, args: unknown[], picked?: unknown): Promise<Run> {
  const seen: Run = { calls: [], picks: 0, result: undefined };
  const handler = {
    pick: async () => {
      seen.picks++;
      return picked;
    },
    run: (arg: unknown, extra: unknown) => {
      seen.calls.push([arg, extra]);
      return `result ${seen.calls.length}`;
    },
  } as unknown as CommandTable[CommandId];
  seen.result = await runCommand(id, handler, args);
  return seen;
}

async function refusal(id: CommandId, args: unknown[]): Promise<string> {
  try {
    await run(id, args);
  } catch (e) {
    assert.ok(e instanceof PgbrError && e.kind === 'usage', String(e));
    return e.message;
  }
  assert.fail(`${id} accepted ${JSON.stringify(args)}`);
}

test('a command that takes several runs once per selected node, with the caller\'s options each time', async () => {
  const a = dump('/d/a.dump');
  const b = dump('/d/b.dump');
  const r = await run('pgBackup.verifyDump', [b, [a, b], { profile: 'e2e', show: false }]);
  assert.deepEqual(r.calls, [
    ['/d/a.dump', { profile: 'e2e', show: false }],
    ['/d/b.dump', { profile: 'e2e', show: false }],
  ]);
  assert.deepEqual(r.result, ['result 1', 'result 2']);
  assert.equal(r.picks, 0);
});

test('one item gives the handler\'s result as it is, not in a list', async () => {
  const r = await run('pgBackup.testConnection', ['admin']);
  assert.deepEqual(r.calls, [['admin', undefined]]);
  assert.equal(r.result, 'result 1');
});

test('a click outside the selection acts on the clicked node only', async () => {
  const r = await run('pgBackup.testConnection', [node({ kind: 'connection', profile: profile('a') }), [node({ kind: 'connection', profile: profile('b') })]]);
  assert.deepEqual(r.calls, [['a', undefined]]);
});

test('a command that takes one acts on the clicked node, not the rest of the selection', async () => {
  const a = dump('/d/a.dump');
  const r = await run('pgBackup.revealDump', [a, [a, dump('/d/b.dump')]]);
  assert.deepEqual(r.calls, [['/d/a.dump', undefined]]);
});

test('with nothing passed the command asks; closing the question runs nothing', async () => {
  const answered = await run('pgBackup.revealDump', [], '/d/picked.dump');
  assert.equal(answered.picks, 1);
  assert.deepEqual(answered.calls, [['/d/picked.dump', undefined]]);
  const closed = await run('pgBackup.editConnection', [], undefined);
  assert.equal(closed.picks, 1);
  assert.deepEqual(closed.calls, []);
  assert.equal(closed.result, undefined);
});

test('a command whose argument is optional runs without one instead of asking', async () => {
  for (const id of ['pgBackup.showHealth', 'pgBackup.openPitr', 'pgBackup.cleanPartials'] as const) {
    const r = await run(id, []);
    assert.equal(r.picks, 0, id);
    assert.equal(r.calls.length, 1, id);
    assert.equal(r.calls[0]?.[0], undefined, id);
  }
});

test('Delete Dump takes the whole selection at once, paths or nodes, each once, and { confirm: true } after it', async () => {
  const copies = ['/d/copy-a.dump', '/d/copy-b.dump'];
  assert.deepEqual((await run('pgBackup.deleteDump', [copies[1], copies, { confirm: true }])).calls, [[copies, true]]);
  assert.deepEqual((await run('pgBackup.deleteDump', ['/d/x.dump', { confirm: true }])).calls, [[['/d/x.dump'], true]]);
  assert.deepEqual((await run('pgBackup.deleteDump', ['/d/x.dump'])).calls, [[['/d/x.dump'], false]]);
  assert.deepEqual((await run('pgBackup.deleteDump', ['/d/x.dump', { confirm: 'yes' }])).calls, [[['/d/x.dump'], false]]);
  const a = dump('/d/a.dump');
  assert.deepEqual((await run('pgBackup.deleteDump', [a, [a, dump('/d/b.dump'), a]])).calls, [[['/d/a.dump', '/d/b.dump'], false]]);
});

test('Delete Dump refuses a selection with something that is not a dump instead of deleting part of it', async () => {
  const a = dump('/d/a.dump');
  const message = await refusal('pgBackup.deleteDump', [a, [a, dumpTable('/d/a.dump', 'orders')]]);
  assert.match(message, /^pgBackup\.deleteDump acts on dumps .*, not on a table in a dump: /);
});

test('tables selected in the Connections view become one backup of their database', async () => {
  const orders = table('shop', 'orders');
  const r = await run('pgBackup.backupTables', [orders, [orders, table('shop', 'customers')]]);
  assert.deepEqual(r.calls, [[{ profile: 'e2e', database: 'shop', tables: [{ schema: 'public', name: 'orders' }, { schema: 'public', name: 'customers' }] }, undefined]]);
  const message = await refusal('pgBackup.backupTables', [orders, [orders, table('other', 'items')]]);
  assert.equal(message, 'The selected tables belong to different databases: back up one database at a time.');
});

test('a backup starts from a database, a connection, or a caller\'s request', async () => {
  const db = node({ kind: 'database', profile: profile('e2e'), database: 'shop' });
  assert.deepEqual((await run('pgBackup.backupDatabase', [db, [db]])).calls, [[{ profile: 'e2e', database: 'shop' }, undefined]]);
  assert.deepEqual((await run('pgBackup.backupDatabase', [node({ kind: 'connection', profile: profile('e2e') })])).calls, [[{ profile: 'e2e' }, undefined]]);
  const request = { profile: 'e2e', database: 'shop', quiet: true };
  assert.equal((await run('pgBackup.backupDatabase', [request])).calls[0]?.[0], request);
  assert.match(await refusal('pgBackup.backupDatabase', [{ profile: 'e2e', quiet: 'yes' }]), /not on an object without the fields it needs/);
});

test('Restore takes a dump, or tables of one dump, and the caller\'s choices after the node or the selection', async () => {
  const orders = dumpTable('/d/a.dump', 'orders');
  const request = { profile: 'e2e', database: 'orders_only', create: true };
  assert.deepEqual((await run('pgBackup.restoreTables', [orders, [orders], request])).calls, [
    [{ dumpPath: '/d/a.dump', tables: [{ schema: 'public', name: 'orders' }] }, request],
  ]);
  assert.deepEqual((await run('pgBackup.restoreDump', ['/d/a.dump', request])).calls, [[{ dumpPath: '/d/a.dump', tables: [] }, request]]);
  // No choices given: undefined, so the restore asks as it asks a person.
  assert.deepEqual((await run('pgBackup.restoreDump', [dump('/d/a.dump'), [dump('/d/a.dump')]])).calls, [[{ dumpPath: '/d/a.dump', tables: [] }, undefined]]);
  const message = await refusal('pgBackup.restoreTables', [orders, [orders, dumpTable('/d/b.dump', 'items')]]);
  assert.equal(message, 'The selected tables come from different dumps: restore from one dump at a time.');
  assert.match(await refusal('pgBackup.restoreDump', ['/d/a.dump', { create: 'yes' }]), /^pgBackup\.restoreDump takes restore choices .* after its first argument, not an object without the fields it needs/);
});

test('a wrong argument is refused, saying what the command takes and what it was given', async () => {
  const message = await refusal('pgBackup.verifyDump', [node({ kind: 'connection', profile: profile('e2e') })]);
  assert.equal(
    message,
    "pgBackup.verifyDump acts on a dump (one in the Dumps view, or its file's path), not on a connection: run it from its menu in the view, or from the Command Palette to be asked.",
  );
  assert.match(await refusal('pgBackup.testConnection', [42]), /not on number 42:/);
  assert.match(await refusal('pgBackup.setPassword', ['secret', 42]), /^pgBackup\.setPassword takes text after its first argument, not number 42:/);
  assert.match(await refusal('pgBackup.addConnection', ['admin']), /not on the text "admin":/);
  assert.match(await refusal('pgBackup.showDumpContents', [{ label: 'a schema row' }]), /not on that item:/);
});

test('a password, a restore point\'s name, a WAL archive\'s connection: the text after the first argument', async () => {
  assert.deepEqual((await run('pgBackup.setPassword', ['secret', 's3cret'])).calls, [['secret', 's3cret']]);
  assert.deepEqual((await run('pgBackup.createRestorePoint', ['admin', 'before-change'])).calls, [['admin', 'before-change']]);
  assert.deepEqual((await run('pgBackup.addArchive', ['/wal', 'e2e'])).calls, [['/wal', 'e2e']]);
  assert.deepEqual((await run('pgBackup.addArchive', [{ scheme: 'file', fsPath: '/wal' }])).calls, [['/wal', undefined]]);
});

test('unfinished dumps come from the .partial row or from paths, each once', async () => {
  const row = node({ kind: 'partials', paths: ['/d/a.partial', '/d/b.partial'] });
  assert.deepEqual((await run('pgBackup.cleanPartials', [row, [row]])).calls, [[['/d/a.partial', '/d/b.partial'], false]]);
  assert.deepEqual((await run('pgBackup.cleanPartials', [['/d/a.partial', '/d/a.partial'], { confirm: true }])).calls, [[['/d/a.partial'], true]]);
});

test('a base backup from a connection asks its choices; from a caller\'s request it does not', async () => {
  assert.deepEqual((await run('pgBackup.takeBaseBackup', ['admin'])).calls, [[{ profile: 'admin' }, undefined]]);
  const request = { profile: 'admin', format: 'plain', checkpoint: 'fast' };
  assert.deepEqual((await run('pgBackup.takeBaseBackup', [request])).calls, [[{ profile: 'admin', given: request }, undefined]]);
  assert.match(await refusal('pgBackup.takeBaseBackup', [{ format: 'plain' }]), /not on an object without the fields it needs/);
});

test('the recovery form opens on a base backup node, or with a caller\'s fields', async () => {
  assert.deepEqual((await run('pgBackup.openPitr', [node({ kind: 'baseBackup', path: '/bb/one' })])).calls, [[{ baseBackup: '/bb/one' }, undefined]]);
  const fields = { baseBackup: '/bb/one', archive: '/wal' };
  assert.deepEqual((await run('pgBackup.openPitr', [fields])).calls, [[fields, undefined]]);
  assert.match(await refusal('pgBackup.openPitr', [{ baseBackup: 3 }]), /not on an object without the fields it needs/);
});

test('a command that takes nothing ignores the node it is run on, and reads its options from the first argument', async () => {
  assert.deepEqual((await run('pgBackup.refreshConnections', [{ label: 'an error row' }])).calls, [[undefined, undefined]]);
  assert.deepEqual((await run('pgBackup.showTools', [{ show: false }])).calls, [[undefined, { show: false }]]);
  assert.deepEqual((await run('pgBackup.showTools', [])).calls, [[undefined, {}]]);
});

test('the plan commands take a Plans view row or a plan\'s name, ask when given nothing, and refuse a dump', async () => {
  for (const id of ['pgBackup.runPlanNow', 'pgBackup.previewPlanRetention', 'pgBackup.openPlanJournal'] as const) {
    // Run Now also takes a pgbackrest plan's backup type after the plan: nothing given is {}.
    const none = id === 'pgBackup.runPlanNow' ? {} : undefined;
    assert.deepEqual((await run(id, [node({ kind: 'plan', name: 'nightly' })])).calls, [['nightly', none]]);
    assert.deepEqual((await run(id, ['weekly'])).calls, [['weekly', none]]);
    const asked = await run(id, [], 'picked');
    assert.deepEqual([asked.picks, asked.calls], [1, [['picked', none]]]);
    assert.match(await refusal(id, [dump('/d/a.dump')]), new RegExp(`^${id.replace('.', '\\.')} acts on a plan \\(one in the Plans view, or its name\\), not on a dump: `));
  }
  assert.deepEqual((await run('pgBackup.runPlanNow', ['repo', { type: 'diff' }])).calls, [['repo', { type: 'diff' }]]);
  assert.match(await refusal('pgBackup.runPlanNow', ['repo', { type: 'weekly' }]), /takes \{ type: 'full' \| 'diff' \| 'incr' \} after its first argument/);
});

test('Install and Remove Schedule take a plan and, after it, the scheduler and the confirmation; an unknown scheduler is refused', async () => {
  for (const id of ['pgBackup.installPlanSchedule', 'pgBackup.removePlanSchedule'] as const) {
    assert.deepEqual((await run(id, [node({ kind: 'plan', name: 'nightly' })])).calls, [['nightly', {}]]);
    assert.deepEqual((await run(id, ['nightly', { scheduler: 'systemd', user: true, confirm: true }])).calls, [['nightly', { scheduler: 'systemd', user: true, confirm: true }]]);
    const asked = await run(id, [], 'picked');
    assert.deepEqual([asked.picks, asked.calls], [1, [['picked', {}]]]);
    assert.match(await refusal(id, ['nightly', { scheduler: 'launchd' }]), new RegExp(`^${id.replace('.', '\\.')} takes \\{ scheduler: 'systemd' \\| 'cron', user, confirm \\} after its first argument`));
    assert.match(await refusal(id, ['nightly', { user: 'yes' }]), /takes \{ scheduler/);
  }
});

test('a command that takes no node, run from a row\'s menu, ignores the row and the selection; a caller\'s text still reaches it', async () => {
  const row = dump('/d/secret.dump.age');
  assert.deepEqual((await run('pgBackup.setDecryptionIdentity', [row, [row]])).calls, [[undefined, undefined]]);
  assert.deepEqual((await run('pgBackup.setDecryptionIdentity', [undefined, 'AGE-SECRET-KEY-1X'])).calls, [[undefined, 'AGE-SECRET-KEY-1X']]);
  assert.deepEqual((await run('pgBackup.forgetDecryptionIdentity', [row, [row]])).calls, [[undefined, undefined]]);
  assert.match(await refusal('pgBackup.setDecryptionIdentity', [42]), /text/);
});

test('Recover Table As It Was… takes a table row of the Connections view, or { connection, database, table }; a dump is refused', async () => {
  const orders = table('shop', 'orders');
  assert.deepEqual((await run('pgBackup.recoverTable', [orders, [orders, table('shop', 'customers')]])).calls, [[{ connection: 'e2e', database: 'shop', table: { schema: 'public', name: 'orders' } }, undefined]]);
  assert.deepEqual((await run('pgBackup.recoverTable', [{ connection: 'prod', database: 'shop', table: 'sales.items' }])).calls, [[{ connection: 'prod', database: 'shop', table: { schema: 'sales', name: 'items' } }, undefined]]);
  assert.match(await refusal('pgBackup.recoverTable', [dump('/d/x.dump')]), /^pgBackup\.recoverTable acts on a table in the Connections view, or \{ connection, database, table: 'schema\.name' \}, not on a dump:/);
  assert.deepEqual((await run('pgBackup.recoverTable', [])).picks, 1);
});
