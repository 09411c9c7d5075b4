// What every pgbr subcommand that runs a tool needs: options, the connection, the tools, logging.
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { type Logger, cacheFolder, discoverTools, type ToolInventory } from '../core/platform';
import { defaultConnectContext, resolveConnection, type ResolvedConnection } from '../core/postgres';
import { pickProfile } from './workspace';
import type { Io } from './io';
export { binPathOption, decryptionFor, identityOption, verboseOption } from './options';

/** For repeatable options: `--table a --table b`. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function parseJobs(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('give a whole number of at least 1.');
  return n;
}

export const connOption = (): Option => new Option('--conn <name|uri>', 'a profile name or a postgresql:// URI').makeOptionMandatory();

/** Core log lines on stderr, for `--verbose`; the runner never logs a password. */
export function stderrLogger(io: Io, verbose: boolean | undefined): Logger | undefined {
  if (!verbose) return undefined;
  const line = (level: string) => (m: string | Error) => io.err(`pgbr: ${level}: ${m instanceof Error ? (m.stack ?? m.message) : m}\n`);
  return { trace: () => {}, debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** `--conn` as a profile (or URI) with its password found; a pgpass warning goes to stderr. */
export async function connectionFor(conn: string, workspace: string, io: Io): Promise<{ name: string; resolved: ResolvedConnection }> {
  const profile = await pickProfile(conn, workspace, io);
  const resolved = await resolveConnection(profile, defaultConnectContext(io.env));
  if (resolved.warning) io.err(`pgbr: ${resolved.warning}\n`);
  return { name: profile.name, resolved };
}

/** The tools, with each binary's `--version` answer kept in pgbr's cache folder while the binary is unchanged. */
export function inventoryFor(binPath: string | undefined, io: Io): Promise<ToolInventory> {
  const folder = cacheFolder(io.env);
  return discoverTools({ binPath, env: io.env, platform: process.platform, homedir: os.homedir(), ...(folder ? { versionCacheFile: path.join(folder, 'tool-versions.json') } : {}) });
}


/**
 * A progress printer for cron mail, not a flood: a line when the phase changes, and one per 10% of the
 * copy (`copyLine` says what is copied, with the percentage; a copy of unknown size is one phase line).
 * `quiet` phases print nothing.
 */
export function phasePrinter<P extends { phase: string; percent?: number }>(
  io: Pick<Io, 'err'>,
  text: Readonly<Record<P['phase'], string>>,
  copyLine: (p: P & { percent: number }) => string,
  quiet: readonly P['phase'][] = [],
): (p: P) => void {
  let lastPhase: string | undefined;
  let lastTenth = -1;
  return (p) => {
    if (p.phase === 'copying' && p.percent !== undefined) {
      const tenth = Math.floor(p.percent / 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        io.err(`${copyLine(p as P & { percent: number })}\n`);
      }
    } else if (p.phase !== lastPhase && !quiet.includes(p.phase)) io.err(`${text[p.phase as P['phase']]}…\n`);
    lastPhase = p.phase;
  };
}
