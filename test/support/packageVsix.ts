// Packages the extension as it ships: `npm run package` on a copy of the checkout (so the checkout's own
// dist/ keeps its development build), with what a development build and a test run leave behind planted in it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
/** Not copied: installed packages (linked instead), build output and what runs leave behind. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'out', 'test-output', '.vscode-test', '.pg-backups']);
/** Leftovers the .vsix must not take along: source maps, the e2e suite bundle, a screenshot. */
export const PLANTED = ['dist/extension.js.map', 'dist/pgbr.js.map', 'dist/test/e2e/index.js', 'test-output/screenshots/dump-expanded.png'];

export interface PackagedVsix {
  vsix: string;
  /** Removes the copy and the .vsix. */
  cleanup: () => void;
}

export async function packageVsix(): Promise<PackagedVsix> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgbr-vsix-'));
  const copy = path.join(work, 'pg-backup');
  fs.cpSync(ROOT, copy, { recursive: true, filter: (src) => !NOT_COPIED.has(path.basename(src)) && !src.endsWith('.vsix') });
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(copy, 'node_modules'), 'dir');
  for (const file of PLANTED) {
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.writeFileSync(path.join(copy, file), file.endsWith('.map') ? '{}' : '');
  }
  const vsix = path.join(work, 'pg-backup.vsix');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, ['run', '--silent', 'package', '--', '--out', vsix], { cwd: copy, maxBuffer: 16 * 1024 * 1024 });
  return { vsix, cleanup: () => fs.rmSync(work, { recursive: true, force: true }) };
}

/** The names in a zip's central directory. */
export function zipEntries(zip: Buffer): string[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error('no end of central directory: not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`central directory entry ${i} is damaged`);
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}
