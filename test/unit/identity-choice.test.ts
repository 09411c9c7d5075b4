import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { decryptionFrom, identityFileFromEnv, readIdentityAnswer } from '../../src/dumps/identityChoice';

// A well-formed key (age-keygen's alphabet and length), made up for the test.
const KEY = 'AGE-SECRET-KEY-1' + 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58);

test('a pasted key is read as a key, with comments and blank lines as age-keygen writes them', () => {
  const answer = readIdentityAnswer(`# created: today\n# public key: age1…\n${KEY}\n\n`);
  assert.deepEqual(answer, { kind: 'key', identities: { source: 'the pasted age identity', keys: [KEY] } });
});

test('a damaged key is refused without showing it', () => {
  assert.throws(() => readIdentityAnswer(KEY.slice(0, -1)), (e: Error) => /not an age identity file/.test(e.message) && !e.message.includes(KEY.slice(16, 40)));
});

test('an absolute path is an identity file; a relative one or nothing is refused', () => {
  assert.deepEqual(readIdentityAnswer('  /keys/backup.txt '), { kind: 'file', path: '/keys/backup.txt' });
  assert.throws(() => readIdentityAnswer('keys/backup.txt'), /absolute path/);
  assert.throws(() => readIdentityAnswer('   '), /AGE-SECRET-KEY-1/);
});

test('the pasted key wins over the file, which is then not read', async () => {
  const read: string[] = [];
  const d = await decryptionFrom({ key: KEY, file: '/keys/other.txt' }, async (f) => {
    read.push(f);
    return { source: f, keys: [] };
  });
  assert.deepEqual(d.identities?.keys, [KEY]);
  assert.deepEqual(read, []);
});

test('the file is read each time a decryption is built', async () => {
  let reads = 0;
  const readFile = async (f: string) => ({ source: f, keys: [`${KEY.slice(0, -1)}${++reads}`] });
  assert.equal((await decryptionFrom({ file: '/keys/a.txt' }, readFile)).identities?.keys[0]?.at(-1), '1');
  assert.equal((await decryptionFrom({ file: '/keys/a.txt' }, readFile)).identities?.keys[0]?.at(-1), '2');
});

test('nothing stored is no identity (GPG needs none)', async () => {
  assert.deepEqual(await decryptionFrom({}, async () => assert.fail('not read')), {});
});

test('an unreadable identity file says so in the editor words, not the CLI flag', async () => {
  await assert.rejects(
    decryptionFrom({ file: '/keys/gone.txt' }),
    (e: Error) => e.message.includes('/keys/gone.txt') && e.message.includes('Set Decryption Identity') && !e.message.includes('--identity'),
  );
});

test("PGBR_AGE_IDENTITY_FILE serves when nothing is set in the editor; what is set there comes first", async () => {
  const read: string[] = [];
  const readFile = async (f: string) => {
    read.push(f);
    return { source: f, keys: [KEY] };
  };
  assert.deepEqual((await decryptionFrom({ envFile: '/keys/env.txt' }, readFile)).identities?.keys, [KEY]);
  await decryptionFrom({ file: '/keys/chosen.txt', envFile: '/keys/env.txt' }, readFile);
  await decryptionFrom({ key: KEY, envFile: '/keys/env.txt' }, readFile);
  assert.deepEqual(read, ['/keys/env.txt', '/keys/chosen.txt']);
  // Only an absolute path: the editor has no working folder the CLI's user would mean.
  assert.equal(identityFileFromEnv({ PGBR_AGE_IDENTITY_FILE: ' /keys/env.txt ' }), '/keys/env.txt');
  assert.equal(identityFileFromEnv({ PGBR_AGE_IDENTITY_FILE: 'keys/env.txt' }), undefined);
  assert.equal(identityFileFromEnv({ PGBR_AGE_IDENTITY_FILE: '' }), undefined);
  assert.equal(identityFileFromEnv({}), undefined);
});

test('an unreadable file from PGBR_AGE_IDENTITY_FILE names the variable', async () => {
  await assert.rejects(decryptionFrom({ envFile: '/keys/gone.txt' }), (e: Error) => /\/keys\/gone\.txt \(from PGBR_AGE_IDENTITY_FILE\) cannot be used .*: fix PGBR_AGE_IDENTITY_FILE/.test(e.message));
});
