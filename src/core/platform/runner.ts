// The one way the core runs a PostgreSQL client tool: argv arrays, secrets kept out of argv and logs,
// output streamed line by line, cancellation that takes the whole process tree down, typed outcomes.

import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type * as Execa from 'execa' with { 'resolution-mode': 'import' };
import type { Logger } from './log';
import type { ConnectionParams } from '../profiles/types';
import { guardProcessGroup, privateTempDir, runFolder, signalProcessGroup } from './reaper';
import { shellWord } from './shell';
import { stdbufFor } from './stdbuf';
import { errorMessage } from './errors';

export interface RunSpec {
  file: string;
  args: readonly string[];
  /**
   * Passed to the child as PG* environment variables, never as argv. Only a run with a connection
   * inherits PGPASSWORD: a tool that does not connect (`pg_restore --list`, `--version`) gets no secret.
   */
  connection?: ConnectionParams;
  /** Handed to libpq through a private 0600 passfile that is removed when the run ends. */
  password?: string;
  /** Added to (or, with `undefined`, removed from) the inherited environment; wins over `connection`. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to the child's stdin; without it (and `stdinStream`) stdin is /dev/null so a prompt cannot hang the run. */
  stdin?: string;
  /** Streamed into the child's stdin (a decrypted dump into pg_restore); the child may stop reading early. */
  stdinStream?: Readable;
  /**
   * Takes the child's stdout as bytes (pg_dump's archive on its way to encryption) instead of lines.
   * When it rejects, the child's group is stopped and the run fails with the rejection's message.
   */
  consumeStdout?: (stdout: Readable) => Promise<void>;
  /**
   * Give the child's stdout a stdio buffer of this many bytes (coreutils `stdbuf`, on Linux where it is
   * installed). pg_dump writes its archive a few kilobytes at a time, and every write wakes the reader:
   * about 30,000 times per 180 MB, 0.4 to 0.7 s of this process's CPU; with 1 MiB, a tenth of that.
   */
  stdoutBufferBytes?: number;
  /** Aborting sends SIGTERM to the process and its children, then SIGKILL after `forceKillAfterMs`. */
  signal?: AbortSignal;
  /** How long a cancelled process may take to exit before it is killed outright (default 5000). */
  forceKillAfterMs?: number;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Keep stdout in the result; off by default so a plain-format dump is never held in memory. */
  collectStdout?: boolean;
  logger?: Logger;
  /** Names the run in log lines (default: the tool's file name). */
  label?: string;
  /** What to do when the program is not installed (default: install the PostgreSQL client tools or set pgBackup.binPath). */
  missingHint?: string;
}

export type RunResult =
  | { status: 'succeeded'; exitCode: 0; stdout: string; stderrTail: string[]; durationMs: number }
  | {
      status: 'failed';
      exitCode: number | null;
      signal?: string;
      stdout: string;
      stderrTail: string[];
      durationMs: number;
      message: string;
    }
  | { status: 'cancelled'; stdout: string; stderrTail: string[]; durationMs: number };

const STDERR_TAIL_LINES = 20;
const DEFAULT_FORCE_KILL_AFTER_MS = 5000;

/** libpq connection keywords that have an environment variable, from the libpq "Environment Variables" page. */
const LIBPQ_ENV_BY_KEYWORD: Readonly<Record<string, string>> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  passfile: 'PGPASSFILE',
  channel_binding: 'PGCHANNELBINDING',
  service: 'PGSERVICE',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  sslmode: 'PGSSLMODE',
  requiressl: 'PGREQUIRESSL',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  require_auth: 'PGREQUIREAUTH',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

/**
 * The PG* variables that make a libpq client connect with `params`. Keywords without an environment
 * variable (keepalives, ...) are left out, and so is `password`: it only ever travels in a passfile.
 */
export function libpqEnv(params: ConnectionParams): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [keyword, value] of Object.entries(params.options ?? {})) {
    const name = LIBPQ_ENV_BY_KEYWORD[keyword];
    if (name !== undefined && value !== '') env[name] = value;
  }
  // The typed fields are what a profile says explicitly, so they win over free-form options.
  if (params.host) env.PGHOST = params.host;
  if (params.port !== undefined) env.PGPORT = String(params.port);
  if (params.user) env.PGUSER = params.user;
  if (params.database) env.PGDATABASE = params.database;
  if (params.sslmode) env.PGSSLMODE = params.sslmode;
  return env;
}

/** Option keywords `libpqEnv` cannot pass, so the run can say why they had no effect. */
function unpassableOptions(params: ConnectionParams): string[] {
  return Object.keys(params.options ?? {}).filter((k) => LIBPQ_ENV_BY_KEYWORD[k] === undefined);
}

/** A POSIX-shell-quoted command line for logs and "copy command" actions; args never hold secrets. */
export function formatCommandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map(shellWord).join(' ');
}

/** The tool's name for messages: `/usr/lib/postgresql/16/bin/pg_dump` → `pg_dump`. */
function toolName(file: string): string {
  return basename(file.replace(/\\/g, '/')).replace(/\.exe$/i, '');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

// execa is ESM-only while the core compiles to CommonJS, so it is loaded with import() once.
let execaModule: Promise<typeof Execa> | undefined;
function loadExeca() {
  execaModule ??= import('execa');
  return execaModule;
}

/**
 * Readies what the first tool run of this process needs, the process runner and this run's folder with
 * its watcher (reaper.ts), for a caller that is waiting on the server meanwhile: a restore creating its
 * database does this while CREATE DATABASE runs, rather than after it.
 */
export function prepareToolRuns(): void {
  void loadExeca().catch(() => undefined);
  try {
    runFolder();
  } catch {
    // The run itself makes the folder and says why it could not.
  }
}

/** A libpq passfile line matching every host, port, database and user. */
function passfileLine(password: string): string {
  return `*:*:*:*:${password.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`;
}

/** Runs one tool to completion. Never throws for the tool's own failures: they come back as results. */
export async function runTool(spec: RunSpec): Promise<RunResult> {
  const tool = toolName(spec.file);
  const label = spec.label ?? tool;
  const logger = spec.logger;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  logger?.info(`Running ${formatCommandLine(spec.file, spec.args)}${spec.cwd ? ` (in ${spec.cwd})` : ''}`);
  if (spec.connection) {
    const ignored = unpassableOptions(spec.connection);
    if (ignored.length > 0) {
      logger?.warn(`${label}: connection options ${ignored.join(', ')} have no libpq environment variable and were not passed`);
    }
  }

  if (spec.signal?.aborted) {
    logger?.info(`${label} cancelled before it started`);
    return { status: 'cancelled', stdout: '', stderrTail: [], durationMs: 0 };
  }

  let passDir: string | undefined;
  try {
    const env: Record<string, string | undefined> = { ...process.env };
    if (spec.connection) Object.assign(env, libpqEnv(spec.connection));
    else delete env.PGPASSWORD;
    if (spec.env) Object.assign(env, spec.env);
    if (spec.password !== undefined) {
      if (/[\r\n]/.test(spec.password)) {
        return failed(null, undefined, `${tool} was not started: the password contains a line break, which a libpq password file cannot hold`);
      }
      // A password given here must be the one used: an inherited PGPASSWORD would take precedence over the passfile.
      delete env.PGPASSWORD;
      // Inside this run's folder, so even a killed run leaves no password behind (see reaper.ts).
      passDir = await privateTempDir('pass-');
      const passfile = join(passDir, 'pgpass');
      await writeFile(passfile, passfileLine(spec.password), { mode: 0o600, flag: 'wx' });
      env.PGPASSFILE = passfile;
    }
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];

    return await spawnAndWait(env as Record<string, string>);
  } catch (e) {
    // Only our own set-up (temp folder, passfile, loading execa) can throw here; a run reports through its result.
    return failed(null, undefined, `${tool} was not started: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (passDir) await rm(passDir, { recursive: true, force: true });
  }

  function failed(exitCode: number | null, signal: string | undefined, message: string, stdout = '', stderrTail: string[] = []): RunResult {
    const durationMs = elapsed();
    const how = signal ? `signal ${signal}` : exitCode === null ? 'not started' : `exit ${exitCode}`;
    logger?.info(`${label} failed (${how}) in ${seconds(durationMs)}: ${message}`);
    return { status: 'failed', exitCode, ...(signal ? { signal } : {}), stdout, stderrTail, durationMs, message };
  }

  async function spawnAndWait(env: Record<string, string>): Promise<RunResult> {
    const { execa } = await loadExeca();
    const posix = process.platform !== 'win32';
    const options: Execa.Options = {
      env,
      extendEnv: false,
      cwd: spec.cwd,
      ...(spec.stdin !== undefined ? { input: spec.stdin } : { stdin: spec.stdinStream ? ('pipe' as const) : ('ignore' as const) }),
      stdout: 'pipe',
      stderr: 'pipe',
      // We read both streams ourselves, line by line, so nothing large is buffered by execa.
      buffer: false,
      reject: false,
      cancelSignal: spec.signal,
      forceKillAfterDelay: spec.forceKillAfterMs ?? DEFAULT_FORCE_KILL_AFTER_MS,
      // Its own process group lets a cancel reach pg_dump -j workers and pg_basebackup's WAL streamer,
      // and its own session means no controlling terminal, so a password prompt fails instead of hanging.
      detached: posix,
      windowsHide: true,
    };
    const stdbuf = spec.stdoutBufferBytes ? stdbufFor(spec.file) : undefined;
    // stdbuf execs the tool in its own place (same process, same group), with the buffer set at load.
    const subprocess = stdbuf ? execa(stdbuf, [`-o${spec.stdoutBufferBytes}`, spec.file, ...spec.args], options) : execa(spec.file, [...spec.args], options);
    const pgid = posix ? subprocess.pid : undefined;

    let stdout = '';
    const stderrTail: string[] = [];
    const reading: Promise<void>[] = [];
    let consumerError: unknown;
    if (spec.stdinStream && subprocess.stdin) {
      const input = spec.stdinStream;
      const childStdin = subprocess.stdin;
      // A child that exits before reading everything (an error, a cancel) closes the pipe: that is its result to report, not ours.
      childStdin.on('error', () => {});
      input.on('error', () => childStdin.destroy());
      input.pipe(childStdin);
    }
    if (subprocess.stdout && spec.consumeStdout) {
      const out = subprocess.stdout;
      reading.push(
        spec.consumeStdout(out).catch((e: unknown) => {
          consumerError = e;
          out.destroy();
          if (pgid !== undefined) signalProcessGroup(pgid, 'SIGTERM');
          else subprocess.kill();
        }),
      );
    } else if (subprocess.stdout) {
      if (spec.collectStdout) {
        subprocess.stdout.setEncoding('utf8');
        subprocess.stdout.on('data', (chunk: string) => (stdout += chunk));
      }
      reading.push(readLines(subprocess.stdout, (line) => spec.onStdoutLine?.(line)));
    }
    if (subprocess.stderr) {
      reading.push(
        readLines(subprocess.stderr, (line) => {
          if (line.trim() !== '') {
            stderrTail.push(line);
            if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
          }
          spec.onStderrLine?.(line);
        }),
      );
    }

    // On record before anything else can happen: if this process exits or is killed, the group goes with it.
    // Detached children lead their own process group, which execa's exit cleanup skips.
    const releaseGroup = pgid !== undefined ? guardProcessGroup(pgid) : undefined;
    // Whatever the leader leaves in its group when it exits is an orphan (pg_basebackup's WAL streamer
    // after pg_basebackup was killed): it would hold our pipes open and the run would never end.
    if (releaseGroup) subprocess.once('exit', releaseGroup);
    let forceKillTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (pgid !== undefined) {
        signalProcessGroup(pgid, 'SIGTERM');
        forceKillTimer = setTimeout(() => signalProcessGroup(pgid, 'SIGKILL'), spec.forceKillAfterMs ?? DEFAULT_FORCE_KILL_AFTER_MS);
        forceKillTimer.unref();
      } else if (!posix && subprocess.pid !== undefined) {
        // Windows has no process groups to signal; taskkill /T walks the tree instead.
        void execa('taskkill', ['/pid', String(subprocess.pid), '/T', '/F'], { reject: false, windowsHide: true });
      }
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    let result: Execa.Result;
    try {
      result = await subprocess;
      await Promise.all(reading);
    } finally {
      spec.signal?.removeEventListener('abort', onAbort);
      clearTimeout(forceKillTimer);
      // The leader has exited (or never started); whatever it left behind in its group goes now.
      releaseGroup?.();
    }

    const durationMs = elapsed();
    if (consumerError !== undefined && !spec.signal?.aborted) {
      return failed(result.exitCode ?? null, undefined, `${tool}'s output could not be taken: ${errorMessage(consumerError)}`, stdout, stderrTail);
    }
    const cancelled = result.isCanceled || (spec.signal?.aborted === true && result.exitCode !== 0);
    if (cancelled) {
      logger?.info(`${label} cancelled after ${seconds(durationMs)}`);
      return { status: 'cancelled', stdout, stderrTail, durationMs };
    }
    if (!result.failed && result.exitCode === 0) {
      logger?.info(`${label} finished in ${seconds(durationMs)}`);
      return { status: 'succeeded', exitCode: 0, stdout, stderrTail, durationMs };
    }

    const lastLine = stderrTail.at(-1);
    const detail = lastLine ? `: ${lastLine.trim()}` : '';
    if (result.exitCode === undefined && result.signal === undefined) {
      // The process never ran: a missing or unusable executable.
      const code = result.code;
      const message =
        code === 'ENOENT'
          ? `${tool} was not found at ${spec.file}: ${spec.missingHint ?? 'install the PostgreSQL client tools or set pgBackup.binPath'}`
          : code === 'EACCES'
            ? `${tool} at ${spec.file} is not executable: fix its permissions or set pgBackup.binPath to another installation`
            : `${tool} could not be started: ${result.originalMessage ?? result.shortMessage ?? code ?? 'unknown error'}`;
      return failed(null, undefined, message, stdout, stderrTail);
    }
    if (result.signal !== undefined) {
      return failed(result.exitCode ?? null, result.signal, `${tool} was stopped by ${result.signal}${detail}`, stdout, stderrTail);
    }
    return failed(result.exitCode ?? null, undefined, `${tool} exited with code ${result.exitCode}${detail}`, stdout, stderrTail);
  }

  /** Feeds complete lines to `onLine`, CRLF or LF, and the unterminated last line at end of stream. */
  async function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let callbackFailed = false;
    lines.on('line', (line) => {
      try {
        onLine(line);
      } catch (e) {
        // A broken progress parser must not crash the run; say so once.
        if (!callbackFailed) logger?.warn(`${label}: output handler failed: ${e instanceof Error ? e.message : String(e)}`);
        callbackFailed = true;
      }
    });
    try {
      await finished(stream);
    } catch {
      // A stream destroyed early (spawn failure, kill) has nothing more to give.
    } finally {
      lines.close();
    }
  }
}
