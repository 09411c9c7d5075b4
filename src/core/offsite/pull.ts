// Bringing a copy back: the manifest first, the dump into a `.partial` beside its final name, every
// sha256 checked against the pulled manifest, and only then the final name (manifest first, nothing replaced).
import * as path from 'node:path';
import { compareChecksums, describeMismatch } from '../logical/checksum';
import { manifestPathFor, manifestProblem, manifestText, withFileKey, type DumpManifest } from '../logical/manifest';
import { errorMessage, PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { reservePartial } from '../platform/partials';
import { rclone, notFound, succeeded, type RcloneOptions } from './rclone';
import { checkDumpName, remoteChild, type OffsiteRemote } from './remote';
import { MANIFEST_SUFFIX } from './copies';

export interface PullResult {
  path: string;
  /** The name asked for, when it was taken locally and another was chosen. */
  requestedPath?: string;
  from: string;
  manifest: DumpManifest;
}

/** `shop_20261122-101500.dump.age` → `shop_20261122-101500` and `.dump.age`, so a taken name becomes `shop_…-2.dump.age`. */
export function splitName(name: string): { base: string; extension: string } {
  const m = /^(.+?)((?:\.[A-Za-z0-9]+)*)$/.exec(name) as RegExpExecArray;
  return { base: m[1] as string, extension: m[2] as string };
}

async function pulledManifest(remote: OffsiteRemote, dest: string, opts: RcloneOptions): Promise<DumpManifest> {
  const result = await rclone(remote, 'cat', [], [dest], opts, true);
  if (notFound(result)) throw new PgbrError('usage', `${dest} is not there: pgbr pulls a dump only with its manifest, to check it; see what the remote holds with pgbr offsite list.`);
  const text = succeeded(result, `reading ${dest}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PgbrError('damaged', `${dest} is not valid JSON (${errorMessage(e)}): the copy cannot be checked; pull another copy.`);
  }
  const problem = manifestProblem(value);
  if (problem) throw new PgbrError('damaged', `${dest} is not a manifest pgbr wrote: ${problem}.`);
  return value as DumpManifest;
}

/**
 * Pulls the dump `name` from the remote folder into `outDir`. A copy whose bytes differ from its
 * manifest is removed and reported naming the file; no file ever has the final name before it checked out.
 */
export async function pullDump(name: string, remote: OffsiteRemote, outDir: string, opts: RcloneOptions & { logger?: Logger } = {}): Promise<PullResult> {
  checkDumpName(name);
  const src = remoteChild(remote.target, name);
  const manifest = await pulledManifest(remote, `${src}${MANIFEST_SUFFIX}`, opts);
  const kind = manifest.format === 'directory' ? 'folder' : 'file';
  const { base, extension } = splitName(name);
  const work = await reservePartial(
    {
      folder: path.resolve(outDir),
      base,
      extension,
      kind,
      proofPathFor: manifestPathFor,
      words: { thing: 'dump', proof: 'manifest', remedy: 'choose another --out folder' },
    },
    opts.logger,
  );
  try {
    const copy = kind === 'folder' ? 'copy' : 'copyto';
    // Every sha256 is checked below against the manifest: rclone's own MD5 check after the copy would read the bytes a third time.
    succeeded(await rclone(remote, copy, ['--ignore-checksum'], [src, work.partial], opts), `copying ${src}`);
    const mismatches = await compareChecksums(work.partial, manifest.sha256, opts.signal);
    const first = mismatches[0];
    if (first) {
      const more = mismatches.length > 1 ? ` (${mismatches.length - 1} more file${mismatches.length === 2 ? '' : 's'} differ)` : '';
      throw new PgbrError('damaged', `${describeMismatch(src, first).replace(/the dump was changed or damaged after it was written/, 'the copy there is damaged')}${more}; nothing was kept. Pull another copy.`);
    }
  } catch (e) {
    await work.discard();
    throw e;
  }
  const final = await work.finish((target) => manifestText(withFileKey(manifest, target)));
  return { path: final, ...(final !== work.requested ? { requestedPath: work.requested } : {}), from: src, manifest };
}
