// One entry of an archive's TOC as read, and the line `pg_restore --list` prints for it.
import type { TocEntry, TocSection } from './types';

/**
 * An entry read from an archive. Its list line is built on first use: most readers (the tree, a
 * restore of the whole dump) never need it, and building 70,000 of them was most of a large read.
 */
export class ArchiveEntry implements TocEntry {
  name: string;
  table?: string;
  references?: { schema: string; name: string };
  ambiguous?: boolean;
  #rawLine: string | undefined;

  constructor(
    readonly dumpId: number,
    readonly catalogOid: number,
    readonly objectOid: number,
    readonly desc: string,
    readonly schema: string | null,
    readonly tag: string,
    readonly owner: string | null,
    readonly dependencies: readonly number[],
    readonly section: TocSection,
  ) {
    this.name = tag;
  }

  get rawLine(): string {
    return (this.#rawLine ??= listLine(this));
  }

  /** The plain shape, line included, for JSON. */
  toJSON(): TocEntry {
    return {
      dumpId: this.dumpId,
      catalogOid: this.catalogOid,
      objectOid: this.objectOid,
      desc: this.desc,
      schema: this.schema,
      name: this.name,
      tag: this.tag,
      owner: this.owner,
      ...(this.table !== undefined ? { table: this.table } : {}),
      ...(this.references !== undefined ? { references: this.references } : {}),
      dependencies: this.dependencies,
      section: this.section,
      rawLine: this.rawLine,
      ...(this.ambiguous ? { ambiguous: true } : {}),
    };
  }
}

/** Whether `pg_restore --list` (default options) prints the entry: `_tocEntryRequired` in pg_backup_archiver.c. */
export function isListed(desc: string, tag: string, hadDumper: boolean, hasDefinition: boolean): boolean {
  if (desc === 'ENCODING' || desc === 'STDSTRINGS' || desc === 'SEARCHPATH') return false;
  if (desc === 'DATABASE' || desc === 'DATABASE PROPERTIES') return false;
  if ((desc === 'ACL' || desc === 'COMMENT' || desc === 'SECURITY LABEL') && tag.startsWith('DATABASE ')) return false;
  if (desc === '<Init>' && tag === 'Max OID') return false;
  let schema = true;
  let data = true;
  if (!hadDumper) {
    const largeObjectMeta = (desc === 'ACL' || desc === 'COMMENT' || desc === 'SECURITY LABEL') && tag.startsWith('LARGE OBJECT');
    if (desc === 'SEQUENCE SET' || desc === 'BLOB' || desc === 'BLOB METADATA' || largeObjectMeta) schema = false;
    else data = false;
  }
  if (!hasDefinition) schema = false;
  return schema || data;
}

/** The line `pg_restore --list` prints for an entry: `%d; %u %u %s %s %s %s`, line breaks made spaces. */
export function listLine(e: { dumpId: number | null; catalogOid: number; objectOid: number; desc: string; schema: string | null; tag: string; owner: string | null }): string {
  const line = `${e.dumpId ?? 0}; ${e.catalogOid} ${e.objectOid} ${e.desc} ${e.schema ?? '-'} ${e.tag} ${e.owner ?? ''}`;
  // Names with line breaks are rare; one scan of the whole line (which also flattens it) finds them.
  return LINE_BREAK.test(line) ? line.replace(LINE_BREAKS, ' ') : line;
}
const LINE_BREAK = /[\r\n]/;
const LINE_BREAKS = /[\r\n]/g;

export const SINGLE_BYTE_ENCODING = /^(LATIN\d+|WIN\d+|ISO_8859_\d+|KOI8[RU]?|ISO-8859-\d+)$/i;
