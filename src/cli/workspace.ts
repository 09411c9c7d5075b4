// The workspace pgbr runs in: its profiles, and where its dumps and base backups live (the same rules as the editor's).
import * as os from 'node:os';
import { loadProfiles, parseConnectionUri, describeParams, type WorkspaceConfig, type ConnectionProfile, type ProfileProblem, baseBackupFolderFrom, cliStorage, dumpFoldersFrom, type Places } from '../core/profiles';
import { PgbrError } from '../core/platform';
import type { Io } from './io';

type Loaded = Awaited<ReturnType<typeof loadProfiles>>;
/** One read of the workspace's profiles per command run (a run has its own `io`): finding the connection and the folders share it. */
const loads = new WeakMap<Io, Map<string, Promise<Loaded>>>();

export function profilesFor(workspace: string, io: Io): Promise<Loaded> {
  let byWorkspace = loads.get(io);
  if (!byWorkspace) loads.set(io, (byWorkspace = new Map<string, Promise<Loaded>>()));
  let loaded = byWorkspace.get(workspace);
  if (!loaded) byWorkspace.set(workspace, (loaded = loadProfiles({ workspaceFolder: workspace, env: io.env, homedir: os.homedir() })));
  return loaded;
}

/** `--conn`: a profile name, or a postgresql:// URI used as an unnamed profile. */
export async function pickProfile(conn: string, workspace: string, io: Io): Promise<ConnectionProfile> {
  if (/^postgres(ql)?:\/\//.test(conn)) {
    return { name: describeParams(parseConnectionUri(conn)), params: parseConnectionUri(conn), source: { kind: 'setting', label: '--conn URI' } };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(conn)?.[1];
  if (scheme !== undefined) {
    // Only the scheme is echoed: the rest of a URI may hold a password.
    throw new PgbrError('usage', `--conn is a ${scheme}:// URI, but pgbr connects to PostgreSQL only: give a postgresql:// URI or a profile name.`);
  }
  const loaded = await profilesFor(workspace, io);
  const found = loaded.profiles.find((p) => p.name === conn);
  if (found) return found;
  // The profile may be missing because its entry, or the whole file, has an error: that error is the answer.
  const problem = whyNotLoaded(loaded.problems, conn);
  if (problem) {
    const more = loaded.problems.filter((p) => p.severity !== 'warning').length - 1;
    throw new PgbrError(
      'config',
      `connection "${conn}" cannot be used: ${problem.message}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'}: pgbr connections lists them)` : ''}`,
      problemLocation(problem),
    );
  }
  const known = loaded.profiles.map((p) => p.name);
  const shown = known.length > 10 ? `${known.slice(0, 10).join(', ')} and ${known.length - 10} more` : known.join(', ');
  throw new PgbrError(
    'usage',
    `there is no connection named "${conn}"${known.length ? ` (known: ${shown})` : ''}: pass a profile name or a postgresql:// URI.`,
  );
}

/** The error that kept a profile of this name from loading: one of its entry, else one of a file that loads nothing (a syntax error). */
function whyNotLoaded(problems: readonly ProfileProblem[], name: string): ProfileProblem | undefined {
  const errors = problems.filter((p) => p.severity !== 'warning');
  const keepsAllOut = (p: ProfileProblem) =>
    p.profileName === undefined && p.plan === undefined && p.repository === undefined && p.source.kind !== 'env' && (p.key === undefined || p.key === 'connections' || p.key === 'name' || /"connections"\?/.test(p.message));
  return errors.find((p) => p.profileName === name) ?? errors.find(keepsAllOut);
}

function problemLocation(p: ProfileProblem): { file?: string; line?: number; column?: number } {
  return { ...(p.file ? { file: p.file } : {}), ...(p.line ? { line: p.line } : {}), ...(p.column ? { column: p.column } : {}) };
}

/** Relative paths against the workspace (`--workspace`, default the current folder); `~/.pgbr` without one. */
export function cliPlaces(workspace: string): Places {
  return { workspaceFolder: workspace, storage: cliStorage() };
}

/** The configured dump folders (relative to the workspace), else `<workspace>/.pg-backups`: the first is written to. */
export function dumpFoldersFor(config: WorkspaceConfig | undefined, workspace: string): string[] {
  return dumpFoldersFrom(config?.dumpFolders ?? [], cliPlaces(workspace));
}

/** `baseBackupFolder` from pgbackup.yaml, else `<workspace>/.pg-backups/base`. */
export function baseBackupFolderFor(config: WorkspaceConfig | undefined, workspace: string): string {
  return baseBackupFolderFrom(config?.baseBackupFolder, cliPlaces(workspace));
}
