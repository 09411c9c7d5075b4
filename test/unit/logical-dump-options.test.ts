// pg_dump options a DBA picks: their flags, their checks, what the manifest keeps of them, and the command preview.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDump, type PlanInput } from '../../src/core/logical/dumpPlan';
import { leftOutData, manifestOptions, validateDumpOptions } from '../../src/core/logical/options';
import { previewDump } from '../../src/core/logical/preview';
import { previewCommand } from '../../src/core/platform/commandPreview';
import { shellWord } from '../../src/core/platform/shell';
import { PgbrError } from '../../src/core/platform/errors';
import { parseQualifiedName } from '../../src/core/postgres/names';

const base: PlanInput = { toolMajor: 15, outputPath: '/backups/shop.dump.partial' };
const t = (sql: string) => parseQualifiedName(sql);

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && pattern.test(e.message));
}

test('excluded table data goes to pg_dump as exact patterns, hostile names included', () => {
  const plan = planDump({ ...base, excludeTableData: [t('audit.log'), t('"we ird"."Ta""ble ünï"'), t('"x*y"')] });
  assert.deepEqual(
    plan.args.filter((a) => a.startsWith('--exclude-table-data=')),
    ['--exclude-table-data="audit"."log"', '--exclude-table-data="we ird"."Ta""ble ünï"', '--exclude-table-data="public"."x*y"'],
  );
});

test('each option reaches pg_dump with its own flag', () => {
  const plan = planDump({
    ...base,
    format: 'plain',
    create: true,
    clean: true,
    ifExists: true,
    blobs: 'exclude',
    encoding: 'LATIN1',
    noTablespaces: true,
    lockWaitTimeout: '30 s',
    role: 'backup reader',
  });
  for (const flag of ['--create', '--clean', '--if-exists', '--no-blobs', '--encoding=LATIN1', '--no-tablespaces', '--lock-wait-timeout=30s', '--role=backup reader']) {
    assert.ok(plan.args.includes(flag), `${flag} in ${plan.args.join(' ')}`);
  }
  assert.ok(planDump({ ...base, blobs: 'include' }).args.includes('--blobs'));
  assert.ok(!planDump(base).args.some((a) => /blobs|role|encoding|lock-wait|tablespaces|clean|create/.test(a)));
});

test('contradictions are refused with what to do instead', () => {
  rejects(() => validateDumpOptions({ format: 'plain', ifExists: true }), /if-exists only changes the DROP commands that clean writes: add clean/);
  rejects(() => validateDumpOptions({ format: 'custom', clean: true }), /clean only changes a plain SQL dump: use the plain format, or choose clean when restoring this custom dump/);
  rejects(() => validateDumpOptions({ format: 'directory', create: true, clean: true }), /create and clean only change a plain SQL dump/);
  rejects(() => validateDumpOptions({ format: 'plain', clean: true, dataOnly: true }), /data-only dump has none to drop/);
  rejects(() => validateDumpOptions({ encoding: 'UTF8; DROP' }), /not an encoding name/);
  rejects(() => validateDumpOptions({ lockWaitTimeout: 'soon' }), /not a duration/);
  rejects(() => validateDumpOptions({ role: ' ' }), /role to dump as is empty/);
  for (const ok of ['5000', '30s', '5min', '1h', '250ms']) validateDumpOptions({ lockWaitTimeout: ok });
  validateDumpOptions({ format: 'plain', create: true, clean: true, ifExists: true });
});

test('the manifest keeps what decides what is in the dump', () => {
  const o = manifestOptions({ excludeTableData: [t('audit."Log"')], sections: ['pre-data', 'data'], blobs: 'exclude', role: 'r', encoding: 'UTF8', noTablespaces: true }, {});
  assert.deepEqual(o, { excludeTableData: ['audit."Log"'], sections: ['pre-data', 'data'], noTablespaces: true, blobs: 'exclude', encoding: 'UTF8', role: 'r' });
});

test('a dump without (all of its) rows says so instead of passing as "rows match"', () => {
  assert.equal(leftOutData({}), undefined);
  assert.equal(leftOutData({ sections: ['pre-data', 'data'] }), undefined);
  assert.match(leftOutData({ schemaOnly: true }) ?? '', /schema-only dump, so it holds no rows/);
  assert.match(leftOutData({ sections: ['pre-data', 'post-data'] }) ?? '', /only the pre-data and post-data sections, so no rows/);
  assert.match(leftOutData({ excludeTableData: ['audit.log'] }) ?? '', /rows of audit\.log were left out when dumping, so that table was not compared/);
  assert.match(leftOutData({ excludeTableData: ['a', 'b', 'c', 'd'] }) ?? '', /a, b, c and 1 more .* those tables were not compared/);
});

test('shell words: bare when safe, quoted with spaces and quotes, escaped with control characters', () => {
  assert.equal(shellWord('--format=custom'), '--format=custom');
  assert.equal(shellWord(''), "''");
  assert.equal(shellWord('--table="my schema"."it\'s"'), `'--table="my schema"."it'\\''s"'`);
  assert.equal(shellWord('--table="a\nb"'), `$'--table="a\\nb"'`);
  assert.equal(shellWord("x\\'\u001b"), `$'x\\\\\\'\\x1b'`);
  assert.equal(shellWord('--table="ÜberTable"'), `'--table="ÜberTable"'`);
  assert.equal(shellWord("dbname='shop copy'"), `"dbname='shop copy'"`, 'single quotes alone read better in double quotes');
  assert.equal(shellWord("dbname='it\\'s'"), `'dbname='\\''it\\'\\''s'\\'''`, 'not with a backslash, which double quotes would change');
});

test('the preview is the command that runs: connection as PG* variables, the flags, never a password', () => {
  const command = previewCommand('/usr/bin/pg_dump', ['--verbose', '--exclude-table-data="audit"."log"'], {
    host: 'db.example',
    port: 5433,
    user: 'app user',
    database: 'shop',
    password: 'hunter2',
    options: { passfile: '/home/u/.pgpass' },
  } as never);
  assert.equal(command, [`PGHOST=db.example PGPORT=5433 PGUSER='app user' PGDATABASE=shop`, '/usr/bin/pg_dump', '--verbose', `'--exclude-table-data="audit"."log"'`].join(' \\\n  '));
  assert.doesNotMatch(command, /hunter2|pgpass/);
});

test('a dump preview names the file the dump will have and the options picked', () => {
  const preview = previewDump({
    tool: { name: 'pg_dump', path: '/usr/lib/postgresql/15/bin/pg_dump', version: '15.8', major: 15 },
    connection: { host: '/run/pg', port: 5432, user: 'postgres' },
    profile: 'local',
    database: 'shop',
    folder: '/backups',
    nameTemplate: '{db}_{yyyyMMdd-HHmmss}',
    now: new Date(2026, 0, 2, 3, 4, 5),
    excludeTableData: [t('audit.log')],
  });
  assert.deepEqual(preview.command.split(' \\\n  '), [
    'PGHOST=/run/pg PGPORT=5432 PGUSER=postgres PGDATABASE=shop',
    '/usr/lib/postgresql/15/bin/pg_dump',
    '--verbose',
    '--no-password',
    '--format=custom',
    '--file=/backups/shop_20260102-030405.dump.partial',
    `'--exclude-table-data="audit"."log"'`,
  ]);
  assert.ok(preview.notes.some((n) => n.includes('shop_20260102-030405.dump')));
  assert.equal(preview.fileName, 'shop_20260102-030405.dump', 'the name the dump is then written under');
});
