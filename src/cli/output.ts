// How pgbr reports: human text or exactly one JSON document on stdout, and exit codes for cron and monitors.
import { PgbrError, errorMessage, printable } from '../core/platform';

import { Exit } from './exit';

export { Exit };

export interface Output {
  json: boolean;
  /** Prints the result: `document` as JSON (indented, or on one line when `compact`: for documents of megabytes), or `text()` for people. */
  result(document: unknown, text: () => string, options?: { compact?: boolean }): void;
  /** Prints an error the user can act on (one line), or a JSON `{ error }` document. */
  fail(error: unknown): Exit;
}

export function makeOutput(json: boolean, write: (s: string) => void, writeErr: (s: string) => void): Output {
  return {
    json,
    result(document, text, options) {
      write(json ? JSON.stringify(document, null, options?.compact ? undefined : 2) + '\n' : text().replace(/\n?$/, '\n'));
    },
    fail(error) {
      const kind = error instanceof PgbrError ? error.kind : 'internal';
      if (json) write(JSON.stringify({ error: { kind, message: errorMessage(error) } }, null, 2) + '\n');
      // One line, whatever names or server text the message quotes.
      else writeErr(`pgbr: ${printable(errorMessage(error))}\n`);
      return error instanceof PgbrError && (error.kind === 'tool-failed' || error.kind === 'tool-version' || error.kind === 'tool-missing' || error.kind === 'damaged')
        ? Exit.Problem
        : Exit.Error;
    },
  };
}

/** Renders rows as aligned columns. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}
