// Restore options: pg_restore's flags for them, the combinations refused, and the command preview.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pgRestoreOptionArgs, validateRestore, type RestoreChoices } from '../../src/core/logical/restoreOptions';
import { previewRestore } from '../../src/core/logical/restorePreview';
import { PgbrError } from '../../src/core/platform/errors';

const whole = { recreate: false, oneTransaction: false };

function rejects(opts: RestoreChoices, pattern: RegExp, format: 'custom' | 'plain' = 'custom'): void {
  assert.throws(() => validateRestore({ database: 'shop_copy', ...opts }, format, false), (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && pattern.test(e.message));
}

test('owner handling, sections, jobs and triggers reach pg_restore', () => {
  assert.deepEqual(pgRestoreOptionArgs({ noOwner: true, role: 'app owner', jobs: 3, sections: ['pre-data', 'data'] }, whole), [
    '--no-owner',
    '--role=app owner',
    '--jobs',
    '3',
    '--section=pre-data',
    '--section=data',
  ]);
  assert.deepEqual(pgRestoreOptionArgs({ dataOnly: true, disableTriggers: true }, { recreate: false, oneTransaction: true }), ['--single-transaction', '--data-only', '--disable-triggers']);
  assert.deepEqual(pgRestoreOptionArgs({}, whole), []);
});

test('combinations that cannot work are refused, each saying what to do', () => {
  rejects({ create: true, clean: true }, /a new database has none: leave clean out/);
  rejects({ create: true, dataOnly: true }, /a new database has no tables to load rows into/);
  rejects({ create: true, sections: ['data', 'post-data'] }, /add pre-data/);
  rejects({ disableTriggers: true }, /disable triggers only acts while rows are loaded into existing tables/);
  rejects({ sections: ['data'], dataOnly: true }, /use one of them/);
  rejects({ sections: ['everything' as never] }, /not a dump section/);
  rejects({ role: '' }, /role to restore as is empty/);
  rejects({ role: 'r', sections: ['pre-data'] }, /role, sections need pg_restore: a plain SQL dump is replayed by psql/, 'plain');
  rejects({ jobs: 2, singleTransaction: true }, /exclude each other/);
  validateRestore({ database: 'x', create: true, sections: ['pre-data'], noOwner: true, role: 'r', jobs: 2 }, 'custom', false);
  validateRestore({ database: 'x', sections: ['data'], disableTriggers: true }, 'custom', false);
});

test('the restore preview shows the database safely quoted, the options, and never a password', () => {
  const command = previewRestore({
    toolPath: '/usr/lib/postgresql/15/bin/pg_restore',
    connection: { host: 'localhost', port: 5432, user: 'postgres', database: 'postgres', password: 's3cret' } as never,
    database: "shop's copy",
    dumpPath: '/backups/shop 1.dump',
    create: true,
    noOwner: true,
    jobs: 2,
  });
  assert.deepEqual(command.split(' \\\n  '), [
    `PGHOST=localhost PGPORT=5432 PGUSER=postgres PGDATABASE="shop's copy"`,
    '/usr/lib/postgresql/15/bin/pg_restore',
    '--verbose',
    `--dbname 'dbname='\\''shop\\'\\''s copy'\\'''`,
    '--no-owner',
    '--jobs 2',
    `'/backups/shop 1.dump'`,
  ]);
  assert.doesNotMatch(command, /s3cret/);
});
