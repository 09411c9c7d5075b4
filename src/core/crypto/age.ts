// age identities: read from a file (or the editor's secret store) into memory, checked, and handed to
// `age` on its standard input only (`-i -`), so a secret key is never in argv, a log line or a temp file.
import * as fs from 'node:fs/promises';
import { PgbrError, errorMessage } from '../platform/errors';

/** An age identity file's secret keys: `AGE-SECRET-KEY-1…` lines, `#` comments and blank lines allowed (as age-keygen writes it). */
export interface AgeIdentities {
  /** Where they came from, for messages; the keys themselves are never shown. */
  source: string;
  keys: string[];
}

/** The environment variable the CLI reads an identity file's path from when `--identity` is not given. */
export const AGE_IDENTITY_ENV = 'PGBR_AGE_IDENTITY_FILE';

/** Reads the secret keys of an identity file; a file without one is a clear error naming the file, never its content. */
export async function readAgeIdentityFile(file: string): Promise<AgeIdentities> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new PgbrError('usage', `the age identity file ${file} cannot be read (${errorMessage(e)}): check the path given with --identity or ${AGE_IDENTITY_ENV}.`, { cause: e });
  }
  return parseAgeIdentities(text, file);
}

export function parseAgeIdentities(text: string, source: string): AgeIdentities {
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const bad = keys.findIndex((k) => !/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/.test(k));
  if (keys.length === 0 || bad >= 0) {
    const what = keys.length === 0 ? 'it has none' : `key line ${bad + 1} is not one`;
    throw new PgbrError('usage', `${source} is not an age identity file: it must hold AGE-SECRET-KEY-1… lines as age-keygen writes them (${what}).`);
  }
  return { source, keys };
}

/** What `age -i -` reads: one key a line. */
export function identityText(ids: AgeIdentities): string {
  return ids.keys.join('\n') + '\n';
}
