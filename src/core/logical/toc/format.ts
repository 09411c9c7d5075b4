// Which kind of dump a path holds, read from its first bytes (a name can lie).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from '../../platform/errors';
import type { DetectedFormat } from './types';

export const TAR_BLOCK = 512;

/** What kind of dump a path holds, from its contents (a name can lie); throws for anything else. */
export async function detectDumpFormat(dumpPath: string): Promise<DetectedFormat> {
  let stat;
  try {
    stat = await fs.stat(dumpPath);
  } catch (e) {
    throw new PgbrError('usage', `${dumpPath} does not exist: pass the path of a dump file or dump folder.`, { cause: e });
  }
  if (stat.isDirectory()) {
    for (const name of ['toc.dat', 'toc.dat.gz', 'toc.dat.lz4', 'toc.dat.zst']) {
      if (await isFile(path.join(dumpPath, name))) return { format: 'directory', gzip: false };
    }
    throw new PgbrError('usage', `${dumpPath} is a folder without toc.dat, so it is not a directory-format dump: pass a dump made with pg_dump -Fd.`);
  }
  // pgbr encrypts custom archives, and globals scripts named <name>.sql.age / .sql.gpg (dumpEncrypted.ts).
  const encryption = await encryptionOfFile(dumpPath);
  if (encryption) return { format: /\.sql\.(?:age|gpg)$/i.test(dumpPath) ? 'plain' : 'custom', gzip: false, encryption };
  const head = await readHead(dumpPath, TAR_BLOCK);
  if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return { format: 'custom', gzip: false };
  if (head[0] === 0x1f && head[1] === 0x8b) return { format: 'plain', gzip: true };
  if (head.length === TAR_BLOCK && head.subarray(257, 262).toString('latin1') === 'ustar') return { format: 'tar', gzip: false };
  if (looksLikeSql(head)) return { format: 'plain', gzip: false };
  throw new PgbrError(
    'usage',
    `${dumpPath} is not a PostgreSQL dump: it is neither a pg_dump archive (custom, tar) nor SQL text. Pass a file made by pg_dump.`,
  );
}

export async function isFile(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => undefined))?.isFile() ?? false;
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Text without NUL bytes that starts like SQL or a pg_dump script: comments, SET, CREATE, BEGIN... */
function looksLikeSql(head: Buffer): boolean {
  if (head.length === 0 || head.includes(0)) return false;
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return /^(--|\/\*|\\|SET\b|SELECT\b|CREATE\b|BEGIN\b|START\b|ALTER\b|COPY\b|INSERT\b|DROP\b)/i.test(text);
}

const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');

/**
 * `age` or `gpg` when the file is encrypted, from its first bytes: age's header line, or an OpenPGP
 * public-key-encrypted session key packet (tag 1, old or new packet format) as gpg --encrypt starts.
 */
export async function encryptionOfFile(file: string): Promise<'age' | 'gpg' | undefined> {
  let head: Buffer;
  try {
    const fh = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(AGE_MAGIC.length);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  if (head.equals(AGE_MAGIC)) return 'age';
  const first = head[0];
  if (first === undefined) return undefined;
  const oldFormatTag1 = (first & 0xc0) === 0x80 && ((first >> 2) & 0x0f) === 1;
  const newFormatTag1 = first === 0xc1;
  return oldFormatTag1 || newFormatTag1 ? 'gpg' : undefined;
}
