// The shapes of a table of contents, and the entry kinds pg_dump writes.
import type { DumpFormat } from '../manifest';

export type TocSection = 'none' | 'pre-data' | 'data' | 'post-data';

export interface TocEntry {
  /** pg_dump's id for the entry, what a `pg_restore -L` line starts with; null in a plain SQL dump. */
  dumpId: number | null;
  /** The system catalog the object lives in (`1259` is pg_class); 0 for entries that are not objects. */
  catalogOid: number;
  objectOid: number;
  /** pg_dump's kind: `TABLE`, `TABLE DATA`, `FK CONSTRAINT`, `SEQUENCE SET`, ... */
  desc: string;
  /** Null for objects outside any schema (schemas, extensions, event triggers). */
  schema: string | null;
  /** The object's own name: `orders_pkey` for the constraint tagged `orders orders_pkey`. */
  name: string;
  /** pg_dump's tag as stored: `orders orders_pkey`, `f(integer, text)`, `TABLE "Order""s"`. */
  tag: string;
  owner: string | null;
  /** For objects that belong to a table (constraints, indexes, defaults, owned sequences, its data): the table, in `schema`. */
  table?: string;
  /** Dump ids this entry depends on; absent when the source did not say (a list read without `--verbose`). */
  dependencies?: readonly number[];
  section?: TocSection;
  /**
   * The entry as a `pg_restore --list` line; the statement's first line for a plain SQL dump. Entries
   * read from an archive build it on first read (a getter, so a spread copy leaves it out: copy with
   * `JSON.parse(JSON.stringify(entry))` or read it explicitly).
   */
  readonly rawLine: string;
  /** For a foreign key read from an archive: the table it references (from its ADD CONSTRAINT statement). */
  references?: { schema: string; name: string };
  /** Read from list text where a name holds a space, so where schema, name and owner split was a guess. */
  ambiguous?: boolean;
}

export interface TocHeader {
  /** When pg_dump wrote the archive, in the dumping machine's local time (`2026-11-22 07:09:49`). */
  createdAt?: string;
  dbname?: string;
  /** Entries in the archive, counting internal ones the list leaves out (ENCODING, DATABASE, ...). */
  tocEntries?: number;
  /** `none`, `gzip`, `lz4` or `zstd`. */
  compression?: string;
  /** The gzip level older archives record (-1: the default). */
  compressionLevel?: number;
  /** The archive format version, `1.14-0`. */
  archiveVersion?: string;
  /** As pg_restore names it: `CUSTOM`, `DIRECTORY`, `TAR`. */
  format?: string;
  intSize?: number;
  offSize?: number;
  /** Server version the dump was taken from, `15.18 (Debian 15.18-0+deb12u1)`. */
  dumpedFrom?: string;
  /** Version of the pg_dump that wrote it. */
  dumpedBy?: string;
}

export interface DetectedFormat {
  format: DumpFormat;
  /** A plain SQL dump compressed with gzip (`.sql.gz`). */
  gzip: boolean;
  /** An encrypted dump (always a custom archive inside): its scheme, read from the file's first bytes. */
  encryption?: 'age' | 'gpg';
}

/** Where an archive's table of contents ends and what it says of the data after it. */
export interface ArchiveLayout {
  /** The largest data offset recorded, -1 when none is (see EntrySink). */
  lastDataOffset: number;
  /** An entry has data at an offset the TOC does not record. */
  unplacedData: boolean;
  intSize: number;
  /** Where the table of contents ends in the file, so where data would start. */
  tocEnd: number;
}

export interface Toc {
  path: string;
  format: DumpFormat;
  gzip: boolean;
  header: TocHeader;
  entries: TocEntry[];
  /** Where the entries came from. */
  source: 'archive' | 'pg_restore --list' | 'plain scan';
  /** Set when the archive itself shows it is incomplete (data offsets past its end). */
  damage?: string;
  /** Read from the archive itself (custom, directory, tar): where its TOC ends and where data is. */
  layout?: ArchiveLayout;
  /** Set when the file is encrypted: its TOC was read by decrypting only the file's head. */
  encryption?: 'age' | 'gpg';
}

/** Descriptions pg_dump uses, longest first so `TABLE DATA` wins over `TABLE` when a list line is split. */
const KNOWN_DESCS = [
  'PUBLICATION TABLES IN SCHEMA',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'MATERIALIZED VIEW DATA',
  'FOREIGN DATA WRAPPER',
  'TEXT SEARCH TEMPLATE',
  'PROCEDURAL LANGUAGE',
  'DATABASE PROPERTIES',
  'TEXT SEARCH PARSER',
  'SUBSCRIPTION TABLE',
  'MATERIALIZED VIEW',
  'PUBLICATION TABLE',
  'SEQUENCE OWNED BY',
  'CHECK CONSTRAINT',
  'OPERATOR FAMILY',
  'OPERATOR CLASS',
  'SECURITY LABEL',
  'BLOB METADATA',
  'EVENT TRIGGER',
  'ACCESS METHOD',
  'FK CONSTRAINT',
  'FOREIGN TABLE',
  'INDEX ATTACH',
  'LARGE OBJECT',
  'ROW SECURITY',
  'SEQUENCE SET',
  'SUBSCRIPTION',
  'TABLE ATTACH',
  'ACL LANGUAGE',
  'BLOB COMMENTS',
  'USER MAPPING',
  'DEFAULT ACL',
  'PUBLICATION',
  'SHELL TYPE',
  'TABLE DATA',
  'CONSTRAINT',
  'CONVERSION',
  'EXTENSION',
  'COLLATION',
  'AGGREGATE',
  'PROCEDURE',
  'STATISTICS',
  'TRANSFORM',
  'STDSTRINGS',
  'SEARCHPATH',
  'SEQUENCE',
  'FUNCTION',
  'OPERATOR',
  'DATABASE',
  'ENCODING',
  'TRIGGER',
  'COMMENT',
  'DEFAULT',
  'SERVER',
  'SCHEMA',
  'POLICY',
  'DOMAIN',
  'INDEX',
  'TABLE',
  'BLOBS',
  'BLOB',
  'RULE',
  'TYPE',
  'VIEW',
  'CAST',
  'ACL',
];
export const KNOWN_DESC_SET = new Set(KNOWN_DESCS);

/** Kinds whose tag is `<table> <name>`: the name is the tag with the table and a space taken off. */
export const TABLE_PREFIXED = new Set(['CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'TRIGGER', 'RULE', 'POLICY', 'DEFAULT']);
/** Kinds that belong to one table, found through their dependencies. */
export const TABLE_ATTACHED = new Set([...TABLE_PREFIXED, 'INDEX', 'STATISTICS', 'ROW SECURITY', 'TABLE DATA', 'TABLE ATTACH']);
/** Relations a user can pick to restore. */
export const RELATION_DESCS = new Set(['TABLE', 'FOREIGN TABLE', 'MATERIALIZED VIEW', 'VIEW']);
export const SECTION_NAMES: Record<number, TocSection> = { 1: 'none', 2: 'pre-data', 3: 'data', 4: 'post-data' };
