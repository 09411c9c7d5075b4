// A dump's table of contents, read once and kept in the user's cache folder, so listing a dump of
// 10,000 tables again costs a hash of its TOC instead of parsing 30,000 entries.
//
// Why it is never stale: the tree is a function of the archive's TOC bytes alone (the first `bytes`
// bytes of a custom file, or of a directory dump's toc.dat) and of the code that read them. The index
// records the sha256 of exactly those bytes and the build of the reader that wrote it; it is used only
// when both match, so a dump rewritten in place, cut short inside its TOC or read by another build
// reads afresh. What lies after the TOC (is the data all there?) is checked on every listing.
// Encrypted dumps are never indexed: their names would sit in the clear beside a dump kept secret.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { DumpFormat } from '../manifest';
import { indexPlace, type IndexPlace } from '../../platform/cacheFolder';
import { dataPastEnd } from './archive';
import { compactTree, groupToc, type CompactTocTree, type TocTree } from './tree';
import type { ArchiveLayout, Toc, TocHeader } from './types';

/** Bump when what the index holds changes shape. */
const INDEX_FORMAT = 1;

/** Set by the build (scripts/cli-build.mjs tocReaderId): a hash of this folder's code, the same in the extension and pgbr. */
declare const PGBR_TOC_READER: string | undefined;

/** The reader an index is written and read by: this build's, or undefined when running from source (keep no index then). */
export const BUILT_TOC_READER: string | undefined = typeof PGBR_TOC_READER === 'string' && PGBR_TOC_READER !== '' ? PGBR_TOC_READER : undefined;

/** Where TOC indexes are kept, and the build that reads them. */
export type TocIndexPlace = IndexPlace;

/** The TOC index place for this environment: none without a build's reader, without a cache folder, or with PGBR_NO_TOC_INDEX set. */
export function tocIndexPlace(env: NodeJS.ProcessEnv, reader: string | undefined = BUILT_TOC_READER): TocIndexPlace | undefined {
  return indexPlace(env, 'PGBR_NO_TOC_INDEX', reader);
}

/** What a listing needs, from the index: the tree as JSON text (written out as it is), the header and the layout. */
export interface IndexedToc {
  format: DumpFormat;
  header: TocHeader;
  layout: ArchiveLayout;
  /** The compact tree, JSON text. */
  treeJson: string;
}

interface IndexHead {
  v: number;
  reader: string;
  dump: string;
  format: 'custom' | 'directory';
  bytes: number;
  sha256: string;
  header: TocHeader;
  layout: ArchiveLayout;
}

/** The index file of a dump: named by a hash of its real path, in `<cache>/toc/`. */
export function tocIndexFile(cacheDir: string, realDumpPath: string): string {
  return path.join(cacheDir, 'toc', `${createHash('sha256').update(realDumpPath).digest('hex').slice(0, 32)}.json`);
}

/** The file whose first bytes are the TOC: the dump itself, or a directory dump's toc.dat. */
function tocFileOf(dumpPath: string, format: 'custom' | 'directory'): string {
  return format === 'directory' ? path.join(dumpPath, 'toc.dat') : dumpPath;
}

const HASH_CHUNK = 1 << 20;

/** sha256 of the first `bytes` bytes of `file`; undefined when it is shorter or cannot be read. */
async function prefixHash(file: string, bytes: number): Promise<string | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(bytes, HASH_CHUNK));
    for (let at = 0; at < bytes; ) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, bytes - at), at);
      if (bytesRead === 0) return undefined;
      hash.update(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
    return hash.digest('hex');
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The indexed TOC of `dumpPath` when the index was written by `reader` from the TOC bytes the dump holds now; else undefined. */
export async function readTocIndex(dumpPath: string, cacheDir: string, reader: string): Promise<IndexedToc | undefined> {
  let text: string;
  let real: string;
  try {
    real = await fs.realpath(dumpPath);
    text = await fs.readFile(tocIndexFile(cacheDir, real), 'utf8');
  } catch {
    return undefined;
  }
  const cut = text.indexOf('\n');
  if (cut < 0) return undefined;
  let head: IndexHead;
  try {
    head = JSON.parse(text.slice(0, cut)) as IndexHead;
  } catch {
    return undefined;
  }
  if (head.v !== INDEX_FORMAT || head.reader !== reader || head.dump !== real || !(head.bytes > 0)) return undefined;
  if ((await prefixHash(tocFileOf(real, head.format), head.bytes)) !== head.sha256) return undefined;
  return { format: head.format, header: head.header, layout: head.layout, treeJson: text.slice(cut + 1) };
}

/**
 * Keeps the tree of a TOC read from an unencrypted custom or directory archive, written atomically
 * (a temporary name, then rename) and readable by this user only. Failing to write only costs time.
 */
export async function writeTocIndex(toc: Toc, treeJson: string, cacheDir: string, reader: string): Promise<void> {
  if (toc.source !== 'archive' || toc.encryption || !toc.layout || (toc.format !== 'custom' && toc.format !== 'directory')) return;
  try {
    const real = await fs.realpath(toc.path);
    const bytes = toc.layout.tocEnd;
    const sha256 = await prefixHash(tocFileOf(real, toc.format), bytes);
    if (sha256) await writeIndexFile(cacheDir, { v: INDEX_FORMAT, reader, dump: real, format: toc.format, bytes, sha256, header: toc.header, layout: toc.layout }, treeJson);
  } catch {
    // Only time is lost.
  }
}

/** What a dump knows of its TOC as it writes it: the TOC's tree and place, and the sha256 of the bytes before its data. */
export interface WrittenToc {
  header: TocHeader;
  layout: ArchiveLayout;
  treeJson: string;
  head: { length: number; sha256: string };
}

/**
 * The index of a custom dump just written, from what was read of its TOC as pg_dump's output passed
 * (no second read): its head sum covers exactly the TOC's bytes, or nothing is written.
 */
export async function indexWrittenDump(dumpPath: string, written: WrittenToc, cacheDir: string, reader: string): Promise<void> {
  if (written.head.length !== written.layout.tocEnd) return;
  try {
    const real = await fs.realpath(dumpPath);
    const { header, layout, treeJson, head } = written;
    await writeIndexFile(cacheDir, { v: INDEX_FORMAT, reader, dump: real, format: 'custom', bytes: head.length, sha256: head.sha256, header, layout }, treeJson);
  } catch {
    // Only time is lost.
  }
}

async function writeIndexFile(cacheDir: string, head: IndexHead, treeJson: string): Promise<void> {
  const file = tocIndexFile(cacheDir, head.dump);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, `${JSON.stringify(head)}\n${treeJson}`, { mode: 0o600 });
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** The tree of an index, parsed (for the text listing). */
export function indexedTree(indexed: IndexedToc): CompactTocTree {
  return JSON.parse(indexed.treeJson) as CompactTocTree;
}

/** What the file shows of itself after its TOC, checked on every listing: a custom dump whose data is cut short. */
export async function indexedDamage(dumpPath: string, indexed: IndexedToc): Promise<string | undefined> {
  return indexed.format === 'custom' ? dataPastEnd(dumpPath, indexed.layout) : undefined;
}

/** A dump's tree as a view shows it: from the index when it holds the TOC as it is now, else read and indexed for next time. */
export interface ViewedToc {
  tree: CompactTocTree;
  /** What the file shows of itself after its TOC (a custom dump whose data is cut short). */
  damage?: string;
  /** Every entry, grouped, when the TOC was read rather than taken from the index. */
  grouped?: TocTree;
  /** The index being written after a read: nothing to wait for, except in tests. */
  indexing?: Promise<void>;
}

export interface ViewedTocOptions {
  /** The catalog's format of the dump: only custom and directory archives are indexed. */
  format: DumpFormat;
  encrypted: boolean;
  /** Where indexes are kept (tocIndexPlace); without one, the TOC is read every time. */
  place: TocIndexPlace | undefined;
}

/**
 * The tree of `dumpPath` for a view's first levels (schemas, then their relations): the index's when it
 * matches, else `read()`'s, whose TOC is then indexed, so a dump of 10,000 tables is parsed once per
 * content. Encrypted dumps are read every time (never indexed), and so are plain and tar dumps.
 */
export async function viewedToc(dumpPath: string, read: () => Promise<Toc>, opts: ViewedTocOptions): Promise<ViewedToc> {
  const place = !opts.encrypted && (opts.format === 'custom' || opts.format === 'directory') ? opts.place : undefined;
  const hit = place && (await readTocIndex(dumpPath, place.cacheDir, place.reader));
  if (hit) {
    const damage = await indexedDamage(dumpPath, hit);
    return { tree: indexedTree(hit), ...(damage ? { damage } : {}) };
  }
  const toc = await read();
  const grouped = groupToc(toc.entries);
  const tree = compactTree(grouped);
  const viewed: ViewedToc = { tree, grouped, ...(toc.damage ? { damage: toc.damage } : {}) };
  if (place) viewed.indexing = writeTocIndex(toc, JSON.stringify(tree), place.cacheDir, place.reader);
  return viewed;
}
