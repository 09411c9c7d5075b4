// A custom archive taken from pg_dump's stdout: written (plain, or through an encryption) with its
// sha256 taken as the bytes pass, and its table of contents read from the same stream, so the file is
// never read a second time, and the sum is of exactly the bytes written.
//
// Why pg_dump writes to a pipe rather than the file: writing a file, it seeks back at its end to put
// the data offsets into the TOC at the head, so a sum taken as it writes would not be the file's. An
// archive without offsets restores as fast on a seekable file (see dumpEncrypted.ts for the figures):
// pg_restore finds each block by skipping from one block header to the next.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { PgbrError, errorMessage } from '../platform/errors';
import { readArchiveSource, streamSource } from './toc/archive';
import { compactTree, groupToc } from './toc/tree';
import type { WrittenToc } from './toc/tocIndex';
import type { ArchiveLayout, TocHeader } from './toc/types';
import { DataBlockFinder, type BlockSums } from './dataBlocks';

export interface WrittenArchive {
  /** sha256 (hex) of the bytes written to the file. */
  sha256: string;
  sizeBytes: number;
}

/**
 * pg_dump writes its archive a few kilobytes at a time, so its stdout arrives in some 30,000 small
 * chunks per 180 MB; written one by one (a thread-pool round trip each) they cost more CPU than the
 * sha256. They are written in batches of about this many bytes instead.
 */
const WRITE_BATCH = 1 << 20;

/** Writes `bytes` to `file` (created or truncated), hashing them on the way. */
export async function writeHashed(bytes: Readable, file: string): Promise<WrittenArchive> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const out = await open(file, 'w');
  try {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for await (const c of bytes as AsyncIterable<Buffer>) {
      hash.update(c);
      sizeBytes += c.length;
      batch.push(c);
      batchBytes += c.length;
      if (batchBytes >= WRITE_BATCH) {
        await writeAll(out, batch);
        batch = [];
        batchBytes = 0;
      }
    }
    await writeAll(out, batch);
  } finally {
    await out.close();
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/** writev may write less than it was given (a full disk, a signal): the rest is written until done or an error. */
async function writeAll(out: FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    const total = rest.reduce((n, c) => n + c.length, 0);
    const { bytesWritten } = await out.writev(rest);
    if (bytesWritten >= total) return;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const c of rest) {
      if (skip >= c.length) skip -= c.length;
      else {
        next.push(skip > 0 ? c.subarray(skip) : c);
        skip = 0;
      }
    }
    rest = next;
  }
}

/**
 * Takes pg_dump's stdout: hands it to `write` and reads the archive's table of contents from it as it
 * passes. `consume` resolves once both are finished, and fails when writing failed or the stream did
 * not hold a readable archive (a cut or garbled output). With `blockSums` (the file is the archive
 * itself, not an encryption of it), each data block's place and sha256 are found on the way too.
 */
export function archiveSink<W extends WrittenArchive>(write: (archive: Readable) => Promise<W>, opts: { blockSums?: boolean } = {}) {
  let written: W | undefined;
  let tocEntries: number | undefined;
  let tree: { header: TocHeader; layout: ArchiveLayout; treeJson: string } | undefined;
  const blocks = opts.blockSums ? new DataBlockFinder() : undefined;
  const consume = async (stdout: Readable): Promise<void> => {
    const head = new PassThrough();
    let reading = true;
    const archive = new PassThrough({
      transform(chunk: Buffer, _enc, callback) {
        if (reading) head.write(chunk);
        blocks?.push(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        head.end();
        callback();
      },
    });
    const toc = readArchiveSource(streamSource(head[Symbol.asyncIterator]()), 'custom')
      .then((r) => {
        tocEntries = r.entries.length;
        blocks?.start(r.tocEnd, r.intSize);
        // The tree a TOC index keeps, made while pg_dump goes on writing data (see tocIndex.ts); only with block sums, whose head sum proves it.
        if (blocks) {
          const { lastDataOffset, unplacedData, intSize, tocEnd } = r;
          tree = { header: r.header, layout: { lastDataOffset, unplacedData, intSize, tocEnd }, treeJson: JSON.stringify(compactTree(groupToc(r.entries))) };
        }
      })
      .catch((e: unknown) => {
        archive.destroy();
        throw new PgbrError('tool-failed', `pg_dump's output is not an archive pg_restore can read (${errorMessage(e) || 'it ends inside its table of contents'}): the dump was removed`);
      })
      .finally(() => {
        // Done with the head: the rest of the dump goes only to the file.
        reading = false;
        head.destroy();
      });
    stdout.pipe(archive);
    // A stdout torn down before its end (pg_dump stopped by the runner) must not end the file as if the archive were whole.
    stdout.on('close', () => {
      if (!stdout.readableEnded) archive.destroy(new Error('pg_dump stopped before its output ended'));
    });
    const [done] = await Promise.all([write(archive), toc]);
    written = done;
  };
  return {
    consume,
    /** What was written, once `consume` resolved; `blocks` when asked for and the data followed pg_dump's layout, and then the TOC's tree. */
    result(): W & { tocEntries: number; blocks?: BlockSums; toc?: WrittenToc } {
      if (!written || tocEntries === undefined) throw new PgbrError('tool-failed', 'the dump was not finished');
      const sums = blocks?.finish();
      return { ...written, tocEntries, ...(sums ? { blocks: sums, ...(tree ? { toc: { ...tree, head: sums.head } } : {}) } : {}) };
    },
    /** Why the data did not follow pg_dump's layout, when block sums were asked for and could not be taken. */
    blocksLost: (): string | undefined => blocks?.lost,
  };
}
