// Reading an encrypted dump without leaving its plaintext on disk: which scheme a file is in (from its
// first bytes), its table of contents from the decrypted head only, the plaintext streamed into a
// tool's stdin, and, only where pg_restore must seek (parallel jobs), a private 0600 copy in this
// run's temp folder that is removed afterwards, and by the reaper or the next run's sweep if this
// process dies first.
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AgeIdentities } from '../crypto/age';
import type { EncryptionScheme } from '../crypto/recipients';
import { withDecrypted, type CryptoTools } from '../crypto/tools';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { privateTempDir } from '../platform/reaper';
import { NeedMore } from './toc/cursor';
import { TruncatedArchive, readArchiveSource, streamSource } from './toc/archive';
import type { Toc } from './toc/types';

/** What opens an encrypted dump: age identities (GPG uses the user's agent and keyring). */
export interface Decryption {
  identities?: AgeIdentities;
  tools?: CryptoTools;
}

function nameOf(file: string): string {
  return path.basename(file);
}

/** The table of contents of an encrypted custom dump, decrypting only as much of its head as the TOC takes. */
export async function readEncryptedToc(file: string, scheme: EncryptionScheme, d: Decryption, opts: { signal?: AbortSignal; logger?: Logger } = {}): Promise<Toc> {
  const run = await withDecrypted(
    file,
    nameOf(file),
    { scheme, ...(d.identities ? { identities: d.identities } : {}) },
    async (plain: Readable) => {
      try {
        return await readArchiveSource(streamSource(plain[Symbol.asyncIterator]()), 'custom');
      } catch (e) {
        if (e instanceof TruncatedArchive || e instanceof NeedMore) {
          throw new PgbrError('damaged', `the dump is truncated or corrupt: ${file} ends inside its table of contents. Take the dump again.`);
        }
        throw e;
      }
    },
    { headOnly: true, ...(d.tools ? { tools: d.tools } : {}), ...opts },
  );
  const { header, entries } = run.value;
  return { path: file, format: 'custom', gzip: false, header, entries, source: 'archive', encryption: scheme };
}

/**
 * Decrypts the whole file into `sink`, ending it only once the tool authenticated every byte: a cut
 * or altered file rejects with one line and leaves `sink` open, so the reader (pg_restore's stdin)
 * never sees a clean end of a damaged dump and the caller stops it.
 */
export async function decryptInto(file: string, scheme: EncryptionScheme, d: Decryption, sink: PassThrough, opts: { signal?: AbortSignal; logger?: Logger } = {}): Promise<void> {
  await withDecrypted(
    file,
    nameOf(file),
    { scheme, ...(d.identities ? { identities: d.identities } : {}) },
    (plain) =>
      new Promise<void>((resolve, reject) => {
        plain.on('error', reject);
        plain.on('end', () => resolve());
        plain.pipe(sink, { end: false });
      }),
    { ...(d.tools ? { tools: d.tools } : {}), ...opts },
  );
  sink.end();
}

/**
 * Decrypts the whole file into a private 0600 file for a tool that must seek in it (pg_restore -j), runs
 * `use` on it and removes it on every path; a kill of this process leaves it to the reaper and the sweep.
 */
export async function withPlaintextCopy<T>(file: string, scheme: EncryptionScheme, d: Decryption, use: (plainPath: string) => Promise<T>, opts: { signal?: AbortSignal; logger?: Logger } = {}): Promise<T> {
  const dir = await privateTempDir('decrypted-');
  const copy = path.join(dir, 'dump');
  try {
    await withDecrypted(
      file,
      nameOf(file),
      { scheme, ...(d.identities ? { identities: d.identities } : {}) },
      (plain) => pipeline(plain, createWriteStream(copy, { mode: 0o600, flags: 'wx' })),
      { ...(d.tools ? { tools: d.tools } : {}), ...opts },
    );
    return await use(copy);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
