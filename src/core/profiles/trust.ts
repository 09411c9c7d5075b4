// What pgbackup.yaml of a folder the user has not trusted may still do: list connections and folders to
// look at, never name a program or a command that would be run.
import * as path from 'node:path';
import type { WorkspaceConfig } from './yamlConfig';
import type { ProfileProblem } from './types';

/** The end of every sentence that says something was left out because the folder is not trusted. */
export const TRUST_HINT = 'trust the folder ("Workspaces: Manage Workspace Trust") to use it';

/**
 * The config without the keys that name something to run (today `offsite.command`), and one warning
 * per key left out. Connections, folders, archives and the health policy are kept.
 */
export function withoutCommands(config: WorkspaceConfig, file: string): { config: WorkspaceConfig; problems: ProfileProblem[] } {
  const problems: ProfileProblem[] = [];
  const label = path.basename(file);
  const leftOut = (key: string): void => {
    problems.push({
      source: { kind: 'yaml', file, label },
      message: `"${key}" in ${label} is not used because this folder is not trusted: ${TRUST_HINT}.`,
      severity: 'warning',
      key,
      file,
    });
  };
  const restricted: WorkspaceConfig = { ...config };
  if (typeof config.offsite === 'object' && config.offsite.command !== undefined) {
    leftOut('offsite.command');
    if (config.offsite.target !== undefined) restricted.offsite = { target: config.offsite.target };
    else delete restricted.offsite;
  }
  return { config: restricted, problems };
}
