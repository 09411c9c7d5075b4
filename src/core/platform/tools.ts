// Finds the installed PostgreSQL client tools, reads their real versions, and picks one that can
// work with a given server, so a backup is never taken by a pg_dump older than the server.
import { access, constants, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from './errors';
import type { Logger } from './log';
import { runTool } from './runner';
import { BIN_PATH_SETTING, type BinPathSetting, type CandidateDir, VIA_SETTING, candidateDirectories, expandWildcard, pathEntries, pathModule, settingDirs } from './toolDirs';
import { parseToolVersion } from './toolVersion';
import { ToolVersionCache } from './toolVersionCache';

export const TOOL_NAMES = ['pg_dump', 'pg_restore', 'pg_dumpall', 'pg_basebackup', 'psql', 'pg_verifybackup'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export interface FoundTool {
  name: ToolName;
  path: string;
  /** As the tool reports it: `15.18`, `16beta1`, `9.6.24`. */
  version: string;
  /** `15` from 10 on; `9.6` style before, when the first two numbers made the major. */
  major: number;
}

export interface ToolInstall {
  major: number;
  binDir: string;
  /** Where the folder came from: `setting pgBackup.binPath`, `PATH`, `pg_config --bindir`, `/usr/lib/postgresql/*`, `Homebrew`, ... */
  via: string;
  tools: Partial<Record<ToolName, FoundTool>>;
}

export interface ToolInventory {
  /** Sorted by major, then by search order (the setting first). */
  installs: ToolInstall[];
  /** One actionable sentence each: a bad setting, a tool that would not report its version. */
  problems: string[];
  /** The folders pgBackup.binPath (or --bin-path) named, when it named any: then nothing else was searched. */
  namedDirs?: string[];
}

export interface DiscoverOptions {
  binPath?: BinPathSetting;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
  logger?: Logger;
  /** Replaces PATH, pg_config and the standard locations (tests); like them, not searched when binPath names a folder. */
  candidateDirs?: CandidateDir[];
  /** How long a `--version` run may take (default 5000 ms). */
  versionTimeoutMs?: number;
  /**
   * A file that keeps each binary's `--version` answer while the binary is unchanged (see
   * toolVersionCache.ts). Wrappers (Debian's pg_wrapper) are always run: their answer depends on more than their file.
   */
  versionCacheFile?: string;
}

/** When the folders the setting named fell short, the way out is the setting: nothing else was looked in. */
export const CLEAR_BIN_PATH = 'or clear it to search PATH and the standard locations';
/** The named folders as messages show them: `/opt/pg15/bin (pgBackup.binPath)`. */
export const namedFolders = (dirs: readonly string[]): string => `${dirs.join(', ')} (${BIN_PATH_SETTING})`;

const DEFAULT_VERSION_TIMEOUT_MS = 5000;
// Enough to overlap process start-up without a burst of dozens of forks on a machine with many installs.
const VERSION_PROBE_CONCURRENCY = 8;

const VERB: Record<ToolName, string> = {
  pg_dump: 'dump',
  pg_dumpall: 'dump',
  pg_restore: 'restore into',
  pg_basebackup: 'back up',
  psql: 'fully support',
  pg_verifybackup: 'verify backups of',
};

/**
 * The tool with the lowest major that is at least the server's: a newer pg_dump can dump an older
 * server, but its archives may be unreadable by older pg_restore, so the closest match is safest.
 */
export function chooseTool(inv: ToolInventory, name: ToolName, serverMajor: number): FoundTool {
  let newest: { tool: FoundTool; binDir: string } | undefined;
  // installs are sorted by major, so the first fit is the lowest, and within a major the preferred one.
  for (const install of inv.installs) {
    const tool = install.tools[name];
    if (!tool) continue;
    if (tool.major >= serverMajor) return tool;
    if (!newest || tool.major > newest.tool.major) newest = { tool, binDir: install.binDir };
  }
  const named = inv.namedDirs;
  if (newest) {
    const { major } = newest.tool;
    throw new PgbrError(
      'tool-version',
      named
        ? `${name} ${major} in ${namedFolders([newest.binDir])} cannot ${VERB[name]} a PostgreSQL ${serverMajor} server: point ${BIN_PATH_SETTING} at the version ${serverMajor} client tools, ${CLEAR_BIN_PATH}`
        : `${name} ${major} cannot ${VERB[name]} a PostgreSQL ${serverMajor} server: install the version ${serverMajor} client tools or set ${BIN_PATH_SETTING}`,
    );
  }
  throw new PgbrError(
    'tool-missing',
    named
      ? `${name} is not in ${namedFolders(named)}: point the setting at the folder of the PostgreSQL ${serverMajor} client tools, ${CLEAR_BIN_PATH}`
      : `${name} is not installed: install the PostgreSQL client tools (e.g. postgresql-client-${serverMajor}) or set ${BIN_PATH_SETTING}`,
  );
}

interface Located {
  name: ToolName;
  path: string;
  realPath: string;
  dir: string;
  via: string;
  order: number;
  fromSetting: boolean;
  expectedMajor?: number;
  /** The file really lives in this folder, rather than being a symlink to elsewhere or a wrapper like Debian's pg_wrapper. */
  direct: boolean;
}

async function isExecutable(file: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    if (platform !== 'win32') await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function readPgConfigBinDir(opts: DiscoverOptions, p: path.PlatformPath, timeoutMs: number): Promise<string | undefined> {
  const exe = opts.platform === 'win32' ? 'pg_config.exe' : 'pg_config';
  for (const dir of pathEntries(opts.env, opts.platform)) {
    const file = p.join(dir, exe);
    if (!(await isExecutable(file, opts.platform))) continue;
    // pg_config lives in the bindir it reports: when pg_dump is beside the file it really is, that folder
    // is the answer without a process (Debian's /usr/bin/pg_config is a script, whose folder is searched anyway).
    const realDir = p.dirname(await realpath(file).catch(() => file));
    if (await isExecutable(p.join(realDir, opts.platform === 'win32' ? 'pg_dump.exe' : 'pg_dump'), opts.platform)) return realDir;
    const result = await runTool({ file, args: ['--bindir'], collectStdout: true, signal: AbortSignal.timeout(timeoutMs) });
    const binDir = result.status === 'succeeded' ? result.stdout.trim() : '';
    opts.logger?.debug(`pg_config at ${file} reports bindir ${binDir || '(none)'}`);
    return binDir || undefined;
  }
  return undefined;
}

/**
 * Looks through the folders the binPath setting names, or when it names none through every candidate
 * folder, runs each tool found with `--version` (a folder name can lie, a wrapper script can point
 * anywhere), and groups what answered by major and folder.
 */
export async function discoverTools(opts: DiscoverOptions): Promise<ToolInventory> {
  const p = pathModule(opts.platform);
  const timeoutMs = opts.versionTimeoutMs ?? DEFAULT_VERSION_TIMEOUT_MS;
  const problems: string[] = [];

  // Folders the user named are the answer: PATH, pg_config and the standard locations are searched
  // (and their tools run) only when the setting names none, so a named folder's tools are never
  // passed over for others, and a command pays for one folder, not for every install on the machine.
  const named = settingDirs(opts.binPath, opts.homedir, p);
  const candidates: CandidateDir[] =
    named.length > 0 ? named : (opts.candidateDirs ?? candidateDirectories({ env: opts.env, platform: opts.platform, homedir: opts.homedir, pgConfigBinDir: await readPgConfigBinDir(opts, p, timeoutMs) }));

  const expanded = (await Promise.all(candidates.map((c) => expandWildcard(c, p)))).flat();
  const exeSuffix = opts.platform === 'win32' ? '.exe' : '';

  // Look in every folder at once; each folder's tools keep that folder's search position, and
  // problems are gathered per folder so they read in search order.
  const perDir = await Promise.all(
    expanded.map(async (candidate, order): Promise<{ found: Located[]; problem?: string }> => {
      const fromSetting = candidate.via === VIA_SETTING;
      let realDir: string;
      try {
        if (!(await stat(candidate.dir)).isDirectory()) {
          return fromSetting ? { found: [], problem: `${candidate.dir} in ${BIN_PATH_SETTING} is not a folder: set it to the folder that holds pg_dump` } : { found: [] };
        }
        realDir = await realpath(candidate.dir);
      } catch {
        return fromSetting
          ? { found: [], problem: `${candidate.dir} in ${BIN_PATH_SETTING} does not exist: fix the setting or install the tools there` }
          : { found: [] };
      }
      const found: Located[] = [];
      for (const name of TOOL_NAMES) {
        const file = p.join(candidate.dir, name + exeSuffix);
        if (!(await isExecutable(file, opts.platform))) continue;
        const realPath = await realpath(file).catch(() => file);
        found.push({
          name,
          path: file,
          realPath,
          dir: candidate.dir,
          via: candidate.via,
          order,
          fromSetting,
          ...(candidate.expectedMajor !== undefined ? { expectedMajor: candidate.expectedMajor } : {}),
          direct: p.dirname(realPath) === realDir && p.basename(realPath) === name + exeSuffix,
        });
      }
      if (fromSetting && found.length === 0) {
        return {
          found,
          problem: `${candidate.dir} in ${BIN_PATH_SETTING} holds none of ${TOOL_NAMES.join(', ')}: point the setting at the PostgreSQL bin folder`,
        };
      }
      return { found };
    }),
  );
  for (const { problem } of perDir) if (problem) problems.push(problem);

  // The same file reached through several folders (symlinks, PATH duplicates) is one tool.
  const byRealPath = new Map<string, Located>();
  for (const located of perDir.flatMap((d) => d.found)) {
    const key = `${located.name}\0${located.realPath}`;
    const kept = byRealPath.get(key);
    if (!kept || preferred(located, kept)) byRealPath.set(key, located);
  }

  // Debian's pg_wrapper (a Perl script behind /usr/bin/pg_dump) only picks one of the versioned
  // folders, which are searched too: when those answer for a tool, running the wrapper adds nothing
  // but a Perl start-up per tool.
  const directNames = new Set([...byRealPath.values()].filter((l) => l.direct).map((l) => l.name));
  const toProbe = [...byRealPath.values()].filter((l) => l.direct || l.fromSetting || !(p.basename(l.realPath) === 'pg_wrapper' && directNames.has(l.name)));
  const cache = ToolVersionCache.open(opts.versionCacheFile);
  const probed = await mapLimit(toProbe, VERSION_PROBE_CONCURRENCY, (located) => probeVersion(located, timeoutMs, located.direct ? cache : undefined));
  await cache.save();
  const answered: { located: Located; tool: FoundTool }[] = [];
  for (const outcome of probed) {
    if (outcome.problem) problems.push(outcome.problem);
    if (outcome.tool) answered.push({ located: outcome.located, tool: outcome.tool });
  }

  // Debian's /usr/bin/pg_dump (pg_wrapper) or Homebrew's /opt/homebrew/bin links give a real version,
  // but the versioned folder behind them is the stable answer for that major.
  const hasDirect = new Set(answered.filter((a) => a.located.direct).map((a) => `${a.tool.name}\0${a.tool.major}`));
  const kept = answered.filter((a) => a.located.direct || a.located.fromSetting || !hasDirect.has(`${a.tool.name}\0${a.tool.major}`));

  const installs = new Map<string, ToolInstall & { order: number }>();
  for (const { located, tool } of kept) {
    const key = `${tool.major}\0${located.dir}`;
    let install = installs.get(key);
    if (!install) {
      install = { major: tool.major, binDir: located.dir, via: located.via, tools: {}, order: located.order };
      installs.set(key, install);
    }
    install.tools[tool.name] ??= tool;
  }

  const sorted = [...installs.values()]
    .sort((a, b) => a.major - b.major || a.order - b.order)
    .map(({ major, binDir, via, tools }): ToolInstall => ({ major, binDir, via, tools }));

  opts.logger?.info(
    sorted.length === 0
      ? 'No PostgreSQL client tools found'
      : `PostgreSQL client tools: ${sorted.map((i) => `${i.major} in ${i.binDir} (${i.via})`).join(', ')}`,
  );
  // One folder's tools share a problem (a wrong major key), which is worth saying once.
  const uniqueProblems = [...new Set(problems)];
  for (const problem of uniqueProblems) opts.logger?.warn(problem);
  return { installs: sorted, problems: uniqueProblems, ...(named.length > 0 ? { namedDirs: named.map((d) => d.dir) } : {}) };
}

/** Runs `<tool> --version`: the only trustworthy source of the version behind a path. */
async function probeVersion(located: Located, timeoutMs: number, cache?: ToolVersionCache): Promise<{ located: Located; tool?: FoundTool; problem?: string }> {
  const stamp = cache ? await ToolVersionCache.stamp(located.realPath) : undefined;
  let stdout = stamp ? cache?.get(located.realPath, stamp) : undefined;
  if (stdout === undefined) {
    const result = await runTool({ file: located.path, args: ['--version'], collectStdout: true, signal: AbortSignal.timeout(timeoutMs) });
    if (result.status !== 'succeeded') {
      const why = result.status === 'cancelled' ? `it did not answer within ${timeoutMs / 1000} s` : result.message;
      return { located, problem: `${located.path} --version failed: ${why}` };
    }
    stdout = result.stdout;
    if (stamp && parseToolVersion(stdout)) cache?.set(located.realPath, stamp, stdout);
  }
  const parsed = parseToolVersion(stdout);
  if (!parsed) {
    return { located, problem: `${located.path} --version printed no PostgreSQL version: ${stdout.trim().split('\n')[0] ?? ''}` };
  }
  const tool: FoundTool = { name: located.name, path: located.path, version: parsed.version, major: parsed.major };
  if (located.expectedMajor !== undefined && parsed.major !== located.expectedMajor) {
    return {
      located,
      tool,
      problem: `${BIN_PATH_SETTING} maps ${located.expectedMajor} to ${located.dir}, but the tools there are PostgreSQL ${parsed.major}: fix the setting's key`,
    };
  }
  return { located, tool };
}

/** Between two paths to the same tool: the user's setting, then the folder it really lives in, then search order. */
function preferred(a: Located, b: Located): boolean {
  if (a.fromSetting !== b.fromSetting) return a.fromSetting;
  if (a.direct !== b.direct) return a.direct;
  return a.order < b.order;
}
