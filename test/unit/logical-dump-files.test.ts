// The file side of a dump without a server: streaming hashes, the completeness check, no-clobber finalizing, leftovers, error lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { checksumDump, compareChecksums, describeMismatch, listFilesRecursive, sha256File, type ChecksumMismatch } from '../../src/core/logical/checksum';
import { DUMP_END_MARKER, endsWithMarker, finalizeOutput, reserveDumpPartial } from '../../src/core/logical/dumpOutput';
import { failureLine } from '../../src/core/platform/toolFailure';
import { GLOBALS_END_MARKER } from '../../src/core/logical/globals';
import { takenNameNote } from '../../src/core/logical/naming';
import { PgbrError } from '../../src/core/platform/errors';
import { manifestPathFor, withFileKey, type DumpManifest } from '../../src/core/logical/manifest';
import { finalizeWithProof, findPartials, removePartial } from '../../src/core/platform/partials';

/** The smallest manifest these file tests need; its content is only compared as text. */
const MANIFEST = { manifestVersion: 1, kind: 'database', profile: 't', rowCounts: [], sha256: {} } as unknown as DumpManifest;

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-dumpfiles-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// The end of a real pg_dump 15.18 plain dump: the marker, then `--` and the \unrestrict line.
const PLAIN_TAIL = `ALTER TABLE ONLY sales.invoices
    ADD CONSTRAINT invoices_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id);


-- Completed on 2026-11-22 07:11:01 UTC

--
-- PostgreSQL database dump complete
--

\\unrestrict BWr0a09nedbleQEvGNY1SVtrztQQJEdLgnEoIPj0VQXStojmBcsN2ww6bcmRslF

`;

test('sha256 of a file is streamed and matches a one-shot hash, also for a file of several chunks', async () => {
  const small = path.join(dir, 'abc');
  await fs.writeFile(small, 'abc');
  assert.equal(await sha256File(small), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  const bigFile = path.join(dir, 'big');
  await fs.writeFile(bigFile, big);
  assert.equal(await sha256File(bigFile), sha(big));
  assert.deepEqual(await checksumDump(bigFile), { sha256: { '': sha(big) }, sizeBytes: big.length });
});

test('a directory dump is hashed file by file under relative POSIX paths', async () => {
  const d = path.join(dir, 'dirdump');
  await fs.mkdir(path.join(d, 'sub'), { recursive: true });
  await fs.writeFile(path.join(d, 'toc.dat'), 'toc');
  await fs.writeFile(path.join(d, '3381.dat.gz'), 'data');
  await fs.writeFile(path.join(d, 'sub', 'x'), 'nested');
  assert.deepEqual(await listFilesRecursive(d), ['3381.dat.gz', 'sub/x', 'toc.dat']);
  assert.deepEqual(await checksumDump(d), {
    sha256: { '3381.dat.gz': sha('data'), 'sub/x': sha('nested'), 'toc.dat': sha('toc') },
    sizeBytes: 3 + 4 + 6,
  });
});

test('a plain dump is complete only when its last meaningful line is the marker, gzip or not', async () => {
  const body = `--\n-- PostgreSQL database dump\n--\n${'SELECT 1;\n'.repeat(5000)}`;
  const complete = path.join(dir, 'complete.sql');
  await fs.writeFile(complete, body + PLAIN_TAIL);
  assert.equal(await endsWithMarker(complete, DUMP_END_MARKER), true);

  const truncated = path.join(dir, 'truncated.sql');
  await fs.writeFile(truncated, body);
  assert.equal(await endsWithMarker(truncated, DUMP_END_MARKER), false);

  const markerNotLast = path.join(dir, 'notlast.sql');
  await fs.writeFile(markerNotLast, `${body}${PLAIN_TAIL}COPY public.t (x) FROM stdin;\n1\n`);
  assert.equal(await endsWithMarker(markerNotLast, DUMP_END_MARKER), false);

  const gz = path.join(dir, 'complete.sql.gz');
  await fs.writeFile(gz, gzipSync(body + PLAIN_TAIL));
  assert.equal(await endsWithMarker(gz, DUMP_END_MARKER, true), true);

  const cutGz = path.join(dir, 'cut.sql.gz');
  const full = gzipSync(body + PLAIN_TAIL);
  await fs.writeFile(cutGz, full.subarray(0, full.length - 40));
  assert.equal(await endsWithMarker(cutGz, DUMP_END_MARKER, true), false);

  const empty = path.join(dir, 'empty.sql');
  await fs.writeFile(empty, '');
  assert.equal(await endsWithMarker(empty, DUMP_END_MARKER), false);
});

test('the globals marker is a different line', async () => {
  const file = path.join(dir, 'globals.sql');
  await fs.writeFile(file, `--\n-- PostgreSQL database cluster dump\n--\n\nCREATE ROLE x;\n\n\\unrestrict K\n\n--\n-- PostgreSQL database cluster dump complete\n--\n\n`);
  assert.equal(await endsWithMarker(file, GLOBALS_END_MARKER), true);
  assert.equal(await endsWithMarker(file, DUMP_END_MARKER), false);
});

test('finalizing never replaces an existing dump: it takes the next free name', async () => {
  const folder = path.join(dir, 'final');
  await fs.mkdir(folder);
  const first = await reserveDumpPartial(folder, 'shop', '.dump', false);
  assert.equal(first.final, path.join(folder, 'shop.dump'));
  assert.equal(first.partial, path.join(folder, 'shop.dump.partial'));
  const second = await reserveDumpPartial(folder, 'shop', '.dump', false);
  assert.equal(second.final, path.join(folder, 'shop-2.dump'), 'a name whose .partial exists is taken');
  assert.equal(second.requested, path.join(folder, 'shop.dump'), 'the name asked for is kept, to say it was taken');
  assert.equal(takenNameNote({ path: second.final, requestedPath: second.requested }), `${first.final} already exists and was left alone, so this dump is shop-2.dump.`);
  assert.equal(takenNameNote({ path: first.final }), undefined);

  await fs.writeFile(first.partial, 'new content');
  // Someone else wrote shop.dump while we were dumping.
  await fs.writeFile(first.final, 'someone else');
  const landed = await finalizeOutput(first, MANIFEST);
  assert.notEqual(landed, first.final);
  assert.equal(await fs.readFile(first.final, 'utf8'), 'someone else');
  assert.equal(await fs.readFile(landed, 'utf8'), 'new content');
  assert.deepEqual(JSON.parse(await fs.readFile(manifestPathFor(landed), 'utf8')), MANIFEST);
  await assert.rejects(fs.stat(manifestPathFor(first.final)), 'the other file got no manifest of ours');
  await assert.rejects(fs.stat(first.partial));
  await second.discard();
});

test('the manifest is in place before the dump has its final name, and an existing manifest is never replaced', async () => {
  const folder = path.join(dir, 'proof-first');
  await fs.mkdir(folder);
  const partial = path.join(folder, 'shop.dump.partial');
  await fs.writeFile(partial, 'dump');
  // A manifest left at the first name (its dump was deleted by hand) keeps its content; the dump goes to the next name.
  await fs.writeFile(path.join(folder, 'taken.dump.manifest.json'), 'old');
  const seen: string[] = [];
  const taken = await finalizeWithProof({
    partial,
    candidates: [path.join(folder, 'taken.dump'), path.join(folder, 'shop.dump')],
    proofPathFor: manifestPathFor,
    proofText: (t) => `proof of ${path.basename(t)}`,
    move: async (from, to) => {
      seen.push(await fs.readFile(manifestPathFor(to), 'utf8'));
      await fs.rename(from, to);
    },
  });
  assert.equal(taken, path.join(folder, 'shop.dump'));
  assert.deepEqual(seen, ['proof of shop.dump'], 'the move happened with the manifest already written');
  assert.equal(await fs.readFile(path.join(folder, 'taken.dump.manifest.json'), 'utf8'), 'old');

  // A move that fails takes its manifest back: no manifest claims a dump that is not there.
  const second = path.join(folder, 'b.dump.partial');
  await fs.writeFile(second, 'dump');
  await assert.rejects(
    finalizeWithProof({
      partial: second,
      candidates: [path.join(folder, 'b.dump')],
      proofPathFor: manifestPathFor,
      proofText: () => 'x',
      move: () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ENOSPC' })),
    }),
    /disk full/,
  );
  await assert.rejects(fs.stat(manifestPathFor(path.join(folder, 'b.dump'))));
});

test('a directory dump is finalized by rename, and never onto an existing folder', async () => {
  const folder = path.join(dir, 'finaldir');
  await fs.mkdir(folder);
  const target = await reserveDumpPartial(folder, 'shop', '', true);
  assert.equal((await fs.stat(target.partial)).mode & 0o777, 0o700);
  await fs.writeFile(path.join(target.partial, 'toc.dat'), 'toc');
  await fs.mkdir(target.final);
  const landed = await finalizeOutput(target, MANIFEST);
  assert.equal(landed, path.join(folder, 'shop-2'));
  assert.equal(await fs.readFile(path.join(landed, 'toc.dat'), 'utf8'), 'toc');
});

test('leftovers are the .partial entries no dump of this process is writing; only those can be removed', async () => {
  const folder = path.join(dir, 'leftovers');
  await fs.mkdir(folder);
  await fs.writeFile(path.join(folder, 'old.dump.partial'), 'x');
  await fs.mkdir(path.join(folder, 'olddir.partial'));
  await fs.writeFile(path.join(folder, 'good.dump'), 'x');
  const active = await reserveDumpPartial(folder, 'running', '.dump', false);

  const found = await findPartials([folder]);
  assert.deepEqual(
    found.map((l) => path.basename(l.path)),
    ['old.dump.partial', 'olddir.partial'],
  );
  await assert.rejects(removePartial(active.partial), (e: unknown) => e instanceof PgbrError && /still being written/.test(e.message));
  await assert.rejects(removePartial(path.join(folder, 'good.dump')), (e: unknown) => e instanceof PgbrError && /not an unfinished backup/.test(e.message));
  for (const l of found) await removePartial(l.path);
  assert.deepEqual(await findPartials([folder]), []);
  assert.deepEqual(await findPartials([path.join(dir, 'no-such-folder')]), []);
});

test('the error line of a failed tool is the error, not the trailing detail or verbose chatter', () => {
  const failed = (stderrTail: string[]) => ({ status: 'failed' as const, exitCode: 1, stdout: '', stderrTail, durationMs: 1, message: 'pg_dump exited with code 1' });
  assert.equal(
    failureLine(
      failed([
        'pg_dump: reading dependency data',
        'pg_dump: error: query failed: ERROR:  permission denied for table secret',
        'pg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE',
      ]),
    ),
    'query failed: ERROR:  permission denied for table secret',
  );
  assert.equal(failureLine(failed(['pg_dump: error: no matching tables were found for pattern "nosuch"'])), 'no matching tables were found for pattern "nosuch"');
  assert.equal(failureLine(failed(['pg_dump: reading schemas'])), 'pg_dump exited with code 1');
  assert.equal(
    failureLine(
      failed([
        'pg_dump: dumping contents of table "public.a_filler"',
        'pg_dump: error: Dumping the contents of table "a_filler" failed: PQgetCopyData() failed.',
        'pg_dump: detail: Error message from server: FATAL:  terminating connection due to administrator command',
        'pg_dump: detail: Command was: COPY public.a_filler (id, payload) TO stdout;',
      ]),
    ),
    'Dumping the contents of table "a_filler" failed: PQgetCopyData() failed: FATAL: terminating connection due to administrator command',
  );
});

test('a single file is checked against its one recorded sum, under its name or under "" (older manifests)', async () => {
  const file = path.join(dir, 'one.dump');
  await fs.writeFile(file, 'the dump');
  const sum = sha('the dump');
  assert.deepEqual(await compareChecksums(file, { 'one.dump': sum }), []);
  assert.deepEqual(await compareChecksums(file, { '': sum }), [], 'a manifest written before files were named');
  await fs.writeFile(file, 'the dumb');
  const [m] = await compareChecksums(file, { 'one.dump': sum });
  assert.equal(describeMismatch(file, m as ChecksumMismatch), `${file} has sha256 ${sha('the dumb')} but its manifest recorded ${sum}: the dump was changed or damaged after it was written.`);
  assert.deepEqual(withFileKey({ format: 'custom', sha256: { '': sum } } as unknown as DumpManifest, '/x/shop-2.dump').sha256, { 'shop-2.dump': sum });
});
