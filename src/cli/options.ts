// Options and helpers shared by commands that must start light (`pgbr toc`): nothing here loads the pg driver or the logical core.
import { Option } from 'commander';
import { AGE_IDENTITY_ENV, readAgeIdentityFile } from '../core/crypto/age';
import type { Decryption } from '../core/logical/encryptedDump';
import type { Io } from './io';

export const jsonOption = (): Option => new Option('--json', 'print one JSON document on stdout');

/** Options most subcommands share. */
export const workspaceOption = (): Option =>
  new Option('--workspace <dir>', 'folder holding pgbackup.yaml').default(process.cwd(), 'the current folder');

export const binPathOption = (): Option =>
  new Option('--bin-path <dir>', 'the folder of the PostgreSQL tools to use (PATH and the standard locations are then not searched)');

export const verboseOption = (): Option => new Option('--verbose', 'log what runs on stderr');

export const identityOption = (): Option =>
  new Option('--identity <file>', `an age identity file (age-keygen's) that opens an encrypted dump; default: $${AGE_IDENTITY_ENV}. GPG uses your keyring`);

/** What opens an encrypted dump: `--identity`, else the file $PGBR_AGE_IDENTITY_FILE names; read only when one is given. */
export async function decryptionFor(identity: string | undefined, io: Io): Promise<Decryption> {
  const file = identity ?? (io.env[AGE_IDENTITY_ENV] || undefined);
  return file ? { identities: await readAgeIdentityFile(file) } : {};
}
