// rclone through the core's runner: argument arrays after `--` (a path is never read as a flag), the
// remote's parameters in the environment, quiet unless it fails, and its failures as one sentence.
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { runTool, type RunResult } from '../platform/runner';
import type { OffsiteRemote } from './remote';

export interface RcloneOptions {
  /** The rclone program (default: `rclone` on PATH). */
  binary?: string;
  /** `--config FILE`: the user's rclone.conf when it is not where rclone looks by default (RCLONE_CONFIG works too). */
  config?: string;
  /** Added to the inherited environment (tests point rclone at their own config or server). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  signal?: AbortSignal;
}

/** rclone's exit codes for a path that is not there (see `rclone help` "Exit Code"). */
export const RCLONE_DIR_NOT_FOUND = 3;
export const RCLONE_FILE_NOT_FOUND = 4;

/** Runs `rclone <command> -q [flags] -- <paths>`; the result as the runner gives it. */
export function rclone(remote: OffsiteRemote, command: string, flags: readonly string[], paths: readonly string[], opts: RcloneOptions, collectStdout = false): Promise<RunResult> {
  const args = [command, '-q', ...(opts.config ? [`--config=${opts.config}`] : []), ...flags, '--', ...paths];
  return runTool({
    file: opts.binary ?? 'rclone',
    args,
    env: { ...remote.env, ...opts.env },
    collectStdout,
    label: `rclone ${command}`,
    missingHint: 'install rclone (Debian: apt install rclone) or put it on PATH',
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/** The result's stdout, or the PgbrError that says what failed and what to do. */
export function succeeded(result: RunResult, what: string): string {
  if (result.status === 'succeeded') return result.stdout;
  if (result.status === 'cancelled') throw new PgbrError('cancelled', `${what} was cancelled.`);
  const kind = result.exitCode === null ? 'tool-missing' : 'tool-failed';
  throw new PgbrError(kind, `${what} failed: ${result.message}. Check the remote with rclone lsd, and its credentials in rclone's config or environment.`);
}

/** One entry of `rclone lsjson`. */
export interface RemoteEntry {
  Path: string;
  Name: string;
  Size: number;
  IsDir: boolean;
  ModTime?: string;
  Hashes?: Record<string, string>;
}

/** Parses lsjson's output (a list, or one object with `--stat`). */
export function parseEntries(stdout: string): RemoteEntry[] {
  const value: unknown = JSON.parse(stdout.trim() === '' ? '[]' : stdout);
  const list = Array.isArray(value) ? value : [value];
  return list.filter((e): e is RemoteEntry => typeof e === 'object' && e !== null && typeof (e as RemoteEntry).Path === 'string' && typeof (e as RemoteEntry).Size === 'number');
}

/** True when rclone failed because the path is not there. */
export function notFound(result: RunResult): boolean {
  return result.status === 'failed' && (result.exitCode === RCLONE_DIR_NOT_FOUND || result.exitCode === RCLONE_FILE_NOT_FOUND);
}
