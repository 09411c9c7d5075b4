// Offsite remotes: which specs are remotes, which are folders, which are refused, and where a connection string's keys go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDumpName, parseRemote, remoteChild } from '../../src/core/offsite/remote';
import { expectedFiles, parseHashsum } from '../../src/core/offsite/copies';
import { splitName } from '../../src/core/offsite/pull';
import { describeCopies, lastVerified } from '../../src/core/offsite/record';
import { manifestProblem } from '../../src/core/logical/manifest';
import { PgbrError } from '../../src/core/platform/errors';

const usage = (re: RegExp) => (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && re.test(e.message);

test('a remote of rclone.conf keeps its name and path, and has nothing to pass in the environment', () => {
  assert.deepEqual(parseRemote('backup:pg/dumps', '/ws'), { kind: 'config', target: 'backup:pg/dumps', recorded: 'backup:pg/dumps', env: {}, parameters: 0 });
  assert.deepEqual(parseRemote('my.remote@x:', '/ws'), { kind: 'config', target: 'my.remote@x:', recorded: 'my.remote@x:', env: {}, parameters: 0 });
});

test('a folder is a local remote, made absolute against the workspace; a colon after a slash is part of a folder', () => {
  assert.equal(parseRemote('/srv/copies', '/ws').target, '/srv/copies');
  assert.equal(parseRemote('copies', '/ws').target, '/ws/copies');
  assert.equal(parseRemote('./a:b', '/ws').target, '/ws/a:b');
  assert.equal(parseRemote('a,b', '/ws').kind, 'local', 'a comma without a colon is a folder name');
  assert.equal(parseRemote('./-odd', '/ws').target, '/ws/-odd');
});

test("an on-the-fly remote's parameters go to rclone's environment; rclone is given its type and path", () => {
  const r = parseRemote(":s3,provider=Other,endpoint='http://127.0.0.1:9000',secret_access_key=K3y/with+slash,force-path-style:bucket/pg", '/ws');
  assert.equal(r.kind, 'on-the-fly');
  assert.equal(r.target, ':s3:bucket/pg');
  assert.deepEqual(r.env, {
    RCLONE_S3_PROVIDER: 'Other',
    RCLONE_S3_ENDPOINT: 'http://127.0.0.1:9000',
    RCLONE_S3_SECRET_ACCESS_KEY: 'K3y/with+slash',
    RCLONE_S3_FORCE_PATH_STYLE: 'true',
  });
  assert.equal(r.parameters, 4);
  // A value holding a colon or a comma is quoted, a quote inside doubled.
  assert.equal(parseRemote(':s3,secret_access_key="a""b:c":bucket', '/ws').env.RCLONE_S3_SECRET_ACCESS_KEY, 'a"b:c');
  assert.equal(parseRemote(':local:/srv/x', '/ws').target, ':local:/srv/x');
});

test("a named remote's parameters override its rclone.conf entry through RCLONE_CONFIG_<NAME>_<KEY>", () => {
  const r = parseRemote('backup,region=eu-west-1,acl=private:pg', '/ws');
  assert.deepEqual(r, { kind: 'config', target: 'backup:pg', recorded: 'backup,region=eu-west-1:pg', env: { RCLONE_CONFIG_BACKUP_REGION: 'eu-west-1', RCLONE_CONFIG_BACKUP_ACL: 'private' }, parameters: 2 });
  assert.throws(() => parseRemote('my.remote,region=x:pg', '/ws'), usage(/letters, digits and _ only/));
});

test('the recorded target keeps where the copies are (endpoint, host, region, bucket, path) and never a credential', () => {
  const a = parseRemote(":s3,provider=Other,endpoint='http://10.0.0.1:9000',access_key_id=AKIA1,secret_access_key=S3cr3t,session_token=T0k,force_path_style:bucket/pg", '/ws');
  const b = parseRemote(":s3,provider=Other,endpoint='http://10.0.0.2:9000',access_key_id=AKIA1,secret_access_key=S3cr3t:bucket/pg", '/ws');
  assert.equal(a.target, b.target, 'rclone is given the same path');
  assert.equal(a.recorded, ":s3,endpoint='http://10.0.0.1:9000',provider=Other:bucket/pg");
  assert.notEqual(a.recorded, b.recorded, 'two endpoints are two targets');
  for (const secret of ['AKIA1', 'S3cr3t', 'T0k', 'force']) assert.ok(!a.recorded.includes(secret), secret);
  // The order of the parameters and the spelling of their names do not make another target.
  assert.equal(parseRemote(':s3,Endpoint=e.example,region=eu,provider=AWS:b', '/ws').recorded, parseRemote(':s3,region=eu,provider=AWS,endpoint=e.example:b', '/ws').recorded);
  assert.equal(parseRemote(':sftp,host=db2.example,user=backup,port=2222,pass=hunter2,key_file=/k:/srv/pg', '/ws').recorded, ':sftp,host=db2.example,port=2222,user=backup:/srv/pg');
  assert.equal(parseRemote(":azureblob,account=acme,key=Zm9v,sas_url='https://x/?sig=1':c/pg", '/ws').recorded, ':azureblob,account=acme:c/pg');
  assert.equal(parseRemote(':webdav,url="https://dav.example/x",bearer_token=abc:pg', '/ws').recorded, ":webdav,url='https://dav.example/x':pg");
  assert.equal(parseRemote(':s3:bucket/pg', '/ws').recorded, ':s3:bucket/pg', 'without parameters, the target as given');
  assert.equal(parseRemote('copies', '/ws').recorded, '/ws/copies');
  // The recorded name is a spec: parsed again it gives the same place, with only the place parameters in the environment.
  const again = parseRemote(a.recorded, '/ws');
  assert.equal(again.target, a.target);
  assert.equal(again.recorded, a.recorded);
  assert.deepEqual(again.env, { RCLONE_S3_ENDPOINT: 'http://10.0.0.1:9000', RCLONE_S3_PROVIDER: 'Other' });
});

test('what rclone could read as a flag, control characters and broken specs are refused without echoing parameters', () => {
  assert.throws(() => parseRemote('--config=/etc/x', '/ws'), usage(/starts with "-"/));
  assert.throws(() => parseRemote('-x:', '/ws'), usage(/starts with "-"/));
  assert.throws(() => parseRemote('', '/ws'), usage(/empty/));
  assert.throws(() => parseRemote('backup:pg\n--delete', '/ws'), usage(/control character/));
  assert.throws(() => parseRemote(':S3:bucket', '/ws'), usage(/not an rclone backend/));
  assert.throws(() => parseRemote(':s3,secret_access_key="s3cr3t:bucket', '/ws'), (e: unknown) => usage(/no closing "/)(e) && !(e as Error).message.includes('s3cr3t'));
  assert.throws(() => parseRemote(':s3,key=v', '/ws'), usage(/do not end with ":"/));
});

test('children of a remote folder join with one slash; a dump name is one path part that cannot be a flag', () => {
  assert.equal(remoteChild('backup:pg', 'a.dump'), 'backup:pg/a.dump');
  assert.equal(remoteChild('backup:', 'a.dump'), 'backup:a.dump');
  assert.equal(remoteChild('/srv/x/', 'a.dump'), '/srv/x/a.dump');
  for (const bad of ['', '.', '..', 'a/b', '-x.dump']) assert.throws(() => checkDumpName(bad), usage(/not a dump's name/));
  assert.equal(checkDumpName('shop.dump.age'), 'shop.dump.age');
});

test("a dump's expected files: a single file's one sum under its own name whatever the key, a folder's files below its name", () => {
  const sum = 'a'.repeat(64);
  const manifest = (sha256: Record<string, string>) => ({ sha256 }) as never;
  assert.deepEqual(expectedFiles({ name: 'shop.dump', kind: 'file', manifest: manifest({ '': sum }) }), { 'shop.dump': sum });
  assert.deepEqual(expectedFiles({ name: 'renamed.dump', kind: 'file', manifest: manifest({ 'shop.dump': sum }) }), { 'renamed.dump': sum });
  assert.deepEqual(expectedFiles({ name: 'd', kind: 'folder', manifest: manifest({ 'toc.dat': sum, '3.dat.gz': sum }) }), { 'd/toc.dat': sum, 'd/3.dat.gz': sum });
});

test("rclone hashsum's lines by path, other lines ignored", () => {
  const a = 'ab'.repeat(32);
  const sums = parseHashsum(`${a}  toc.dat\n${a}  sub dir/3.dat\nnoise\n`);
  assert.deepEqual([...sums], [['toc.dat', a], ['sub dir/3.dat', a]]);
});

test('a pulled name keeps every extension when a number is added', () => {
  assert.deepEqual(splitName('shop_20261122-101500.dump.age'), { base: 'shop_20261122-101500', extension: '.dump.age' });
  assert.deepEqual(splitName('shop_dir'), { base: 'shop_dir', extension: '' });
});

test('the last verification counts unless a later verify found the copy different', () => {
  const copy = (extra: object) => ({ offsite: [{ target: 'b:pg', sha256: {}, ...extra }] });
  assert.equal(lastVerified(copy({}), 'b:pg'), undefined);
  assert.equal(lastVerified(copy({ verifiedAt: '2026-01-02T00:00:00.000Z' }), 'b:pg')?.toISOString(), '2026-01-02T00:00:00.000Z');
  assert.equal(lastVerified(copy({ verifiedAt: '2026-01-02T00:00:00.000Z' }), 'other:pg'), undefined);
  assert.equal(lastVerified(copy({ verifiedAt: '2026-01-02T00:00:00.000Z', failedAt: '2026-01-03T00:00:00.000Z' }), 'b:pg'), undefined);
  assert.ok(lastVerified(copy({ verifiedAt: '2026-01-04T00:00:00.000Z', failedAt: '2026-01-03T00:00:00.000Z' }), 'b:pg'));
});

test('a manifest with an offsite list of the wrong shape is refused at that field', () => {
  const base = { manifestVersion: 1, kind: 'database', format: 'custom', sizeBytes: 1, sha256: { 'a.dump': 'f'.repeat(64) }, rowCounts: [] };
  assert.equal(manifestProblem({ ...base, offsite: [{ target: ':s3:b/pg', sha256: {} }] }), undefined);
  assert.match(manifestProblem({ ...base, offsite: [{ sha256: {} }] }) ?? '', /"offsite" must be a list/);
  assert.match(manifestProblem({ ...base, offsite: 'b:pg' }) ?? '', /"offsite" must be a list/);
});

test("the Dumps view's badge and tooltip lines: verified, not yet verified, and a copy that differs", () => {
  const age = (iso: string) => `age(${iso.slice(0, 10)})`;
  assert.deepEqual(describeCopies(undefined, age), { lines: [] });
  assert.deepEqual(describeCopies({ offsite: [{ target: 'b:pg', sha256: {}, copiedAt: '2026-01-01T00:00:00Z', verifiedAt: '2026-01-02T00:00:00Z' }] }, age), {
    badge: 'offsite ✓',
    lines: ['copy at b:pg: verified age(2026-01-02)'],
  });
  const mixed = describeCopies(
    { offsite: [{ target: 'b:pg', sha256: {}, verifiedAt: '2026-01-02T00:00:00Z' }, { target: ':s3:x/pg', sha256: {}, copiedAt: '2026-01-03T00:00:00Z' }] },
    age,
  );
  assert.equal(mixed.badge, 'offsite 1/2 verified');
  assert.equal(mixed.lines[1], 'copy at :s3:x/pg: copied age(2026-01-03), not verified yet');
  const differs = describeCopies({ offsite: [{ target: 'b:pg', sha256: {}, verifiedAt: '2026-01-02T00:00:00Z', failedAt: '2026-01-04T00:00:00Z', failure: 'b:pg/a.dump has sha256 …' }] }, age);
  assert.deepEqual(differs, { badge: 'offsite DIFFERS', lines: ['copy at b:pg DIFFERS (found age(2026-01-04)): b:pg/a.dump has sha256 …'] });
});
