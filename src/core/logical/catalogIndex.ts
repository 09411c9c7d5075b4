// A dump folder's manifests, read once and kept in the user's cache folder, so listing 10,000 dumps
// again costs a stat per manifest instead of reading and parsing each one.
//
// Why it is never stale: a manifest's parsed value is a function of its bytes and of the code that
// parsed them. The index records, per manifest, the file's identity when it was read (size, mtimeMs,
// ino, ctimeMs) and the build of the reader that wrote it; an entry is used only when the reader is
// this build's and the manifest's stat gives the same identity now. Each listing still reads the
// folder (a dump or manifest added, removed or renamed is seen by name) and stats every dump (a dump
// cut short or replaced shows in its size and time, as without the index); only the manifests' reads
// and parses are spared.
//
// Why a stat per manifest and not the folder's mtime: the folder's mtime moves when a name is added,
// removed or renamed, not when a file is rewritten in place (an editor saving a manifest, a copy
// over it), so it cannot vouch for a manifest's bytes. A stat of each manifest costs about 3 µs
// (10,000 in some 30 ms on a local disk), a fraction of reading and parsing it, and catches both.
// A rewrite of the same size inside the same clock tick as the read keeps size and mtime, and may
// keep ctime on a file system with coarse timestamps: as git's racy-index rule does, an entry whose
// ctime or mtime is not clearly older than the listing that read it (RACY_MS) is not kept, so it is
// read again next time, until it has settled. Rewriting in place also keeps the inode, so ctime (which
// no program can set back, unlike mtime) carries that case; a rename over it changes the inode.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { indexPlace, type IndexPlace } from '../platform/cacheFolder';
import type { DumpManifest } from './manifest';

/** Bump when what the index holds changes shape. 2: the entries as one JSON line, the manifests' bytes after it. */
const INDEX_FORMAT = 2;

/**
 * How much older than the listing a manifest's ctime and mtime must be for its entry to be kept:
 * more than any file system's timestamp granularity (FAT's mtime: 2 s) and a little clock skew
 * between this machine and a network share's server.
 */
export const RACY_MS = 3000;

/** Set by the build (scripts/cli-build.mjs catalogReaderId): a hash of the code that reads manifests and lists dumps. */
declare const PGBR_CATALOG_READER: string | undefined;

/** The reader an index is written and read by: this build's, or undefined when running from source (keep no index then). */
export const BUILT_CATALOG_READER: string | undefined = typeof PGBR_CATALOG_READER === 'string' && PGBR_CATALOG_READER !== '' ? PGBR_CATALOG_READER : undefined;

/** Where a listing keeps its index, and the build that reads it. */
export interface CatalogIndexPlace extends IndexPlace {
  /** The clock the racy rule compares file times with (tests set it ahead); `Date.now` by default. */
  now?: () => number;
}

/** The index place for this environment: none without a build's reader, without a cache folder, or with PGBR_NO_CATALOG_INDEX set. */
export function catalogIndexPlace(env: NodeJS.ProcessEnv, reader: string | undefined = BUILT_CATALOG_READER): CatalogIndexPlace | undefined {
  return indexPlace(env, 'PGBR_NO_CATALOG_INDEX', reader);
}

/** The index file of a folder: named by a hash of its real path, in `<cache>/catalog/`. */
export function catalogIndexFile(cacheDir: string, realFolder: string): string {
  return path.join(cacheDir, 'catalog', `${createHash('sha256').update(realFolder).digest('hex').slice(0, 32)}.idx`);
}

/**
 * What listings and retention read of a manifest: enough to list, sort and judge a dump without
 * parsing the rest (table counts, checksums, verification details), which the index keeps as text.
 */
export interface ManifestBrief {
  plan?: string;
  startedAt?: string;
  finishedAt?: string;
  sizeBytes: number;
  verification?: 'passed' | 'failed';
  /** The message of the damage a check recorded in the manifest. */
  damage?: string;
}

export function briefOf(m: DumpManifest): ManifestBrief {
  return {
    ...(m.plan !== undefined ? { plan: m.plan } : {}),
    ...(m.startedAt !== undefined ? { startedAt: m.startedAt } : {}),
    ...(m.finishedAt !== undefined ? { finishedAt: m.finishedAt } : {}),
    sizeBytes: m.sizeBytes,
    ...(m.verification ? { verification: m.verification.status } : {}),
    ...(m.damage?.message !== undefined ? { damage: m.damage.message } : {}),
  };
}

/**
 * A manifest's JSON as the index file holds it: a range of the file's bytes, decoded only when the
 * manifest itself is read (a retention preview of 10,000 dumps reads none, only their briefs).
 */
export class StoredManifest {
  constructor(
    readonly file: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  text(): string {
    return this.file.toString('utf8', this.start, this.end);
  }
}

/**
 * A manifest as a listing read it: its brief with the manifest itself (parsed, or its JSON as the
 * index holds it, parsed only when asked for), or why it could not be read.
 */
export type ManifestReading =
  | { brief: ManifestBrief; manifest: DumpManifest; stored?: undefined; error?: undefined }
  | { brief: ManifestBrief; manifest?: undefined; stored: StoredManifest; error?: undefined }
  | { brief?: undefined; manifest?: undefined; stored?: undefined; error: string };

/** One manifest of the index: its identity when read, and what reading it gave. */
export interface IndexedManifest {
  size: number;
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
  reading: ManifestReading;
}

interface IndexHead {
  v: number;
  reader: string;
  folder: string;
}

/**
 * The fields of one entry in the index file's second line, a flat JSON array of scalars (no object
 * per entry to parse): the dump's name, its manifest's size, mtimeMs, ino, ctimeMs, error, then the brief's plan, startedAt,
 * finishedAt, sizeBytes, verification and damage (null when absent), then the manifest's bytes.
 */
const FIELDS = 13;
type Scalar = string | number | null;

/**
 * The index of one folder as read from its file: entries are made into objects only when a listing
 * uses them. Entries are written in the order a listing met them, and the next listing of the same
 * folder meets them in the same order (readdir's order changes only when names do), so each lookup
 * tries the entry after the last one found before it asks a map by name, built on the first miss.
 */
export class FolderIndex {
  private rowOf: Map<string, number> | undefined;
  private next = 0;
  /** Where each entry's manifest bytes start in `file`, and end (`starts[row + 1]`). */
  private readonly starts: number[];

  constructor(
    private readonly file: Buffer,
    private readonly fields: Scalar[],
    firstByte: number,
  ) {
    const count = fields.length / FIELDS;
    this.starts = new Array<number>(count + 1);
    let at = firstByte;
    for (let row = 0; row < count; row++) {
      this.starts[row] = at;
      at += fields[row * FIELDS + 12] as number;
    }
    this.starts[count] = at;
  }

  get size(): number {
    return this.fields.length / FIELDS;
  }

  /** Where the manifests' bytes end: the file's length for an index written whole. */
  get end(): number {
    return this.starts[this.starts.length - 1] as number;
  }

  /** The entry of the dump `name` when its manifest's stat now is the one it was read at (size, mtimeMs, ino, ctimeMs), else -1. */
  unchanged(name: string, stat: Stats): number {
    const f = this.fields;
    let row = this.next;
    if (row * FIELDS >= f.length || f[row * FIELDS] !== name) {
      this.rowOf ??= new Map(Array.from({ length: this.size }, (_, r) => [f[r * FIELDS] as string, r]));
      const found = this.rowOf.get(name);
      if (found === undefined) return -1;
      row = found;
    }
    this.next = row + 1;
    const at = row * FIELDS;
    return f[at + 1] === stat.size && f[at + 2] === stat.mtimeMs && f[at + 3] === stat.ino && f[at + 4] === stat.ctimeMs ? row : -1;
  }

  /** What reading the manifest of entry `row` gave. */
  reading(row: number): ManifestReading {
    const f = this.fields;
    const at = row * FIELDS;
    const error = f[at + 5];
    if (error !== null) return { error: typeof error === 'string' ? error : 'the catalogue index holds no manifest' };
    const brief: ManifestBrief = { sizeBytes: f[at + 9] as number };
    if (f[at + 6] !== null) brief.plan = f[at + 6] as string;
    if (f[at + 7] !== null) brief.startedAt = f[at + 7] as string;
    if (f[at + 8] !== null) brief.finishedAt = f[at + 8] as string;
    if (f[at + 10] !== null) brief.verification = f[at + 10] as 'passed' | 'failed';
    if (f[at + 11] !== null) brief.damage = f[at + 11] as string;
    return { brief, stored: new StoredManifest(this.file, this.starts[row] as number, this.starts[row + 1] as number) };
  }

  /** Entry `row` as a whole, to be written again. */
  entry(row: number, reading: ManifestReading = this.reading(row)): IndexedManifest {
    const f = this.fields;
    const at = row * FIELDS;
    return { size: f[at + 1] as number, mtimeMs: f[at + 2] as number, ino: f[at + 3] as number, ctimeMs: f[at + 4] as number, reading };
  }
}

/**
 * The index of `realFolder`; undefined when there is none, or it was written by another reader or for
 * another folder, or it cannot be read or parsed, or it is cut short (it is then written afresh).
 *
 * The file: a JSON head line; one JSON line with every entry's fields (FIELDS), parsed in one call;
 * then the manifests' JSON, each entry's count of bytes of it in the entries' order, decoded only when
 * a manifest is read. Format 1 had a JSON line per manifest with its text: a listing of 10,000 decoded
 * 6.5 MB of UTF-8 and made 10,000 JSON.parse calls and 40,000 objects before comparing a single stat.
 * Read as one buffer, synchronously, as the listing's stats are.
 */
export function readCatalogIndex(place: CatalogIndexPlace, realFolder: string): FolderIndex | undefined {
  let file: Buffer;
  try {
    file = readFileSync(catalogIndexFile(place.cacheDir, realFolder));
  } catch {
    return undefined;
  }
  try {
    const headEnd = file.indexOf(10);
    const rowsEnd = headEnd < 0 ? -1 : file.indexOf(10, headEnd + 1);
    if (rowsEnd < 0) return undefined;
    const head = JSON.parse(file.toString('utf8', 0, headEnd)) as IndexHead;
    if (head.v !== INDEX_FORMAT || head.reader !== place.reader || head.folder !== realFolder) return undefined;
    const fields = JSON.parse(file.toString('utf8', headEnd + 1, rowsEnd)) as Scalar[];
    if (!Array.isArray(fields) || fields.length % FIELDS !== 0) return undefined;
    const index = new FolderIndex(file, fields, rowsEnd + 1);
    // A file cut short (a full disk) or with more after it was not written by writeCatalogIndex: none of it is used.
    return index.end === file.length ? index : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a manifest read at `listedAt` with this stat may be kept: it had settled before the listing (see RACY_MS). */
export function settled(stat: Stats, listedAt: number): boolean {
  return stat.ctimeMs < listedAt - RACY_MS && stat.mtimeMs < listedAt - RACY_MS;
}

/**
 * Writes the index of `realFolder`, atomically (a temporary name, then rename) and readable by this
 * user only, in a folder only this user can enter. A cache that cannot be written only costs time.
 */
export async function writeCatalogIndex(place: CatalogIndexPlace, realFolder: string, entries: ReadonlyMap<string, IndexedManifest>): Promise<void> {
  const file = catalogIndexFile(place.cacheDir, realFolder);
  const head: IndexHead = { v: INDEX_FORMAT, reader: place.reader, folder: realFolder };
  const fields: Scalar[] = [];
  const texts: Buffer[] = [];
  for (const [name, e] of entries) {
    const r = e.reading;
    const text = r.stored ? r.stored.file.subarray(r.stored.start, r.stored.end) : Buffer.from(r.manifest ? JSON.stringify(r.manifest) : '', 'utf8');
    const b = r.brief;
    fields.push(name, e.size, e.mtimeMs, e.ino, e.ctimeMs, r.error ?? null, b?.plan ?? null, b?.startedAt ?? null, b?.finishedAt ?? null, b?.sizeBytes ?? null, b?.verification ?? null, b?.damage ?? null, text.length);
    texts.push(text);
  }
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // JSON text holds no raw newline, so the head and the entries end at the first two.
    await fs.writeFile(temp, Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n${JSON.stringify(fields)}\n`, 'utf8'), ...texts]), { mode: 0o600 });
    await fs.rename(temp, file);
  } catch {
    // Only time is lost.
    await fs.rm(temp, { force: true }).catch(() => undefined);
  }
}
