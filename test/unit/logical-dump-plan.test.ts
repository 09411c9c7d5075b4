// pg_dump argument arrays: exact table patterns, formats, jobs, compression by pg_dump version, and no secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCompression, validateDumpOptions } from '../../src/core/logical/dump';
import { planDump, type PlanInput } from '../../src/core/logical/dumpPlan';
import { PgbrError } from '../../src/core/platform/errors';
import { Exit, makeOutput } from '../../src/cli/output';
import { parseQualifiedName } from '../../src/core/postgres/names';

const base: PlanInput = { toolMajor: 15, outputPath: '/backups/shop.dump.partial', snapshot: '00000003-00000012-1' };
const t = (sql: string) => parseQualifiedName(sql);

function rejects(fn: () => unknown, kind: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof PgbrError && e.kind === kind && pattern.test(e.message));
}

test('a whole-database custom dump: verbose for progress, never a prompt, the snapshot, nothing about the connection', () => {
  const plan = planDump(base);
  assert.deepEqual(plan.args, ['--verbose', '--no-password', '--format=custom', '--file=/backups/shop.dump.partial', '--snapshot=00000003-00000012-1']);
  assert.equal(plan.format, 'custom');
  assert.equal(plan.extension, '.dump');
  assert.equal(plan.jobs, undefined);
});

test('each picked table is an exact, fully quoted pattern, and picking makes unknown names fail the dump', () => {
  const plan = planDump({ ...base, tables: [t('"x*y"'), t('"a.b"'), t('"Order""s"'), t('public2.dup'), t('"ÜberTable"'), t('"MixedCase"')] });
  const picks = plan.args.filter((a) => a.startsWith('--table='));
  assert.deepEqual(picks, [
    '--table="public"."x*y"',
    '--table="public"."a.b"',
    '--table="public"."Order""s"',
    '--table="public2"."dup"',
    '--table="public"."ÜberTable"',
    '--table="public"."MixedCase"',
  ]);
  assert.ok(plan.args.includes('--strict-names'));
});

test('a 63-byte name is passed whole', () => {
  const long = 'n'.repeat(63);
  const plan = planDump({ ...base, tables: [{ schema: 'public', name: long }] });
  assert.ok(plan.args.includes(`--table="public"."${long}"`));
});

test('schemas are exact patterns, ignored next to picked tables as pg_dump would; exclusions are exact too', () => {
  const bySchema = planDump({ ...base, schemas: ['public', 'My Schema'], excludeTables: [t('public.audit_log')] });
  assert.deepEqual(
    bySchema.args.filter((a) => /^--(schema|exclude-table|table)=/.test(a)),
    ['--schema="public"', '--schema="My Schema"', '--exclude-table="public"."audit_log"'],
  );
  const withTables = planDump({ ...base, schemas: ['sales'], tables: [t('orders')] });
  assert.ok(!withTables.args.some((a) => a.startsWith('--schema=')));
  assert.ok(!planDump({ ...base, excludeTables: [t('x')] }).args.includes('--strict-names'), 'exclusions alone never fail on a missing name');
});

test('directory format runs parallel workers by default, one when asked, and jobs elsewhere is a usage error', () => {
  const dir = planDump({ ...base, format: 'directory', outputPath: '/b/shop.partial', defaultJobs: 4 });
  assert.ok(dir.args.includes('--format=directory'));
  assert.ok(dir.args.includes('--jobs=4'));
  assert.equal(dir.jobs, 4);
  assert.equal(dir.extension, '');
  const one = planDump({ ...base, format: 'directory', jobs: 1, defaultJobs: 8 });
  assert.ok(!one.args.some((a) => a.startsWith('--jobs')));
  assert.equal(one.jobs, undefined);
  rejects(() => planDump({ ...base, format: 'custom', jobs: 4 }), 'usage', /directory format/);
  rejects(() => planDump({ ...base, format: 'directory', jobs: 0 }), 'usage', /at least 1/);
});

test('formats map to their flag and extension', () => {
  assert.equal(planDump({ ...base, format: 'tar' }).extension, '.tar');
  assert.ok(planDump({ ...base, format: 'tar' }).args.includes('--format=tar'));
  assert.equal(planDump({ ...base, format: 'plain' }).extension, '.sql');
  assert.equal(planDump({ ...base, format: 'plain', compression: '5' }).extension, '.sql.gz');
  assert.equal(planDump({ ...base, format: 'plain', compression: '0' }).extension, '.sql');
  rejects(() => planDump({ ...base, format: 'zip' as never }), 'usage', /not a dump format/);
});

test('gzip levels work on every pg_dump; lz4 and zstd need pg_dump 16, and asking older ones is a usage error (pgbr exit 2)', () => {
  assert.ok(planDump({ ...base, compression: '9' }).args.includes('--compress=9'));
  assert.ok(planDump({ ...base, compression: 'gzip' }).args.includes('--compress=6'));
  assert.ok(planDump({ ...base, compression: 'gzip:1' }).args.includes('--compress=1'));
  assert.ok(planDump({ ...base, compression: 'none' }).args.includes('--compress=0'));
  rejects(() => planDump({ ...base, compression: 'zstd' }), 'usage', /zstd compression needs pg_dump 16 .* is 15/);
  rejects(() => planDump({ ...base, compression: 'lz4:3' }), 'usage', /lz4/);
  try {
    planDump({ ...base, compression: 'zstd' });
  } catch (e) {
    assert.equal(makeOutput(false, () => {}, () => {}).fail(e), Exit.Error);
  }
  const zstd = planDump({ ...base, toolMajor: 16, compression: 'zstd:19' });
  assert.ok(zstd.args.includes('--compress=zstd:19'));
  assert.deepEqual(zstd.compression, { method: 'zstd', level: 19 });
  assert.ok(planDump({ ...base, toolMajor: 17, format: 'directory', compression: 'lz4' }).args.includes('--compress=lz4'));
});

test('compressions pg_dump or the completeness check cannot handle are refused up front', () => {
  rejects(() => planDump({ ...base, format: 'tar', compression: '6' }), 'usage', /cannot compress the tar format/);
  rejects(() => planDump({ ...base, toolMajor: 16, format: 'plain', compression: 'zstd' }), 'usage', /only be compressed with gzip/);
  assert.ok(planDump({ ...base, format: 'tar', compression: 'none' }).args.includes('--compress=0'));
});

test('compression specs are parsed strictly', () => {
  assert.deepEqual(parseCompression('0'), { method: 'none' });
  assert.deepEqual(parseCompression(' GZIP:9 '), { method: 'gzip', level: 9 });
  assert.deepEqual(parseCompression('lz4'), { method: 'lz4' });
  for (const bad of ['10', 'gzip:0', 'gzip:10', 'lz4:13', 'zstd:23', 'none:1', 'brotli', '']) {
    rejects(() => parseCompression(bad), 'usage', /compression/);
  }
});

test('what to dump: sections, schema-only, data-only, owners and privileges', () => {
  const args = planDump({ ...base, sections: ['pre-data', 'data'], noOwner: true, noPrivileges: true }).args;
  assert.deepEqual(args.slice(5), ['--section=pre-data', '--section=data', '--no-owner', '--no-privileges']);
  assert.ok(planDump({ ...base, schemaOnly: true }).args.includes('--schema-only'));
  assert.ok(planDump({ ...base, dataOnly: true }).args.includes('--data-only'));
  rejects(() => validateDumpOptions({ schemaOnly: true, dataOnly: true }), 'usage', /both schema-only and data-only/);
  rejects(() => validateDumpOptions({ schemaOnly: true, sections: ['data'] }), 'usage', /use one of them/);
  rejects(() => validateDumpOptions({ sections: ['everything' as never] }), 'usage', /not a dump section/);
});

test('pg_dump 17 gets picks through a filter file, quoted with the file format escapes', () => {
  const plan = planDump({
    ...base,
    toolMajor: 17,
    filterFilePath: '/tmp/f/filter',
    tables: [t('"x*y"'), { schema: 'public', name: 'back\\slash' }, { schema: 'public', name: 'two\nlines' }, t('"Order""s"')],
    excludeTables: [t('public2.dup')],
    schemas: ['ignored'],
  });
  assert.ok(plan.args.includes('--filter=/tmp/f/filter'));
  assert.ok(!plan.args.some((a) => a.startsWith('--table=') || a.startsWith('--schema=')));
  assert.equal(
    plan.filterText,
    [
      'include table "public"."x*y"',
      'include table "public"."back\\\\slash"',
      'include table "public"."two\\nlines"',
      'include table "public"."Order""s"',
      'exclude table "public2"."dup"',
      '',
    ].join('\n'),
  );
  const schemas = planDump({ ...base, toolMajor: 17, filterFilePath: '/f', schemas: ['My "S"'] });
  assert.equal(schemas.filterText, 'include schema "My ""S"""\n');
});

test('pg_dump 17 falls back to --table for names a filter file cannot hold, or without a filter path', () => {
  const cr = planDump({ ...base, toolMajor: 17, filterFilePath: '/f', tables: [{ schema: 'public', name: 'a\rb' }] });
  assert.equal(cr.filterText, undefined);
  assert.ok(cr.args.includes('--table="public"."a\rb"'));
  const noPath = planDump({ ...base, toolMajor: 17, tables: [t('orders')] });
  assert.ok(noPath.args.includes('--table="public"."orders"'));
  assert.equal(planDump({ ...base, toolMajor: 17, filterFilePath: '/f' }).filterText, undefined, 'nothing to filter: no file');
});

test('the connection never travels in argv: no database, host, user or password argument', () => {
  const plan = planDump({ ...base, format: 'directory', tables: [t('orders')], compression: '3', defaultJobs: 2 });
  for (const arg of plan.args) {
    assert.doesNotMatch(arg, /^(-d|-h|-p|-U|-W|--dbname|--host|--port|--username|--password)\b/);
    assert.doesNotMatch(arg, /postgres(ql)?:\/\//);
  }
});
