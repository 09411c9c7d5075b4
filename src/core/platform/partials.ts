// The `.partial` lifecycle shared by dumps and base backups, files and folders alike: a final name
// free together with its `.partial` and its proof, the partial created exclusively and claimed by this
// process (removed by the reaper if the process dies), then either finished under its final name
// (proof first, nothing ever replaced) or discarded, its claim released exactly once either way; and
// the leftovers, the `.partial` entries no live pgbr or editor has claimed.
import { readFileSync, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError, errorMessage } from './errors';
import { listOrEmptySync, noHardLinks, pathExists, renameIfAbsent, sizeOnDisk, writeFileExclusive } from './fsutil';
import { silentLogger, type Logger } from './log';
import { removeIfKilled, RUN_FOLDER_PREFIX, tempRoot } from './reaper';

/** The manifest or record could not be written (full disk, permissions): the backup must not stay. */
export class ProofNotSaved extends Error {
  constructor(
    readonly proofPath: string,
    override readonly cause: unknown,
  ) {
    super(`${proofPath} could not be written: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** How messages name the work: `dump` and its `manifest`, or `base backup` and its `record`. */
export interface PartialWords {
  thing: string;
  proof: string;
  /** What to do when no name is free: `remove old dumps or choose another name`. */
  remedy: string;
}

export interface PartialSpec {
  folder: string;
  /** The name asked for, without a number or extension: `shop_20261122-101500`. */
  base: string;
  /** What follows the number (`.dump`, `.sql.gz`); empty for folders. */
  extension: string;
  kind: 'file' | 'folder';
  /** Where the proof of a final name goes (`<dump>.manifest.json`, `<backup>.basebackup.json`): a name is free only with it. */
  proofPathFor: (final: string) => string;
  words: PartialWords;
  /** Puts the partial on record as live; returns what takes it off. The reaper's run folder unless a test says otherwise. */
  claim?: (partialPath: string) => () => void;
}

/** Tries at a name that another writer takes first, before giving up. */
const MAX_ATTEMPTS = 100;

/** The n-th candidate for a name: `shop.dump`, then `shop-2.dump`, `shop-3.dump`, ... */
export function candidateName(base: string, extension: string, n: number): string {
  return n <= 1 ? `${base}${extension}` : `${base}-${n}${extension}`;
}

/**
 * The first candidate from the `from`-th on whose name, `.partial` and proof are all free: a finished
 * backup is never overwritten, and one still being written elsewhere keeps its name.
 */
export async function freeName(
  spec: Pick<PartialSpec, 'folder' | 'base' | 'extension' | 'proofPathFor'>,
  from = 1,
  exists: (file: string) => Promise<boolean> = pathExists,
): Promise<{ final: string; n: number }> {
  for (let n = from; ; n++) {
    const final = path.join(spec.folder, candidateName(spec.base, spec.extension, n));
    const busy = await Promise.all([final, `${final}.partial`, spec.proofPathFor(final)].map(exists));
    if (!busy.some(Boolean)) return { final, n };
  }
}

/**
 * Picks a free final name and creates its `.partial` exclusively (a `0600` file or a `0700` folder),
 * so two backups started at the same second never write into each other, and claims it.
 */
export async function reservePartial(spec: PartialSpec, logger: Logger = silentLogger): Promise<PartialWork> {
  await fs.mkdir(spec.folder, { recursive: true }).catch((e: unknown) => {
    throw new PgbrError('io', `cannot create the ${spec.words.thing} folder ${spec.folder}: ${errorMessage(e)}`, { cause: e });
  });
  let from = 1;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { final, n } = await freeName(spec, from);
    const partial = `${final}.partial`;
    try {
      if (spec.kind === 'folder') await fs.mkdir(partial, { mode: 0o700 });
      else await (await fs.open(partial, 'wx', 0o600)).close();
    } catch (e) {
      // Taken between the check and the create: another writer got there first.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new PgbrError('io', `cannot create ${partial}: ${errorMessage(e)}`, { cause: e });
      from = n + 1;
      continue;
    }
    return new PartialWork(spec, final, n, (spec.claim ?? removeIfKilled)(partial), logger);
  }
  throw new PgbrError('io', `no free ${spec.words.thing} name in ${spec.folder} for ${spec.base}${spec.extension}: ${spec.words.remedy}`);
}

/** A reserved `.partial`: finished once under a final name, or discarded; its claim released exactly once. */
export class PartialWork {
  readonly partial: string;
  /** The name asked for; `final` differs when it was taken. */
  readonly requested: string;
  private unclaim: (() => void) | undefined;

  constructor(
    private readonly spec: PartialSpec,
    /** The name reserved for it; `finish` takes the next free one if this is taken meanwhile. */
    readonly final: string,
    private readonly n: number,
    unclaim: () => void,
    private readonly logger: Logger,
  ) {
    this.partial = `${final}.partial`;
    this.requested = path.join(spec.folder, candidateName(spec.base, spec.extension, 1));
    this.unclaim = unclaim;
  }

  /**
   * Gives the finished partial its final name with its proof beside it and returns the name taken: the
   * reserved one, or the next free one counted from the requested name (`shop-3.dump` after
   * `shop-2.dump`, never `shop-2-2.dump`) when another writer took it meanwhile. A failure removes it.
   */
  async finish(proofText: (final: string) => string): Promise<string> {
    const { words } = this.spec;
    let taken: string | undefined;
    try {
      taken = await finalizeWithProof({
        partial: this.partial,
        candidates: this.finalCandidates(),
        proofPathFor: this.spec.proofPathFor,
        proofText,
        move: (from, to) => moveWithoutReplacing(from, to, this.spec.kind),
      });
    } catch (e) {
      await this.discard();
      if (e instanceof ProofNotSaved) {
        throw new PgbrError('io', `the ${words.thing} was written but its ${words.proof} could not be saved (${errorMessage(e.cause)}), so it was removed: check the folder's free space and permissions`, { cause: e.cause });
      }
      throw new PgbrError('io', `cannot move the finished ${words.thing} to ${this.final}: ${errorMessage(e)}`, { cause: e });
    }
    if (taken === undefined) {
      await this.discard();
      throw new PgbrError('io', `no free name for the finished ${words.thing} ${this.final}: ${words.remedy}`);
    }
    this.release();
    return taken;
  }

  /** Removes the unfinished partial after a failure or a cancel; a no-op once finished. A failure to remove is logged, never hides the first error. */
  async discard(): Promise<void> {
    if (this.unclaim === undefined) return;
    try {
      await fs.rm(this.partial, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      this.logger.warn(`could not remove the unfinished ${this.spec.words.thing} ${this.partial}: ${errorMessage(e)}`);
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.unclaim?.();
    this.unclaim = undefined;
  }

  private async *finalCandidates(): AsyncGenerator<string> {
    yield this.final;
    let n = this.n;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const next = await freeName(this.spec, n + 1);
      n = next.n;
      yield next.final;
    }
  }
}

export interface Finalize {
  partial: string;
  /** Final names to try in order: the first free one is taken. */
  candidates: AsyncIterable<string> | Iterable<string>;
  /** Where the proof of `target` goes (`<dump>.manifest.json`, `<backup>.basebackup.json`). */
  proofPathFor: (target: string) => string;
  /** The proof's text for that final name. */
  proofText: (target: string) => string;
  /** Moves the partial to `target`, failing with EEXIST (ENOTEMPTY, ENOTDIR, EISDIR) when the name is taken. */
  move: (partial: string, target: string) => Promise<void>;
}

/** What a rename or link says when something is already at the target. */
const NAME_TAKEN = new Set(['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR']);

/**
 * Writes the proof under the final name first (exclusively: an existing one is never replaced),
 * then moves the partial beside it. A kill between the two leaves a proof without a backup (the
 * leftover report finds it), never a backup without its proof. Returns the name taken.
 */
export async function finalizeWithProof(f: Finalize): Promise<string | undefined> {
  for await (const target of f.candidates) {
    const proof = f.proofPathFor(target);
    if (await pathExists(target)) continue;
    try {
      await writeFileExclusive(proof, f.proofText(target));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new ProofNotSaved(proof, e);
    }
    try {
      await f.move(f.partial, target);
    } catch (e) {
      await fs.rm(proof, { force: true });
      if (NAME_TAKEN.has((e as NodeJS.ErrnoException).code ?? '')) continue;
      throw e;
    }
    return target;
  }
  return undefined;
}

/**
 * Moves `from` to `to` unless something is there. A file is hard-linked to the name (a link fails when
 * the name exists, where a rename would silently overwrite it), then unlinked from the partial. A folder
 * cannot be linked: it is renamed after a check, and two pgbr writers never race there, since each
 * first wrote the name's proof exclusively.
 */
export async function moveWithoutReplacing(from: string, to: string, kind: 'file' | 'folder'): Promise<void> {
  if (kind === 'folder') return renameIfAbsent(from, to);
  try {
    await fs.link(from, to);
  } catch (e) {
    // File systems without hard links (FAT, some network shares): check, then rename.
    if (!noHardLinks(e)) throw e;
    return renameIfAbsent(from, to);
  }
  await fs.unlink(from);
}

/** Entries of `folders` that `wanted` picks and no live run has on record, sorted by path. */
export async function unclaimedEntries(folders: readonly string[], wanted: (name: string, stat: Stats) => boolean): Promise<{ path: string; stat: Stats }[]> {
  const claimed = claimedPaths();
  const found: { path: string; stat: Stats }[] = [];
  // Claims are recorded as absolute paths: a folder given relative to the working directory still matches them.
  for (const folder of new Set(folders.map((f) => path.resolve(f)))) {
    for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
      const full = path.join(folder, name);
      if (claimed.has(full)) continue;
      const stat = await fs.stat(full).catch(() => undefined);
      if (stat && wanted(name, stat)) found.push({ path: full, stat });
    }
  }
  return found.sort((x, y) => x.path.localeCompare(y.path));
}

/** Every path a live run folder (this process's included) has on record. */
export function claimedPaths(): Set<string> {
  const claimed = new Set<string>();
  const root = tempRoot();
  for (const name of listOrEmptySync(root)) {
    if (!name.startsWith(RUN_FOLDER_PREFIX)) continue;
    const removeDir = path.join(root, name, 'remove');
    for (const r of listOrEmptySync(removeDir)) {
      try {
        claimed.add(readFileSync(path.join(removeDir, r), 'utf8'));
      } catch {
        // Released meanwhile.
      }
    }
  }
  return claimed;
}

export interface PartialLeftover {
  path: string;
  sizeBytes: number;
  modified: Date;
}

/** `.partial` files and folders in `folders` that no live run is writing. */
export async function findPartials(folders: readonly string[]): Promise<PartialLeftover[]> {
  const found = await unclaimedEntries(folders, (name) => name.endsWith('.partial') && !name.startsWith('.'));
  return Promise.all(found.map(async ({ path: p, stat }) => ({ path: p, sizeBytes: await sizeOnDisk(p), modified: stat.mtime })));
}

/** Removes a stale `.partial` (a dump's or a base backup's); refuses anything else, so a wrong path cannot delete a finished backup. */
export async function removePartial(partialPath: string): Promise<void> {
  if (!partialPath.endsWith('.partial')) {
    throw new PgbrError('usage', `${partialPath} is not an unfinished backup (its name does not end in .partial): it was not removed`);
  }
  // A claim of any live process counts, not only this one's: another window's dump may be writing it.
  if (claimedPaths().has(path.resolve(partialPath))) {
    throw new PgbrError('usage', `${partialPath} is a backup still being written: cancel it instead`);
  }
  await fs.rm(partialPath, { recursive: true, force: true });
}
