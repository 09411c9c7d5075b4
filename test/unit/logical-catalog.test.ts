// The dump catalog: which files are dumps, newest first, manifests read, leftovers found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatFromName, listDumps, verificationState, type CatalogEntry } from '../../src/core/logical/catalog';
import { manifestProblem, verifyReportPathFor, writeManifest, type DumpManifest } from '../../src/core/logical/manifest';

/** The fields a manifest cannot do without. */
const MINIMAL_MANIFEST = { manifestVersion: 1, kind: 'database', format: 'custom', sizeBytes: 9, sha256: { '': 'a'.repeat(64) }, rowCounts: [] };

test('names tell the format; manifests, partials and hidden files are not dumps', () => {
  assert.deepEqual(formatFromName('shop_1.dump', false), { format: 'custom', gzip: false });
  assert.deepEqual(formatFromName('shop_1.tar', false), { format: 'tar', gzip: false });
  assert.deepEqual(formatFromName('shop_1.sql', false), { format: 'plain', gzip: false });
  assert.deepEqual(formatFromName('shop_1.sql.gz', false), { format: 'plain', gzip: true });
  assert.equal(formatFromName('shop_1.dump.manifest.json', false), undefined);
  assert.equal(formatFromName('shop_1.dump.partial', false), undefined);
  assert.equal(formatFromName('notes.txt', false), undefined);
});

test('an encrypted dump is a custom archive by its name; its manifest and partial are not dumps', () => {
  assert.deepEqual(formatFromName('shop_1.dump.age', false), { format: 'custom', gzip: false, encryption: 'age' });
  assert.deepEqual(formatFromName('shop_1.dump.gpg', false), { format: 'custom', gzip: false, encryption: 'gpg' });
  assert.equal(formatFromName('shop_1.dump.age.manifest.json', false), undefined);
  assert.equal(formatFromName('shop_1.dump.age.partial', false), undefined);
  assert.deepEqual(formatFromName('prod_globals_1.sql.age', false), { format: 'plain', gzip: false, encryption: 'age' });
  assert.equal(formatFromName('notes.age', false), undefined);
});

test('a verify report beside a dump is not a dump, whatever the dump\'s name', async () => {
  assert.equal(formatFromName('shop_1.dump.verify.md', false), undefined);
  assert.equal(formatFromName('shop_1.sql.verify.md', false), undefined);
  assert.equal(verifyReportPathFor('/d/shop_1.dump'), '/d/shop_1.dump.verify.md');
  assert.equal(verifyReportPathFor('/d/shop_dir/'), '/d/shop_dir.verify.md');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-catalog-'));
  try {
    await fs.writeFile(path.join(dir, 'shop_1.dump'), 'PGDMP....');
    await fs.writeFile(verifyReportPathFor(path.join(dir, 'shop_1.dump')), '# Verification passed\n');
    // A directory dump's report sits beside its folder.
    await fs.mkdir(path.join(dir, 'shop_2'));
    await fs.writeFile(path.join(dir, 'shop_2', 'toc.dat'), 'PGDMP');
    await fs.writeFile(verifyReportPathFor(path.join(dir, 'shop_2')), '# Verification passed\n');
    const catalog = await listDumps(dir);
    assert.deepEqual(catalog.dumps.map((d) => d.name).sort(), ['shop_1.dump', 'shop_2']);
    assert.deepEqual(catalog.partials, []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('lists dumps newest first with manifests, directory dumps by toc.dat, and partial leftovers', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-catalog-'));
  try {
    await fs.writeFile(path.join(dir, 'old.sql'), 'select 1;\n');
    await fs.utimes(path.join(dir, 'old.sql'), new Date('2026-01-01'), new Date('2026-01-01'));
    await fs.writeFile(path.join(dir, 'new.dump'), 'PGDMP....');
    const manifest = {
      ...MINIMAL_MANIFEST,
      finishedAt: '2026-11-01T10:00:00.000Z',
      verification: { status: 'failed', at: '2026-11-01T10:05:00.000Z', tables: [] },
    } as unknown as DumpManifest;
    await writeManifest(path.join(dir, 'new.dump'), manifest);
    await fs.mkdir(path.join(dir, 'dirdump'));
    await fs.writeFile(path.join(dir, 'dirdump', 'toc.dat'), 'x'.repeat(10));
    await fs.writeFile(path.join(dir, 'dirdump', '3001.dat.gz'), 'y'.repeat(5));
    await fs.utimes(path.join(dir, 'dirdump'), new Date('2025-06-01'), new Date('2025-06-01'));
    await fs.mkdir(path.join(dir, 'not-a-dump'));
    await fs.writeFile(path.join(dir, 'half.dump.partial'), 'PGD');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'hello');

    const catalog = await listDumps(dir);
    assert.deepEqual(catalog.dumps.map((d) => d.name), ['new.dump', 'old.sql', 'dirdump']);
    assert.equal(catalog.dumps[2]?.format, 'directory');
    assert.equal(catalog.dumps[2]?.sizeBytes, 15);
    assert.equal(catalog.dumps[0]?.time.toISOString(), '2026-11-01T10:00:00.000Z');
    assert.equal(verificationState(catalog.dumps[0]), 'failed');
    assert.equal(verificationState(catalog.dumps[1] as CatalogEntry), 'never');
    assert.deepEqual(catalog.partials.map((p) => path.basename(p.path)), ['half.dump.partial']);

    // A dump shorter than its manifest says is damaged (truncated), whatever an earlier verification said.
    await fs.truncate(path.join(dir, 'new.dump'), 4);
    const cut = (await listDumps(dir)).dumps.find((d) => d.name === 'new.dump') as CatalogEntry;
    assert.equal(verificationState(cut), 'damaged');
    assert.match(cut.damage ?? '', /new\.dump is 4 bytes but its manifest recorded 9: the dump is truncated\./);

    // A manifest of the wrong shape names its field, and the dump is still listed.
    await fs.writeFile(path.join(dir, 'new.dump.manifest.json'), JSON.stringify({ ...manifest, rowCounts: 'x' }));
    const odd = (await listDumps(dir)).dumps.find((d) => d.name === 'new.dump') as CatalogEntry;
    assert.match(odd.manifestError ?? '', /"rowCounts" must be a list of \{ schema, table, rows \}, found string "x"/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a folder of more dumps than one listing slice: every dump with its own manifest, newest first', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-catalog-'));
  try {
    const count = 1100; // 2,200 entries with the manifests: several slices of the listing
    const newest = Date.parse('2026-11-24T02:30:00Z');
    for (let i = 0; i < count; i++) {
      const file = path.join(dir, `app_${String(i).padStart(4, '0')}.dump`);
      await fs.writeFile(file, 'PGDMP....');
      const at = new Date(newest - i * 3_600_000).toISOString();
      await writeManifest(file, { ...MINIMAL_MANIFEST, plan: 'nightly', startedAt: at, finishedAt: at, ...(i % 7 === 0 ? { verification: { status: 'passed', at, tables: [] } } : {}) } as unknown as DumpManifest);
    }
    const catalog = await listDumps(dir);
    assert.equal(catalog.dumps.length, count);
    catalog.dumps.forEach((d, i) => {
      assert.equal(d.name, `app_${String(i).padStart(4, '0')}.dump`);
      assert.equal(d.manifest?.finishedAt, new Date(newest - i * 3_600_000).toISOString(), d.name);
      assert.equal(verificationState(d), i % 7 === 0 ? 'verified' : 'never', d.name);
      assert.equal(d.damage, undefined, d.name);
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('links are followed: a link to a dump or to a directory dump is listed as what it points to, a dangling one is not', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-catalog-'));
  const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-catalog-target-'));
  try {
    await fs.writeFile(path.join(elsewhere, 'real.dump'), 'PGDMP....');
    await fs.symlink(path.join(elsewhere, 'real.dump'), path.join(dir, 'linked.dump'));
    await writeManifest(path.join(dir, 'linked.dump'), { ...MINIMAL_MANIFEST, finishedAt: '2026-11-02T10:00:00.000Z' } as unknown as DumpManifest);
    await fs.mkdir(path.join(elsewhere, 'shop_dir'));
    await fs.writeFile(path.join(elsewhere, 'shop_dir', 'toc.dat'), 'x'.repeat(7));
    await fs.symlink(path.join(elsewhere, 'shop_dir'), path.join(dir, 'shop_dir'));
    await fs.symlink(path.join(elsewhere, 'gone.dump'), path.join(dir, 'dangling.dump'));
    // Neither a hidden folder nor one without toc.dat is a dump, whatever its name.
    await fs.mkdir(path.join(dir, '.hidden'));
    await fs.writeFile(path.join(dir, '.hidden', 'toc.dat'), 'x');
    await fs.mkdir(path.join(dir, 'empty.dump'));
    await fs.writeFile(path.join(dir, 'plain.sql.gz'), 'gz');

    const catalog = await listDumps(dir);
    const byName = new Map(catalog.dumps.map((d) => [d.name, d]));
    assert.deepEqual([...byName.keys()].sort(), ['linked.dump', 'plain.sql.gz', 'shop_dir']);
    assert.equal(byName.get('linked.dump')?.sizeBytes, 9);
    assert.equal(byName.get('linked.dump')?.manifest?.finishedAt, '2026-11-02T10:00:00.000Z');
    assert.equal(byName.get('linked.dump')?.damage, undefined);
    assert.equal(byName.get('shop_dir')?.format, 'directory');
    assert.equal(byName.get('shop_dir')?.sizeBytes, 7);
    assert.deepEqual(byName.get('plain.sql.gz') && { format: byName.get('plain.sql.gz')?.format, gzip: byName.get('plain.sql.gz')?.gzip }, { format: 'plain', gzip: true });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(elsewhere, { recursive: true, force: true });
  }
});

test('a manifest that cannot be read is said beside its dump; a partial folder is counted file by file', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-catalog-'));
  try {
    await fs.writeFile(path.join(dir, 'odd.dump'), 'PGDMP');
    await fs.mkdir(path.join(dir, 'odd.dump.manifest.json'));
    await fs.writeFile(path.join(dir, 'torn.dump'), 'PGDMP');
    await fs.writeFile(path.join(dir, 'torn.dump.manifest.json'), '{"manifestVersion": 1, "kind": "data');
    await fs.mkdir(path.join(dir, 'shop_dir.partial'));
    await fs.writeFile(path.join(dir, 'shop_dir.partial', 'toc.dat'), 'x'.repeat(3));
    await fs.writeFile(path.join(dir, 'shop_dir.partial', '3001.dat.gz'), 'y'.repeat(4));

    const catalog = await listDumps(dir);
    const odd = catalog.dumps.find((d) => d.name === 'odd.dump');
    assert.equal(odd?.manifest, undefined);
    assert.match(odd?.manifestError ?? '', /^the manifest cannot be read \(the manifest .*odd\.dump\.manifest\.json cannot be read \(EISDIR/);
    assert.match(catalog.dumps.find((d) => d.name === 'torn.dump')?.manifestError ?? '', /the manifest is not valid JSON/);
    assert.deepEqual(catalog.partials.map((p) => [path.basename(p.path), p.sizeBytes, p.running]), [['shop_dir.partial', 7, false]]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a folder that does not exist yet is an empty catalog, not an error', async () => {
  const catalog = await listDumps(path.join(os.tmpdir(), 'pgbr-no-such-folder-' + process.pid));
  assert.equal(catalog.missing, true);
  assert.deepEqual(catalog.dumps, []);
});

test('the foreign keys a verification left out are a list of keys with the table each references', () => {
  const key = { schema: 'public', table: 'orders', name: 'orders_customer_id_fkey', references: { schema: 'public', name: 'customers' } };
  const verified = (extra: Record<string, unknown>) => ({ ...MINIMAL_MANIFEST, verification: { status: 'passed', at: '2026-11-22T10:00:00Z', tables: [], ...extra } });
  assert.equal(manifestProblem(verified({})), undefined);
  assert.equal(manifestProblem(verified({ foreignKeysLeftOut: [] })), undefined);
  assert.equal(manifestProblem(verified({ foreignKeysLeftOut: [key] })), undefined);
  for (const bad of ['orders_customer_id_fkey', [{ ...key, references: 'customers' }], [{ ...key, name: 3 }], [key, null]]) {
    assert.match(
      manifestProblem(verified({ foreignKeysLeftOut: bad })) ?? '',
      /^"verification\.foreignKeysLeftOut" must be a list of \{ schema, table, name, references: \{ schema, name \} \}, found /,
      JSON.stringify(bad),
    );
  }
});

test('a manifest\'s encryption block: scheme, recipients and the encrypted bytes\' sha256, each checked', () => {
  const sum = 'b'.repeat(64);
  const withEnc = (encryption: unknown) => ({ ...MINIMAL_MANIFEST, encryption });
  assert.equal(manifestProblem(withEnc({ scheme: 'age', recipients: ['age1x'], sha256: sum })), undefined);
  assert.equal(manifestProblem(withEnc({ scheme: 'gpg', recipients: [], sha256: sum })), undefined);
  assert.match(manifestProblem(withEnc({ scheme: 'rot13', recipients: [], sha256: sum })) ?? '', /^"encryption" must be \{ scheme: age\|gpg/);
  assert.match(manifestProblem(withEnc({ scheme: 'age', recipients: 'age1x', sha256: sum })) ?? '', /^"encryption" must be/);
  assert.match(manifestProblem(withEnc({ scheme: 'age', recipients: [], sha256: 'B'.repeat(64) })) ?? '', /^"encryption" must be/);
});
