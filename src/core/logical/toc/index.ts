// A dump's table of contents, whatever its format: the public face of the TOC code. The archive reader
// (archive.ts, cursor.ts), the `pg_restore --list` parser (list.ts), the plain-SQL scanner (plain.ts), the
// relation resolver (relations.ts) and the tree the views show (tree.ts) are behind it.
import * as path from 'node:path';
import { PgbrError } from '../../platform/errors';
import type { Logger } from '../../platform/log';
import { runTool } from '../../platform/runner';
import { type ByteSource, TruncatedArchive, chunkedFile, readArchive, tarMember, wholeFile } from './archive';
import { FORMAT_LABELS, NeedMore, TocCursor, UnsupportedArchive, readArchiveHeaderFrom } from './cursor';
import { detectDumpFormat, isFile } from './format';
import { parseTocList } from './list';
import { scanPlainSql } from './plain';
import type { Toc, TocHeader } from './types';
import { readEncryptedToc, type Decryption } from '../encryptedDump';

export type { DetectedFormat, Toc, TocEntry, TocHeader, TocSection } from './types';
export { RELATION_DESCS } from './types';
export { detectDumpFormat } from './format';
export { listLine } from './entry';
export { parseTocList } from './list';
export { scanPlainSql } from './plain';
export { readIdentifierChain, referencedTable } from './relations';
export { BUILT_TOC_READER, indexedDamage, indexedTree, type IndexedToc, indexWrittenDump, readTocIndex, tocIndexFile, type WrittenToc, writeTocIndex } from './tocIndex';
export { tocIndexPlace, type TocIndexPlace, viewedToc, type ViewedToc, type ViewedTocOptions } from './tocIndex';
export { compactTree, type CompactName, type CompactTocTree, groupToc, type RelationKind, type TocSchema, type TocTable, type TocTree } from './tree';

export interface ReadTocOptions {
  /** pg_restore to fall back on for archives the built-in reader does not know. */
  pgRestore?: string;
  /** Use `pg_restore --list --verbose` even when the archive could be read directly (tests, comparisons). */
  preferPgRestore?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
  /** What opens an encrypted dump (age identities; GPG uses the keyring). */
  decryption?: Decryption;
}

/** The table of contents of any dump: custom, directory or tar archives, or plain SQL (gzip or not). */
export async function readToc(dumpPath: string, opts: ReadTocOptions = {}): Promise<Toc> {
  const detected = await detectDumpFormat(dumpPath);
  if (detected.encryption && detected.format === 'plain') {
    throw new PgbrError('usage', `${dumpPath} is an encrypted SQL script (roles and tablespaces): it has no table of contents to list. Restore it with pgbr restore, or decrypt it with ${detected.encryption} to read it.`);
  }
  if (detected.encryption) {
    return readEncryptedToc(dumpPath, detected.encryption, opts.decryption ?? {}, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
  }
  if (detected.format === 'plain') {
    const { header, entries } = await scanPlainSql(dumpPath, detected.gzip, opts.signal);
    return { path: dumpPath, ...detected, header, entries, source: 'plain scan' };
  }
  if (!opts.preferPgRestore) {
    try {
      const { header, entries, layout, damage } = await readArchive(dumpPath, detected.format);
      return { path: dumpPath, ...detected, header, entries, source: 'archive', layout, ...(damage ? { damage } : {}) };
    } catch (e) {
      if (e instanceof TruncatedArchive || e instanceof NeedMore) {
        throw new PgbrError('io', `the dump is truncated or corrupt: ${dumpPath} ends inside its table of contents. Take the dump again.`);
      }
      if (!(e instanceof UnsupportedArchive)) throw e;
      opts.logger?.info(`reading ${dumpPath} with pg_restore --list: ${e.message}`);
      if (!opts.pgRestore) {
        throw new PgbrError('tool-missing', `${dumpPath} needs pg_restore to be listed (${e.message}): install the PostgreSQL client tools or set pgBackup.binPath.`);
      }
    }
  }
  if (!opts.pgRestore) throw new PgbrError('tool-missing', `pg_restore is needed to list ${dumpPath}: install the PostgreSQL client tools or set pgBackup.binPath.`);
  const result = await runTool({
    file: opts.pgRestore,
    args: ['--list', '--verbose', dumpPath],
    collectStdout: true,
    signal: opts.signal,
    logger: opts.logger,
  });
  if (result.status === 'cancelled') throw new PgbrError('cancelled', 'listing the dump was cancelled');
  if (result.status === 'failed') {
    const why = result.stderrTail.find((l) => /error:/.test(l))?.replace(/^pg_restore: error: /, '') ?? result.message;
    throw new PgbrError('tool-failed', `the dump is truncated or corrupt: pg_restore could not read it (${why}).`);
  }
  const { header, entries } = parseTocList(result.stdout);
  // --verbose also lists entries a plain --list leaves out; keep what a restore would list.
  const shown = entries.filter((e) => !['ENCODING', 'STDSTRINGS', 'SEARCHPATH', 'DATABASE', 'DATABASE PROPERTIES'].includes(e.desc) && !(e.tag.startsWith('DATABASE ') && ['ACL', 'COMMENT', 'SECURITY LABEL'].includes(e.desc)));
  return { path: dumpPath, ...detected, header, entries: shown, source: 'pg_restore --list' };
}

/** The header alone (no entries): what a tool choice needs, e.g. which pg_dump version wrote the archive. */
export async function readTocHeader(dumpPath: string): Promise<TocHeader | undefined> {
  const detected = await detectDumpFormat(dumpPath);
  // An encrypted header needs the key: callers take the pg_dump version from the manifest or the full TOC.
  if (detected.format === 'plain' || detected.encryption) return undefined;
  try {
    let source: ByteSource;
    if (detected.format === 'directory') {
      const plain = path.join(dumpPath, 'toc.dat');
      if (!(await isFile(plain))) return undefined;
      source = await wholeFile(plain);
    } else if (detected.format === 'tar') source = await tarMember(dumpPath, 'toc.dat');
    else source = await chunkedFile(dumpPath);
    try {
      const c = new TocCursor(source.buf, source.end);
      return { ...readArchiveHeaderFrom(c).header, format: FORMAT_LABELS[detected.format] };
    } finally {
      await source.close();
    }
  } catch {
    return undefined;
  }
}

/** The major version of the pg_dump that wrote an archive (`15.18 (Debian ...)` → 15), when it says. */
export function dumpedByMajor(header: TocHeader | undefined): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(header?.dumpedBy ?? '');
  if (!m) return undefined;
  const first = Number(m[1]);
  return first >= 10 ? first : Number(`${first}.${m[2] ?? 0}`);
}
