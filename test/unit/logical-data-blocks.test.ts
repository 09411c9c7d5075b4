// The data blocks of a custom archive found as it streams: the head and the blocks tile the file, each
// sum is of exactly its bytes read back, whatever size the stream's chunks are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { BLK_BLOBS, BLK_DATA, DataBlockFinder, type BlockSums } from '../../src/core/logical/dataBlocks';
import { archiveSink, writeHashed } from '../../src/core/logical/dumpStream';
import { chunkedFile, readArchiveSource } from '../../src/core/logical/toc/archive';

const dumpFile = path.resolve(__dirname, '../fixtures/toc-hostile.dump');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function find(bytes: Buffer, tocEnd: number, intSize: number, chunkSize: number, startLate = false): { sums: BlockSums | undefined; lost: string | undefined } {
  const finder = new DataBlockFinder();
  if (!startLate) finder.start(tocEnd, intSize);
  for (let at = 0; at < bytes.length; at += chunkSize) finder.push(bytes.subarray(at, at + chunkSize));
  if (startLate) finder.start(tocEnd, intSize);
  return { sums: finder.finish(), lost: finder.lost };
}

/** The head and blocks are contiguous from byte 0, end at the file's end, and each sum is of its bytes. */
function assertTiles(bytes: Buffer, sums: BlockSums): void {
  assert.equal(sums.head.sha256, sha(bytes.subarray(0, sums.head.length)));
  let end = sums.head.length;
  for (const b of sums.data) {
    assert.equal(b.offset, end, `block of entry ${b.dumpId} starts where the part before it ends`);
    assert.equal(b.sha256, sha(bytes.subarray(b.offset, b.offset + b.length)), `sum of the block of entry ${b.dumpId}`);
    end += b.length;
  }
  assert.equal(end, bytes.length, 'the parts end at the end of the file');
}

async function fixtureLayout(): Promise<{ bytes: Buffer; tocEnd: number; intSize: number; dataIds: number[] }> {
  const source = await chunkedFile(dumpFile);
  try {
    const read = await readArchiveSource(source, 'custom');
    const dataIds = read.entries.filter((e) => e.desc === 'TABLE DATA' || e.desc === 'BLOBS').map((e) => e.dumpId!);
    return { bytes: await fs.readFile(dumpFile), tocEnd: read.tocEnd, intSize: read.intSize, dataIds };
  } finally {
    await source.close();
  }
}

test('a real custom dump: head and blocks tile the file, each sum is of its bytes, one block per entry with data, in chunks of any size', async () => {
  const { bytes, tocEnd, intSize, dataIds } = await fixtureLayout();
  const whole = find(bytes, tocEnd, intSize, bytes.length).sums;
  assert.ok(whole, 'the fixture follows the layout');
  assertTiles(bytes, whole);
  assert.equal(whole.head.length, tocEnd);
  assert.ok(whole.data.length > 0);
  assert.deepEqual(whole.data.map((b) => b.dumpId).sort((a, b) => a - b), [...dataIds].sort((a, b) => a - b));
  for (const b of whole.data) assert.equal(bytes[b.offset], BLK_DATA);
  for (const size of [1, 2, 7, 13, 4096, 65536]) {
    assert.deepEqual(find(bytes, tocEnd, intSize, size).sums, whole, `chunks of ${size} bytes`);
    assert.deepEqual(find(bytes, tocEnd, intSize, size, true).sums, whole, `chunks of ${size} bytes, the TOC's end known only after them`);
  }
});

test('every split of the stream in two finds the same blocks', async () => {
  const { bytes, tocEnd, intSize } = await fixtureLayout();
  const whole = find(bytes, tocEnd, intSize, bytes.length).sums;
  // Around the end of the TOC and the first block's header and chunk lengths, a split at every byte.
  const first = whole!.data[0]!;
  for (let cut = tocEnd - 3; cut < first.offset + 40 && cut < bytes.length; cut++) {
    const finder = new DataBlockFinder();
    finder.start(tocEnd, intSize);
    finder.push(bytes.subarray(0, cut));
    finder.push(bytes.subarray(cut));
    assert.deepEqual(finder.finish(), whole, `split at byte ${cut}`);
  }
});

/** An int as pg_dump writes it: a sign byte, then `size` bytes, least significant first. */
function int(value: number, size = 4): Buffer {
  const b = Buffer.alloc(1 + size);
  b[0] = value < 0 ? 1 : 0;
  let v = Math.abs(value);
  for (let i = 1; i <= size; i++) {
    b[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return b;
}

const dataBlock = (id: number, chunks: Buffer[]) => Buffer.concat([Buffer.from([BLK_DATA]), int(id), ...chunks.flatMap((c) => [int(c.length), c]), int(0)]);
const blobsBlock = (id: number, objects: { oid: number; chunks: Buffer[] }[]) =>
  Buffer.concat([Buffer.from([BLK_BLOBS]), int(id), ...objects.flatMap((o) => [int(o.oid), ...o.chunks.flatMap((c) => [int(c.length), c]), int(0)]), int(0)]);

test('synthetic blocks: rows in chunks, an empty table, large objects (one of them empty), at every chunk size', () => {
  const head = Buffer.from('PGDMP-and-a-table-of-contents');
  const rows = dataBlock(5, [Buffer.from('1\tone\n'), Buffer.alloc(300, 7)]);
  const empty = dataBlock(6, []);
  const blobs = blobsBlock(7, [
    { oid: 16401, chunks: [Buffer.from('large'), Buffer.from('object')] },
    { oid: 16402, chunks: [] },
  ]);
  const bytes = Buffer.concat([head, rows, empty, blobs]);
  for (const size of [1, 3, 8, 64, bytes.length]) {
    const { sums } = find(bytes, head.length, 4, size);
    assert.ok(sums, `chunks of ${size}`);
    assertTiles(bytes, sums);
    assert.deepEqual(
      sums.data.map((b) => [b.dumpId, b.length]),
      [
        [5, rows.length],
        [6, empty.length],
        [7, blobs.length],
      ],
    );
  }
});

test('a dump with no data: the head is the whole file, and there are no blocks', () => {
  const bytes = Buffer.from('PGDMP-schema-only');
  for (const size of [1, 5, bytes.length]) assert.deepEqual(find(bytes, bytes.length, 4, size).sums, { head: { length: bytes.length, sha256: sha(bytes) }, data: [] });
});

test('bytes that do not follow the layout give no sums (a restore then checks the whole file)', () => {
  const head = Buffer.from('head');
  const cut = Buffer.concat([head, dataBlock(5, [Buffer.from('rows')])]).subarray(0, -2);
  assert.equal(find(cut, head.length, 4, 3).sums, undefined);
  assert.match(find(cut, head.length, 4, 3).lost ?? '', /ends inside a data block/);
  const odd = Buffer.concat([head, Buffer.from([9]), int(5), int(0)]);
  assert.equal(find(odd, head.length, 4, 1).sums, undefined);
  assert.match(find(odd, head.length, 4, 1).lost ?? '', /byte 4 should start a data block but holds 9/);
  const negative = Buffer.concat([head, Buffer.from([BLK_DATA]), int(5), int(-3)]);
  assert.equal(find(negative, head.length, 4, 2).sums, undefined);
  const endsInHead = new DataBlockFinder();
  endsInHead.start(10, 4);
  endsInHead.push(Buffer.from('short'));
  assert.equal(endsInHead.finish(), undefined);
});

test('archiveSink with block sums: the file written, its whole sum as before, and the blocks of what it wrote', async () => {
  const bytes = await fs.readFile(dumpFile);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-blocks-'));
  try {
    for (const size of [1000, 4096, 1 << 20]) {
      const out = path.join(dir, `out-${size}.dump`);
      const sink = archiveSink((archive) => writeHashed(archive, out), { blockSums: true });
      const chunks = function* () {
        for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
      };
      await sink.consume(Readable.from(chunks()));
      const r = sink.result();
      const written = await fs.readFile(out);
      assert.ok(written.equals(bytes));
      assert.equal(r.sha256, sha(bytes));
      assert.equal(r.sizeBytes, bytes.length);
      assert.ok(r.blocks, `chunks of ${size}`);
      assertTiles(written, r.blocks);
    }
    const plain = archiveSink((archive) => writeHashed(archive, path.join(dir, 'plain.dump')));
    await plain.consume(Readable.from([bytes]));
    assert.equal(plain.result().blocks, undefined, 'not asked for, not taken');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
