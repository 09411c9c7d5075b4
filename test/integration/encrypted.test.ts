// Encrypted dumps end to end with pgbr against a throwaway cluster: pg_dump's archive is encrypted as it
// streams (no plaintext on disk), its manifest stays readable with the encrypted bytes' sha256, and
// toc, a one-table restore and verify work with the identity; a cut file is refused, not half-restored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const MARKER = 'a-row-that-must-never-be-on-disk-in-the-clear';
let cluster: Cluster;
let work: string;
let tmp: string;
let env: NodeJS.ProcessEnv;
let identity: string;
let recipient: string;

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [pgbr, ...args, '--bin-path', cluster.binDir], { cwd: work, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 120_000 });
  assert.ok(!r.stdout.includes(cluster.appPassword) && !r.stderr.includes(cluster.appPassword), 'password leaked');
  assert.ok(!r.stdout.includes('AGE-SECRET-KEY') && !r.stderr.includes('AGE-SECRET-KEY'), 'identity leaked');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under a folder, recursively, for the no-plaintext checks. */
async function filesUnder(dir: string): Promise<string[]> {
  // A run's folder may be going away while it is listed (its watcher clears it after the run).
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function holdsMarker(file: string): Promise<boolean> {
  return (await fs.readFile(file).catch(() => Buffer.alloc(0))).includes(MARKER);
}

before(async () => {
  cluster = await startCluster({ archive: false });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-encrypted-'));
  // pgbr's own temp folders go here, so the test can list what a run left behind.
  tmp = path.join(work, 'tmp');
  await fs.mkdir(tmp);
  await cluster.sql(`CREATE DATABASE src OWNER ${cluster.appUser}`);
  await cluster.sql(
    `SET ROLE ${cluster.appUser};
     CREATE TABLE public.customers (id int PRIMARY KEY, name text);
     INSERT INTO public.customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;
     CREATE TABLE public.orders (id int PRIMARY KEY, customer int REFERENCES public.customers, note text);
     INSERT INTO public.orders SELECT g, 1 + g % 500, md5(g::text) FROM generate_series(1, 20000) g;
     INSERT INTO public.orders VALUES (0, 1, '${MARKER}');`,
    'src',
  );
  const passfile = path.join(work, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword}\n`, { mode: 0o600 });
  await fs.writeFile(path.join(work, 'pgbackup.yaml'), `connections:\n  - name: t\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${cluster.appUser}\n    database: postgres\n    sslmode: disable\n`);
  identity = path.join(work, 'key.txt');
  execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
  recipient = execFileSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).trim();
  env = { PATH: process.env.PATH, HOME: work, PGPASSFILE: passfile, TMPDIR: tmp };
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

async function encryptedDump(name: string): Promise<string> {
  // Uncompressed, so the marker would be in the file as is if any plaintext reached the disk.
  const r = cli(['dump', '--conn', 't', '--db', 'src', '--compress', '0', '--encrypt-to', recipient, '--out', path.join(work, 'dumps'), '--name', name, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { path: string }).path;
}

test('an encrypted dump: <name>.dump.age that age -d opens, a readable manifest with the encrypted bytes sha256, no plaintext anywhere', async () => {
  const dump = await encryptedDump('shop');
  assert.equal(path.basename(dump), 'shop.dump.age');
  const bytes = await fs.readFile(dump);
  assert.equal(bytes.subarray(0, 21).toString(), 'age-encryption.org/v1');
  const manifest = JSON.parse(await fs.readFile(`${dump}.manifest.json`, 'utf8')) as {
    sha256: Record<string, string>;
    sizeBytes: number;
    rowCounts: { table: string; rows: number }[];
    encryption: { scheme: string; recipients: string[]; sha256: string };
  };
  const sum = createHash('sha256').update(bytes).digest('hex');
  assert.deepEqual(manifest.encryption, { scheme: 'age', recipients: [recipient], sha256: sum });
  assert.deepEqual(manifest.sha256, { 'shop.dump.age': sum });
  assert.equal(manifest.sizeBytes, bytes.length);
  assert.deepEqual(manifest.rowCounts.map((r) => [r.table, r.rows]).sort(), [['customers', 500], ['orders', 20001]]);

  const plain = execFileSync('age', ['-d', '-i', identity, dump], { maxBuffer: 64 << 20 });
  assert.equal(plain.subarray(0, 5).toString(), 'PGDMP');
  assert.ok(plain.includes(MARKER), 'the archive holds the rows');
  for (const file of [...(await filesUnder(path.join(work, 'dumps'))), ...(await filesUnder(tmp))]) {
    assert.ok(!(await holdsMarker(file)), `${file} holds plaintext`);
  }
});

test('--encrypt-to refuses a directory dump with its reason, a key id, and mixed schemes, before anything is written', async () => {
  const dir = cli(['dump', '--conn', 't', '--db', 'src', '--format', 'directory', '--encrypt-to', recipient, '--out', path.join(work, 'refused')]);
  assert.equal(dir.code, 2, dir.stderr);
  assert.match(dir.stderr, /an encrypted dump uses the custom format: a directory dump is many files/);
  const keyId = cli(['dump', '--conn', 't', '--db', 'src', '--encrypt-to', 'gpg:89ABCDEF01234567', '--out', path.join(work, 'refused')]);
  assert.equal(keyId.code, 2);
  assert.match(keyId.stderr, /not a GPG key fingerprint/);
  const mixed = cli(['dump', '--conn', 't', '--db', 'src', '--encrypt-to', recipient, '--encrypt-to', 'gpg:0123456789ABCDEF0123456789ABCDEF01234567', '--out', path.join(work, 'refused')]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /cannot be mixed/);
  assert.deepEqual(await fs.readdir(path.join(work, 'refused')).catch(() => []), []);
});

test('toc decrypts only the head; without an identity, or with another one, it is one line', async () => {
  const dump = await encryptedDump('listed');
  const listed = cli(['toc', dump, '--identity', identity, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const doc = JSON.parse(listed.stdout) as { format: string; tree: { schemas: { name: string; tables: { name: string; hasData: boolean }[] }[] } };
  assert.equal(doc.format, 'custom');
  assert.deepEqual(doc.tree.schemas.find((s) => s.name === 'public')?.tables.map((t) => [t.name, t.hasData]), [['customers', true], ['orders', true]]);
  // The identity from the environment does the same.
  assert.equal(cli(['toc', dump], { PGBR_AGE_IDENTITY_FILE: identity }).code, 0);

  const none = cli(['toc', dump]);
  assert.equal(none.code, 2);
  assert.equal(none.stderr.trim(), 'pgbr: cannot decrypt listed.dump.age: no identity given; pass --identity FILE or set PGBR_AGE_IDENTITY_FILE');
  const other = path.join(work, 'other.txt');
  execFileSync('age-keygen', ['-o', other], { stdio: 'ignore' });
  const wrong = cli(['toc', dump, '--identity', other]);
  assert.equal(wrong.code, 2);
  assert.equal(wrong.stderr.trim(), `pgbr: cannot decrypt listed.dump.age: the identity in ${other} is not a recipient of this dump`);
});

test('one table restores from the decrypted stream, a -j 2 restore from a private copy, verify passes; no plaintext is left in the temp folder', async () => {
  const dump = await encryptedDump('restored');
  const one = cli(['restore', dump, '--conn', 't', '--db', 'only_orders', '--create', '--table', 'public.orders', '--identity', identity]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(await cluster.sql('SELECT count(*) FROM public.orders', 'only_orders'), '20001');
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_tables WHERE tablename = 'customers'`, 'only_orders'), '0');

  const parallel = cli(['restore', dump, '--conn', 't', '--db', 'all_j2', '--create', '--jobs', '2', '--identity', identity]);
  assert.equal(parallel.code, 0, parallel.stderr);
  assert.equal(await cluster.sql('SELECT count(*) FROM public.customers', 'all_j2'), '500');
  assert.equal(await cluster.sql(`SELECT note FROM public.orders WHERE id = 0`, 'all_j2'), MARKER);

  const verified = cli(['verify', dump, '--conn', 't', '--identity', identity]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /verification passed/);
  const manifest = JSON.parse(await fs.readFile(`${dump}.manifest.json`, 'utf8')) as { verification: { status: string } };
  assert.equal(manifest.verification.status, 'passed');

  const left = await filesUnder(tmp);
  for (const file of left) assert.ok(!(await holdsMarker(file)), `${file} holds plaintext`);
  assert.deepEqual(left.filter((f) => /decrypted-/.test(f)), [], 'the private copy is gone');
});

test('a cut encrypted dump: refused by its checksum, and without the check the decryption fails the restore instead of a partial success', async () => {
  const dump = await encryptedDump('cut');
  const size = (await fs.stat(dump)).size;
  await fs.truncate(dump, Math.floor(size * 0.6));

  const checked = cli(['restore', dump, '--conn', 't', '--db', 'cut1', '--create', '--identity', identity]);
  assert.equal(checked.code, 1);
  assert.match(checked.stderr, /the dump is truncated/);
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname = 'cut1'`), '0');

  const unchecked = cli(['restore', dump, '--conn', 't', '--db', 'cut2', '--create', '--no-checksum', '--identity', identity]);
  assert.equal(unchecked.code, 1, unchecked.stdout);
  assert.match(unchecked.stdout, /failed: cannot decrypt cut\.dump\.age: the encrypted dump is truncated or damaged/);
  assert.doesNotMatch(unchecked.stdout, /^restored /m);
  for (const file of await filesUnder(tmp)) assert.ok(!(await holdsMarker(file)), `${file} holds plaintext`);
});

test('globals --encrypt-to: <name>.sql.age, checked complete from the stream, opened by age; toc says it has no TOC to list', async () => {
  await cluster.sql(`CREATE ROLE pgbr_secret_role LOGIN PASSWORD 'a-password-hash-source'`);
  const r = cli(['globals', '--conn', 't', '--no-role-passwords', '--encrypt-to', recipient, '--out', path.join(work, 'globals'), '--name', 'roles', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const dump = (JSON.parse(r.stdout) as { path: string }).path;
  assert.equal(path.basename(dump), 'roles.sql.age');
  const bytes = await fs.readFile(dump);
  assert.ok(!bytes.includes('pgbr_secret_role'), 'no role name in the clear');
  const manifest = JSON.parse(await fs.readFile(`${dump}.manifest.json`, 'utf8')) as { kind: string; encryption: { sha256: string } };
  assert.equal(manifest.kind, 'globals');
  assert.equal(manifest.encryption.sha256, createHash('sha256').update(bytes).digest('hex'));
  const script = execFileSync('age', ['-d', '-i', identity, dump], { encoding: 'utf8' });
  assert.match(script, /CREATE ROLE pgbr_secret_role;/);
  assert.match(script, /-- PostgreSQL database cluster dump complete/);
  const toc = cli(['toc', dump, '--identity', identity]);
  assert.equal(toc.code, 2);
  assert.match(toc.stderr, /is an encrypted SQL script \(roles and tablespaces\): it has no table of contents to list/);
});

test('pgbr run of a plan with encrypt: its dump is encrypted and verified with $PGBR_AGE_IDENTITY_FILE; without it the run fails in one line, journaled', async () => {
  const folder = path.join(work, 'plan-dumps');
  const yaml = await fs.readFile(path.join(work, 'pgbackup.yaml'), 'utf8');
  await fs.writeFile(
    path.join(work, 'pgbackup.yaml'),
    `${yaml}plans:\n  - name: sealed\n    connection: t\n    backup: dump\n    database: src\n    encrypt: [${recipient}]\n    folder: ${folder}\n    schedule: daily\n    verify: always\n`,
  );
  try {
    const ok = cli(['run', 'sealed', '--json'], { PGBR_AGE_IDENTITY_FILE: identity });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const dumps = (await fs.readdir(folder)).filter((f) => f.endsWith('.dump.age'));
    assert.equal(dumps.length, 1);
    const journal = (await fs.readFile(path.join(folder, '.pgbr-sealed.journal.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { verification?: { outcome: string } });
    assert.equal(journal.at(-1)?.verification?.outcome, 'passed');

    // No identity for a plan that verifies an encrypted dump is a configuration problem (exit 2), found before any dump is taken, journaled as a failed run.
    const without = cli(['run', 'sealed']);
    assert.equal(without.code, 2, without.stdout + without.stderr);
    assert.match(without.stderr, /plan sealed encrypts to age and verifies its dumps, and no identity given: set PGBR_AGE_IDENTITY_FILE .*; no dump was taken/);
    assert.deepEqual((await fs.readdir(folder)).filter((f) => f.endsWith('.dump.age')), dumps, 'no second dump');
    const last = JSON.parse((await fs.readFile(path.join(folder, '.pgbr-sealed.journal.jsonl'), 'utf8')).trim().split('\n').at(-1)!) as { outcome: string; error?: { message: string } };
    assert.equal(last.outcome, 'failed');
    assert.match(last.error?.message ?? '', /no identity given/);
  } finally {
    await fs.writeFile(path.join(work, 'pgbackup.yaml'), yaml);
  }
});

test('--encrypt-manifest: no table name or count in the clear; verify opens them with the identity and records only its verdict', async () => {
  const r = cli(['dump', '--conn', 't', '--db', 'src', '--table', 'public.orders', '--table', 'public.customers', '--encrypt-to', recipient, '--encrypt-manifest', '--out', path.join(work, 'sealed'), '--name', 'sealed', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const dump = (JSON.parse(r.stdout) as { path: string }).path;
  const text = await fs.readFile(`${dump}.manifest.json`, 'utf8');
  assert.doesNotMatch(text, /orders|customers/);
  const manifest = JSON.parse(text) as { rowCounts: unknown[]; database: string; sizeBytes: number; encryption: { sealed: string } };
  assert.deepEqual(manifest.rowCounts, []);
  assert.equal(manifest.database, 'src');
  assert.match(manifest.encryption.sealed, /^-----BEGIN AGE ENCRYPTED FILE-----/);

  const verified = cli(['verify', dump, '--conn', 't', '--identity', identity, '--json']);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const report = JSON.parse(verified.stdout) as { tables: { table: string; expected: number; ok: boolean }[] };
  assert.deepEqual(report.tables.map((t) => [t.table, t.expected, t.ok]).sort(), [['customers', 500, true], ['orders', 20001, true]]);
  const after = await fs.readFile(`${dump}.manifest.json`, 'utf8');
  assert.doesNotMatch(after, /orders|customers/);
  assert.equal((JSON.parse(after) as { verification: { status: string } }).verification.status, 'passed');
  // Without the key, the checksum check still works from the readable part.
  const restored = cli(['restore', dump, '--conn', 't', '--db', 'sealed_copy', '--create', '--identity', identity]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, /checksums: every file matches its manifest/);
});

test('gpg: an encrypted dump to a fingerprint in a throwaway keyring: <name>.dump.gpg, listed and one table restored through the keyring', async () => {
  const home = path.join(work, 'gnupg');
  await fs.mkdir(home, { mode: 0o700 });
  const gpgEnv = { GNUPGHOME: home };
  execFileSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'pgbr backup <backup@example.org>', 'default', 'default', 'never'], { env: { ...process.env, ...gpgEnv }, stdio: 'ignore' });
  const colons = execFileSync('gpg', ['--batch', '--with-colons', '--fingerprint', 'backup@example.org'], { env: { ...process.env, ...gpgEnv }, encoding: 'utf8' });
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
  try {
    const r = cli(['dump', '--conn', 't', '--db', 'src', '--encrypt-to', `gpg:${fpr}`, '--out', path.join(work, 'gpg'), '--name', 'shop', '--json'], gpgEnv);
    assert.equal(r.code, 0, r.stderr);
    const dump = (JSON.parse(r.stdout) as { path: string; encryption: { scheme: string; recipients: string[] } }).path;
    assert.equal(path.basename(dump), 'shop.dump.gpg');
    assert.deepEqual((JSON.parse(r.stdout) as { encryption: { recipients: string[] } }).encryption.recipients, [`gpg:${fpr}`]);
    assert.ok(!(await holdsMarker(dump)), 'the rows are not in the clear');
    assert.equal(cli(['toc', dump], gpgEnv).code, 0);
    const one = cli(['restore', dump, '--conn', 't', '--db', 'gpg_orders', '--create', '--table', 'public.orders'], gpgEnv);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(await cluster.sql('SELECT count(*) FROM public.orders', 'gpg_orders'), '20001');
  } finally {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, ...gpgEnv } });
  }
});
