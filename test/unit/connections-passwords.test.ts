// Stored passwords are bound to the server they were given for, and old name-keyed ones migrate on first use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { PasswordStore, type PasswordContext } from '../../src/connections/passwords';
import { PgbrError } from '../../src/core/platform/errors';
import { memoryLogger } from '../../src/core/platform/log';
import type { ConnectionProfile } from '../../src/core/profiles';

/** SecretStorage in memory: what was stored under which key. */
function fakeSecrets(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  const secrets = {
    get: (key: string) => Promise.resolve(map.get(key)),
    store: (key: string, value: string) => Promise.resolve(void map.set(key, value)),
    delete: (key: string) => Promise.resolve(void map.delete(key)),
    onDidChange: () => ({ dispose: () => undefined }),
  } as unknown as vscode.SecretStorage;
  return { map, secrets };
}

const serverA = { host: 'db-a.example.com', port: 5432, user: 'backup' };
const serverB = { host: 'attacker.example.net', port: 5432, user: 'backup' };

function prod(kind: ConnectionProfile['source']['kind'] = 'yaml'): ConnectionProfile {
  return { name: 'prod', params: {}, source: { kind, label: kind } };
}

/** A probe that records every password it was handed, and answers as the server would. */
function context(answer: 'accept' | 'refuse' | 'unreachable', trusted = true, agrees = true) {
  const sent: string[] = [];
  const lines: string[] = [];
  const asked: string[] = [];
  const ctx: PasswordContext = {
    trusted,
    log: memoryLogger(lines),
    confirmLegacy: (where) => {
      asked.push(where);
      return Promise.resolve(agrees);
    },
    probe: (password) => {
      sent.push(password);
      if (answer === 'refuse') return Promise.reject(new PgbrError('auth', 'password authentication failed for user "backup"'));
      if (answer === 'unreachable') return Promise.reject(new PgbrError('connection', 'connection refused'));
      return Promise.resolve();
    },
  };
  return { ctx, sent, lines, asked };
}

test('a secret stored for one server is not sent to another server with the same profile name', async () => {
  const { secrets } = fakeSecrets();
  const store = new PasswordStore(secrets);
  await store.set('prod', serverA, 's3cret-a');
  const { ctx, sent } = context('accept');
  assert.equal(await store.passwordFor(prod(), serverB, ctx), undefined);
  assert.equal(await store.has('prod', serverB), false);
  assert.deepEqual(sent, [], 'the password was handed to a connection to the other server');
  // The server it was given for still gets it.
  assert.equal(await store.passwordFor(prod(), serverA, ctx), 's3cret-a');
});

test('host case and the database do not matter; the port and the user do', async () => {
  const { secrets } = fakeSecrets();
  const store = new PasswordStore(secrets);
  await store.set('prod', serverA, 'pw');
  assert.equal(await store.get('prod', { ...serverA, host: 'DB-A.example.com' }), 'pw');
  assert.equal(await store.get('prod', { ...serverA, port: 5433 }), undefined);
  assert.equal(await store.get('prod', { ...serverA, user: 'postgres' }), undefined);
});

test('an old name-keyed secret the server accepts is bound to that server and the old key deleted', async () => {
  const { map, secrets } = fakeSecrets({ 'pgBackup.password/prod': 'old' });
  const store = new PasswordStore(secrets);
  const { ctx, sent } = context('accept');
  assert.equal(await store.passwordFor(prod(), serverA, ctx), 'old');
  assert.deepEqual(sent, ['old']);
  assert.equal(map.has('pgBackup.password/prod'), false, 'the old key is still there');
  assert.equal(await store.get('prod', serverA), 'old');
  assert.equal(await store.passwordFor(prod(), serverB, context('accept').ctx), undefined, 'once bound, it no longer goes elsewhere');
});

test('an old secret the server refuses is kept, not bound, and not sent to that server again', async () => {
  const { map, secrets } = fakeSecrets({ 'pgBackup.password/prod': 'old' });
  const store = new PasswordStore(secrets);
  const { ctx, sent, lines } = context('refuse');
  assert.equal(await store.passwordFor(prod(), serverB, ctx), undefined);
  assert.equal(await store.passwordFor(prod(), serverB, ctx), undefined);
  assert.deepEqual(sent, ['old'], 'tried more than once');
  assert.equal(map.get('pgBackup.password/prod'), 'old');
  assert.equal(await store.get('prod', serverB), undefined);
  assert.ok(lines.some((l) => /refused/.test(l) && !l.includes('old')), 'the log says it was refused, and never shows the password');
});

test('an old secret is not bound while the server cannot be reached', async () => {
  const { map, secrets } = fakeSecrets({ 'pgBackup.password/prod': 'old' });
  const store = new PasswordStore(secrets);
  assert.equal(await store.passwordFor(prod(), serverA, context('unreachable').ctx), 'old');
  assert.equal(map.get('pgBackup.password/prod'), 'old');
  assert.equal(await store.get('prod', serverA), undefined);
});

test('an old secret is never sent to a server an untrusted folder names; a profile of the user own is tried', async () => {
  for (const kind of ['yaml', 'setting'] as const) {
    const { secrets } = fakeSecrets({ 'pgBackup.password/prod': 'old' });
    const { ctx, sent } = context('accept', false);
    assert.equal(await new PasswordStore(secrets).passwordFor(prod(kind), serverB, ctx), undefined);
    assert.deepEqual(sent, [], `sent for a ${kind} profile`);
  }
  const { secrets } = fakeSecrets({ 'pgBackup.password/prod': 'old' });
  const { ctx, sent } = context('accept', false);
  assert.equal(await new PasswordStore(secrets).passwordFor(prod('service'), serverA, ctx), 'old');
  assert.deepEqual(sent, ['old']);
});

test('an old secret goes nowhere the person has not agreed to: declined, it is not sent and not asked for again', async () => {
  const { secrets, map } = fakeSecrets({ 'pgBackup.password/prod': 'old-secret' });
  const store = new PasswordStore(secrets);
  const { ctx, sent, asked } = context('accept', true, false);
  assert.equal(await store.passwordFor(prod(), serverB, ctx), undefined);
  assert.equal(await store.passwordFor(prod(), serverB, ctx), undefined);
  assert.deepEqual(sent, []);
  assert.deepEqual(asked, ['backup@attacker.example.net:5432'], 'asked once, naming the server');
  assert.equal(map.get('pgBackup.password/prod'), 'old-secret', 'kept for the server it may belong to');
});

test('forget and set remove the old name-keyed secret too', async () => {
  const { map, secrets } = fakeSecrets({ 'pgBackup.password/prod': 'old' });
  const store = new PasswordStore(secrets);
  await store.set('prod', serverA, 'new');
  assert.equal(map.has('pgBackup.password/prod'), false);
  map.set('pgBackup.password/prod', 'old');
  await store.forget('prod', serverA);
  assert.deepEqual([...map.keys()], []);
});
