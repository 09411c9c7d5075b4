// Encryption and decryption as streams through Debian's `age` and `gpg`, run by the platform runner.
//
// Why the binaries and not the age-encryption npm package: that package streams well, but its
// ChaCha20-Poly1305 is plain JavaScript and measured 38 MB/s encrypting and 54 MB/s decrypting here,
// against about 1 GB/s for the age binary; a dump would wait on its encryption. age's STREAM format
// authenticates every 64 KiB chunk and marks the last, so a cut file fails while it is read.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PgbrError, errorMessage } from '../platform/errors';
import type { Logger } from '../platform/log';
import { privateTempDir } from '../platform/reaper';
import { runTool, type RunResult } from '../platform/runner';
import { identityText, type AgeIdentities } from './age';
import { recipientText, type EncryptionScheme, type Recipient } from './recipients';

const AGE_HINT = 'install age (the Debian and Homebrew package is called age) to write and read age-encrypted dumps';
const GPG_HINT = 'install GnuPG (gnupg) to write and read GPG-encrypted dumps';

export interface CryptoTools {
  /** The age binary (default `age` on PATH). */
  age?: string;
  /** The gpg binary (default `gpg` on PATH); GNUPGHOME in the environment picks the keyring. */
  gpg?: string;
}

/**
 * `gpg --trust-model always`: recipients are full fingerprints from the user's own config, which pin
 * the key exactly; validity from the web of trust would add nothing, and without it gpg in batch mode
 * refuses a key that was imported but never signed, the usual case for a backup key. Expired and
 * revoked keys are still refused by gpg. `--compress-algo none`: the dump is compressed already.
 */
export function gpgEncryptArgs(recipients: readonly Recipient[]): string[] {
  const args = ['--batch', '--yes', '--no-tty', '--trust-model', 'always', '--compress-algo', 'none', '--encrypt'];
  for (const r of recipients) if (r.scheme === 'gpg') args.push('--recipient', r.fingerprint);
  return [...args, '--output', '-'];
}

export function ageEncryptArgs(recipients: readonly Recipient[]): string[] {
  return recipients.flatMap((r) => (r.scheme === 'age' ? ['-r', r.key] : []));
}

export interface Encrypted {
  /** sha256 (hex) of the encrypted bytes written. */
  sha256: string;
  sizeBytes: number;
}

/**
 * Encrypts `plaintext` to `recipients` into `outFile` (created or truncated, keeping its mode), hashing
 * the encrypted bytes as they are written. Rejects with the tool's own error when it fails.
 */
export async function encryptToFile(
  scheme: EncryptionScheme,
  recipients: readonly Recipient[],
  plaintext: Readable,
  outFile: string,
  opts: { tools?: CryptoTools; signal?: AbortSignal; logger?: Logger } = {},
): Promise<Encrypted> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const result = await runTool({
    file: scheme === 'age' ? (opts.tools?.age ?? 'age') : (opts.tools?.gpg ?? 'gpg'),
    args: scheme === 'age' ? ageEncryptArgs(recipients) : gpgEncryptArgs(recipients),
    stdinStream: plaintext,
    consumeStdout: (out) =>
      pipeline(
        out,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const c of chunks) {
            hash.update(c);
            sizeBytes += c.length;
            yield c;
          }
        },
        createWriteStream(outFile, { flags: 'w' }),
      ),
    signal: opts.signal,
    logger: opts.logger,
    label: `${scheme} encrypt`,
    missingHint: scheme === 'age' ? AGE_HINT : GPG_HINT,
  });
  if (result.status === 'cancelled') throw new PgbrError('cancelled', 'the encryption was cancelled');
  if (result.status === 'failed') {
    throw new PgbrError('tool-failed', `encrypting to ${recipients.map(recipientText).join(', ')} failed: ${toolLine(result)}`);
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

export interface DecryptKey {
  scheme: EncryptionScheme;
  /** age: the identities to try; GPG uses the user's agent and keyring instead. */
  identities?: AgeIdentities;
}

export interface DecryptRun<T> {
  /** What the consumer returned. */
  value: T;
  /** The tool read and authenticated the whole file (false when the consumer stopped early on purpose). */
  complete: boolean;
}

/**
 * Decrypts `file` and hands the plaintext to `consume` as it streams. The consumer may stop early
 * (`headOnly`: a table of contents needs only the start); otherwise the file must decrypt to its end,
 * and a damaged, truncated or foreign file is a PgbrError with one clear line (`name` names the dump).
 */
export async function withDecrypted<T>(
  file: string,
  name: string,
  key: DecryptKey,
  consume: (plaintext: Readable) => Promise<T>,
  opts: { tools?: CryptoTools; signal?: AbortSignal; logger?: Logger; headOnly?: boolean } = {},
): Promise<DecryptRun<T>> {
  if (key.scheme === 'age' && !key.identities) {
    throw new PgbrError('usage', `cannot decrypt ${name}: no identity given; pass --identity FILE or set PGBR_AGE_IDENTITY_FILE`);
  }
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let value: T | undefined;
  let consumed = false;
  let consumeError: unknown;
  const result = await runTool({
    file: key.scheme === 'age' ? (opts.tools?.age ?? 'age') : (opts.tools?.gpg ?? 'gpg'),
    args: key.scheme === 'age' ? ['--decrypt', '-i', '-', file] : ['--batch', '--no-tty', '--decrypt', file],
    ...(key.scheme === 'age' && key.identities ? { stdin: identityText(key.identities) } : {}),
    consumeStdout: async (out) => {
      try {
        value = await consume(out);
        consumed = true;
      } catch (e) {
        consumeError = e;
      }
      // A consumer done with the head does not want the rest: stop the tool instead of decrypting the whole dump.
      // The stream is let go of too: a paused stdout holding data would keep the run from ending. A
      // stream that reached its end needs no stop: the tool's own exit (a wrong key, a damaged file) says more.
      if ((opts.headOnly || consumeError !== undefined) && !out.readableEnded) {
        stop.abort();
        out.destroy();
      } else out.resume();
    },
    signal,
    logger: opts.logger,
    label: `${key.scheme} decrypt`,
    missingHint: key.scheme === 'age' ? AGE_HINT : GPG_HINT,
  });
  if (opts.signal?.aborted) throw new PgbrError('cancelled', `decrypting ${name} was cancelled`);
  if (result.status === 'failed') throw decryptFailure(name, key, result);
  if (consumeError !== undefined) throw consumeError instanceof Error ? consumeError : new Error(errorMessage(consumeError));
  if (!consumed) throw new PgbrError('tool-failed', `cannot decrypt ${name}: ${key.scheme} stopped before its output was read`);
  return { value: value as T, complete: result.status === 'succeeded' };
}

/** The one line for a decryption that failed: not a recipient, no secret key, or a damaged file. */
export function decryptFailure(name: string, key: DecryptKey, result: { stderrTail: string[]; message: string }): PgbrError {
  const text = result.stderrTail.join('\n');
  if (key.scheme === 'age' && /no identity matched/i.test(text)) {
    return new PgbrError('usage', `cannot decrypt ${name}: the identity in ${key.identities?.source ?? 'the identity file'} is not a recipient of this dump`);
  }
  if (key.scheme === 'gpg' && /no secret key|decryption failed: No secret key/i.test(text)) {
    return new PgbrError('usage', `cannot decrypt ${name}: no secret key in your GPG keyring is a recipient of this dump (check GNUPGHOME and gpg --list-secret-keys)`);
  }
  if (/not found at|could not be started|is not executable/.test(result.message)) return new PgbrError('tool-missing', result.message);
  return new PgbrError('damaged', `cannot decrypt ${name}: the encrypted dump is truncated or damaged (${toolLine(result)}). Use another copy of the dump.`);
}

function toolLine(result: Pick<RunResult, 'stderrTail'> & { message: string }): string {
  const line = result.stderrTail.map((l) => l.replace(/^(?:age|gpg): (?:error: )?/, '')).find((l) => !/report unexpected|filippo\.io/.test(l));
  return line ?? result.message;
}

/** Encrypts a short text (a manifest's hidden part) to ASCII armour, so it can sit inside a JSON file. */
export async function encryptText(scheme: EncryptionScheme, recipients: readonly Recipient[], text: string, opts: { tools?: CryptoTools; logger?: Logger } = {}): Promise<string> {
  const args = scheme === 'age' ? ['--armor', ...ageEncryptArgs(recipients)] : ['--armor', ...gpgEncryptArgs(recipients)];
  const result = await runTool({
    file: scheme === 'age' ? (opts.tools?.age ?? 'age') : (opts.tools?.gpg ?? 'gpg'),
    args,
    stdin: text,
    collectStdout: true,
    logger: opts.logger,
    label: `${scheme} encrypt`,
    missingHint: scheme === 'age' ? AGE_HINT : GPG_HINT,
  });
  if (result.status !== 'succeeded') throw new PgbrError('tool-failed', `encrypting the manifest failed: ${result.status === 'failed' ? toolLine(result) : 'cancelled'}`);
  return result.stdout;
}

/** Decrypts armour written by `encryptText`; `name` names what it belongs to in messages. */
export async function decryptText(armored: string, name: string, key: DecryptKey, opts: { tools?: CryptoTools; logger?: Logger } = {}): Promise<string> {
  // The armour is ciphertext, so a file of it is no secret; age takes the identity on stdin and the input from a file.
  const dir = await privateTempDir('sealed-');
  const file = join(dir, 'sealed');
  try {
    await writeFile(file, armored, { mode: 0o600 });
    const run = await withDecrypted(
      file,
      name,
      key,
      async (plain) => {
        const parts: Buffer[] = [];
        for await (const c of plain) parts.push(c as Buffer);
        return Buffer.concat(parts).toString('utf8');
      },
      opts,
    );
    return run.value;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
