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
