// A plan's offsite step: copy the new backup, verify the copy, then apply the target's own keep rules
// (the GFS core of retention) to the plan's copies there, never removing the newest verified copy.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { manifestProblem, type DumpManifest } from '../logical/manifest';
import { errorMessage } from '../platform/errors';
import { privateTempDir } from '../platform/reaper';
import { planRetention } from '../retention/gfs';
import { hasKeepRules, type KeepRules, type RetentionCandidate } from '../retention/rules';
import { MANIFEST_SUFFIX, pushDump, pushManifest, removeIfThere, verifyCopy, localDump } from './copies';
import { listRemote } from './listing';
import { rclone, notFound, succeeded, type RcloneOptions } from './rclone';
import { lastVerified } from './record';
import { remoteChild, type OffsiteRemote } from './remote';

export interface PlanOffsiteTarget {
  remote: OffsiteRemote;
  keep?: KeepRules;
  /** rclone's config file for this remote (absolute); else rclone's default or RCLONE_CONFIG. */
  rcloneConfig?: string;
}

/** What the journal records of one target: the copy, its verification, the copies retention removed there. */
export interface OffsiteOutcome {
  target: string;
  /** The remote path of the new copy; absent when the push failed. */
  copied?: string;
  verified: boolean;
  /** Names of the dumps removed there (each with its manifest). */
  removed: string[];
  kept: number;
  errors: string[];
  /** Copies there retention left alone (a manifest it cannot read), one sentence each. */
  notes?: string[];
}

/** A copy of the plan's at the remote, read from the manifest beside it. */
interface RemoteCopy extends RetentionCandidate {
  name: string;
  folder: boolean;
}

/** The plan's copies at the remote: every manifest there fetched in one rclone call, those naming the plan kept. */
async function planCopiesThere(remote: OffsiteRemote, plan: string, opts: RcloneOptions): Promise<{ copies: RemoteCopy[]; skipped: string[] }> {
  const listing = await listRemote(remote, opts);
  const withManifest = new Set(listing.dumps.filter((d) => d.manifest).map((d) => d.name));
  const dir = await privateTempDir('offsite-');
  try {
    const result = await rclone(remote, 'copy', ['--include', `*${MANIFEST_SUFFIX}`, '--max-depth', '1'], [remote.target, dir], opts);
    if (!notFound(result)) succeeded(result, `reading the manifests at ${remote.target}`);
    const copies: RemoteCopy[] = [];
    const skipped: string[] = [];
    for (const file of await fs.readdir(dir)) {
      const name = file.slice(0, -MANIFEST_SUFFIX.length);
      if (!file.endsWith(MANIFEST_SUFFIX) || !withManifest.has(name)) continue;
      let m: DumpManifest;
      try {
        const value: unknown = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8'));
        if (manifestProblem(value)) throw new Error(manifestProblem(value));
        m = value as DumpManifest;
      } catch (e) {
        skipped.push(`${remoteChild(remote.target, file)} is left alone: it is not a manifest pgbr can read (${errorMessage(e)})`);
        continue;
      }
      if (m.plan !== plan) continue;
      const startedAt = new Date(m.startedAt);
      if (Number.isNaN(startedAt.getTime())) {
        skipped.push(`${remoteChild(remote.target, name)} is left alone: its manifest's startedAt is not a time`);
        continue;
      }
      copies.push({ path: remoteChild(remote.target, name), name, folder: m.format === 'directory', startedAt, verified: lastVerified(m, remote.recorded) !== undefined });
    }
    return { copies, skipped };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Removes a copy there: its data first, then its manifest, so a manifest never outlives a half-removed copy unseen. */
async function removeCopy(remote: OffsiteRemote, copy: RemoteCopy, opts: RcloneOptions): Promise<void> {
  await removeIfThere(remote, copy.folder ? 'purge' : 'deletefile', copy.path, opts);
  await removeIfThere(remote, 'deletefile', `${copy.path}${MANIFEST_SUFFIX}`, opts);
}

/**
 * Copies the plan's new backup to one target, verifies the copy there, and when it verified and the
 * target has keep rules, removes the plan's copies there those rules do not keep. Never throws: every
 * problem is in `errors`, and the backup stands whatever happens here.
 */
export async function copyForPlan(dumpPath: string, plan: { name: string; timezone: string }, target: PlanOffsiteTarget, opts: RcloneOptions = {}): Promise<OffsiteOutcome> {
  const outcome: OffsiteOutcome = { target: target.remote.recorded, verified: false, removed: [], kept: 0, errors: [] };
  if (target.rcloneConfig) opts = { ...opts, config: target.rcloneConfig };
  try {
    outcome.copied = (await pushDump(dumpPath, target.remote, opts)).remotePath;
    const verify = await verifyCopy(dumpPath, target.remote, opts);
    if (!verify.ok) {
      outcome.errors.push(...verify.problems);
      return outcome;
    }
    outcome.verified = true;
    // The manifest there now says the copy verified: the remote's retention judges by it.
    await pushManifest(await localDump(dumpPath), target.remote, opts);
    if (!target.keep || !hasKeepRules(target.keep)) return outcome;
    const { copies, skipped } = await planCopiesThere(target.remote, plan.name, opts);
    if (skipped.length) outcome.notes = skipped;
    const decided = planRetention(copies, target.keep, plan.timezone);
    outcome.kept = decided.keep.length;
    for (const c of decided.remove as RemoteCopy[]) {
      try {
        await removeCopy(target.remote, c, opts);
        outcome.removed.push(c.name);
      } catch (e) {
        outcome.errors.push(errorMessage(e));
      }
    }
  } catch (e) {
    outcome.errors.push(errorMessage(e));
  }
  return outcome;
}
