// What the pgBackRest repositories a server archives into add to its health: their backups (for the
// base-backup row and item) and their newest WAL with its arrival time (for the RPO), read once per poll.
import { backrestInfo } from '../backrest/commands';
import type { BackrestRepository } from '../backrest/config';
import { posixRepoPath } from '../backrest/confFile';
import { listPosixArchive } from '../backrest/window';
import { errorMessage } from '../platform/errors';
import type { Logger } from '../platform/log';
import { TRUST_HINT } from '../profiles/trust';
import type { BaseBackupSeen, RepositoryWal } from './snapshot';

/**
 * The repositories of `repositories:` whose `connection` is this profile. A repository with its own
 * config file in a folder that is not trusted is left out (the file could make pgBackRest start a
 * program), with a note; so is one pgBackRest cannot read, with its reason.
 */
export async function backrestSeen(
  repositories: readonly BackrestRepository[],
  profile: string,
  notes: string[],
  opts: { trusted: boolean; logger?: Logger; signal?: AbortSignal },
): Promise<{ baseBackups: BaseBackupSeen[]; repositoryWal: RepositoryWal[] }> {
  const baseBackups: BaseBackupSeen[] = [];
  const repositoryWal: RepositoryWal[] = [];
  for (const r of repositories.filter((x) => x.connection === profile)) {
    if (!opts.trusted && r.config !== undefined) {
      notes.push(`pgBackRest stanza ${r.stanza} is not read: its config ${r.config} is named by this folder's pgbackup.yaml, and the folder is not trusted (${TRUST_HINT})`);
      continue;
    }
    const target = { stanza: r.stanza, ...(r.config ? { config: r.config } : {}) };
    try {
      const info = await backrestInfo(target, { ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      for (const b of info.backups) baseBackups.push({ label: `${r.stanza} ${b.label}`, stopTime: b.stopTime });
      const archive = info.archives.at(-1);
      const listing = await listPosixArchive(await posixRepoPath(target), info);
      repositoryWal.push({ stanza: r.stanza, ...(archive?.max ? { newest: archive.max } : {}), ...(listing?.maxTime ? { at: listing.maxTime } : {}) });
    } catch (e) {
      notes.push(`pgBackRest stanza ${r.stanza} not read: ${errorMessage(e)}`);
    }
  }
  return { baseBackups, repositoryWal };
}
