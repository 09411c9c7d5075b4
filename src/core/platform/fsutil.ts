// File helpers that never leave a half-written file under a final name.
import { readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes to a sibling temp file, then renames it over `file`: readers see the old or the new text, never a mix. */
export async function writeFileAtomic(file: string, text: string, mode?: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await fs.writeFile(tmp, text, { mode, flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Whether anything is at this path (a file, a folder, even a dangling link): names are never reused. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The error a link gets where the file system has no hard links (FAT, some network shares). */
export function noHardLinks(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS';
}

/**
 * Renames `from` to `to` unless something is there (EEXIST). Node has no rename that refuses an
 * existing name, so this checks first: it stands in where a hard link cannot be made (a folder, a file
 * system without links). A rename onto a non-empty folder or onto a file of the other kind still fails
 * (ENOTEMPTY, ENOTDIR, EISDIR) instead of replacing it.
 */
export async function renameIfAbsent(from: string, to: string): Promise<void> {
  if (await pathExists(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
  await fs.rename(from, to);
}

/**
 * Writes `file` whole or not at all, and only if nothing is at that name yet: a sibling temp file is
 * hard-linked to the name (which fails with EEXIST when taken), then removed. Where the file system
 * has no hard links, an existence check and a rename stand in.
 */
export async function writeFileExclusive(file: string, text: string, mode?: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await fs.writeFile(tmp, text, { mode, flag: 'wx' });
    try {
      await fs.link(tmp, file);
    } catch (e) {
      if (!noHardLinks(e)) throw e;
      await renameIfAbsent(tmp, file);
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Those of `paths` that are not strictly below one of `folders`. Links are resolved on both sides (the
 * path's own last component is not, so a link inside a folder is removed as a link), so `..` or a
 * linked parent cannot reach outside. Destructive commands refuse what this returns.
 */
export async function pathsOutside(paths: readonly string[], folders: readonly string[]): Promise<string[]> {
  const real = async (p: string): Promise<string> => fs.realpath(p).catch(() => path.resolve(p));
  const roots = await Promise.all(folders.map(real));
  const outside: string[] = [];
  for (const p of paths) {
    const resolved = path.resolve(p);
    const full = path.join(await real(path.dirname(resolved)), path.basename(resolved));
    const inside = roots.some((root) => {
      const rel = path.relative(root, full);
      return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    });
    if (!inside) outside.push(p);
  }
  return outside;
}

/** The bytes of a file, or of every file below a folder (a directory dump, a base backup). */
export async function sizeOnDisk(target: string): Promise<number> {
  const stat = await fs.stat(target);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const dirent of await fs.readdir(target, { withFileTypes: true, recursive: true })) {
    if (!dirent.isFile()) continue;
    const parent = (dirent as { parentPath?: string; path?: string }).parentPath ?? (dirent as { path?: string }).path ?? target;
    total += (await fs.stat(path.join(parent, dirent.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** The last part of a path, a directory dump's trailing slash ignored: `shop.dump`, `shop_dir`. */
export function lastPathPart(p: string): string {
  return p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? p;
}

/** The names in `dir`, or none when it cannot be read (gone, or not ours): for sweeps that must not fail. */
export function listOrEmptySync(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
