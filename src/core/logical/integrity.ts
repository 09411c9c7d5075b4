// Is a dump still what was written? Sizes against the manifest (cheap, for listings and `toc`), every
// file's sha256 against it (a full read, before a verify or a whole restore trusts the bytes), or the
// head and the data blocks a restore of chosen tables reads (when the manifest has their sums).
import * as fs from 'node:fs/promises';
import { PgbrError, errorMessage } from '../platform/errors';
import { sizeOnDisk } from '../platform/fsutil';
import type { Logger } from '../platform/log';
import { quoteIdentAlways } from '../postgres/names';
import { compareChecksums, describeMismatch, sha256Range } from './checksum';
import type { DataBlockSum } from './dataBlocks';
import { readManifest, writeManifest, type DumpManifest } from './manifest';
import type { TocEntry } from './toc';

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
export async function checkIntegrity(dumpPath: string, opts: CheckOptions = {}): Promise<IntegrityResult> {
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
  return markDamaged(dumpPath, manifest, `${truncated}${describeMismatch(dumpPath, first)}${more}`, opts);
}

type CheckOptions = { signal?: AbortSignal; logger?: Logger; now?: () => Date };

/** Records the finding in the manifest, so the Dumps view shows the dump as damaged. */
async function markDamaged(dumpPath: string, manifest: DumpManifest, message: string, opts: CheckOptions): Promise<IntegrityResult & { status: 'damaged' }> {
  const damage = { at: (opts.now ?? (() => new Date()))().toISOString(), message };
  await writeManifest(dumpPath, { ...manifest, damage }).catch((e: unknown) => opts.logger?.warn(`could not mark ${dumpPath} as damaged: ${errorMessage(e)}`));
  return { status: 'damaged', manifest: { ...manifest, damage }, message };
}

/** Entry kinds whose data pg_dump writes as a block of the file. */
const BLOCK_DESCS = new Set(['TABLE DATA', 'BLOBS', 'LARGE OBJECTS']);

/**
 * What proves the part of a dump a restore of chosen tables reads, once its list is known. pg_restore
 * also reads the block headers and chunk lengths of the blocks before them to skip them; one changed
 * there makes it fail to find its block, loudly, so those need no proof here.
 */
export interface PartsProof {
  manifest: DumpManifest;
  /**
   * Compares the data blocks of `entries` (the -L list) with their recorded sums; the damage message
   * for the first that differs, undefined when all match. An entry with data but no recorded block
   * gets the whole file checked instead.
   */
  checkEntries(entries: readonly TocEntry[]): Promise<string | undefined>;
}

/**
 * For a restore of chosen tables: when the manifest has block sums (an unencrypted custom file),
 * compares the file's size and its head (header and table of contents) with the manifest and returns
 * what checks the data blocks; undefined when the manifest has no block sums, and then the whole file
 * is to be checked (`checkIntegrity`). Either check marks a difference in the manifest as the whole one does.
 */
export async function checkHeadIntegrity(dumpPath: string, opts: CheckOptions = {}): Promise<{ status: 'intact'; proof: PartsProof } | { status: 'damaged'; message: string } | undefined> {
  const manifest = await readManifest(dumpPath);
  const blocks = manifest?.blocks;
  if (!manifest || !blocks || manifest.format !== 'custom' || manifest.encryption) return undefined;
  const size = await sizeOnDisk(dumpPath).catch(() => undefined);
  if (size === undefined) throw new PgbrError('io', `${dumpPath} cannot be read to check its checksums: check that the dump is there and readable.`);
  const sizeWrong = sizeDamage(dumpPath, size, manifest.sizeBytes);
  if (sizeWrong) return markDamaged(dumpPath, manifest, sizeWrong, opts);
  const head = await rangeDamage(dumpPath, [{ offset: 0, length: blocks.head.length, sha256: blocks.head.sha256, what: 'its head (the header and the table of contents)' }], opts.signal);
  if (head) return markDamaged(dumpPath, manifest, head, opts);
  const byId = new Map(blocks.data.map((b) => [b.dumpId, b]));
  const checkEntries = async (entries: readonly TocEntry[]): Promise<string | undefined> => {
    const withData = entries.filter((e) => BLOCK_DESCS.has(e.desc));
    if (withData.some((e) => e.dumpId === null || !byId.has(e.dumpId))) {
      const whole = await checkIntegrity(dumpPath, opts);
      return whole.status === 'damaged' ? whole.message : undefined;
    }
    const ranges = withData.map((e) => ({ ...(byId.get(e.dumpId!) as DataBlockSum), what: `the data of ${e.desc} ${e.schema !== null ? `${quoteIdentAlways(e.schema)}.` : ''}${quoteIdentAlways(e.tag)}` }));
    const found = await rangeDamage(dumpPath, ranges, opts.signal);
    return found === undefined ? undefined : (await markDamaged(dumpPath, manifest, found, opts)).message;
  };
  return { status: 'intact', proof: { manifest, checkEntries } };
}

/** The first of these parts of the file whose sha256 differs from the recorded one, as one sentence. */
async function rangeDamage(dumpPath: string, ranges: readonly { offset: number; length: number; sha256: string; what: string }[], signal: AbortSignal | undefined): Promise<string | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dumpPath, 'r');
    for (const r of ranges) {
      const actual = await sha256Range(handle, r.offset, r.length, signal);
      if (actual !== r.sha256) {
        return `${dumpPath}: ${r.what} (bytes ${r.offset}–${r.offset + r.length}) has sha256 ${actual} but its manifest recorded ${r.sha256}: the dump was changed or damaged after it was written.`;
      }
    }
    return undefined;
  } catch (e) {
    if (signal?.aborted) throw new PgbrError('cancelled', 'the checksum check was cancelled');
    throw new PgbrError('io', `${dumpPath} cannot be read to check its checksums (${errorMessage(e)}): check that the dump is there and readable.`, { cause: e });
  } finally {
    await handle?.close();
  }
}
