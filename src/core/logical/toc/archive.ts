// Reading the archive's own table of contents: custom files, a directory dump's toc.dat, the first member of a tar dump.
//
// Why the archive is read directly: `pg_restore --list` prints `schema tag owner` unquoted and separated
// by single spaces (pg_backup_archiver.c says the name fields "aren't automatically parseable"), so
// `TABLE My Schema with space postgres` has several readings. The archive's own TOC (custom file, the
// `toc.dat` of a directory dump, the first member of a tar dump) stores each field as a length-prefixed
// string, so reading it gives every name exactly, plus the dependency ids that tie an index, a default
// or an owned sequence to its table. The lines are rebuilt byte for byte as pg_restore prints them (a
// `-L` list only needs the id before the `;`). Archive versions this reader does not know, and tables of
// contents compressed with lz4 or zstd, fall back to `pg_restore --list --verbose`, whose names are split
// with the heuristics in `parseTocList` and flagged `ambiguous` where a space made a guess necessary.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { DumpFormat } from '../manifest';
import { gunzip } from 'node:zlib';
import { type EntrySink, FORMAT_LABELS, NeedMore, TocCursor, UnsupportedArchive, readArchiveHeaderFrom, readEntry } from './cursor';
import { TAR_BLOCK, isFile } from './format';
import { toEntries } from './relations';
import type { ArchiveLayout, TocEntry, TocHeader } from './types';


const READ_CHUNK = 4 << 20;
/** No real table of contents comes near this; a length field that asks for more is corruption. */
const MAX_TOC_BYTES = 1 << 30;

/**
 * Reads the header and table of contents of a custom, directory or tar archive. Throws
 * `UnsupportedArchive` for layouts it does not know (the caller falls back to pg_restore) and a
 * PgbrError when the archive ends inside its table of contents.
 */
export async function readArchive(dumpPath: string, format: DumpFormat): Promise<{ header: TocHeader; entries: TocEntry[]; layout: ArchiveLayout; damage?: string }> {
  let source: ByteSource;
  if (format === 'directory') {
    const plain = path.join(dumpPath, 'toc.dat');
    if (await isFile(plain)) source = await wholeFile(plain);
    else if (await isFile(`${plain}.gz`)) source = wholeBuffer(await promisify(gunzip)(await fs.readFile(`${plain}.gz`)));
    else throw new UnsupportedArchive('the table of contents is compressed with lz4 or zstd');
  } else if (format === 'tar') {
    source = await tarMember(dumpPath, 'toc.dat');
  } else {
    source = await chunkedFile(dumpPath);
  }
  try {
    const read = await readArchiveSource(source, format);
    const { header, entries, lastDataOffset, unplacedData, intSize, tocEnd } = read;
    const layout: ArchiveLayout = { lastDataOffset, unplacedData, intSize, tocEnd };
    const damage = format === 'custom' ? await dataPastEnd(dumpPath, layout) : undefined;
    return { header, entries, layout, ...(damage ? { damage } : {}) };
  } finally {
    await source.close();
  }
}

/**
 * The header and table of contents from any source of an archive's bytes: a file read a chunk at a
 * time, or a stream (a decrypted dump's head, pg_dump's output on its way to encryption), read only
 * as far as its table of contents goes.
 */
export interface ArchiveRead extends ArchiveLayout {
  header: TocHeader;
  entries: TocEntry[];
}

export async function readArchiveSource(source: ByteSource, format: DumpFormat): Promise<ArchiveRead> {
  const c = new TocCursor(source.buf, source.end);
  const { header, formatCode } = await withMore(source, c, () => readArchiveHeaderFrom(c));
  // A directory dump's toc.dat says "tar" (pg_backup_directory.c: the layouts are compatible).
  const expected = format === 'custom' ? [1] : [3, 5];
  if (!expected.includes(formatCode)) throw new UnsupportedArchive(`format code ${formatCode} does not match a ${format} dump`);
  header.format = FORMAT_LABELS[format];
  const count = await withMore(source, c, () => c.int());
  header.tocEntries = count;
  const sink: EntrySink = { all: [], listed: [], dropTables: new Map(), lastDataOffset: -1, unplacedData: false };
  // Entries are read synchronously from the buffer; only a read that runs off its end waits for more.
  while (sink.all.length < count) {
    const start = c.pos;
    try {
      readEntry(c, formatCode, sink);
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      await refill(source, c, start);
    }
  }
  return { header, entries: toEntries(sink), lastDataOffset: sink.lastDataOffset, unplacedData: sink.unplacedData, intSize: c.intSize, tocEnd: c.consumed + c.pos };
}

/**
 * A custom dump cut short keeps its table of contents (it is at the start) but loses data. The data
 * blocks follow the TOC in order, and a block ends with a zero-length chunk (a zero sign byte and
 * intSize zero bytes; pg_backup_custom.c). Written to a file, the block at the largest recorded
 * offset is the last thing in the file, so that offset and its block header must lie inside it.
 * Written to a pipe, the TOC records no offsets: then data must follow the TOC. Either way the file
 * must end with the end-of-block marker.
 */
export async function dataPastEnd(dumpPath: string, read: ArchiveLayout): Promise<string | undefined> {
  const { lastDataOffset, intSize, tocEnd } = read;
  if (lastDataOffset < 0 && !read.unplacedData) return undefined;
  const size = (await fs.stat(dumpPath)).size;
  const marker = 1 + intSize;
  const blockHeader = 1 + marker;
  if (lastDataOffset >= 0 && lastDataOffset + blockHeader > size) {
    return `the dump is truncated: its table of contents places data at byte ${lastDataOffset}, but the file ends at byte ${size}. Take the dump again or restore an older one.`;
  }
  if (lastDataOffset < 0 && tocEnd + blockHeader > size) {
    return `the dump is truncated: it ends at byte ${size}, with its table of contents, before the data it lists. Take the dump again or restore an older one.`;
  }
  const tail = Buffer.alloc(marker);
  const fh = await fs.open(dumpPath, 'r');
  try {
    await fh.read(tail, 0, marker, size - marker);
  } finally {
    await fh.close();
  }
  if (tail.every((b) => b === 0)) return undefined;
  const from = lastDataOffset >= 0 ? ` (from byte ${lastDataOffset})` : '';
  return `the dump is truncated: its last data block${from} does not end where the file ends (byte ${size}). Take the dump again or restore an older one.`;
}

export interface ByteSource {
  buf: Buffer;
  end: number;
  /** Loads more bytes, keeping those from `keepFrom` on; returns the shift applied to positions, or -1 at end of file. */
  more(keepFrom: number): Promise<number>;
  close(): Promise<void>;
}

function wholeBuffer(buf: Buffer): ByteSource {
  return { buf, end: buf.length, more: async () => -1, close: async () => {} };
}

export async function wholeFile(file: string): Promise<ByteSource> {
  return wholeBuffer(await fs.readFile(file));
}

/** The custom format keeps its TOC at the front of a file that may be huge: read it a chunk at a time. */
export async function chunkedFile(file: string): Promise<ByteSource> {
  const handle = await fs.open(file, 'r');
  const source = streamSource(fileChunks(handle), () => handle.close());
  await source.more(0);
  return source;
}

async function* fileChunks(handle: fs.FileHandle): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
    if (bytesRead === 0) return;
    yield chunk.subarray(0, bytesRead);
  }
}

/** Bytes as a stream yields them, kept only from the cursor's last whole entry on: the head of a file that is never on disk in the clear. */
export function streamSource(chunks: AsyncIterator<Uint8Array>, close: () => Promise<void> = async () => {}): ByteSource {
  const source: ByteSource = {
    buf: Buffer.alloc(0),
    end: 0,
    async more(keepFrom) {
      const kept = source.end - keepFrom;
      if (kept > MAX_TOC_BYTES) throw new TruncatedArchive();
      const next = await chunks.next();
      if (next.done) return -1;
      source.buf = Buffer.concat([source.buf.subarray(keepFrom, source.end), next.value]);
      source.end = source.buf.length;
      return keepFrom;
    },
    close,
  };
  return source;
}

/** The first member of a pg_dump tar archive is `toc.dat`; read just it. */
export async function tarMember(file: string, name: string): Promise<ByteSource> {
  const handle = await fs.open(file, 'r');
  try {
    const header = Buffer.alloc(TAR_BLOCK);
    const { bytesRead } = await handle.read(header, 0, TAR_BLOCK, 0);
    if (bytesRead < TAR_BLOCK) throw new NeedMore();
    const memberName = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    if (memberName !== name) throw new UnsupportedArchive(`the first member of the tar dump is ${memberName}, not ${name}`);
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const buf = Buffer.alloc(size);
    const read = await handle.read(buf, 0, size, TAR_BLOCK);
    return wholeBuffer(buf.subarray(0, read.bytesRead));
  } finally {
    await handle.close();
  }
}

/** Runs one read, loading more of the file and retrying from the same place while bytes are missing. */
async function withMore<T>(source: ByteSource, c: TocCursor, read: () => T): Promise<T> {
  for (;;) {
    const start = c.pos;
    try {
      return read();
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      await refill(source, c, start);
    }
  }
}

/** Loads more of the file, keeping the bytes from `start` on, and rewinds the cursor to `start`. */
async function refill(source: ByteSource, c: TocCursor, start: number): Promise<void> {
  const shift = await source.more(start);
  if (shift < 0) throw new TruncatedArchive();
  c.buf = source.buf;
  c.end = source.end;
  c.pos = start - shift;
  c.consumed += shift;
}

export class TruncatedArchive extends Error {}
