// Lists the dumps in a folder: each with its format, size, time and manifest, plus stale `.partial` leftovers.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readManifest, VERIFY_REPORT_SUFFIX, type DumpFormat, type DumpManifest } from './manifest';
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

export async function listDumps(folder: string): Promise<Catalog> {
  let names: import('node:fs').Dirent[];
  try {
    names = await fs.readdir(folder, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { folder, dumps: [], partials: [], missing: true };
    throw e;
  }
  const dumps: CatalogEntry[] = [];
  const partials: Catalog['partials'] = [];
  // Read once per listing: which .partial files a live run has on record.
  const claimed = claimedPaths();
  await Promise.all(
    names.map(async (dirent) => {
      const full = path.join(folder, dirent.name);
      const stat = await fs.stat(full).catch(() => undefined);
      if (!stat) return;
      if (dirent.name.endsWith('.partial')) {
        // `.<name>.<hex>.partial`: a manifest or report being written atomically this instant, not a dump.
        if (dirent.name.startsWith('.')) return;
        partials.push({ path: full, sizeBytes: await sizeOnDisk(full), time: stat.mtime, running: claimed.has(full) });
        return;
      }
      let kind = formatFromName(dirent.name, stat.isDirectory());
      if (stat.isDirectory() && !dirent.name.startsWith('.')) {
        const hasToc = await fs.stat(path.join(full, 'toc.dat')).then(() => true, () => false);
        if (hasToc) kind = { format: 'directory', gzip: false };
      }
      if (!kind) return;
      let manifest: DumpManifest | undefined;
      let manifestError: string | undefined;
      try {
        manifest = await readManifest(full);
      } catch (e) {
        manifestError = `the manifest cannot be read (${e instanceof Error ? e.message : String(e)})`;
      }
      const sizeBytes = await sizeOnDisk(full);
      // Only what the listing already knows: a size that differs from the manifest's, or a mark left by a failed checksum check.
      const damage = manifest?.damage?.message ?? (manifest && manifest.sizeBytes !== sizeBytes ? sizeDamage(full, sizeBytes, manifest.sizeBytes) : undefined);
      dumps.push({
        path: full,
        name: dirent.name,
        ...kind,
        sizeBytes,
        time: manifest?.finishedAt ? new Date(manifest.finishedAt) : stat.mtime,
        manifest,
        manifestError,
        ...(damage ? { damage } : {}),
      });
    }),
  );
  dumps.sort((a, b) => b.time.getTime() - a.time.getTime() || a.name.localeCompare(b.name));
  partials.sort((a, b) => b.time.getTime() - a.time.getTime());
  return { folder, dumps, partials, missing: false };
}

/** `damaged`, `verified`, `failed` or `never`, for the tree's icon: damage wins over an earlier verification. */
export function verificationState(entry: CatalogEntry): 'damaged' | 'verified' | 'failed' | 'never' {
  if (entry.damage) return 'damaged';
  const v = entry.manifest?.verification;
  if (!v) return 'never';
  return v.status === 'passed' ? 'verified' : 'failed';
}
