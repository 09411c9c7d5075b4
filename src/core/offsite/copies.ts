// Pushing a dump to a remote and proving the copy there: the data first, the manifest last, each under
// a `.partial` name until it is whole; then every file's sha256 there against the manifest's.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { manifestPathFor, readManifest, type DumpManifest } from '../logical/manifest';
import { PgbrError } from '../platform/errors';
import { rclone, notFound, parseEntries, succeeded, type RcloneOptions, type RemoteEntry } from './rclone';
import { checkDumpName, remoteChild, type OffsiteRemote } from './remote';
import { recordCopy, recordVerify } from './record';

export const MANIFEST_SUFFIX = '.manifest.json';

/** A local dump with its manifest, as offsite commands take it. */
export interface LocalDump {
  path: string;
  name: string;
  kind: 'file' | 'folder';
  manifest: DumpManifest;
}

export async function localDump(dumpPath: string): Promise<LocalDump> {
  const clean = path.resolve(dumpPath.replace(/[\\/]+$/, ''));
  const stat = await fs.stat(clean).catch(() => undefined);
  if (!stat) throw new PgbrError('usage', `${clean} does not exist: give the path of a dump file or folder.`);
  const manifest = await readManifest(clean);
  if (!manifest) {
    throw new PgbrError('usage', `${clean} has no manifest beside it (${path.basename(manifestPathFor(clean))}): an offsite copy is checked against its manifest's sha256, so only a dump pgbr wrote can be copied.`);
  }
  return { path: clean, name: checkDumpName(path.basename(clean)), kind: stat.isDirectory() ? 'folder' : 'file', manifest };
}

/**
 * What the files of the dump must hash to, by path below the remote folder: `shop.dump`, or
 * `shop_dir/toc.dat`, … for a directory dump. A single file's one sum counts whatever key it has.
 */
export function expectedFiles(dump: Pick<LocalDump, 'name' | 'kind' | 'manifest'>): Record<string, string> {
  const sums = dump.manifest.sha256;
  if (dump.kind === 'file') {
    const values = Object.values(sums);
    return values.length === 1 ? { [dump.name]: values[0] as string } : { [dump.name]: sums[dump.name] ?? sums[''] ?? '' };
  }
  return Object.fromEntries(Object.entries(sums).map(([rel, sum]) => [`${dump.name}/${rel}`, sum]));
}

export interface PushResult {
  target: string;
  remotePath: string;
  files: number;
  bytes: number;
  copiedAt: string;
}

/** Copies the dump's file(s), then its manifest, each to a `.partial` name moved into place when whole; records the copy in the local manifest. */
export async function pushDump(dumpPath: string, remote: OffsiteRemote, opts: RcloneOptions & { now?: () => Date } = {}): Promise<PushResult> {
  const dump = await localDump(dumpPath);
  if (dump.manifest.damage) throw new PgbrError('damaged', `${dump.path} is marked damaged (${dump.manifest.damage.message}): a damaged dump is not copied offsite.`);
  const dest = remoteChild(remote.target, dump.name);
  // rclone 1.60 writes a local or SFTP file under its final name as it goes (there is no --inplace
  // switch before 1.63): the `.partial` name and a move afterwards keep a cut copy from looking whole.
  if (dump.kind === 'file') {
    succeeded(await rclone(remote, 'copyto', ['--checksum'], [dump.path, `${dest}.partial`], opts), `copying ${dump.path} to ${dest}`);
  } else {
    // sync, not copy: what a cut earlier push left in the `.partial` folder goes. A folder moved onto
    // one that is there merges into it, so an earlier copy goes first, its manifest before its files:
    // a folder without its manifest is never taken for a whole dump.
    succeeded(await rclone(remote, 'sync', ['--checksum'], [dump.path, `${dest}.partial`], opts), `copying ${dump.path} to ${dest}`);
    await removeIfThere(remote, 'deletefile', remoteChild(remote.target, `${dump.name}${MANIFEST_SUFFIX}`), opts);
    await removeIfThere(remote, 'purge', dest, opts);
  }
  succeeded(await rclone(remote, 'moveto', [], [`${dest}.partial`, dest], opts), `moving ${dest}.partial to ${dest}`);
  await pushManifest(dump, remote, opts);
  const copiedAt = (opts.now ?? (() => new Date()))().toISOString();
  await recordCopy(dump.path, remote.recorded, dump.manifest.sha256, copiedAt);
  return { target: remote.recorded, remotePath: dest, files: Object.keys(dump.manifest.sha256).length, bytes: dump.manifest.sizeBytes, copiedAt };
}

/** `rclone deletefile FILE` or `purge FOLDER`, where nothing there is not a failure. */
export async function removeIfThere(remote: OffsiteRemote, command: 'deletefile' | 'purge', at: string, opts: RcloneOptions): Promise<void> {
  if (command === 'deletefile') {
    // deletefile exits 1 for a file that is not there, like any failure: asked first. An object store
    // "stats" a missing object as an empty folder.
    const stat = await rclone(remote, 'lsjson', ['--stat'], [at], opts, true);
    if (notFound(stat) || !parseEntries(succeeded(stat, `looking at ${at}`)).some((e) => !e.IsDir)) return;
  }
  const result = await rclone(remote, command, [], [at], opts);
  if (!notFound(result)) succeeded(result, `removing ${at}`);
}

/** The local manifest, as it is now, beside the copy (after the data, so a manifest there means its dump is whole). */
export async function pushManifest(dump: Pick<LocalDump, 'path' | 'name'>, remote: OffsiteRemote, opts: RcloneOptions): Promise<void> {
  const dest = remoteChild(remote.target, `${dump.name}${MANIFEST_SUFFIX}`);
  succeeded(await rclone(remote, 'copyto', ['--checksum'], [manifestPathFor(dump.path), `${dest}.partial`], opts), `copying the manifest to ${dest}`);
  succeeded(await rclone(remote, 'moveto', [], [`${dest}.partial`, dest], opts), `moving ${dest}.partial to ${dest}`);
}

export interface FileCheck {
  /** Path below the remote folder. */
  file: string;
  expected: string;
  actual?: string;
  /** `remote`: the backend's own sha256; `download`: read back through rclone (S3 and others keep MD5 or none). */
  method?: 'remote' | 'download';
}

export interface VerifyResult {
  target: string;
  remotePath: string;
  ok: boolean;
  files: FileCheck[];
  /** One sentence per difference, naming the file; empty when ok. */
  problems: string[];
  verifiedAt: string;
}

/** Lists what is at `dest` with sha256 where the backend keeps it; no entries when nothing is there. */
async function remoteFiles(remote: OffsiteRemote, dest: string, kind: 'file' | 'folder', opts: RcloneOptions): Promise<RemoteEntry[]> {
  const flags = kind === 'file' ? ['--stat', '--hash', '--hash-type', 'sha256'] : ['-R', '--files-only', '--hash', '--hash-type', 'sha256'];
  const result = await rclone(remote, 'lsjson', flags, [dest], opts, true);
  if (notFound(result)) return [];
  // Object stores have no folders: a missing object "stats" as an empty folder.
  return parseEntries(succeeded(result, `listing ${dest}`)).filter((e) => !e.IsDir);
}

/** `<sha256>  <path>` lines of `rclone hashsum sha256 --download`, by path. */
export function parseHashsum(stdout: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m) sums.set(m[2] as string, m[1] as string);
  }
  return sums;
}

/**
 * Compares the copy at the remote with the local manifest: every file's sha256 (the backend's own
 * where it keeps one, else read back), files missing or extra, and the manifest there. Records the
 * outcome in the local manifest. Never throws for a difference: `ok` and `problems` say it.
 */
export async function verifyCopy(dumpPath: string, remote: OffsiteRemote, opts: RcloneOptions & { now?: () => Date } = {}): Promise<VerifyResult> {
  const dump = await localDump(dumpPath);
  const dest = remoteChild(remote.target, dump.name);
  const expected = expectedFiles(dump);
  const entries = await remoteFiles(remote, dest, dump.kind, opts);
  const byPath = new Map(entries.map((e) => [dump.kind === 'file' ? dump.name : `${dump.name}/${e.Path}`, e]));
  const files: FileCheck[] = [];
  const problems: string[] = [];
  const unhashed: FileCheck[] = [];
  for (const [file, sum] of Object.entries(expected)) {
    const entry = byPath.get(file);
    const check: FileCheck = { file, expected: sum };
    files.push(check);
    if (!entry) {
      problems.push(`${remoteChild(remote.target, file)} is missing: push the dump again (pgbr offsite push).`);
      continue;
    }
    const there = entry.Hashes?.sha256;
    if (there) Object.assign(check, { actual: there, method: 'remote' });
    else unhashed.push(check);
  }
  if (unhashed.length) {
    const stdout = succeeded(await rclone(remote, 'hashsum', ['sha256', '--download'], [dest], opts, true), `reading back ${dest}`);
    const sums = parseHashsum(stdout);
    for (const check of unhashed) {
      const key = dump.kind === 'file' ? (sums.get(dump.name) ?? [...sums.values()][0]) : sums.get(check.file.slice(dump.name.length + 1));
      Object.assign(check, { method: 'download', ...(key !== undefined ? { actual: key } : {}) });
    }
  }
  for (const check of files) {
    if (check.actual !== undefined && check.actual !== check.expected) {
      problems.push(`${remoteChild(remote.target, check.file)} has sha256 ${check.actual} but the manifest recorded ${check.expected}: the copy was changed or damaged; push the dump again.`);
    }
  }
  for (const file of byPath.keys()) {
    if (!(file in expected)) problems.push(`${remoteChild(remote.target, file)} is not in the manifest: the copy holds a file the dump does not.`);
  }
  problems.push(...(await manifestThereProblems(dump, remote, opts)));
  const verifiedAt = (opts.now ?? (() => new Date()))().toISOString();
  const ok = problems.length === 0;
  await recordVerify(dump.path, remote.recorded, dump.manifest.sha256, verifiedAt, ok ? undefined : (problems[0]));
  return { target: remote.recorded, remotePath: dest, ok, files, problems, verifiedAt };
}

/** The manifest beside the copy must be there and name the same sums: a pull trusts it. */
async function manifestThereProblems(dump: LocalDump, remote: OffsiteRemote, opts: RcloneOptions): Promise<string[]> {
  const dest = remoteChild(remote.target, `${dump.name}${MANIFEST_SUFFIX}`);
  const result = await rclone(remote, 'cat', [], [dest], opts, true);
  if (notFound(result)) return [`${dest} is missing: the copy cannot be pulled and checked without it; push the dump again.`];
  const text = succeeded(result, `reading ${dest}`);
  let there: unknown;
  try {
    there = JSON.parse(text);
  } catch {
    return [`${dest} is not valid JSON: push the dump again.`];
  }
  const sums = (there as { sha256?: unknown }).sha256;
  const same = typeof sums === 'object' && sums !== null && JSON.stringify(Object.values(sums).sort()) === JSON.stringify(Object.values(dump.manifest.sha256).sort());
  return same ? [] : [`${dest} records other sha256 sums than the local manifest: the copy is of another dump; push this one again.`];
}
