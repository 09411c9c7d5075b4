// Running pgbackrest through the core's runner: our argv names only the stanza, the config and the command; secrets stay in its config or PGBACKREST_* variables; as root it runs as the repository's owner.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { Logger } from '../platform/log';
import { PgbrError } from '../platform/errors';
import { runTool, type RunResult } from '../platform/runner';
import { isRoot, runuserPath } from '../pitr/scratchServer';
import { configValue, DEFAULT_CONFIG_FILES } from './confFile';

export { DEFAULT_CONFIG_FILES } from './confFile';

export interface BackrestTarget {
  stanza: string;
  /** pgBackRest's config file; absent: its own default. */
  config?: string;
  /** The pgbackrest program (default: `pgbackrest` on PATH). */
  program?: string;
}

export interface BackrestRunOptions {
  signal?: AbortSignal;
  logger?: Logger;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  collectStdout?: boolean;
  /** Who to run as when we are root; found from the repository when absent (see `backrestUser`). */
  user?: string;
}

/** Options pgBackRest takes on its command line that carry secrets: we never pass them (it refuses some itself). */
const SECRET_OPTION = /^--(repo\d+-(cipher-pass|s3-key|s3-key-secret|s3-token|azure-key|gcs-key|sftp-private-key-passphrase)|pg\d+-password|tls-server-key)\b/;

/** `--config=…` and `--stanza=…` before the command, then the command's own options. */
export function backrestArgs(target: BackrestTarget, command: string, options: readonly string[] = []): string[] {
  for (const option of options) {
    if (SECRET_OPTION.test(option)) {
      throw new PgbrError('usage', `${option.split('=')[0]} is a secret and is never passed on pgbackrest's command line: put it in pgBackRest's config file or a PGBACKREST_* environment variable.`);
    }
  }
  return [...(target.config ? [`--config=${target.config}`] : []), `--stanza=${target.stanza}`, ...options, command];
}

/** Through `id`, so users from NSS (LDAP, sssd) count as well as /etc/passwd's. */
async function idOutput(args: string[]): Promise<string | undefined> {
  const r = await runTool({ file: 'id', args, collectStdout: true });
  return r.status === 'succeeded' ? r.stdout.trim() || undefined : undefined;
}

/**
 * As root, pgbackrest runs as whoever owns the repository (what archive-push writes as), else as the
 * owner of its config file, else as postgres: files it writes as root would lock the server's own
 * archive-push out of the repository. Not root: undefined, it runs as ourselves.
 */
export async function backrestUser(target: BackrestTarget): Promise<string | undefined> {
  if (!isRoot()) return undefined;
  const configFile = target.config ?? DEFAULT_CONFIG_FILES.find((f) => existsSync(f));
  const text = configFile ? await fs.readFile(configFile, 'utf8').catch(() => undefined) : undefined;
  const repoPath = text !== undefined ? configValue(text, target.stanza, 'repo1-path') : undefined;
  for (const candidate of [repoPath, configFile]) {
    if (!candidate) continue;
    const st = await fs.stat(candidate).catch(() => undefined);
    if (st && st.uid !== 0) {
      const name = await idOutput(['-nu', String(st.uid)]);
      if (name) return name;
    }
  }
  if (await idOutput(['-u', 'postgres'])) return 'postgres';
  throw new PgbrError(
    'config',
    `running as root, and neither the repository${repoPath ? ` ${repoPath}` : ''} nor pgBackRest's config belongs to another user, and there is no postgres user: pgbackrest must run as the user the server archives as. Give the repository to that user, or run pgbr as that user.`,
  );
}

/** One pgbackrest command through the runner; the result tells cancelled, failed (with pgBackRest's last message) and succeeded apart. */
export async function runBackrest(target: BackrestTarget, command: string, options: readonly string[], run: BackrestRunOptions = {}): Promise<RunResult> {
  const args = backrestArgs(target, command, options);
  const program = target.program ?? 'pgbackrest';
  const user = run.user ?? (await backrestUser(target));
  const runuser = user ? await runuserPath() : undefined;
  const file = runuser && user ? runuser : program;
  const argv = runuser && user ? ['-u', user, '--', program, ...args] : args;
  return runTool({
    file,
    args: argv,
    // Its messages are parsed: keep them in English. PGBACKREST_* variables (its secrets) are inherited untouched.
    env: { LC_ALL: 'C', LANG: 'C' },
    label: `pgbackrest ${command}`,
    missingHint: 'install pgBackRest (the Debian package is pgbackrest)',
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.logger ? { logger: run.logger } : {}),
    ...(run.onStdoutLine ? { onStdoutLine: run.onStdoutLine } : {}),
    ...(run.onStderrLine ? { onStderrLine: run.onStderrLine } : {}),
    collectStdout: run.collectStdout ?? false,
    // pgBackRest stops its local processes and releases its lock on SIGTERM; give it time before SIGKILL.
    forceKillAfterMs: 15_000,
  });
}

/** A failed run as an error a user can act on: pgBackRest's own `ERROR: [nnn]: …` line, and what to try. */
export function backrestFailure(command: string, result: Exclude<RunResult, { status: 'succeeded' }>, target: BackrestTarget): PgbrError {
  if (result.status === 'cancelled') return new PgbrError('cancelled', `pgbackrest ${command} was cancelled.`);
  const lines = [...result.stderrTail, ...result.stdout.split('\n')].map((l) => l.trim()).filter(Boolean);
  const errorAt = lines.findIndex((l) => /^ERROR: \[\d+\]/.test(l));
  const hintLine = errorAt >= 0 ? /^HINT:\s*(.*)$/.exec(lines[errorAt + 1] ?? '')?.[1] : undefined;
  const said = errorAt >= 0 ? `${lines[errorAt] ?? ''}${hintLine ? ` (${hintLine.replace(/\.$/, '')})` : ''}` : (lines.at(-1) ?? result.message);
  if (result.exitCode === null) return new PgbrError('tool-missing', result.message);
  const hint = /\[037\]|\[055\]|does this stanza exist/.test(said)
    ? `check that stanza "${target.stanza}" has a section in ${target.config ?? "pgBackRest's config"}, or create it with pgbackrest stanza-create`
    : /\[050\]|unable to acquire lock/.test(said)
      ? 'another pgbackrest command holds the stanza\'s lock: wait for it to end and try again'
      : `see pgBackRest's log for stanza "${target.stanza}" and fix what it says`;
  return new PgbrError('tool-failed', `pgbackrest ${command} failed (exit ${result.exitCode}): ${said}; ${hint}.`);
}
