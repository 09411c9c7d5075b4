// Encryption round trips with the real tools: what we write opens with Debian's age (and age's files
// open with ours), a cut file is refused, a wrong identity is one line, and GPG round-trips through a
// throwaway keyring (GNUPGHOME in a temp folder).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { parseRecipients, readAgeIdentityFile, withDecrypted } from '../../src/core/crypto';
import { encryptToFile } from '../../src/core/crypto/tools';

let work: string;
let recipient: string;
let idFile: string;
const plain = randomBytes(3 * 1024 * 1024 + 17);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-crypto-'));
  idFile = path.join(work, 'key.txt');
  execFileSync('age-keygen', ['-o', idFile], { stdio: 'ignore' });
  recipient = execFileSync('age-keygen', ['-y', idFile], { encoding: 'utf8' }).trim();
});

after(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('a file we encrypt streams through age, opens with age -d -i, and its sha256 is of the encrypted bytes', async () => {
  const out = path.join(work, 'ours.age');
  const { scheme, recipients } = parseRecipients([recipient])!;
  const written = await encryptToFile(scheme, recipients, Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]), out);
  const bytes = await fs.readFile(out);
  assert.equal(written.sizeBytes, bytes.length);
  assert.equal(written.sha256, sha(bytes));
  assert.ok(bytes.subarray(0, 21).toString() === 'age-encryption.org/v1', 'an age v1 header');
  const opened = execFileSync('age', ['-d', '-i', idFile, out], { maxBuffer: 64 << 20 });
  assert.equal(sha(opened), sha(plain));
});

test('a file age -r writes decrypts with ours, whole or only its head', async () => {
  const file = path.join(work, 'theirs.age');
  execFileSync('age', ['-r', recipient, '-o', file], { input: plain });
  const ids = await readAgeIdentityFile(idFile);
  const whole = await withDecrypted(file, 'theirs.age', { scheme: 'age', identities: ids }, collect);
  assert.equal(whole.complete, true);
  assert.equal(sha(whole.value), sha(plain));
  const head = await withDecrypted(
    file,
    'theirs.age',
    { scheme: 'age', identities: ids },
    async (s) => {
      for await (const c of s) return (c as Buffer).subarray(0, 64);
      return Buffer.alloc(0);
    },
    { headOnly: true },
  );
  assert.deepEqual(head.value, plain.subarray(0, 64));
});

test('a cut file, a foreign identity and a missing identity are each one clear line', async () => {
  const file = path.join(work, 'cut.age');
  execFileSync('age', ['-r', recipient, '-o', file], { input: plain });
  const full = await fs.readFile(file);
  await fs.writeFile(file, full.subarray(0, Math.floor(full.length / 2)));
  const ids = await readAgeIdentityFile(idFile);
  await assert.rejects(withDecrypted(file, 'cut.age', { scheme: 'age', identities: ids }, collect), /^PgbrError: cannot decrypt cut\.age: the encrypted dump is truncated or damaged/);

  const other = path.join(work, 'other.txt');
  execFileSync('age-keygen', ['-o', other], { stdio: 'ignore' });
  await fs.writeFile(file, full);
  await assert.rejects(
    withDecrypted(file, 'cut.age', { scheme: 'age', identities: await readAgeIdentityFile(other) }, collect),
    { message: `cannot decrypt cut.age: the identity in ${other} is not a recipient of this dump` },
  );
  await assert.rejects(withDecrypted(file, 'cut.age', { scheme: 'age' }, collect), {
    message: 'cannot decrypt cut.age: no identity given; pass --identity FILE or set PGBR_AGE_IDENTITY_FILE',
  });
});

test('GPG: a round trip through a throwaway keyring, and a keyring without the secret key is one line', async () => {
  const home = path.join(work, 'gnupg');
  await fs.mkdir(home, { mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: home };
  execFileSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'pgbr test <backup@example.org>', 'default', 'default', 'never'], { env, stdio: 'ignore' });
  const colons = execFileSync('gpg', ['--batch', '--with-colons', '--fingerprint', 'backup@example.org'], { env, encoding: 'utf8' });
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
  const saved = process.env.GNUPGHOME;
  process.env.GNUPGHOME = home;
  try {
    const { scheme, recipients } = parseRecipients([`gpg:${fpr}`])!;
    const out = path.join(work, 'ours.gpg');
    const written = await encryptToFile(scheme, recipients, Readable.from([plain]), out);
    assert.equal(written.sha256, sha(await fs.readFile(out)));
    assert.equal(sha(execFileSync('gpg', ['--batch', '--decrypt', out], { env, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 })), sha(plain));
    const back = await withDecrypted(out, 'ours.gpg', { scheme: 'gpg' }, collect);
    assert.equal(sha(back.value), sha(plain));

    const empty = path.join(work, 'gnupg-empty');
    await fs.mkdir(empty, { mode: 0o700 });
    process.env.GNUPGHOME = empty;
    await assert.rejects(withDecrypted(out, 'ours.gpg', { scheme: 'gpg' }, collect), /cannot decrypt ours\.gpg: no secret key in your GPG keyring is a recipient/);
  } finally {
    if (saved === undefined) delete process.env.GNUPGHOME;
    else process.env.GNUPGHOME = saved;
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env });
  }
});
