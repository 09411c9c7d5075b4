// Which age identity opens an encrypted dump in the editor (no vscode import: unit tests read it): a
// pasted key kept in secret storage, else the identity file the user pointed at, read when needed.
import * as path from 'node:path';
import { AGE_IDENTITY_ENV, type AgeIdentities, parseAgeIdentities, readAgeIdentityFile } from '../core/crypto';
import type { Decryption } from '../core/logical';
import { PgbrError, errorMessage } from '../core/platform';

export const SET_IDENTITY_TITLE = 'Set Decryption Identity…';
/** What the pasted key is called in messages: the key itself never is shown. */
export const PASTED_SOURCE = 'the pasted age identity';

/** What the person gave: secret keys (to keep in secret storage) or an identity file's path (to remember). */
export type IdentityAnswer = { kind: 'key'; identities: AgeIdentities } | { kind: 'file'; path: string };

/** Reads an answer: AGE-SECRET-KEY-1… lines are a key, checked; anything else must be an identity file's absolute path. */
export function readIdentityAnswer(text: string): IdentityAnswer {
  const given = text.trim();
  if (/AGE-SECRET-KEY-/i.test(given)) return { kind: 'key', identities: parseAgeIdentities(given, PASTED_SOURCE) };
  if (given !== '' && path.isAbsolute(given)) return { kind: 'file', path: given };
  throw new PgbrError('usage', `Give an age secret key (an AGE-SECRET-KEY-1… line, as age-keygen writes it) or the absolute path of an age identity file.`);
}

/** What the editor has stored: the pasted key's text, the identity file's path. */
export interface StoredIdentity {
  key?: string;
  file?: string;
  /** The file $PGBR_AGE_IDENTITY_FILE names in the editor's environment, as the CLI reads it: used when nothing is stored. */
  envFile?: string;
}

/**
 * The decryption a read, restore or verify gets: the pasted key first, else the identity file chosen
 * (read now, so a file changed since is read as it is), else the one $PGBR_AGE_IDENTITY_FILE names,
 * else none (GPG needs none; age then says it needs one).
 */
export async function decryptionFrom(stored: StoredIdentity, readFile: (file: string) => Promise<AgeIdentities> = readAgeIdentityFile): Promise<Decryption> {
  if (stored.key !== undefined) return { identities: parseAgeIdentities(stored.key, PASTED_SOURCE) };
  const file = stored.file ?? stored.envFile;
  if (file === undefined) return {};
  try {
    return { identities: await readFile(file) };
  } catch (e) {
    const fix = stored.file === undefined ? `fix ${AGE_IDENTITY_ENV} in the editor's environment, or run "PG Backup: ${SET_IDENTITY_TITLE}"` : `run "PG Backup: ${SET_IDENTITY_TITLE}" again`;
    throw new PgbrError('usage', `The age identity file ${file}${stored.file === undefined ? ` (from ${AGE_IDENTITY_ENV})` : ''} cannot be used (${oneLine(e)}): ${fix}.`, { cause: e });
  }
}

/** $PGBR_AGE_IDENTITY_FILE when it names an absolute path (a relative one has no folder to be relative to in the editor). */
export function identityFileFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const file = env[AGE_IDENTITY_ENV]?.trim();
  return file && path.isAbsolute(file) ? file : undefined;
}

function oneLine(e: unknown): string {
  const m = errorMessage(e);
  // readAgeIdentityFile's own sentence names the CLI's flag; keep only what happened.
  const cut = m.indexOf(': check the path');
  return (cut >= 0 ? m.slice(0, cut) : m).replace(/\.$/, '');
}
