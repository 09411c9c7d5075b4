// A failed connection says which password was refused and offers the fix that matches where it came from.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIX, adviseOnFailure, passwordProblem, type FailureFacts } from '../../src/connections/failureAdvice';
import { describeConnectionError } from '../../src/core/postgres/connectionErrors';
import { PgbrError } from '../../src/core/platform/errors';

const base: FailureFacts = {
  profile: 'shop',
  server: 'app@db.example:5432',
  kind: 'auth',
  message: 'password authentication failed for user "app": set the password with "Set password…" or in ~/.pgpass',
  password: 'refused',
  sentFrom: 'secret',
  fallback: 'pgpass',
  pgpassFile: '~/.pgpass',
};

void test('a refused stored password with a ~/.pgpass line to fall back on: Forget Password first, and the message says why', () => {
  const a = adviseOnFailure(base);
  assert.equal(a.message, 'app@db.example:5432 refused the password stored in VS Code for "shop". Forget it to use the one in ~/.pgpass instead, or set the right one.');
  assert.deepEqual(a.actions, [FIX.forget, FIX.set, FIX.edit, FIX.retry]);
  // Under the profile in the tree, a few words that fit a row.
  assert.equal(a.short, 'the server refused the password stored in VS Code');
});

void test('a refused stored password with nothing to fall back on: Set Password… first, Forget still offered', () => {
  const a = adviseOnFailure({ ...base, fallback: 'none' });
  assert.match(a.message, /refused the password stored in VS Code for "shop": set the right one\.$/);
  assert.doesNotMatch(a.message, /pgpass/);
  assert.deepEqual(a.actions, [FIX.set, FIX.forget, FIX.edit, FIX.retry]);
});

void test('a refused stored password with PGPASSWORD set: forgetting it falls back on PGPASSWORD', () => {
  assert.match(adviseOnFailure({ ...base, fallback: 'environment' }).message, /Forget it to use PGPASSWORD instead/);
});

void test('a refused password from the password file names that file and offers no Forget (nothing is stored)', () => {
  const a = adviseOnFailure({ ...base, sentFrom: 'pgpass', pgpassFile: '/etc/pg/pass' });
  assert.equal(a.message, 'app@db.example:5432 refused the password /etc/pg/pass gives for "shop": correct that line, or set a password for this connection.');
  assert.deepEqual(a.actions, [FIX.set, FIX.edit, FIX.retry]);
});

void test('a refused PGPASSWORD says to correct it where VS Code is started', () => {
  const a = adviseOnFailure({ ...base, sentFrom: 'environment', fallback: 'environment' });
  assert.match(a.message, /refused the password in PGPASSWORD for "shop": correct PGPASSWORD/);
  assert.ok(!a.actions.includes(FIX.forget));
});

void test('no password sent to a server that asks for one: Set Password… or a pgpass line', () => {
  const a = adviseOnFailure({ ...base, password: 'missing', sentFrom: 'none', fallback: 'none' });
  assert.equal(a.message, 'app@db.example:5432 asks for a password for "shop" and none is stored: set one, or add a line for it to ~/.pgpass.');
  assert.deepEqual(a.actions, [FIX.set, FIX.edit, FIX.retry]);
});

void test('a pg_hba refusal or an unreachable server keeps the core message, named by profile, with Edit Connection and Retry', () => {
  const hba = adviseOnFailure({ ...base, password: undefined, message: 'the pg_hba.conf of the server … does not let user "app" connect' });
  assert.match(hba.message, /^"shop": the pg_hba\.conf/);
  assert.deepEqual(hba.actions, [FIX.edit, FIX.retry]);
  assert.equal(hba.short, undefined);
  const down = adviseOnFailure({ ...base, kind: 'connection', password: undefined, message: 'no PostgreSQL server is listening at db.example:5432' });
  assert.deepEqual(down.actions, [FIX.edit, FIX.retry]);
  assert.deepEqual(adviseOnFailure({ ...base, kind: 'io', password: undefined, message: 'disk full' }), { message: 'disk full', actions: [] });
});

void test('the server\'s 28P01 is a refused password; the driver\'s "no password supplied" a missing one; other refusals neither', () => {
  const params = { host: 'DB.example', port: 5433, user: 'app' };
  const refused = describeConnectionError(Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }), params);
  assert.equal(passwordProblem(refused), 'refused');
  // The error names the server it is about, as stored passwords are keyed (host in lower case).
  assert.equal(refused.server, 'app@db.example:5433');
  assert.equal(passwordProblem(describeConnectionError(new Error('no password supplied'), params)), 'missing');
  const hba = describeConnectionError(Object.assign(new Error('no pg_hba.conf entry for host'), { code: '28000' }), params);
  assert.equal(passwordProblem(hba), undefined);
  // pg_basebackup's stderr, read by the core without a driver error behind it.
  assert.equal(passwordProblem(new PgbrError('auth', 'password authentication failed for user "app": …')), 'refused');
});
