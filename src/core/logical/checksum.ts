// Streaming sha256 of a dump: one file, or every file of a directory dump by its relative POSIX path.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** How much of a file is read at a time: a stream's 64 KiB chunks made hashing twice as slow as the hash itself. */
const READ_SIZE = 1 << 20;

/** Hex sha256 of a file, read in 1 MiB pieces: dumps can be far larger than memory. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Hex sha256 of `length` bytes of an open file from `offset`; throws when the file ends before them. */
export async function sha256Range(handle: fs.FileHandle, offset: number, length: number, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(length, 1)));
  for (let done = 0; done < length; ) {
    signal?.throwIfAborted();
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, length - done), offset + done);
    if (bytesRead === 0) throw new Error(`the file ends at byte ${offset + done}, inside bytes ${offset}–${offset + length}`);
    hash.update(buffer.subarray(0, bytesRead));
    done += bytesRead;
  }
  return hash.digest('hex');
}

/** Every regular file under `dir`, as sorted POSIX paths relative to it. */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  await walk('');
  return files.sort();
}

export interface DumpChecksum {
  /** `""` → hash for a single file; each relative path → hash for a directory. */
  sha256: Record<string, string>;
  sizeBytes: number;
}

/** Hashes and sizes what a dump path holds, whether a file or a directory dump. */
export async function checksumDump(dumpPath: string, signal?: AbortSignal): Promise<DumpChecksum> {
  const stat = await fs.stat(dumpPath);
  if (!stat.isDirectory()) return { sha256: { '': await sha256File(dumpPath, signal) }, sizeBytes: stat.size };
  const sha256: Record<string, string> = {};
  let sizeBytes = 0;
  for (const relative of await listFilesRecursive(dumpPath)) {
    const file = path.join(dumpPath, ...relative.split('/'));
    sha256[relative] = await sha256File(file, signal);
    sizeBytes += (await fs.stat(file)).size;
  }
  return { sha256, sizeBytes };
}

export interface ChecksumMismatch {
  /** Relative POSIX path inside a directory dump; `""` for a single-file dump. */
  file: string;
  /** What the manifest recorded; absent for a file the manifest does not list. */
  expected?: string;
  /** What the file holds now; absent for a file that is missing. */
  actual?: string;
}

/**
 * The files of a dump whose sha256 differs from what its manifest recorded, are missing, or are not
 * in the manifest; empty when every byte is as written. Reads every file: the price of the proof.
 */
export async function compareChecksums(dumpPath: string, recorded: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<ChecksumMismatch[]> {
  const now = await checksumDump(dumpPath, signal);
  const single = now.sha256[''];
  if (single !== undefined) {
    // One file: its one recorded sum, under its name (or "" in older manifests), whatever the file is called now.
    const entries = Object.entries(recorded);
    const [file, expected] = entries.length === 1 ? (entries[0] as [string, string]) : ['', recorded[''] ?? recorded[path.basename(dumpPath)]];
    return expected === single ? [] : [{ file, ...(expected !== undefined ? { expected } : {}), actual: single }];
  }
  const mismatches: ChecksumMismatch[] = [];
  for (const [file, expected] of Object.entries(recorded)) {
    const actual = now.sha256[file];
    if (actual !== expected) mismatches.push({ file, expected, ...(actual !== undefined ? { actual } : {}) });
  }
  for (const [file, actual] of Object.entries(now.sha256)) {
    if (!(file in recorded)) mismatches.push({ file, actual });
  }
  return mismatches;
}

/** One line naming the file and both sums: what the user needs to judge and to report it. */
export function describeMismatch(dumpPath: string, m: ChecksumMismatch): string {
  // A single file's key is its own name: the path says it.
  const file = m.file === '' || m.file === path.basename(dumpPath) ? dumpPath : `${dumpPath}/${m.file}`;
  if (m.actual === undefined) return `${file} is missing, but the manifest recorded it with sha256 ${m.expected}: the dump is incomplete.`;
  if (m.expected === undefined) return `${file} (sha256 ${m.actual}) is not in the manifest: the dump was changed after it was written.`;
  return `${file} has sha256 ${m.actual} but its manifest recorded ${m.expected}: the dump was changed or damaged after it was written.`;
}
