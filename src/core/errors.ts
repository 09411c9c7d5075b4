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
}

export class PgbrError extends Error {
  override readonly name = 'PgbrError';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(
    readonly kind: PgbrErrorKind,
    message: string,
    details: PgbrErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
  }

  /** `file:line:column: message` when a position is known, else the message alone. */
  get located(): string {
    if (!this.file) return this.message;
    const pos = this.line ? `:${this.line}${this.column ? `:${this.column}` : ''}` : '';
    return `${this.file}${pos}: ${this.message}`;
  }
}

export function isPgbrError(e: unknown): e is PgbrError {
  return e instanceof PgbrError;
}

/** The text to show for any thrown value, without stack traces. */
export function errorMessage(e: unknown): string {
  if (e instanceof PgbrError) return e.located;
  if (e instanceof Error) return e.message;
  return String(e);
}
