// Is a dump still what was written? Sizes against the manifest (cheap, for listings and `toc`), and
// every file's sha256 against it (a full read, before a verify or a restore trusts the bytes).
import { PgbrError, errorMessage } from '../platform/errors';
import { sizeOnDisk } from '../platform/fsutil';
import type { Logger } from '../platform/log';
import { compareChecksums, describeMismatch } from './checksum';
import { readManifest, writeManifest, type DumpManifest } from './manifest';

/** What a listing can tell without reading the dump: its size against the manifest's. */
export async function quickDamage(dumpPath: string, manifest: DumpManifest | undefined): Promise<string | undefined> {
  if (!manifest) return undefined;
  if (manifest.damage) return manifest.damage.message;
  const size = await sizeOnDisk(dumpPath).catch(() => undefined);
  if (size === undefined) return `${dumpPath} cannot be read: the dump is gone or not accessible.`;
  return sizeDamage(dumpPath, size, manifest.sizeBytes);
}

/** The sentence for a dump whose size differs from its manifest's, or undefined when they agree. */
export function sizeDamage(dumpPath: string, size: number, recorded: number): string | undefined {
  if (size === recorded) return undefined;
  return size < recorded
    ? `${dumpPath} is ${size} bytes but its manifest recorded ${recorded}: the dump is truncated.`
    : `${dumpPath} is ${size} bytes but its manifest recorded ${recorded}: the dump was changed after it was written.`;
}

export type IntegrityResult =
  | { status: 'intact'; manifest: DumpManifest }
  | { status: 'no-manifest' }
  | { status: 'damaged'; manifest: DumpManifest; message: string };

/**
 * Compares every file of the dump with the sha256 its manifest recorded. A damaged dump is marked in
 * its manifest (so the Dumps view shows it) and a repaired one unmarked; the message is one line
 * per the first file that differs, naming both sums.
 */
export async function checkIntegrity(dumpPath: string, opts: { signal?: AbortSignal; logger?: Logger; now?: () => Date } = {}): Promise<IntegrityResult> {
  const manifest = await readManifest(dumpPath);
  if (!manifest) return { status: 'no-manifest' };
  let mismatches;
  try {
    mismatches = await compareChecksums(dumpPath, manifest.sha256, opts.signal);
  } catch (e) {
    if (opts.signal?.aborted) throw new PgbrError('cancelled', 'the checksum check was cancelled');
    throw new PgbrError('io', `${dumpPath} cannot be read to check its checksums (${errorMessage(e)}): check that the dump is there and readable.`, { cause: e });
  }
  const first = mismatches[0];
  if (!first) {
    if (manifest.damage) {
      const rest: DumpManifest = { ...manifest };
      delete rest.damage;
      await writeManifest(dumpPath, rest).catch((e: unknown) => opts.logger?.warn(`could not clear the damage mark of ${dumpPath}: ${errorMessage(e)}`));
      return { status: 'intact', manifest: rest };
    }
    return { status: 'intact', manifest };
  }
  const size = await sizeOnDisk(dumpPath).catch(() => undefined);
  const truncated = size !== undefined && size < manifest.sizeBytes ? `the dump is truncated (${size} of ${manifest.sizeBytes} bytes): ` : '';
  const more = mismatches.length > 1 ? ` (${mismatches.length - 1} more file${mismatches.length === 2 ? '' : 's'} differ)` : '';
  const message = `${truncated}${describeMismatch(dumpPath, first)}${more}`;
  const damage = { at: (opts.now ?? (() => new Date()))().toISOString(), message };
  await writeManifest(dumpPath, { ...manifest, damage }).catch((e: unknown) => opts.logger?.warn(`could not mark ${dumpPath} as damaged: ${errorMessage(e)}`));
  return { status: 'damaged', manifest: { ...manifest, damage }, message };
}
