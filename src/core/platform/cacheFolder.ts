// Where pgbr keeps what it can compute again (tool versions, the CLI's compiled code): the user's cache
// folder. Node's built-in modules only, since the CLI's launcher uses it before the bundle loads.
import * as os from 'node:os';
import * as path from 'node:path';

/** `$XDG_CACHE_HOME/pgbr` or `~/.cache/pgbr`; undefined without an absolute place for it. */
export function cacheFolder(env: NodeJS.ProcessEnv, homedir: string = os.homedir()): string | undefined {
  const base = env.XDG_CACHE_HOME || (homedir ? path.join(homedir, '.cache') : '');
  return base && path.isAbsolute(base) ? path.join(base, 'pgbr') : undefined;
}

/** Where an index of things pgbr read is kept, and the build whose reader wrote it. */
export interface IndexPlace {
  cacheDir: string;
  reader: string;
}

/**
 * An index's place for this environment: none when `disabledBy` is set in it (PGBR_NO_TOC_INDEX, ...),
 * without a build's reader (running from source), or without a cache folder.
 */
export function indexPlace(env: NodeJS.ProcessEnv, disabledBy: string, reader: string | undefined): IndexPlace | undefined {
  if (env[disabledBy] || !reader) return undefined;
  const cacheDir = cacheFolder(env);
  return cacheDir ? { cacheDir, reader } : undefined;
}
