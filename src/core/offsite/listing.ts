// What a remote folder holds: each dump (a file or folder, whatever its extension) with its size and
// whether its manifest is there, and `.partial` leftovers of copies that were cut off.
import { rclone, notFound, parseEntries, succeeded, type RcloneOptions } from './rclone';
import type { OffsiteRemote } from './remote';
import { MANIFEST_SUFFIX } from './copies';

export interface RemoteDump {
  name: string;
  sizeBytes: number;
  files: number;
  /** The newest modification time among its files, as the backend reports it. */
  modified?: string;
  manifest: boolean;
}

export interface RemoteListing {
  target: string;
  dumps: RemoteDump[];
  /** Manifests whose dump is not there (removed, or a push cut off before its data moved into place). */
  orphanManifests: string[];
  /** `.partial` names: copies that were cut off; a later push of the same dump replaces them. */
  partials: string[];
  /** Nothing is at the remote folder yet. */
  missing: boolean;
}

export async function listRemote(remote: OffsiteRemote, opts: RcloneOptions = {}): Promise<RemoteListing> {
  const result = await rclone(remote, 'lsjson', ['-R', '--files-only'], [remote.target], opts, true);
  if (notFound(result)) return { target: remote.recorded, dumps: [], orphanManifests: [], partials: [], missing: true };
  const entries = parseEntries(succeeded(result, `listing ${remote.target}`));
  const groups = new Map<string, { size: number; files: number; modified?: string }>();
  const manifests = new Set<string>();
  const partials = new Set<string>();
  for (const e of entries) {
    const top = e.Path.split('/')[0] as string;
    if (top.endsWith('.partial')) {
      partials.add(top);
      continue;
    }
    if (top === e.Path && top.endsWith(MANIFEST_SUFFIX)) {
      manifests.add(top.slice(0, -MANIFEST_SUFFIX.length));
      continue;
    }
    const g = groups.get(top) ?? { size: 0, files: 0 };
    g.size += Math.max(0, e.Size);
    g.files += 1;
    if (e.ModTime && (!g.modified || e.ModTime > g.modified)) g.modified = e.ModTime;
    groups.set(top, g);
  }
  const dumps: RemoteDump[] = [...groups].map(([name, g]) => ({ name, sizeBytes: g.size, files: g.files, ...(g.modified ? { modified: g.modified } : {}), manifest: manifests.has(name) }));
  dumps.sort((a, b) => a.name.localeCompare(b.name));
  const orphanManifests = [...manifests].filter((m) => !groups.has(m)).sort();
  return { target: remote.recorded, dumps, orphanManifests, partials: [...partials].sort(), missing: false };
}
