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

/** Bump when what the index holds changes shape. */
const INDEX_FORMAT = 1;

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
 * A manifest as a listing read it: its brief with the manifest itself (parsed, or its JSON text when
 * it comes from the index, parsed only when asked for), or why it could not be read.
 */
export type ManifestReading =
  | { brief: ManifestBrief; manifest: DumpManifest; text?: undefined; error?: undefined }
  | { brief: ManifestBrief; manifest?: undefined; text: string; error?: undefined }
  | { brief?: undefined; manifest?: undefined; text?: undefined; error: string };

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

/** Whether a manifest's stat now is the one its entry was read at. */
export function sameIdentity(entry: IndexedManifest, stat: Stats): boolean {
  return entry.size === stat.size && entry.mtimeMs === stat.mtimeMs && entry.ino === stat.ino && entry.ctimeMs === stat.ctimeMs;
}

/**
 * The index of `realFolder`, by manifest file name; empty when there is none, or it was written by
 * another reader or for another folder, or it cannot be read or parsed (it is then written afresh).
 *
 * The file: a JSON head line, then one line per manifest, `[name, size, mtimeMs, ino, ctimeMs, error,
 * brief]` as JSON, a tab, and the manifest as JSON (empty after an error). JSON text holds no raw tab
 * or newline, so each line splits at its first tab; the manifests' text is kept, not parsed.
 * Read synchronously, as the listing's stats are: one read, where the promise-based read decodes the
 * text chunk by chunk and took several times longer for an index of 10,000 manifests (5 MB).
 */
export function readCatalogIndex(place: CatalogIndexPlace, realFolder: string): Map<string, IndexedManifest> {
  const found = new Map<string, IndexedManifest>();
  let text: string;
  try {
    text = readFileSync(catalogIndexFile(place.cacheDir, realFolder), 'utf8');
  } catch {
    return found;
  }
  try {
    const lines = text.split('\n');
    const head = JSON.parse(lines[0] ?? '') as IndexHead;
    if (head.v !== INDEX_FORMAT || head.reader !== place.reader || head.folder !== realFolder) return found;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line === '') continue;
      const tab = line.indexOf('\t');
      const [name, size, mtimeMs, ino, ctimeMs, error, brief] = JSON.parse(line.slice(0, tab)) as [string, number, number, number, number, string | null, ManifestBrief | null];
      const reading: ManifestReading = error === null && brief ? { brief, text: line.slice(tab + 1) } : { error: error ?? 'the catalogue index holds no manifest' };
      found.set(name, { size, mtimeMs, ino, ctimeMs, reading });
    }
    return found;
  } catch {
    return new Map();
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
  const lines = [JSON.stringify(head)];
  for (const [name, e] of entries) {
    const r = e.reading;
    const text = r.text ?? (r.manifest ? JSON.stringify(r.manifest) : '');
    lines.push(`${JSON.stringify([name, e.size, e.mtimeMs, e.ino, e.ctimeMs, r.error ?? null, r.brief ?? null])}\t${text}`);
  }
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.writeFile(temp, `${lines.join('\n')}\n`, { mode: 0o600 });
    await fs.rename(temp, file);
  } catch {
    // Only time is lost.
    await fs.rm(temp, { force: true }).catch(() => undefined);
  }
}
