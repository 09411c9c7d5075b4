// File helpers that never leave a half-written file under a final name.
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
