// Connection URIs as libpq reads them: hosts, sockets, ports, parameters, and passwords refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgbrError } from '../../src/core/platform/errors';
import { describeParams, formatConnectionUri, parseConnectionUri } from '../../src/core/profiles/uri';
import type { ConnectionParams } from '../../src/core/profiles/types';

function configError(fn: () => unknown): PgbrError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgbrError, `expected a PgbrError, got ${String(e)}`);
    assert.equal(e.kind, 'config');
    return e;
  }
  assert.fail('expected a config error');
}

test('a full URI gives user, host, port, database, sslmode and the other parameters as options', () => {
  assert.deepEqual(
    parseConnectionUri('postgresql://app@db.example.com:5433/appdb?sslmode=require&connect_timeout=5&application_name=pgbr'),
    {
      user: 'app',
      host: 'db.example.com',
      port: 5433,
      database: 'appdb',
      sslmode: 'require',
      options: { connect_timeout: '5', application_name: 'pgbr' },
    },
  );
});

test('postgres:// is accepted like postgresql://, and every part is optional', () => {
  assert.deepEqual(parseConnectionUri('postgres://backup@localhost/app'), { user: 'backup', host: 'localhost', database: 'app' });
  assert.deepEqual(parseConnectionUri('postgresql://'), {});
  assert.deepEqual(parseConnectionUri('postgresql:///app'), { database: 'app' });
  assert.deepEqual(parseConnectionUri('postgresql://:5433'), { port: 5433 });
  assert.deepEqual(parseConnectionUri('postgresql://host:/db'), { host: 'host', database: 'db' });
});

test('IPv6 hosts are written in brackets', () => {
  assert.deepEqual(parseConnectionUri('postgresql://[::1]:5432/db'), { host: '::1', port: 5432, database: 'db' });
  assert.deepEqual(parseConnectionUri('postgresql://u@[2001:db8::7]/db'), { user: 'u', host: '2001:db8::7', database: 'db' });
  assert.match(configError(() => parseConnectionUri('postgresql://::1/db')).message, /brackets/);
  assert.match(configError(() => parseConnectionUri('postgresql://[::1/db')).message, /closing "\]"/);
});

test('a unix-socket folder is a percent-encoded host or a host parameter', () => {
  assert.deepEqual(parseConnectionUri('postgresql://%2Fvar%2Frun%2Fpostgresql/db'), { host: '/var/run/postgresql', database: 'db' });
  assert.deepEqual(parseConnectionUri('postgresql:///db?host=/tmp'), { host: '/tmp', database: 'db' });
  assert.deepEqual(parseConnectionUri('postgresql:///db?host=%2Ftmp%2Fpg&port=5499'), { host: '/tmp/pg', port: 5499, database: 'db' });
});

test('query parameters override the authority, and every part is percent-decoded', () => {
  assert.deepEqual(parseConnectionUri('postgresql://a@h/one?user=b&dbname=two&port=6000'), {
    user: 'b',
    host: 'h',
    port: 6000,
    database: 'two',
  });
  assert.deepEqual(parseConnectionUri('postgresql://p%40ul@h/my%20db?application_name=a%26b'), {
    user: 'p@ul',
    host: 'h',
    database: 'my db',
    options: { application_name: 'a&b' },
  });
  assert.deepEqual(parseConnectionUri('postgresql://h/db?ssl=true'), { host: 'h', database: 'db', sslmode: 'require' });
});

test('a password in the URI is refused without echoing it', () => {
  const expected = 'connection URIs must not contain a password: remove it and use "Set password…" or ~/.pgpass';
  for (const uri of ['postgresql://app:s3cret@db/app', 'postgresql://db/app?password=s3cret', 'postgres://app:s3cret@[::1]/app']) {
    const error = configError(() => parseConnectionUri(uri));
    assert.equal(error.message, expected);
    assert.doesNotMatch(error.message, /s3cret/);
  }
  // An empty password field carries no secret; libpq reads it as no password.
  assert.deepEqual(parseConnectionUri('postgresql://app:@db/app'), { user: 'app', host: 'db', database: 'app' });
});

test('a wrong scheme is refused with the schemes to use, not the rest of the text', () => {
  const error = configError(() => parseConnectionUri('mysql://root:hunter2@db/app'));
  assert.match(error.message, /postgresql:\/\/ or postgres:\/\//);
  assert.doesNotMatch(error.message, /hunter2/);
  configError(() => parseConnectionUri('db.example.com:5432'));
  configError(() => parseConnectionUri('POSTGRESQL://db/app'));
});

test('ports must be integers from 1 to 65535', () => {
  assert.equal(parseConnectionUri('postgresql://h:65535').port, 65535);
  assert.equal(parseConnectionUri('postgresql://h:1').port, 1);
  assert.equal(configError(() => parseConnectionUri('postgresql://h:65536/db')).message, 'port 65536 is out of range: use 1-65535');
  assert.equal(configError(() => parseConnectionUri('postgresql://h:0/db')).message, 'port 0 is out of range: use 1-65535');
  assert.match(configError(() => parseConnectionUri('postgresql://h:54x2/db')).message, /"54x2" is not a number/);
  assert.match(configError(() => parseConnectionUri('postgresql://h/db?port=-1')).message, /not a number/);
});

test('a bad sslmode is refused with the likely intended one', () => {
  assert.equal(
    configError(() => parseConnectionUri('postgresql://h/db?sslmode=requir')).message,
    'sslmode "requir" is not valid: did you mean "require"?',
  );
  assert.match(configError(() => parseConnectionUri('postgresql://h/db?sslmode=on')).message, /use one of disable, allow/);
});

test('malformed parts are refused with what to write instead', () => {
  assert.match(configError(() => parseConnectionUri('postgresql://h1,h2/db')).message, /several hosts/);
  assert.match(configError(() => parseConnectionUri('postgresql://h/d%zzb')).message, /%-escape/);
  assert.match(configError(() => parseConnectionUri('postgresql://h/db?sslmode')).message, /has no value/);
  assert.match(configError(() => parseConnectionUri('postgresql://h/db?bad-key=1')).message, /not a libpq parameter name/);
});

test('formatConnectionUri writes a URI that reads back to the same parameters', () => {
  const cases: ConnectionParams[] = [
    { user: 'app', host: 'db.example.com', port: 5432, database: 'app' },
    { host: '/var/run/postgresql', database: 'db' },
    { host: '::1', port: 5433, user: 'a@b', database: 'my db/x' },
    { host: 'h', sslmode: 'verify-full', options: { connect_timeout: '5', application_name: 'x&y=z' } },
    {},
  ];
  for (const params of cases) assert.deepEqual(parseConnectionUri(formatConnectionUri(params)), params);
  assert.equal(formatConnectionUri({ user: 'app', host: 'db', port: 5432, database: 'app' }), 'postgresql://app@db:5432/app');
  assert.equal(formatConnectionUri({ host: '/tmp', database: 'db' }), 'postgresql://%2Ftmp/db');
  assert.equal(formatConnectionUri({ host: 'h', options: { password: 'x' } }), 'postgresql://h');
});

test('describeParams is short text for trees and logs', () => {
  assert.equal(describeParams({ user: 'app', host: 'db.example.com', port: 5432, database: 'app' }), 'app@db.example.com:5432/app');
  assert.equal(describeParams({ host: '::1', port: 5433 }), '[::1]:5433');
  assert.equal(describeParams({ host: '/var/run/postgresql', database: 'db' }), '/var/run/postgresql/db');
  assert.equal(describeParams({ user: 'app', database: 'app' }), 'app@(default host)/app');
  assert.equal(describeParams({}), 'libpq defaults');
});
