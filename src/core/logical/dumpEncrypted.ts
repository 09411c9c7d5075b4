// An encrypted dump: pg_dump writes its custom archive to a pipe, the archive is encrypted as it
// streams into the `.partial`, and its table of contents is read back from the same stream on the way,
// so no plaintext byte of the dump ever touches the disk.
//
// Why a pipe costs nothing that matters: pg_dump cannot seek back into a pipe to record where each
// table's data starts, so the archive's TOC has no data offsets. Measured with pg_restore 15 on six
// tables of 400,000 rows (a 53 MB archive), an archive without offsets on a seekable file restores one
// table in 0.49 s (0.52 s with offsets) and restores with -j 2 in 2.3 s (2.5 s): pg_restore finds the
// blocks by skipping from one block header to the next. From a pipe, one table restores (0.31 s,
// reading past the others) but -j does not run at all ("parallel restore from standard input is not
// supported"). So a restore streams the decryption into pg_restore, and only a parallel restore
// decrypts into a private 0600 file first (see restoreEncrypted.ts).
import { PassThrough, type Readable } from 'node:stream';
import { archiveSink } from './dumpStream';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { encryptToFile, type Encrypted } from '../crypto/tools';
import { recipientText, type EncryptionScheme, type Recipient } from '../crypto/recipients';
import type { DumpFormat } from './manifest';

export interface DumpEncryption {
  scheme: EncryptionScheme;
  recipients: readonly Recipient[];
}

/** The manifest's account of an encrypted dump: enough to check its bytes, and to know whose keys open it, without any key. */
export interface ManifestEncryption {
  scheme: EncryptionScheme;
  /** age public keys (`age1…`) or `gpg:FINGERPRINT`: who can decrypt it. */
  recipients: string[];
  /** sha256 (hex) of the encrypted bytes, the file as it is on disk (the same sum `sha256` records under its name). */
  sha256: string;
  /** With `encryptManifest`: the table names and counts, as age or GPG armour to the same recipients (sealedManifest.ts). */
  sealed?: string;
}

/** Encryption is for the custom format (globals, a SQL script, aside): the one whose TOC is at its head and that restores one table, or with -j, from one file. */
export function refuseEncryptedFormat(format: DumpFormat): void {
  if (format === 'custom') return;
  const why =
    format === 'directory'
      ? 'a directory dump is many files, so encrypting each would still show its tables by their files and sizes, and a restore would need the whole folder decrypted'
      : format === 'tar'
        ? 'a tar dump gains nothing over the custom format and its members cannot be read without decrypting the whole file'
        : 'a plain SQL dump has no table of contents to read from its head, so it could not be listed or restored by table';
  throw new PgbrError('usage', `an encrypted dump uses the custom format: ${why}. Drop --format ${format} (custom is the default), or drop the encryption.`);
}

export function manifestEncryption(enc: DumpEncryption, written: Encrypted): ManifestEncryption {
  return { scheme: enc.scheme, recipients: enc.recipients.map(recipientText), sha256: written.sha256 };
}

/**
 * Takes a SQL script's stream (pg_dumpall's globals) on its way to encryption and keeps its last
 * bytes, so the script's completion line can be checked without the plaintext on disk.
 */
export function encryptingScriptSink(enc: DumpEncryption, partial: string, opts: { signal?: AbortSignal; logger?: Logger }) {
  const keep = 8192;
  let tail = '';
  let written: Encrypted | undefined;
  const consume = async (stdout: Readable): Promise<void> => {
    const plaintext = new PassThrough({
      transform(chunk: Buffer, _enc, callback) {
        tail = (tail + chunk.toString('latin1')).slice(-keep);
        callback(null, chunk);
      },
    });
    stdout.pipe(plaintext);
    stdout.on('close', () => {
      if (!stdout.readableEnded) plaintext.destroy(new Error('the tool stopped before its output ended'));
    });
    written = await encryptToFile(enc.scheme, enc.recipients, plaintext, partial, opts);
  };
  return {
    consume,
    result(): Encrypted & { tail: string } {
      if (!written) throw new PgbrError('tool-failed', 'the encrypted dump was not finished');
      return { ...written, tail };
    },
  };
}

/** pg_dump's stdout encrypted into `partial`, its TOC read on the way (see archiveSink). */
export function encryptingSink(enc: DumpEncryption, partial: string, opts: { signal?: AbortSignal; logger?: Logger }) {
  return archiveSink((plaintext) => encryptToFile(enc.scheme, enc.recipients, plaintext, partial, opts));
}
