// The local manifest's `offsite` list: one entry per remote folder, updated by each push and verify and written atomically.
import { readManifest, writeManifest, type DumpManifest, type OffsiteCopy } from '../logical/manifest';
import { PgbrError } from '../platform/errors';

async function update(dumpPath: string, target: string, change: (entry: OffsiteCopy) => OffsiteCopy): Promise<DumpManifest> {
  const manifest = await readManifest(dumpPath);
  if (!manifest) throw new PgbrError('io', `the manifest of ${dumpPath} is gone, so the offsite copy could not be recorded.`);
  const list = manifest.offsite ?? [];
  const index = list.findIndex((c) => c.target === target);
  const entry = change(index >= 0 ? (list[index] as OffsiteCopy) : { target, sha256: {} });
  const offsite = index >= 0 ? list.map((c, i) => (i === index ? entry : c)) : [...list, entry];
  const next: DumpManifest = { ...manifest, offsite };
  await writeManifest(dumpPath, next);
  return next;
}

/** A new copy: its time and sums; an earlier verification was of other bytes, so it no longer counts. */
export function recordCopy(dumpPath: string, target: string, sha256: Record<string, string>, copiedAt: string): Promise<DumpManifest> {
  return update(dumpPath, target, (e) => {
    const next: OffsiteCopy = { ...e, copiedAt, sha256 };
    delete next.verifiedAt;
    delete next.failedAt;
    delete next.failure;
    return next;
  });
}

/** A verify: passed (`failure` undefined) sets verifiedAt; failed keeps the last pass and says what differs. */
export function recordVerify(dumpPath: string, target: string, sha256: Record<string, string>, at: string, failure: string | undefined): Promise<DumpManifest> {
  return update(dumpPath, target, (e) => {
    const next: OffsiteCopy = { ...e, sha256 };
    if (failure === undefined) {
      next.verifiedAt = at;
      delete next.failedAt;
      delete next.failure;
    } else {
      next.failedAt = at;
      next.failure = failure;
    }
    return next;
  });
}

/** When the copy at `target` was last verified, unless a later verify found it different; undefined if never. */
export function lastVerified(manifest: Pick<DumpManifest, 'offsite'> | undefined, target: string): Date | undefined {
  const entry = manifest?.offsite?.find((c) => c.target === target);
  if (!entry?.verifiedAt) return undefined;
  if (entry.failedAt && entry.failedAt >= entry.verifiedAt) return undefined;
  const at = new Date(entry.verifiedAt);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** How the Dumps view shows a dump's copies: a short badge for its row and one line per remote for its tooltip. */
export function describeCopies(manifest: Pick<DumpManifest, 'offsite'> | undefined, age: (iso: string) => string): { badge?: string; lines: string[] } {
  const copies = manifest?.offsite ?? [];
  if (copies.length === 0) return { lines: [] };
  const lines = copies.map((c) => {
    if (c.failedAt && (!c.verifiedAt || c.failedAt >= c.verifiedAt)) return `copy at ${c.target} DIFFERS (found ${age(c.failedAt)}): ${c.failure ?? 'see pgbr offsite verify'}`;
    if (lastVerified(manifest, c.target)) return `copy at ${c.target}: verified ${age(c.verifiedAt as string)}`;
    return `copy at ${c.target}: copied ${c.copiedAt ? age(c.copiedAt) : 'at an unknown time'}, not verified yet`;
  });
  const verified = copies.filter((c) => lastVerified(manifest, c.target)).length;
  const differs = lines.some((l) => l.includes(' DIFFERS '));
  const badge = differs ? 'offsite DIFFERS' : verified === copies.length ? `offsite ✓${copies.length > 1 ? ` ${copies.length}` : ''}` : `offsite ${verified}/${copies.length} verified`;
  return { badge, lines };
}
