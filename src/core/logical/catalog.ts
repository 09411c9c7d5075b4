// Lists the dumps in a folder: each with its format, size, time and manifest, plus stale `.partial` leftovers.
import { statSync, type Dirent, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readManifestSync, VERIFY_REPORT_SUFFIX, type DumpFormat, type DumpManifest } from './manifest';
import { briefOf, readCatalogIndex, settled, writeCatalogIndex, type CatalogIndexPlace, type FolderIndex, type IndexedManifest, type ManifestBrief, type ManifestReading, type StoredManifest } from './catalogIndex';
import { sizeDamage } from './integrity';
import { claimedPaths } from '../platform/partials';
import { sizeOnDisk } from '../platform/fsutil';

export interface CatalogEntry {
  path: string;
  name: string;
  format: DumpFormat;
  /** Plain SQL compressed with gzip (`.sql.gz`). */
  gzip: boolean;
  /** `<name>.dump.age` / `.dump.gpg`: a custom archive encrypted to its manifest's recipients. */
  encryption?: 'age' | 'gpg';
  sizeBytes: number;
  /** The dump's finish time from its manifest, else the file's modification time. */
  time: Date;
  manifest?: DumpManifest;
  /** What listings and retention read of the manifest, there whenever `manifest` is (a listing from the catalogue index parses the manifest itself only when it is read). */
  brief?: ManifestBrief;
  /** A manifest that exists but cannot be read: shown, not fatal. */
  manifestError?: string;
  /** Why the dump is not what was written (truncated, changed, checksums that failed): shown as damaged. */
  damage?: string;
}

export interface Catalog {
  folder: string;
  dumps: CatalogEntry[];
  /**
   * Files or folders named `*.partial`: a dump that failed, was cancelled or is still running.
   * `running`: a live pgbr or editor (this one included) has it on record as its work in progress.
   */
  partials: { path: string; sizeBytes: number; time: Date; running: boolean }[];
  /** The folder does not exist yet (nothing dumped there): not an error. */
  missing: boolean;
}

/** What a name says about a dump; `undefined` for files that are not dumps (manifests, verify reports, notes). */
export function formatFromName(name: string, isDirectory: boolean): { format: DumpFormat; gzip: boolean; encryption?: 'age' | 'gpg' } | undefined {
  if (name.endsWith('.partial') || name.endsWith('.manifest.json') || name.endsWith(VERIFY_REPORT_SUFFIX) || name.startsWith('.')) return undefined;
  if (isDirectory) return undefined; // decided by the presence of toc.dat
  if (name.endsWith('.dump') || name.endsWith('.backup')) return { format: 'custom', gzip: false };
  // pgbr encrypts custom archives, and globals scripts (dumpEncrypted.ts).
  if (name.endsWith('.dump.age')) return { format: 'custom', gzip: false, encryption: 'age' };
  if (name.endsWith('.dump.gpg')) return { format: 'custom', gzip: false, encryption: 'gpg' };
  if (name.endsWith('.sql.age')) return { format: 'plain', gzip: false, encryption: 'age' };
  if (name.endsWith('.sql.gpg')) return { format: 'plain', gzip: false, encryption: 'gpg' };
  if (name.endsWith('.tar')) return { format: 'tar', gzip: false };
  if (name.endsWith('.sql')) return { format: 'plain', gzip: false };
  if (name.endsWith('.sql.gz')) return { format: 'plain', gzip: true };
  return undefined;
}

/**
 * How many folder entries are looked at between two turns of the event loop. The listing uses
 * synchronous stat and reads in slices, as the WAL scan does: measured on 10,000 dumps with their
 * manifests (ext4, page cache warm), a stat and a manifest read and parse cost about 17 µs together
 * this way, against 70-90 µs for the read alone through `fs.promises` (open, fstat, read and close
 * each a trip through the thread pool and a promise), whatever the concurrency. A slice of 500
 * entries (about half of them manifests, skipped by name) blocks for a few milliseconds on a local
 * disk; on a slow network share each slice blocks for longer.
 */
const LIST_SLICE = 500;

/** What one folder entry is, learnt with as few calls as its directory entry allows. */
type Found =
  | { kind: 'dump'; dirent: Dirent; full: string; stat: Stats; format: { format: DumpFormat; gzip: boolean } }
  | { kind: 'partial'; full: string; stat: Stats };

const statOrUndefined = (p: string): Stats | undefined => {
  try {
    // No options object: checking one on every call showed in a profile of 10,000 dumps.
    return statSync(p);
  } catch {
    return undefined; // unreadable, or a link into nowhere: not listed, as before
  }
};

/**
 * The entry as a dump or a leftover, or undefined. A manifest, a verify report or any other plain
 * file that is not a dump by its name costs no call at all: the directory entry says it is a file.
 * Links and entries of unknown type are followed with a stat, as a dump behind a link counts.
 */
function lookAt(prefix: string, dirent: Dirent): Found | undefined {
  const name = dirent.name;
  // `.<name>.<hex>.partial` is a manifest or report being written atomically this instant; hidden names are never dumps.
  if (name.startsWith('.')) return undefined;
  const full = prefix + name;
  if (name.endsWith('.partial')) {
    const stat = statOrUndefined(full);
    return stat && { kind: 'partial', full, stat };
  }
  const knownFile = dirent.isFile();
  const knownDirectory = dirent.isDirectory();
  if (knownFile && !formatFromName(name, false)) return undefined;
  let stat: Stats | undefined;
  if (!knownFile && !knownDirectory) {
    stat = statOrUndefined(full);
    if (!stat) return undefined;
  }
  if (knownDirectory || stat?.isDirectory()) {
    // A directory dump is a folder with toc.dat in it, whatever its name.
    if (!statOrUndefined(path.join(full, 'toc.dat'))) return undefined;
    stat ??= statOrUndefined(full);
    return stat && { kind: 'dump', dirent, full, stat, format: { format: 'directory', gzip: false } };
  }
  const format = formatFromName(name, false);
  if (!format) return undefined;
  stat ??= statOrUndefined(full);
  return stat && { kind: 'dump', dirent, full, stat, format };
}

const MANIFEST_SUFFIX = '.manifest.json';

/** A manifest read from its file: its value, or why it cannot be read; undefined when there is none. */
function readManifestFile(dumpPath: string): ManifestReading | undefined {
  try {
    const manifest = readManifestSync(dumpPath);
    return manifest && { manifest, brief: briefOf(manifest) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The manifests of one listing through the folder's catalogue index (catalogIndex.ts): an entry whose
 * manifest has the identity it was read at is used as it is, any other manifest is read, and what
 * changed is written back once the listing is done.
 */
class IndexedReads {
  /** What the index will hold after this listing: an entry of the old index by its row, or one read now. */
  private readonly next = new Map<string, IndexedManifest | number>();
  private changed = false;

  private constructor(
    private readonly place: CatalogIndexPlace,
    private readonly realFolder: string,
    private readonly known: FolderIndex | undefined,
    private readonly listedAt: number,
  ) {}

  static async open(place: CatalogIndexPlace, folder: string): Promise<IndexedReads | undefined> {
    const listedAt = (place.now ?? Date.now)();
    let realFolder: string;
    try {
      realFolder = await fs.realpath(folder);
    } catch {
      return undefined;
    }
    return new IndexedReads(place, realFolder, readCatalogIndex(place, realFolder), listedAt);
  }

  /** The manifest of the dump `name` at `dumpPath` (a listing's path: no trailing separator). */
  read(dumpPath: string, name: string): ManifestReading | undefined {
    // What manifestPathFor gives for such a path, without its regular expression and basename 10,000 times.
    const file = `${dumpPath}${MANIFEST_SUFFIX}`;
    const stat = statOrUndefined(file);
    // No manifest, or one that cannot even be stat'ed: the plain read says which.
    if (!stat) return readManifestFile(dumpPath);
    const row = this.known ? this.known.unchanged(name, stat) : -1;
    if (row >= 0) {
      this.next.set(name, row);
      return (this.known as FolderIndex).reading(row);
    }
    this.changed = true;
    const reading = readManifestFile(dumpPath);
    // Read too soon after it was written to vouch for the next read (see RACY_MS): read again next time.
    if (reading && settled(stat, this.listedAt)) this.next.set(name, { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, ctimeMs: stat.ctimeMs, reading });
    return reading;
  }

  async save(): Promise<void> {
    // Entries of manifests gone (their dump removed or renamed) are dropped; nothing else to write when nothing was read.
    if (!this.changed && this.next.size === (this.known?.size ?? 0)) return;
    const known = this.known;
    const entries = new Map<string, IndexedManifest>();
    for (const [name, e] of this.next) entries.set(name, typeof e === 'number' ? (known as FolderIndex).entry(e) : e);
    await writeCatalogIndex(this.place, this.realFolder, entries);
  }
}

/**
 * A listed dump whose manifest comes from the catalogue index: `manifest` is parsed from the index's
 * bytes the first time it is read (a retention preview of 10,000 dumps reads only their briefs, and
 * parsing every manifest from the index took most of its listing). An object literal with the accessor
 * in it, not Object.defineProperty on a finished entry, which cost 2 µs an entry.
 */
function entryWithStoredManifest(full: string, name: string, format: Found & { kind: 'dump' }, stored: StoredManifest, brief: ManifestBrief): CatalogEntry {
  let manifest: DumpManifest | undefined;
  let parsed = false;
  return {
    path: full,
    name,
    ...format.format,
    sizeBytes: format.stat.size,
    time: brief.finishedAt ? new Date(brief.finishedAt) : format.stat.mtime,
    get manifest(): DumpManifest | undefined {
      if (!parsed) {
        manifest = JSON.parse(stored.text()) as DumpManifest;
        parsed = true;
      }
      return manifest;
    },
    set manifest(value: DumpManifest | undefined) {
      manifest = value;
      parsed = true;
    },
    brief,
    manifestError: undefined,
  };
}

/**
 * The dumps and leftovers in `folder`. With an index place, manifests already read are taken from the
 * folder's catalogue index when their files are unchanged (catalogIndex.ts): the listing is the same.
 */
export async function listDumps(folder: string, index?: CatalogIndexPlace): Promise<Catalog> {
  let names: Dirent[];
  try {
    names = await fs.readdir(folder, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { folder, dumps: [], partials: [], missing: true };
    throw e;
  }
  const reads = index ? await IndexedReads.open(index, folder) : undefined;
  const dumps: CatalogEntry[] = [];
  const partials: Catalog['partials'] = [];
  // Folders (a directory dump, a partial one) are summed file by file: asynchronously, after the slices.
  const folderSizes: Promise<void>[] = [];
  // Read once per listing: which .partial files a live run has on record.
  const claimed = claimedPaths();
  // What path.join(folder, name) gives for every name the listing returns (none holds a separator), joined once.
  const prefix = path.join(folder, 'x').slice(0, -1);
  for (let start = 0; start < names.length; start += LIST_SLICE) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const dirent of names.slice(start, start + LIST_SLICE)) {
      const found = lookAt(prefix, dirent);
      if (!found) continue;
      const { full, stat } = found;
      if (found.kind === 'partial') {
        const partial = { path: full, sizeBytes: stat.size, time: stat.mtime, running: claimed.has(full) };
        partials.push(partial);
        if (stat.isDirectory()) folderSizes.push(sizeOnDisk(full).then((n) => void (partial.sizeBytes = n)));
        continue;
      }
      const name = found.dirent.name;
      const reading = reads ? reads.read(full, name) : readManifestFile(full);
      const brief = reading?.brief;
      let entry: CatalogEntry;
      if (reading?.stored !== undefined) {
        entry = entryWithStoredManifest(full, name, found, reading.stored, reading.brief);
      } else {
        entry = {
          path: full,
          name,
          ...found.format,
          sizeBytes: stat.size,
          time: brief?.finishedAt ? new Date(brief.finishedAt) : stat.mtime,
          manifest: reading?.manifest,
          manifestError: reading?.error === undefined ? undefined : `the manifest cannot be read (${reading.error})`,
        };
        if (brief) entry.brief = brief;
      }
      dumps.push(entry);
      if (stat.isDirectory()) folderSizes.push(sizeOnDisk(full).then((n) => void (entry.sizeBytes = n)));
    }
  }
  await Promise.all(folderSizes);
  await reads?.save();
  for (const entry of dumps) {
    // Only what the listing already knows: a size that differs from the manifest's, or a mark left by a failed checksum check.
    const m = entry.brief;
    const damage = m?.damage ?? (m && m.sizeBytes !== entry.sizeBytes ? sizeDamage(entry.path, entry.sizeBytes, m.sizeBytes) : undefined);
    if (damage) entry.damage = damage;
  }
  dumps.sort((a, b) => b.time.getTime() - a.time.getTime() || a.name.localeCompare(b.name));
  partials.sort((a, b) => b.time.getTime() - a.time.getTime());
  return { folder, dumps, partials, missing: false };
}

/** `damaged`, `verified`, `failed` or `never`, for the tree's icon: damage wins over an earlier verification. */
export function verificationState(entry: CatalogEntry): 'damaged' | 'verified' | 'failed' | 'never' {
  if (entry.damage) return 'damaged';
  const status = entry.brief ? entry.brief.verification : entry.manifest?.verification?.status;
  if (!status) return 'never';
  return status === 'passed' ? 'verified' : 'failed';
}
