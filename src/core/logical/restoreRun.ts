// Running pg_restore or psql for a restore: the arguments, the log kept of every error, and what the run's end means.
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PgbrError, errorMessage } from '../platform/errors';
import { decryptInto, withPlaintextCopy } from './encryptedDump';
import { createGunzip } from 'node:zlib';
import { privateTempDir } from '../platform/reaper';
import { runTool, type RunResult } from '../platform/runner';
import type { FoundTool } from '../platform/tools';
import type { ConnectionParams } from '../profiles/types';
import { pgRestoreOptionArgs, type RestoreChoices } from './restoreOptions';
import type { Toc, TocEntry } from './toc';
import type { RestoreOptions, RestoreResult } from './restore';
import { DATA_DESCS, type RestoreList } from './restoreList';

const FIRST_ERRORS = 10;
const LOG_LIMIT = 8 * 1024 * 1024;
export const CORRUPT_PATTERNS =
  /could not read from input file|unexpected end of file|end of file|did not find magic string|corrupt|could not find block ID|could not uncompress data|invalid (?:stored block|distance|code|block type)|incorrect header check|could not read input file|could not open input file|unrecognized data block type|file offset in dump file is too large|expected format .* differs/i;

/** `dbname='my db'` for -d: a name with `=` or a URI prefix would otherwise be read as a connection string. */
export function dbnameConninfo(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** One line per item of a restore's verbose output: pg_restore's `creating`, `processing data`, `executing`. */
const PG_RESTORE_ITEM = /^pg_restore: (creating .*|processing data for table .*|executing .*)$/;

interface ToolOutcome {
  status: RestoreResult['status'];
  itemsDone: number;
  itemsTotal: number;
  errors: string[];
  errorsIgnored: number;
  log: string;
  logTruncated: boolean;
  runMessage?: string;
  interrupted?: string;
}

/** The server went away under the restore: a fact about the run, not about the dump. */
const CONNECTION_LOST =
  /server closed the connection unexpectedly|terminating connection due to (?:administrator command|unexpected postmaster exit)|the database system is shutting down|connection to server .* failed|could not connect to server|no connection to the server|SSL SYSCALL error: EOF detected/i;

/** Collects a tool's stderr: the log (bounded), the first errors with their context, the ignored-error count. */
class ToolLog {
  private chunks: string[] = [];
  private size = 0;
  truncated = false;
  errors: string[] = [];
  errorsIgnored = 0;
  private context: string | undefined;
  /** The statement pg_restore printed after an error, kept with it. */
  private lastError: number | undefined;

  add(line: string): void {
    if (this.size < LOG_LIMIT) {
      this.chunks.push(line);
      this.size += line.length + 1;
    } else this.truncated = true;
  }

  get text(): string {
    return this.chunks.join('\n') + (this.chunks.length ? '\n' : '');
  }

  pgRestoreLine(line: string): void {
    this.add(line);
    const ignored = /errors ignored on restore: (\d+)/.exec(line);
    if (ignored) {
      this.errorsIgnored = Number(ignored[1]);
      return;
    }
    const from = /^pg_restore: from TOC entry (.*)$/.exec(line);
    if (from) {
      this.context = from[1];
      return;
    }
    const error = /^pg_restore: error: (.*)$/.exec(line);
    if (error) {
      if (this.errors.length < FIRST_ERRORS) {
        this.errors.push(this.context ? `${error[1]} (TOC entry ${this.context})` : error[1]!);
        this.lastError = this.errors.length - 1;
      }
      this.context = undefined;
      return;
    }
    if (line.startsWith('Command was: ') && this.lastError !== undefined) {
      // The statement's first line is enough to see which object failed.
      this.errors[this.lastError] += ` — ${line.slice('Command was: '.length).trim()}`;
      this.lastError = undefined;
    }
  }

  psqlLine(line: string): void {
    this.add(line);
    // psql:/path/dump.sql:123: ERROR:  relation "orders" already exists
    const m = /^psql:(.*?):(\d+): ERROR: +(.*)$/.exec(line) ?? /^(?:psql: )?ERROR: +(.*)$/.exec(line);
    if (!m) return;
    this.errorsIgnored++;
    if (this.errors.length < FIRST_ERRORS) this.errors.push(m.length === 4 ? `${m[3]} (line ${m[2]})` : m[1]!);
  }
}

/** Whether pg_restore runs in one transaction: asked for, or to keep the old tables when a recreate or data-only load fails. */
export function isOneTransaction(opts: RestoreChoices, recreate: boolean): boolean {
  return !!opts.singleTransaction || recreate || (!!opts.dataOnly && (opts.jobs ?? 1) === 1);
}

export async function runPgRestore(opts: RestoreOptions, tool: FoundTool, list: RestoreList | undefined, toc: Toc, o: { recreate: boolean }): Promise<ToolOutcome> {
  const args = ['--verbose', '--dbname', dbnameConninfo(opts.database), ...pgRestoreOptionArgs(opts, { recreate: o.recreate, oneTransaction: isOneTransaction(opts, o.recreate) })];
  let tempDir: string | undefined;
  try {
    if (list) {
      tempDir = await privateTempDir('restore-');
      const listFile = path.join(tempDir, 'restore.list');
      await fs.writeFile(listFile, list.text, { mode: 0o600 });
      args.push('--use-list', listFile);
    }
    const restored = (e: TocEntry) =>
      (!opts.dataOnly || DATA_DESCS.has(e.desc) || e.desc === 'SEQUENCE SET') && !(opts.noPrivileges && (e.desc === 'ACL' || e.desc === 'DEFAULT ACL'));
    const itemsTotal = (list ? list.entries : toc.entries).filter(restored).length;
    const log = new ToolLog();
    let done = 0;
    const run = (input: { file: string } | { stdin: Readable }, signal: AbortSignal | undefined) =>
      runTool({
        file: tool.path,
        args: 'file' in input ? [...args, input.file] : args,
        ...('stdin' in input ? { stdinStream: input.stdin } : {}),
        connection: { ...opts.connection, database: opts.database },
        password: opts.password,
        signal,
        logger: opts.logger,
        onStderrLine: (line) => {
          log.pgRestoreLine(line);
          const item = PG_RESTORE_ITEM.exec(line);
          if (item) {
            done++;
            opts.onProgress?.({ done: Math.min(done, itemsTotal || done), total: itemsTotal, item: item[1]! });
          }
        },
      });
    const scheme = toc.encryption;
    if (!scheme) return toOutcome(await run({ file: opts.dumpPath }, opts.signal), log, done, itemsTotal, 'pg_restore');
    const decryption = opts.decryption ?? {};
    const io = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.logger ? { logger: opts.logger } : {}) };
    // pg_restore -j must seek, so only a parallel restore gets a private plaintext copy; the rest streams (see dumpEncrypted.ts).
    if ((opts.jobs ?? 1) > 1) {
      try {
        return await withPlaintextCopy(opts.dumpPath, scheme, decryption, async (copy) => toOutcome(await run({ file: copy }, opts.signal), log, done, itemsTotal, 'pg_restore'), io);
      } catch (e) {
        return decryptOutcome(e, log, itemsTotal);
      }
    }
    const fed = await runOnDecryptedStdin(opts, scheme, (stdin, signal) => run({ stdin }, signal));
    if ('decryptError' in fed) return decryptOutcome(fed.decryptError, log, itemsTotal, done);
    const result = fed.result;
    return toOutcome(result, log, done, itemsTotal, 'pg_restore');
  } finally {
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * Runs a plain script with psql, stopping at its first error: `script` when given (a roles script
 * fitted to the cluster, fed on stdin), else the dump file, decompressed or decrypted on the way.
 */
export async function runPsql(opts: RestoreOptions, tool: FoundTool, target: ConnectionParams, gzip: boolean, scheme?: 'age' | 'gpg', script?: string): Promise<ToolOutcome> {
  let tempDir: string | undefined;
  try {
    let file = opts.dumpPath;
    if (gzip && script === undefined) {
      // The runner feeds stdin from a string only; a private uncompressed copy keeps memory flat.
      tempDir = await privateTempDir('restore-');
      file = path.join(tempDir, 'dump.sql');
      try {
        await pipeline(createReadStream(opts.dumpPath), createGunzip(), createWriteStream(file, { mode: 0o600 }), { signal: opts.signal });
      } catch (e) {
        if (opts.signal?.aborted) return { status: 'cancelled', itemsDone: 0, itemsTotal: 0, errors: [], errorsIgnored: 0, log: '', logTruncated: false };
        const why = (e as Error).message;
        return {
          status: 'failed',
          itemsDone: 0,
          itemsTotal: 0,
          errors: [why],
          errorsIgnored: 0,
          log: '',
          logTruncated: false,
          runMessage: `the dump is truncated or corrupt: it could not be decompressed (${why})`,
        };
      }
    }
    const args = ['-X', '-v', 'ON_ERROR_STOP=1', '--dbname', dbnameConninfo(opts.database)];
    if (opts.singleTransaction) args.push('--single-transaction');
    // An encrypted script (globals) is read from stdin as it is decrypted.
    args.push('-f', scheme || script !== undefined ? '-' : file);
    const log = new ToolLog();
    let done = 0;
    const run = (stdin: Readable | undefined, signal: AbortSignal | undefined) => runTool({
      file: tool.path,
      args,
      ...(stdin ? { stdinStream: stdin } : script !== undefined ? { stdin: script } : {}),
      connection: target,
      password: opts.password,
      signal,
      logger: opts.logger,
      // psql prints a command tag (CREATE TABLE, COPY 200, ...) per statement: one item each.
      onStdoutLine: (line) => {
        if (line.trim() === '') return;
        done++;
        opts.onProgress?.({ done, total: 0, item: line.trim() });
      },
      onStderrLine: (line) => log.psqlLine(line),
    });
    if (!scheme || script !== undefined) return toOutcome(await run(undefined, opts.signal), log, done, 0, 'psql');
    const fed = await runOnDecryptedStdin(opts, scheme, run);
    if ('decryptError' in fed) return decryptOutcome(fed.decryptError, log, 0, done);
    return toOutcome(fed.result, log, done, 0, 'psql');
  } finally {
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * Runs a tool on the decrypted dump as its stdin. A dump that fails to decrypt (cut, altered) stops
 * the tool before its input ends, so it never takes what it read for the whole dump.
 */
async function runOnDecryptedStdin(
  opts: RestoreOptions,
  scheme: 'age' | 'gpg',
  run: (stdin: Readable, signal: AbortSignal) => Promise<RunResult>,
): Promise<{ result: RunResult } | { decryptError: unknown }> {
  const io = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.logger ? { logger: opts.logger } : {}) };
  const plaintext = new PassThrough();
  const stopTool = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stopTool.signal]) : stopTool.signal;
  let decryptError: unknown;
  const decrypting = decryptInto(opts.dumpPath, scheme, opts.decryption ?? {}, plaintext, io).catch((e: unknown) => {
    decryptError = e;
    stopTool.abort();
    plaintext.destroy();
  });
  const result = await run(plaintext, signal);
  if (result.status !== 'succeeded') plaintext.destroy();
  await decrypting;
  if (decryptError !== undefined && !opts.signal?.aborted) return { decryptError };
  return { result };
}

/** A restore stopped because its dump did not decrypt: failed, with the decryption's one line first. */
function decryptOutcome(e: unknown, log: ToolLog, total: number, done = 0): ToolOutcome {
  if (e instanceof PgbrError && e.kind === 'cancelled') return { itemsDone: done, itemsTotal: total, errors: [], errorsIgnored: 0, log: log.text, logTruncated: log.truncated, status: 'cancelled' };
  const message = errorMessage(e);
  return { itemsDone: done, itemsTotal: total, errors: [message, ...log.errors], errorsIgnored: log.errorsIgnored, log: log.text, logTruncated: log.truncated, status: 'failed', runMessage: message };
}

function toOutcome(result: RunResult, log: ToolLog, done: number, total: number, tool: string): ToolOutcome {
  const base = { itemsDone: done, itemsTotal: total, errors: log.errors, errorsIgnored: log.errorsIgnored, log: log.text, logTruncated: log.truncated };
  if (result.status === 'cancelled') return { ...base, status: 'cancelled' };
  // Honest results: an exit code, an error line, or errors pg_restore "ignored" all mean the restore failed.
  const failed = result.status === 'failed' || log.errors.length > 0 || log.errorsIgnored > 0;
  if (!failed) return { ...base, status: 'succeeded' };
  if (log.errors.length === 0) log.errors.push(result.status === 'failed' ? result.message : `${tool} reported errors`);
  const killed = result.status === 'failed' && result.signal !== undefined ? `${tool} was stopped by ${result.signal} from outside` : undefined;
  const lost = log.errors.find((e) => CONNECTION_LOST.test(e)) ?? (result.status === 'failed' && CONNECTION_LOST.test(result.message) ? result.message : undefined);
  const interrupted = killed ?? (lost !== undefined ? `the connection to the server was lost (${lost.trim()})` : undefined);
  return { ...base, errors: log.errors, status: 'failed', runMessage: result.status === 'failed' ? result.message : undefined, ...(interrupted ? { interrupted } : {}) };
}
