// Connection profiles from every source, merged by name, with libpq's defaults and its password lookup.
import { stat, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import { profileFromEnv } from './env';
import { lookupPgpass, parsePgpass, pgpassFilePath } from './pgpass';
import { parseServiceFile, serviceFileCandidates, serviceToParams } from './pgService';
import type { ConnectionParams, ConnectionProfile, ProfileProblem, ProfileSet, ProfileSource } from './types';
import { parsePort } from './uri';
import { withoutCommands } from './trust';
import { parseWorkspaceConfig, WORKSPACE_CONFIG_FILE, type WorkspaceConfig } from './yamlConfig';
import { readConnectionEntry } from './yamlEntry';
import { passwordHome } from './advice';

export * from './types';
export * from './uri';
export * from './yamlConfig';
export { addConnectionToYaml, findConnectionLine, removeConnectionFromYaml } from './yamlEdit';
export * from './pgService';
export * from './pgpass';
export * from './env';
export * from './trust';
export * from './passwordKey';

/** Profiles and problems from one source. */
export interface ProfileGroup {
  profiles: ConnectionProfile[];
  problems: ProfileProblem[];
}

/** Debian's libpq default; upstream builds and Homebrew use /tmp (see `findDefaultSocketDir`). */
export const DEFAULT_SOCKET_DIR = '/var/run/postgresql';
export const SETTING_SOURCE: ProfileSource = { kind: 'setting', label: 'setting pgBackup.connections' };

/**
 * Merges groups given in precedence order (yaml, setting, service, env): the first profile of a name
 * wins, and each one it hides becomes a warning so a user is never surprised by which one is used.
 */
export function mergeProfiles(groups: readonly ProfileGroup[]): ProfileSet {
  const winners = new Map<string, ConnectionProfile>();
  const profiles: ConnectionProfile[] = [];
  const problems: ProfileProblem[] = [];
  for (const group of groups) {
    problems.push(...group.problems);
    for (const profile of group.profiles) {
      const winner = winners.get(profile.name);
      if (!winner) {
        winners.set(profile.name, profile);
        profiles.push(profile);
        continue;
      }
      // `- name: billing / service: billing` builds on the service of that name rather than hiding it.
      if (profile.source.kind === 'service' && winner.service === profile.name) continue;
      problems.push({
        source: profile.source,
        profileName: profile.name,
        severity: 'warning',
        message: `profile "${profile.name}" from ${profile.source.label} is hidden by ${winner.source.label}: rename one of them`,
        file: profile.source.file,
        line: profile.source.line,
      });
    }
  }
  return { profiles, problems };
}

/** Reads the pgBackup.connections setting with the same rules and messages as pgbackup.yaml. */
export function parseSettingConnections(value: unknown): ProfileGroup {
  const group: ProfileGroup = { profiles: [], problems: [] };
  if (value === undefined || value === null) return group;
  const report = (message: string, extra: Partial<ProfileProblem> = {}) =>
    group.problems.push({ source: SETTING_SOURCE, message, ...extra });
  if (!Array.isArray(value)) {
    report(`${SETTING_SOURCE.label} must be a list of connections, like [{ "name": "local", "uri": "postgresql://app@localhost/app" }]`);
    return group;
  }
  const firstIndex = new Map<string, number>();
  value.forEach((item: unknown, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      report(`connection #${index + 1} in ${SETTING_SOURCE.label} must be an object with a "name"`);
      return;
    }
    const fields = Object.entries(item as Record<string, unknown>).map(([key, v]) => ({ key, value: v }));
    const entry = readConnectionEntry(fields, index);
    for (const issue of entry.issues) report(issue.message, { profileName: entry.name, key: issue.key });
    if (entry.name === undefined) return;
    const first = firstIndex.get(entry.name);
    if (first !== undefined) {
      report(`connection name "${entry.name}" is already used by connection #${first + 1}: rename one of them`, {
        profileName: entry.name,
        key: 'name',
      });
      return;
    }
    firstIndex.set(entry.name, index);
    if (!entry.params) return;
    const profile: ConnectionProfile = { name: entry.name, params: entry.params, source: SETTING_SOURCE };
    if (entry.service !== undefined) profile.service = entry.service;
    group.profiles.push(profile);
  });
  return group;
}

export interface LoadProfilesOptions {
  /** The folder whose pgbackup.yaml is read. */
  workspaceFolder?: string;
  /** The value of the pgBackup.connections setting. */
  settingConnections?: unknown;
  env: NodeJS.ProcessEnv;
  homedir: string;
  platform?: NodeJS.Platform;
  /**
   * False in a folder the user has not trusted (VS Code's Restricted Mode): pgbackup.yaml then lists
   * connections and folders, but keys that name a command are left out with a warning. Default true.
   */
  trusted?: boolean;
}

export interface LoadedProfiles extends ProfileSet {
  config?: WorkspaceConfig;
  /** The pgbackup.yaml that was read, when there is one. */
  configFile?: string;
}

interface KnownService {
  name: string;
  values: Record<string, string>;
  file: string;
  line?: number;
  label: string;
}

/**
 * Reads every source without blocking: pgbackup.yaml, the setting, the service files, the PG*
 * variables. A missing file is normal; an unreadable or malformed one is a problem, never a throw.
 */
export async function loadProfiles(opts: LoadProfilesOptions): Promise<LoadedProfiles> {
  const platform = opts.platform ?? process.platform;
  const tilde = (file: string) => tildePath(file, opts.homedir);

  const serviceGroup: ProfileGroup = { profiles: [], problems: [] };
  const services = new Map<string, KnownService>();
  const serviceFiles = serviceFileCandidates(opts.env, opts.homedir, platform);
  for (const file of serviceFiles) {
    const read = await readOptional(file);
    if (read.error) {
      serviceGroup.problems.push(unreadable({ kind: 'service', file, label: tilde(file) }, read.error));
      continue;
    }
    if (read.text === undefined) continue;
    const parsed = parseServiceFile(read.text, file, tilde(file));
    serviceGroup.problems.push(...parsed.problems);
    // libpq reads the user's file first and stops at the first file that defines the service.
    for (const [name, values] of parsed.services) {
      if (services.has(name)) continue;
      const line = parsed.sectionLines.get(name);
      services.set(name, { name, values, file, line, label: `${tilde(file)} [${name}]` });
    }
  }
  for (const service of services.values()) {
    const source: ProfileSource = { kind: 'service', file: service.file, line: service.line, label: service.label };
    const { params, problems, usable } = serviceToParams(service.values);
    for (const message of problems) {
      serviceGroup.problems.push({
        source,
        profileName: service.name,
        message: `service "${service.name}": ${message}`,
        severity: usable ? 'warning' : 'error',
        file: service.file,
        line: service.line,
      });
    }
    if (usable) {
      const profile: ConnectionProfile = { name: service.name, params, source, service: service.name };
      if ('password' in service.values) profile.ignoredPasswordIn = service.label;
      serviceGroup.profiles.push(profile);
    }
  }

  let yamlGroup: ProfileGroup = { profiles: [], problems: [] };
  let config: WorkspaceConfig | undefined;
  let configFile: string | undefined;
  if (opts.workspaceFolder) {
    const file = path.join(opts.workspaceFolder, WORKSPACE_CONFIG_FILE);
    const read = await readOptional(file);
    if (read.error) yamlGroup.problems.push(unreadable({ kind: 'yaml', file, label: WORKSPACE_CONFIG_FILE }, read.error));
    else if (read.text !== undefined) {
      const parsed = parseWorkspaceConfig(read.text, file);
      yamlGroup = { profiles: parsed.profiles, problems: parsed.problems };
      config = parsed.config;
      configFile = file;
      if (opts.trusted === false) {
        const restricted = withoutCommands(parsed.config, file);
        config = restricted.config;
        yamlGroup.problems.push(...restricted.problems);
      }
    }
  }

  const serviceFileNames = serviceFiles.map(tilde).join(' or ');
  const resolveGroup = (group: ProfileGroup, serviceWins = false): ProfileGroup => {
    const resolved: ProfileGroup = { profiles: [], problems: [...group.problems] };
    for (const profile of group.profiles) {
      if (profile.service === undefined) {
        resolved.profiles.push(profile);
        continue;
      }
      const found = services.get(profile.service);
      const problem = (message: string): ProfileProblem => ({
        source: profile.source,
        profileName: profile.name,
        message,
        file: profile.source.file,
        line: profile.source.line,
        key: 'service',
      });
      if (!found) {
        const missing = profile.service;
        resolved.problems.push(
          problem(
            `service "${missing}" of connection "${profile.name}" is not defined in ${serviceFileNames}: ` +
              `add a [${missing}] section or fix the name`,
          ),
        );
        continue;
      }
      const fromService = serviceToParams(found.values);
      if (!fromService.usable) {
        resolved.problems.push(problem(`connection "${profile.name}" uses service "${found.name}", which has errors: fix ${found.label}`));
        continue;
      }
      const params = serviceWins ? combineParams(profile.params, fromService.params) : combineParams(fromService.params, profile.params);
      resolved.profiles.push({ ...profile, params, ...('password' in found.values ? { ignoredPasswordIn: found.label } : {}) });
    }
    return resolved;
  };

  const envProfile = profileFromEnv(opts.env);
  const envGroup: ProfileGroup = { profiles: envProfile.profile ? [envProfile.profile] : [], problems: envProfile.problems };
  const merged = mergeProfiles([
    resolveGroup(yamlGroup),
    resolveGroup(parseSettingConnections(opts.settingConnections)),
    serviceGroup,
    // libpq lets a service's values beat the PG* variables, so PGSERVICE wins over PGHOST and friends.
    resolveGroup(envGroup, true),
  ]);
  const loaded: LoadedProfiles = merged;
  if (config) loaded.config = config;
  if (configFile) loaded.configFile = configFile;
  return loaded;
}

/** `over` on top of `base`: a field `over` sets wins, options are merged key by key. */
function combineParams(base: ConnectionParams, over: ConnectionParams): ConnectionParams {
  const params: ConnectionParams = { ...base };
  for (const [key, value] of Object.entries(over) as [keyof ConnectionParams, unknown][]) {
    if (value !== undefined && key !== 'options') (params as Record<string, unknown>)[key] = value;
  }
  const options = { ...base.options, ...over.options };
  if (Object.keys(options).length) params.options = options;
  return params;
}

function tildePath(file: string, homedir: string): string {
  if (!homedir) return file;
  const home = homedir.replace(/[\\/]+$/, '');
  if (file === home) return '~';
  for (const sep of ['/', '\\']) if (file.startsWith(home + sep)) return `~${sep}${file.slice(home.length + 1)}`;
  return file;
}

async function readOptional(file: string): Promise<{ text?: string; error?: NodeJS.ErrnoException }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    return error.code === 'ENOENT' ? {} : { error };
  }
}

function unreadable(source: ProfileSource, error: NodeJS.ErrnoException): ProfileProblem {
  const why = error.code === 'EACCES' ? 'permission denied' : error.code === 'EISDIR' ? 'it is a folder' : error.code ?? error.message;
  return {
    source,
    message: `cannot read ${source.label} (${why}): make it a file this user can read, or remove it`,
    file: source.file,
  };
}

export type EffectiveParams = Required<Pick<ConnectionParams, 'host' | 'port' | 'user' | 'database'>> & ConnectionParams;

/**
 * The parameters libpq would end up with: the profile's, then PGHOST/PGPORT/PGUSER/PGDATABASE,
 * then the built-in defaults (the socket folder, 5432, the OS user, a database named like the user).
 */
export function effectiveParams(
  params: ConnectionParams,
  env: NodeJS.ProcessEnv,
  osUser: string,
  defaultSocketDir: string = DEFAULT_SOCKET_DIR,
): EffectiveParams {
  const fromEnv = (name: string) => env[name] || undefined;
  const host = params.host ?? fromEnv('PGHOST') ?? params.options?.hostaddr ?? fromEnv('PGHOSTADDR') ?? defaultSocketDir;
  let port = params.port;
  if (port === undefined) {
    const envPort = fromEnv('PGPORT');
    try {
      port = envPort === undefined ? 5432 : parsePort(envPort);
    } catch (e) {
      throw new PgbrError('config', `PGPORT: ${e instanceof Error ? e.message : String(e)}, or unset it`, { cause: e });
    }
  }
  const user = params.user ?? fromEnv('PGUSER') ?? osUser;
  const database = params.database ?? fromEnv('PGDATABASE') ?? user;
  return { ...params, host, port, user, database };
}

/** Where this machine's libpq most likely puts its socket: Debian's folder when it exists, else /tmp. */
export async function findDefaultSocketDir(platform: NodeJS.Platform = process.platform): Promise<string> {
  if (platform === 'win32') return 'localhost';
  try {
    if ((await stat(DEFAULT_SOCKET_DIR)).isDirectory()) return DEFAULT_SOCKET_DIR;
  } catch {
    // Not a Debian-style install.
  }
  return '/tmp';
}

export interface PasswordLookupOptions {
  /** The password stored in VS Code SecretStorage for this profile. */
  secret?: string;
  env: NodeJS.ProcessEnv;
  homedir: string;
  platform?: NodeJS.Platform;
  osUser: string;
  defaultSocketDir?: string;
}

export interface FoundPassword {
  password?: string;
  from: 'secret' | 'pgpass' | 'environment' | 'none';
  /** Why the password file was skipped (too open, unreadable); never contains the password. */
  warning?: string;
}

/**
 * Finds the password the way a user expects: the stored secret, then PGPASSWORD, then the password
 * file matched on the effective host, port, database and user. Nothing here is logged.
 */
export async function resolvePassword(profile: ConnectionProfile, opts: PasswordLookupOptions): Promise<FoundPassword> {
  if (opts.secret) return { password: opts.secret, from: 'secret' };
  if (opts.env.PGPASSWORD) return { password: opts.env.PGPASSWORD, from: 'environment' };

  const platform = opts.platform ?? process.platform;
  const file = pgpassFilePath(opts.env, opts.homedir, platform);
  const shown = tildePath(file, opts.homedir);
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) return { from: 'none', warning: `${shown} is not a plain file, so it is not read` };
    // libpq ignores a password file others can read; using it anyway would hide that from the user.
    if (platform !== 'win32' && (info.mode & 0o077) !== 0) {
      return { from: 'none', warning: `${shown} can be read by other users, so libpq ignores it: run chmod 0600 ${shown}` };
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    if (error.code === 'ENOENT') return { from: 'none' };
    return { from: 'none', warning: `cannot read ${shown} (${error.code ?? error.message}): check its permissions` };
  }
  const target = effectiveParams(profile.params, opts.env, opts.osUser, opts.defaultSocketDir);
  const password = lookupPgpass(parsePgpass(text), target);
  return password ? { password, from: 'pgpass' } : { from: 'none' };
}

/**
 * Why no password was found although one is written down: a service file's password is not used,
 * because nothing checks who can read that file the way libpq checks ~/.pgpass.
 */
export function ignoredPasswordWarning(profile: ConnectionProfile): string | undefined {
  if (profile.ignoredPasswordIn === undefined) return undefined;
  return `the password in ${profile.ignoredPasswordIn} is not used, because a service file is not kept private the way ~/.pgpass must be (mode 0600): move it to ${passwordHome()}`;
}
export { adviseForShell } from './advice';
export { baseBackupFolderFrom, cliStorage, dumpFoldersFrom, expandFolder, type Places } from './places';
