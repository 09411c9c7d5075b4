// Where PostgreSQL client tools may be installed: the binPath setting, PATH, pg_config and each platform's standard folders.
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { parseToolVersion } from './toolVersion';

export interface CandidateDir {
  /** A folder; one path segment may hold a `*` wildcard (`/usr/lib/postgresql/*\/bin`). */
  dir: string;
  via: string;
  /** The major a `pgBackup.binPath` object maps to this folder, checked against what the tools report. */
  expectedMajor?: number;
}

/** pgBackup.binPath: one folder, or a folder per major. */
export type BinPathSetting = string | Record<string, string>;

export interface CandidateOptions {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
  /** What `pg_config --bindir` printed, when a pg_config was found on PATH. */
  pgConfigBinDir?: string;
}

export const BIN_PATH_SETTING = 'pgBackup.binPath';
export const VIA_SETTING = `setting ${BIN_PATH_SETTING}`;
export function pathModule(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

function expandHome(dir: string, homedir: string, p: path.PlatformPath): string {
  if (dir === '~') return homedir;
  if (dir.startsWith('~/') || dir.startsWith('~\\')) return p.join(homedir, dir.slice(2));
  return dir;
}

/** PATH entries; on Windows the variable's name is case-insensitive and usually `Path`. */
export function pathEntries(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const key = platform === 'win32' ? Object.keys(env).find((k) => k.toUpperCase() === 'PATH') : 'PATH';
  const value = key === undefined ? undefined : env[key];
  if (!value) return [];
  const separator = platform === 'win32' ? ';' : ':';
  return value
    .split(separator)
    .map((e) => (platform === 'win32' ? e.replace(/^"(.*)"$/, '$1') : e))
    .filter((e) => e !== '');
}

/** The setting's folders: one folder, or `{ "16": "/opt/pg16/bin" }` in major order. */
export function settingDirs(binPath: BinPathSetting | undefined, homedir: string, p: path.PlatformPath): CandidateDir[] {
  if (binPath === undefined || binPath === '') return [];
  if (typeof binPath === 'string') return [{ dir: expandHome(binPath.trim(), homedir, p), via: VIA_SETTING }];
  return Object.entries(binPath)
    .filter(([, dir]) => typeof dir === 'string' && dir.trim() !== '')
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([major, dir]) => {
      const expected = parseToolVersion(`PostgreSQL ${major}`)?.major;
      return { dir: expandHome(dir.trim(), homedir, p), via: VIA_SETTING, ...(expected !== undefined ? { expectedMajor: expected } : {}) };
    });
}

/**
 * The search when the setting names no folder (a named one replaces it: see discoverTools): PATH,
 * pg_config's bindir, then each platform's usual install locations. Pure: wildcards are left for
 * discovery to expand.
 */
export function candidateDirectories(opts: CandidateOptions): CandidateDir[] {
  const p = pathModule(opts.platform);
  const dirs: CandidateDir[] = [];
  for (const dir of pathEntries(opts.env, opts.platform)) dirs.push({ dir, via: 'PATH' });
  if (opts.pgConfigBinDir) dirs.push({ dir: opts.pgConfigBinDir, via: 'pg_config --bindir' });

  switch (opts.platform) {
    case 'win32': {
      const programFiles = [opts.env.ProgramW6432, opts.env.ProgramFiles, 'C:\\Program Files', opts.env['ProgramFiles(x86)']];
      for (const root of programFiles) {
        if (root) dirs.push({ dir: p.join(root, 'PostgreSQL', '*', 'bin'), via: 'Program Files' });
      }
      break;
    }
    case 'darwin':
      dirs.push(
        { dir: '/opt/homebrew/opt/postgresql@*/bin', via: 'Homebrew' },
        { dir: '/usr/local/opt/postgresql@*/bin', via: 'Homebrew' },
        // The client-only keg: `brew install libpq` puts pg_dump and psql here, off PATH.
        { dir: '/opt/homebrew/opt/libpq/bin', via: 'Homebrew' },
        { dir: '/usr/local/opt/libpq/bin', via: 'Homebrew' },
        { dir: '/opt/homebrew/bin', via: 'Homebrew' },
        { dir: '/Applications/Postgres.app/Contents/Versions/*/bin', via: 'Postgres.app' },
        { dir: p.join(opts.homedir, 'Applications/Postgres.app/Contents/Versions/*/bin'), via: 'Postgres.app' },
        { dir: '/Library/PostgreSQL/*/bin', via: 'EDB installer' },
      );
      break;
    default:
      dirs.push(
        { dir: '/usr/lib/postgresql/*/bin', via: '/usr/lib/postgresql/*' },
        { dir: '/usr/pgsql-*/bin', via: '/usr/pgsql-*' },
        { dir: '/usr/local/pgsql/bin', via: '/usr/local/pgsql' },
      );
  }

  // The same folder reached twice keeps its first, higher-priority origin.
  const seen = new Set<string>();
  return dirs.filter((d) => {
    const key = opts.platform === 'win32' ? p.normalize(d.dir).toLowerCase() : p.normalize(d.dir);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Expands the one `*` segment of a candidate folder against the file system, in natural order. */
export async function expandWildcard(candidate: CandidateDir, p: path.PlatformPath): Promise<CandidateDir[]> {
  const segments = candidate.dir.split(/[\\/]/);
  const index = segments.findIndex((s) => s.includes('*'));
  if (index < 0) return [candidate];
  const parent = segments.slice(0, index).join(p.sep) || p.sep;
  const pattern = new RegExp(`^${segments[index]!.split('*').map(escapeRegExp).join('.*')}$`, p === path.win32 ? 'i' : '');
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  return names
    .filter((n) => pattern.test(n))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .map((n) => ({ ...candidate, dir: [parent, n, ...segments.slice(index + 1)].join(p.sep).replace(/^\/\//, '/') }));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
