// Telling an encrypted dump from its first bytes, and reading a TOC from a stream chunk by chunk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectDumpFormat, encryptionOfFile } from '../../src/core/logical/toc/format';
import { refuseEncryptedFormat } from '../../src/core/logical/dumpEncrypted';
import { streamSource } from '../../src/core/logical/toc/archive';

test('age and gpg files are told by their first bytes; an encrypted .sql is a script, anything else a custom archive', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-enc-detect-'));
  try {
    const write = async (name: string, bytes: Buffer) => {
      const p = path.join(dir, name);
      await fs.writeFile(p, bytes);
      return p;
    };
    const age = await write('shop.dump.age', Buffer.from('age-encryption.org/v1\n-> X25519 abc\n'));
    const gpgOld = await write('shop.dump.gpg', Buffer.from([0x85, 0x01, 0x0c, 0x03]));
    const gpgNew = await write('b.dump.gpg', Buffer.from([0xc1, 0x01, 0x0c]));
    const script = await write('roles.sql.age', Buffer.from('age-encryption.org/v1\n'));
    const plain = await write('shop.dump', Buffer.from('PGDMP\x01\x0e\x00'));
    const almost = await write('x.age', Buffer.from('age-encryption.org/v2\n'));
    assert.equal(await encryptionOfFile(age), 'age');
    assert.equal(await encryptionOfFile(gpgOld), 'gpg');
    assert.equal(await encryptionOfFile(gpgNew), 'gpg');
    assert.equal(await encryptionOfFile(plain), undefined);
    assert.equal(await encryptionOfFile(almost), undefined);
    assert.equal(await encryptionOfFile(path.join(dir, 'missing')), undefined);
    assert.deepEqual(await detectDumpFormat(age), { format: 'custom', gzip: false, encryption: 'age' });
    assert.deepEqual(await detectDumpFormat(script), { format: 'plain', gzip: false, encryption: 'age' });
    assert.deepEqual(await detectDumpFormat(plain), { format: 'custom', gzip: false });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('only the custom format is encrypted, and each refusal says why', () => {
  assert.doesNotThrow(() => refuseEncryptedFormat('custom'));
  assert.throws(() => refuseEncryptedFormat('directory'), /custom format: a directory dump is many files.*Drop --format directory/);
  assert.throws(() => refuseEncryptedFormat('tar'), /tar dump/);
  assert.throws(() => refuseEncryptedFormat('plain'), /plain SQL dump has no table of contents/);
});

test('a stream source keeps only what the cursor still needs and says when the stream ended', async () => {
  async function* chunks() {
    yield Buffer.from('abc');
    yield Buffer.from('def');
  }
  const src = streamSource(chunks());
  assert.equal(await src.more(0), 0);
  assert.equal(src.buf.subarray(0, src.end).toString(), 'abc');
  // The cursor is done with the first two bytes: they are dropped, positions shift by 2.
  assert.equal(await src.more(2), 2);
  assert.equal(src.buf.subarray(0, src.end).toString(), 'cdef');
  assert.equal(await src.more(0), -1);
});
