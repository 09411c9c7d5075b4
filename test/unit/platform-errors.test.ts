// Errors as a user reads them: a file-system error is a sentence naming its path, never raw errno text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError, errorMessage, isCancellation } from '../../src/core/platform/errors';
import { makeOutput } from '../../src/cli/output';

const caught = async (p: Promise<unknown>): Promise<unknown> => p.then(() => assert.fail('expected an error'), (e: unknown) => e);

function errno(code: string, syscall: string, where: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, ${syscall} '${where}'`), { code, syscall, path: where, errno: -1 });
}

test('ENOTDIR and ENOENT from real file-system calls become sentences that name the path', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-errors-'));
  try {
    const file = path.join(dir, 'a-file');
    await fs.writeFile(file, 'x');
    const notDir = errorMessage(await caught(fs.mkdir(path.join(file, 'dumps'), { recursive: true })));
    assert.equal(notDir, `${path.join(file, 'dumps')} cannot be reached: a part of that path is a file, not a folder. Fix the path.`);
    const missing = errorMessage(await caught(fs.writeFile(path.join(dir, 'nowhere', 'x.log'), 'x')));
    assert.equal(missing, `${path.join(dir, 'nowhere', 'x.log')} does not exist (or a folder on the way to it does not): create it or fix the path.`);
    for (const text of [notDir, missing]) assert.doesNotMatch(text, /^E[A-Z]+:|ENOTDIR|ENOENT/);

    // pgbr's error line carries the sentence.
    let err = '';
    makeOutput(false, () => {}, (s) => (err += s)).fail(await caught(fs.mkdir(path.join(file, 'dumps'))));
    assert.equal(err, `pgbr: ${path.join(file, 'dumps')} cannot be reached: a part of that path is a file, not a folder. Fix the path.\n`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('read-only, full, permission and other path errors say what is wrong where; other errors keep their message', () => {
  assert.equal(errorMessage(errno('EROFS', 'mkdir', '/mnt/ro/dumps')), '/mnt/ro/dumps is on a read-only file system: choose a place that can be written to.');
  assert.equal(errorMessage(errno('ENOSPC', 'write', '/srv/d.dump')), 'no space left on the device holding /srv/d.dump: free some space or choose another place.');
  assert.equal(errorMessage(errno('EACCES', 'open', '/srv/d.log')), 'permission denied on /srv/d.log: run as a user who may write there, or choose another place.');
  assert.equal(errorMessage(errno('EACCES', 'scandir', '/srv/wal')), 'permission denied on /srv/wal: run as a user who may read there, or choose another place.');
  assert.equal(errorMessage(errno('EISDIR', 'open', '/srv')), '/srv is a folder where a file was expected: give a file\'s path.');
  // Unknown codes and errors without a path are left as they were.
  assert.equal(errorMessage(errno('EWHATEVER', 'open', '/x')), "EWHATEVER: something, open '/x'");
  assert.equal(errorMessage(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 'connect ECONNREFUSED');
  assert.equal(errorMessage(new Error('plain')), 'plain');
});

test('only a cancellation from the core counts as one: other errors, and text that says "cancelled", are failures', () => {
  assert.equal(isCancellation(new PgbrError('cancelled', 'the dump of "shop" was cancelled; nothing was kept')), true);
  assert.equal(isCancellation(new PgbrError('tool-failed', 'pg_dump was cancelled by the server')), false);
  assert.equal(isCancellation(new Error('cancelled')), false);
  assert.equal(isCancellation('cancelled'), false);
});
