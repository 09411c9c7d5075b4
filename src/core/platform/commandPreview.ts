// A tool's command line as a person can read and paste it: the connection as PG* variables, every word shell-quoted, never a password.
import type { ConnectionParams } from '../profiles/types';
import { libpqEnv } from './runner';
import { shellWord } from './shell';

/**
 * What the runner starts, one option a line with shell continuations, so that a narrow dialog never breaks
 * a flag and the text still pastes into a shell:
 *
 *     PGHOST=db PGPORT=5432 PGUSER=app PGDATABASE=shop \
 *       /usr/bin/pg_dump \
 *       --verbose \
 *       …
 *
 * The password is not in it, as it is not in the real run's arguments either (it travels in a 0600 passfile).
 */
export function previewCommand(file: string, args: readonly string[], connection: ConnectionParams): string {
  const env = Object.entries(libpqEnv(connection))
    .filter(([name]) => name !== 'PGPASSWORD' && name !== 'PGPASSFILE')
    .map(([name, value]) => `${name}=${shellWord(value)}`);
  // An option and its separate value (`--jobs 2`, `--dbname …`) stay on one line.
  const lines: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (/^--[a-z-]+$/.test(arg) && next !== undefined && !next.startsWith('-') && SEPARATE_VALUE.has(arg)) {
      lines.push(`${shellWord(arg)} ${shellWord(next)}`);
      i++;
    } else lines.push(shellWord(arg));
  }
  return [[...env].join(' '), shellWord(file), ...lines].filter((l) => l !== '').join(' \\\n  ');
}

/** Options the tools here are given with their value as the next word. */
const SEPARATE_VALUE = new Set(['--dbname', '--jobs', '--use-list', '-f']);
