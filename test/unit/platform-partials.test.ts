// The `.partial` lifecycle without a server: free names, exclusive creation, finishing without replacing anything, one release, discard on failure, files and folders alike.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../../src/core/platform/errors';
import { candidateName, claimedPaths, freeName, reservePartial, type PartialSpec } from '../../src/core/platform/partials';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-partials-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const proofPathFor = (final: string) => `${final}.proof.json`;
const WORDS = { thing: 'backup', proof: 'proof', remedy: 'remove old backups' };

/** A spec for a fresh folder under the test's temp folder, with claims counted. */
async function specFor(name: string, kind: PartialSpec['kind'], extension = kind === 'file' ? '.dump' : ''): Promise<{ spec: PartialSpec; folder: string; releases: Map<string, number> }> {
  const folder = path.join(dir, name);
  await fs.mkdir(folder);
  const releases = new Map<string, number>();
  const claim = (partial: string) => {
    releases.set(partial, 0);
    return () => releases.set(partial, (releases.get(partial) ?? 0) + 1);
  };
  return { spec: { folder, base: 'shop', extension, kind, proofPathFor, words: WORDS, claim }, folder, releases };
}

test('candidates count up before the extension', () => {
  assert.equal(candidateName('shop', '.dump', 1), 'shop.dump');
  assert.equal(candidateName('shop', '.dump', 2), 'shop-2.dump');
  assert.equal(candidateName('shop', '', 3), 'shop-3');
});

test('a name whose final, .partial or proof exists is skipped', async () => {
  const taken = new Set(['/b/shop.dump', '/b/shop-2.dump.partial', '/b/shop-3.dump.manifest.json']);
  const found = await freeName({ folder: '/b', base: 'shop', extension: '.dump', proofPathFor: (f) => `${f}.manifest.json` }, 1, async (f) => taken.has(f));
  assert.deepEqual(found, { final: path.join('/b', 'shop-4.dump'), n: 4 });
});

test('against a real folder: existing files and folders are never reused', async () => {
  const folder = path.join(dir, 'real');
  await fs.mkdir(folder);
  await fs.writeFile(path.join(folder, 'shop.dump'), 'x');
  await fs.mkdir(path.join(folder, 'shop'));
  const named = (base: string, extension: string) => ({ folder, base, extension, proofPathFor });
  assert.equal((await freeName(named('shop', '.dump'))).final, path.join(folder, 'shop-2.dump'));
  assert.equal((await freeName(named('shop', ''))).final, path.join(folder, 'shop-2'));
  assert.equal((await freeName(named('other', '.tar'))).final, path.join(folder, 'other.tar'));
});

test('a file is reserved under a free name with its .partial created exclusively, readable by its owner only', async () => {
  const { spec, folder } = await specFor('reserve-file', 'file');
  await fs.writeFile(proofPathFor(path.join(folder, 'shop.dump')), 'a proof whose dump was deleted by hand');
  const work = await reservePartial(spec);
  assert.equal(work.final, path.join(folder, 'shop-2.dump'), 'a name whose proof exists is taken');
  assert.equal(work.partial, path.join(folder, 'shop-2.dump.partial'));
  assert.equal(work.requested, path.join(folder, 'shop.dump'));
  const st = await fs.stat(work.partial);
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o777, 0o600);
  await work.discard();
});

test('a folder that does not exist yet is made; one that cannot be made is said so', async () => {
  const { spec } = await specFor('nested', 'folder');
  const work = await reservePartial({ ...spec, folder: path.join(spec.folder, 'a', 'b') });
  assert.equal((await fs.stat(work.partial)).mode & 0o777, 0o700);
  await work.discard();
  const blocker = path.join(spec.folder, 'a-file');
  await fs.writeFile(blocker, 'x');
  await assert.rejects(reservePartial({ ...spec, folder: path.join(blocker, 'sub') }), (e: unknown) => e instanceof PgbrError && e.message.startsWith(`cannot create the backup folder ${path.join(blocker, 'sub')}: `));
});

test('a final taken meanwhile moves the file to the next name counted from the requested one: shop-3, never shop-2-2', async () => {
  const { spec, folder, releases } = await specFor('race-file', 'file');
  await fs.writeFile(path.join(folder, 'shop.dump'), 'older');
  const work = await reservePartial(spec);
  assert.equal(work.final, path.join(folder, 'shop-2.dump'));
  await fs.writeFile(work.partial, 'ours');
  // Another writer (not pgbr: no proof) takes shop-2.dump while we write.
  await fs.writeFile(work.final, 'theirs');
  const landed = await work.finish((final) => `proof of ${path.basename(final)}`);
  assert.equal(landed, path.join(folder, 'shop-3.dump'));
  assert.equal(await fs.readFile(work.final, 'utf8'), 'theirs', 'the other file is left alone');
  assert.equal(await fs.readFile(landed, 'utf8'), 'ours');
  assert.equal(await fs.readFile(proofPathFor(landed), 'utf8'), 'proof of shop-3.dump');
  await assert.rejects(fs.stat(proofPathFor(work.final)), 'the other file got no proof of ours');
  await assert.rejects(fs.stat(work.partial));
  assert.deepEqual([...releases.values()], [1]);
  await work.discard();
  assert.equal(await fs.readFile(landed, 'utf8'), 'ours', 'a discard after the finish removes nothing');
  assert.deepEqual([...releases.values()], [1], 'and releases nothing again');
});

test('a folder is finished by rename, never onto a folder that appeared meanwhile, even an empty one', async () => {
  const { spec, folder, releases } = await specFor('race-folder', 'folder');
  const work = await reservePartial(spec);
  assert.equal(work.final, path.join(folder, 'shop'));
  await fs.writeFile(path.join(work.partial, 'base.tar'), 'ours');
  await fs.mkdir(work.final);
  // The next name is being written by another live writer: its .partial keeps it.
  await fs.mkdir(path.join(folder, 'shop-2.partial'));
  const landed = await work.finish(() => '{}\n');
  assert.equal(landed, path.join(folder, 'shop-3'));
  assert.deepEqual(await fs.readdir(work.final), [], 'the folder that appeared is kept as it was');
  assert.equal(await fs.readFile(path.join(landed, 'base.tar'), 'utf8'), 'ours');
  assert.equal(await fs.readFile(proofPathFor(landed), 'utf8'), '{}\n');
  assert.deepEqual([...releases.values()], [1]);
});

test('a file is never finished onto a folder, nor a folder onto a file', async () => {
  const file = await specFor('file-onto-folder', 'file');
  const fileWork = await reservePartial(file.spec);
  await fs.mkdir(fileWork.final);
  assert.equal(await fileWork.finish(() => 'p'), path.join(file.folder, 'shop-2.dump'));

  const folder = await specFor('folder-onto-file', 'folder');
  const folderWork = await reservePartial(folder.spec);
  await fs.writeFile(folderWork.final, 'a file');
  assert.equal(await folderWork.finish(() => 'p'), path.join(folder.folder, 'shop-2'));
  assert.equal(await fs.readFile(folderWork.final, 'utf8'), 'a file');
});

test('two reservations of one name get two names, and the second finishes under its own', async () => {
  const { spec, folder } = await specFor('two', 'file');
  const first = await reservePartial(spec);
  const second = await reservePartial(spec);
  assert.deepEqual([first.final, second.final], [path.join(folder, 'shop.dump'), path.join(folder, 'shop-2.dump')]);
  assert.equal(await second.finish(() => 'p'), path.join(folder, 'shop-2.dump'));
  assert.equal(await first.finish(() => 'p'), path.join(folder, 'shop.dump'));
});

test('while live the partial is claimed for every pgbr to see; after a discard it is gone and unclaimed', async () => {
  const { folder } = await specFor('claimed', 'folder');
  // The reaper's own claim, as every dump and base backup has it.
  const work = await reservePartial({ folder, base: 'shop', extension: '', kind: 'folder', proofPathFor, words: WORDS });
  await fs.writeFile(path.join(work.partial, 'half'), 'x');
  assert.ok(claimedPaths().has(work.partial));
  await work.discard();
  await assert.rejects(fs.stat(work.partial));
  assert.ok(!claimedPaths().has(work.partial));
});

test('a proof that cannot be saved removes the partial, releases it once and says what to do', async () => {
  const { spec, folder, releases } = await specFor('no-proof', 'file');
  const work = await reservePartial({ ...spec, proofPathFor: (final) => path.join(path.dirname(final), 'missing', `${path.basename(final)}.proof.json`) });
  await fs.writeFile(work.partial, 'ours');
  await assert.rejects(
    work.finish(() => 'p'),
    (e: unknown) => e instanceof PgbrError && /^the backup was written but its proof could not be saved \(.*does not exist.*\), so it was removed: check the folder's free space and permissions$/.test(e.message),
  );
  assert.deepEqual(await fs.readdir(folder), [], 'no partial, no final');
  await work.discard();
  assert.deepEqual([...releases.values()], [1]);
});

test('a discard removes a file or a folder partial and releases it once, however often it is called', async () => {
  for (const kind of ['file', 'folder'] as const) {
    const { spec, folder, releases } = await specFor(`discard-${kind}`, kind);
    const work = await reservePartial(spec);
    if (kind === 'folder') await fs.writeFile(path.join(work.partial, 'half'), 'x');
    else await fs.writeFile(work.partial, 'half');
    await work.discard();
    await work.discard();
    assert.deepEqual(await fs.readdir(folder), []);
    assert.deepEqual([...releases.values()], [1], kind);
  }
});
