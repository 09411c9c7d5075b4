// Recipients and identities: what --encrypt-to, encrypt: and --identity accept, and what they refuse with which words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgeIdentities } from '../../src/core/crypto/age';
import { parseRecipient, parseRecipients, recipientText } from '../../src/core/crypto/recipients';
import { ageEncryptArgs, decryptFailure, gpgEncryptArgs } from '../../src/core/crypto/tools';

// Written by age-keygen; only for these tests.
const AGE_KEY = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const SECRET = 'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX';
const FPR = '0123456789ABCDEF0123456789ABCDEF01234567';

test('an age X25519 key is a recipient, in either case, and is written back in lower case', () => {
  assert.deepEqual(parseRecipient(AGE_KEY), { scheme: 'age', key: AGE_KEY });
  assert.deepEqual(parseRecipient(` ${AGE_KEY.toUpperCase()} `), { scheme: 'age', key: AGE_KEY });
  assert.equal(recipientText(parseRecipient(AGE_KEY)), AGE_KEY);
});

test('an age key one character short or long, or with a letter outside bech32, is refused', () => {
  assert.throws(() => parseRecipient(AGE_KEY.slice(0, -1)), /is not a recipient: give an age public key/);
  assert.throws(() => parseRecipient(AGE_KEY + 'q'), /is not a recipient/);
  assert.throws(() => parseRecipient(AGE_KEY.slice(0, -1) + 'b'), /is not a recipient/);
  assert.throws(() => parseRecipient('Age1' + AGE_KEY.slice(4)), /is not a recipient/);
});

test('a post-quantum age key is refused because age 1.1.1 cannot open it', () => {
  assert.throws(() => parseRecipient('age1pq1' + 'q'.repeat(80)), /post-quantum age key, which age 1\.1\.1 cannot decrypt/);
});

test('a secret key given as a recipient is refused without being echoed', () => {
  assert.throws(
    () => parseRecipient(SECRET),
    (e: Error) => /an age secret key was given as a recipient/.test(e.message) && !e.message.includes(SECRET.slice(16)),
  );
});

test('gpg: takes a full v4 or v5 fingerprint, with spaces or 0x, and refuses key ids', () => {
  assert.deepEqual(parseRecipient(`gpg:${FPR.toLowerCase()}`), { scheme: 'gpg', fingerprint: FPR });
  assert.deepEqual(parseRecipient('gpg:0x' + FPR.match(/.{4}/g)!.join(' ')), { scheme: 'gpg', fingerprint: FPR });
  assert.equal(parseRecipient(`gpg:${'A'.repeat(64)}`).scheme, 'gpg');
  assert.throws(() => parseRecipient('gpg:89ABCDEF01234567'), /full fingerprint \(40 hex digits/);
  assert.throws(() => parseRecipient('gpg:01234567'), /key ids can be forged/);
  assert.throws(() => parseRecipient(`gpg:${FPR.slice(1)}`), /not a GPG key fingerprint/);
  assert.throws(() => parseRecipient('gpg:backup@example.org'), /not a GPG key fingerprint/);
});

test('recipients of one scheme are kept once each; age and GPG together are refused', () => {
  assert.equal(parseRecipients([]), undefined);
  const both = parseRecipients([AGE_KEY, AGE_KEY.toUpperCase()]);
  assert.equal(both?.scheme, 'age');
  assert.equal(both?.recipients.length, 1);
  assert.throws(() => parseRecipients([AGE_KEY, `gpg:${FPR}`]), /cannot be mixed/);
});

test('the tools get recipients as separate arguments; gpg pins the key, does not compress and writes to stdout', () => {
  assert.deepEqual(ageEncryptArgs([parseRecipient(AGE_KEY)]), ['-r', AGE_KEY]);
  const g = gpgEncryptArgs([parseRecipient(`gpg:${FPR}`)]);
  assert.deepEqual(g.slice(0, 1), ['--batch']);
  assert.ok(g.includes('--trust-model') && g[g.indexOf('--trust-model') + 1] === 'always');
  assert.ok(g.includes('--compress-algo') && g[g.indexOf('--compress-algo') + 1] === 'none');
  assert.deepEqual(g.slice(-4), ['--recipient', FPR, '--output', '-']);
});

test('an identity file: keys with comments and blank lines; none, or a line that is no key, is an error naming the file only', () => {
  const ids = parseAgeIdentities(`# created: 2026-01-01\n# public key: ${AGE_KEY}\n\n${SECRET}\n`, 'key.txt');
  assert.deepEqual(ids, { source: 'key.txt', keys: [SECRET] });
  assert.throws(() => parseAgeIdentities('# nothing\n', 'empty.txt'), /empty\.txt is not an age identity file: .*it has none/);
  assert.throws(
    () => parseAgeIdentities(`${SECRET}\nhunter2\n`, 'mixed.txt'),
    (e: Error) => /key line 2 is not one/.test(e.message) && !e.message.includes('hunter2') && !e.message.includes(SECRET),
  );
});

test('a decryption failure is one line: not a recipient, no secret key, or damaged', () => {
  const ids = { source: 'other.txt', keys: [SECRET] };
  const notRecipient = decryptFailure('shop.dump.age', { scheme: 'age', identities: ids }, { stderrTail: ['age: error: no identity matched any of the recipients', 'age: report unexpected or unhelpful errors at https://filippo.io/age/report'], message: 'age exited with code 1' });
  assert.equal(notRecipient.message, 'cannot decrypt shop.dump.age: the identity in other.txt is not a recipient of this dump');
  const cut = decryptFailure('shop.dump.age', { scheme: 'age', identities: ids }, { stderrTail: ['age: error: failed to decrypt and authenticate payload chunk', 'age: report unexpected or unhelpful errors at https://filippo.io/age/report'], message: 'age exited with code 1' });
  assert.match(cut.message, /^cannot decrypt shop\.dump\.age: the encrypted dump is truncated or damaged \(failed to decrypt and authenticate payload chunk\)/);
  const noKey = decryptFailure('shop.dump.gpg', { scheme: 'gpg' }, { stderrTail: ['gpg: decryption failed: No secret key'], message: 'gpg exited with code 2' });
  assert.match(noKey.message, /no secret key in your GPG keyring is a recipient/);
});
