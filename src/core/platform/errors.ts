// Typed errors of the core: each carries a kind the editor and CLI map to UI and exit codes,
// and a message a user can act on (what happened, then what to do).

export type PgbrErrorKind =
  | 'config' // malformed pgbackup.yaml, settings, service file, bad URI or port
  | 'usage' // bad command-line or command arguments
  | 'connection' // server down, unknown host, timeout
  | 'auth' // wrong or missing password, pg_hba refusal
  | 'tool-missing' // a PostgreSQL client tool is not installed
  | 'tool-version' // installed tools are older than the server
  | 'tool-failed' // a tool ran and exited non-zero
  | 'damaged' // a dump's bytes differ from its manifest, or it is truncated
  | 'cancelled'
  | 'io';

export interface PgbrErrorDetails {
  /** The file the problem is in, when there is one (config errors). */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  column?: number;
  /** The underlying error (driver error, errno exception). */
  cause?: unknown;
  /** `user@host:port` of a connection that failed: the editor finds the profile (and its stored password) by it. */
  server?: string;
}

export class PgbrError extends Error {
  override readonly name = 'PgbrError';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly server?: string;

  constructor(
    readonly kind: PgbrErrorKind,
    message: string,
    details: PgbrErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.server = details.server;
  }

  /** `file:line:column: message` when a position is known, else the message alone. */
  get located(): string {
    if (!this.file) return this.message;
    const pos = this.line ? `:${this.line}${this.column ? `:${this.column}` : ''}` : '';
    return `${this.file}${pos}: ${this.message}`;
  }
}

/** A stop the person asked for (a Cancel button, Ctrl-C): the core says so with kind `cancelled`. */
export function isCancellation(e: unknown): boolean {
  return e instanceof PgbrError && e.kind === 'cancelled';
}

/** The text to show for any thrown value, without stack traces; a file-system error becomes a sentence naming its path. */
export function errorMessage(e: unknown): string {
  if (e instanceof PgbrError) return e.located;
  if (e instanceof Error) return fileErrorSentence(e) ?? e.message;
  return String(e);
}

/**
 * `ENOTDIR: not a directory, mkdir '/srv/x/y'` as a person reads it: what is wrong with which path,
 * then what to do. Undefined for errors that are not about a path.
 */
export function fileErrorSentence(e: Error): string | undefined {
  const { code, path: where, syscall } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof where !== 'string') return undefined;
  const writing = syscall !== undefined && /^(mkdir|open|write|rename|link|symlink|copyfile|unlink|rmdir|rm|chmod|utime|ftruncate)$/.test(syscall);
  switch (code) {
    case 'ENOENT':
      return `${where} does not exist (or a folder on the way to it does not): create it or fix the path.`;
    case 'ENOTDIR':
      return `${where} cannot be reached: a part of that path is a file, not a folder. Fix the path.`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${where}: run as a user who may ${writing ? 'write' : 'read'} there, or choose another place.`;
    case 'EROFS':
      return `${where} is on a read-only file system: choose a place that can be written to.`;
    case 'ENOSPC':
      return `no space left on the device holding ${where}: free some space or choose another place.`;
    case 'EDQUOT':
      return `the disk quota is used up where ${where} is: free some space or choose another place.`;
    case 'EEXIST':
      return `${where} already exists: choose another name or move it aside.`;
    case 'EISDIR':
      return `${where} is a folder where a file was expected: give a file's path.`;
    case 'ENAMETOOLONG':
      return `the path ${where} is too long for the file system: choose a shorter one.`;
    case 'ELOOP':
      return `${where} goes through a loop of symbolic links: fix the links or the path.`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many files are open to open ${where}: close some programs, or raise the limit (ulimit -n), and try again.`;
    case 'EBUSY':
      return `${where} is in use by another program: try again when it is free.`;
    case 'EIO':
      return `the device failed reading or writing ${where} (an I/O error): check the disk or the network mount.`;
    default:
      return undefined;
  }
}

/** Input the user gave that cannot work (a flag, an option, a name): exit code 2 for pgbr, shown as it is in the editor. */
export function usageError(message: string): PgbrError {
  return new PgbrError('usage', message);
}

/** What a cancelled run says, for dumps and base backups alike: what was cancelled, and that nothing was kept. */
export function cancelledError(what: string): PgbrError {
  return new PgbrError('cancelled', `${what} was cancelled; nothing was kept`);
}
