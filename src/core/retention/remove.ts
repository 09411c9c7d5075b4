// Removing what retention listed: a dump with its manifest and verify report, a base backup with its record, archived WAL; each reported on its own.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { manifestPathFor, verifyReportPathFor } from '../logical/manifest';
import { recordPathFor } from '../physical/record';
import { errorMessage } from '../platform/errors';
import { pathExists } from '../platform/fsutil';
import { claimedPaths } from '../platform/partials';
import { parseWalFileName } from '../wal/names';

export interface Removal {
  /** The backup or archive file as listed. */
  path: string;
  /** What was removed: the backup first, then each file beside it that existed. */
  removed: string[];
  /** What happened and what to do, when it (or part of it) was not removed. */
  error?: string;
}

/**
 * Removes dumps: the dump (a directory-format dump as a whole), then its manifest, then its verify
 * report. The manifest goes after the dump, so a dump that cannot be removed keeps its proof.
 */
export async function removeDumps(dumps: readonly string[]): Promise<Removal[]> {
  return removeEach(dumps, async (dump) => {
    if (dump.endsWith('.partial')) return unfinished(dump);
    const stat = await fs.lstat(dump);
    // Only a pgbr dump folder holds toc.dat: anything else is not retention's to remove.
    if (stat.isDirectory() && !(await pathExists(path.join(dump, 'toc.dat')))) return `${dump} is a folder without toc.dat, not a directory-format dump: it was left alone`;
    return [dump, manifestPathFor(dump), verifyReportPathFor(dump)];
  });
}

/** Removes base backups: the folder, then the record beside it (a record alone is listed as a missing backup, never as a good one). */
export async function removeBaseBackups(backups: readonly string[]): Promise<Removal[]> {
  return removeEach(backups, async (backup) => {
    if (backup.endsWith('.partial')) return unfinished(backup);
    if (!(await pathExists(recordPathFor(backup)))) return `${backup} has no record ${path.basename(recordPathFor(backup))} beside it, so it is not a base backup pgbr made: it was left alone`;
    return [backup, recordPathFor(backup)];
  });
}

function unfinished(target: string): string {
  return `${target} is unfinished work (.partial), which retention never removes: \`pgbr leftovers --remove-partials\` removes it once nothing is writing it`;
}

/** Removes WAL archive files by name (a segment's `.partial` copy included); a `.history` file, a folder or a name that is no WAL file is refused. */
export async function removeWalFiles(archive: string, names: readonly string[]): Promise<Removal[]> {
  return removeEach(
    names.map((n) => path.join(archive, n)),
    async (file) => {
      const name = path.basename(file);
      const kind = parseWalFileName(name)?.kind;
      if (kind === undefined || path.join(archive, name) !== file) return `${name} is not a WAL segment or backup history file: it was left alone`;
      if (kind === 'history') return `${name} is a timeline history file, which recovery needs to follow timelines: it was left alone`;
      if (!(await fs.lstat(file)).isFile()) return `${file} is not a plain file: it was left alone`;
      return [file];
    },
  );
}

/**
 * One target at a time, in order; a refusal or failure is reported on that target and the next one
 * goes on. Anything a live pgbr or editor has claimed is never touched.
 */
async function removeEach(targets: readonly string[], filesOf: (target: string) => Promise<string[] | string>): Promise<Removal[]> {
  const claimed = claimedPaths();
  const out: Removal[] = [];
  for (const target of targets) {
    const result: Removal = { path: target, removed: [] };
    out.push(result);
    let files: string[] | string;
    try {
      files = await filesOf(target);
    } catch (e) {
      result.error = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${target} is already gone: nothing to remove` : `${target} was not removed: ${errorMessage(e)}`;
      continue;
    }
    if (typeof files === 'string') {
      result.error = files;
      continue;
    }
    const busy = files.find((f) => claimed.has(f));
    if (busy) {
      result.error = `${busy} is being written by a running pgbr or editor: it was left alone, and the next prune decides again`;
      continue;
    }
    for (const file of files) {
      try {
        // unlink for a file: fs.rm that cannot unlink one retries it as a folder and reports ENOTDIR, not the EPERM that happened.
        if ((await fs.lstat(file)).isDirectory()) await fs.rm(file, { recursive: true });
        else await fs.unlink(file);
        result.removed.push(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        const done = result.removed.length ? ` (${result.removed.join(', ')} ${result.removed.length === 1 ? 'was' : 'were'} removed)` : '';
        result.error = `${file} could not be removed${done}: ${errorMessage(e)}`;
        break;
      }
    }
  }
  return out;
}
