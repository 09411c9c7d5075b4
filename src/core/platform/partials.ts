// The `.partial` lifecycle shared by dumps and base backups: work in progress is claimed by this
// process (and removed by the reaper if the process dies), and a finished one takes its final name
// only once its manifest or record is in place, so a final name always comes with its proof.
import * as fs from 'node:fs/promises';
import { pathExists, writeFileExclusive } from './fsutil';
import { removeIfKilled } from './reaper';

/** The manifest or record could not be written (full disk, permissions): the backup must not stay. */
export class ProofNotSaved extends Error {
  constructor(
    readonly proofPath: string,
    override readonly cause: unknown,
  ) {
    super(`${proofPath} could not be written: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

const claimed = new Map<string, () => void>();

/** `path` is being written by this process: not a leftover, and removed if this process is killed. */
export function claimPartial(partialPath: string): void {
  if (!claimed.has(partialPath)) claimed.set(partialPath, removeIfKilled(partialPath));
}

/** The work at `partialPath` is over (finished under its final name, or discarded). */
export function releasePartial(partialPath: string): void {
  claimed.get(partialPath)?.();
  claimed.delete(partialPath);
}

export interface Finalize {
  partial: string;
  /** Final names to try in order: the first free one is taken. */
  candidates: AsyncIterable<string> | Iterable<string>;
  /** Where the proof of `target` goes (`<dump>.manifest.json`, `<backup>.basebackup.json`). */
  proofPathFor: (target: string) => string;
  /** The proof's text for that final name. */
  proofText: (target: string) => string;
  /** Moves the partial to `target`, failing with EEXIST/ENOTEMPTY when the name is taken. */
  move: (partial: string, target: string) => Promise<void>;
}

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
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') continue;
      throw e;
    }
    releasePartial(f.partial);
    return target;
  }
  return undefined;
}
