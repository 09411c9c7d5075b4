// A dump's table of contents (from the archive itself, `pg_restore --list` text or plain SQL) and the tree views show.
//
// Why the archive is read directly: `pg_restore --list` prints `schema tag owner` unquoted and separated
// by single spaces (pg_backup_archiver.c says the name fields "aren't automatically parseable"), so
// `TABLE My Schema with space postgres` has several readings. The archive's own TOC (custom file, the
// `toc.dat` of a directory dump, the first member of a tar dump) stores each field as a length-prefixed
// string, so reading it gives every name exactly, plus the dependency ids that tie an index, a default
// or an owned sequence to its table. The lines are rebuilt byte for byte as pg_restore prints them (a
// `-L` list only needs the id before the `;`). Archive versions this reader does not know, and tables of
// contents compressed with lz4 or zstd, fall back to `pg_restore --list --verbose`, whose names are split
// with the heuristics in `parseTocList` and flagged `ambiguous` where a space made a guess necessary.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { PgbrError } from '../../errors';
import type { Logger } from '../../log';
import type { DumpFormat } from '../../dump/manifest';
import { runTool } from '../../runner';

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
const KNOWN_DESC_SET = new Set(KNOWN_DESCS);

/** Kinds whose tag is `<table> <name>`: the name is the tag with the table and a space taken off. */
const TABLE_PREFIXED = new Set(['CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'TRIGGER', 'RULE', 'POLICY', 'DEFAULT']);
/** Kinds that belong to one table, found through their dependencies. */
const TABLE_ATTACHED = new Set([...TABLE_PREFIXED, 'INDEX', 'STATISTICS', 'ROW SECURITY', 'TABLE DATA', 'TABLE ATTACH']);
/** Relations a user can pick to restore. */
export const RELATION_DESCS = new Set(['TABLE', 'FOREIGN TABLE', 'MATERIALIZED VIEW', 'VIEW']);
const SECTION_NAMES: Record<number, TocSection> = { 1: 'none', 2: 'pre-data', 3: 'data', 4: 'post-data' };

// ---------------------------------------------------------------------------------------------
// Format detection

const TAR_BLOCK = 512;

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

async function isFile(file: string): Promise<boolean> {
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

// ---------------------------------------------------------------------------------------------
// Reading the archive's own TOC

/** The archive ended inside its table of contents: more bytes are needed, or the file is cut short. */
class NeedMore extends Error {}

class UnsupportedArchive extends Error {}

/** Where entries go as they are read: all of them (dependencies may point at unlisted ones), the listed ones, and drop statements. */
interface EntrySink {
  all: TocEntry[];
  listed: TocEntry[];
  /** The table named by the drop statement of a constraint, trigger, rule, policy or default, by dump id. */
  dropTables: Map<number, string>;
  /** Custom format: the largest data offset the TOC records (-1 when none is set, e.g. a dump written to a pipe). */
  lastDataOffset: number;
}

const K_VERS = (major: number, minor: number, rev = 0) => (major * 256 + minor) * 256 + rev;
const V1_0 = K_VERS(1, 0);
const V1_3 = K_VERS(1, 3);
const V1_4 = K_VERS(1, 4);
const V1_5 = K_VERS(1, 5);
const V1_6 = K_VERS(1, 6);
const V1_7 = K_VERS(1, 7);
const V1_8 = K_VERS(1, 8);
const V1_9 = K_VERS(1, 9);
const V1_10 = K_VERS(1, 10);
const V1_11 = K_VERS(1, 11);
const V1_14 = K_VERS(1, 14);
const V1_15 = K_VERS(1, 15);
const V1_16 = K_VERS(1, 16);
/** The newest archive version this reader knows the layout of (PostgreSQL 17/18). */
const NEWEST_KNOWN = K_VERS(1, 16, 255);

const COMPRESSION_ALGORITHMS: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'lz4', 3: 'zstd' };
const FORMAT_NAMES: Record<number, string> = { 1: 'CUSTOM', 3: 'TAR', 5: 'DIRECTORY' };
/** What pg_restore calls each format; a directory dump's own header says TAR. */
const FORMAT_LABELS: Record<DumpFormat, string> = { custom: 'CUSTOM', tar: 'TAR', directory: 'DIRECTORY', plain: 'PLAIN' };
const PARTITION_ROOT_NOTE = Buffer.from('-- load via partition root ', 'latin1');

const NO_DEPENDENCIES: number[] = [];
const STR_ABSENT = 0;
const STR_PRESENT = 1;
const STR_PREFIXED = 2;

/**
 * A cursor over a growing buffer: every read checks the bytes are there and throws `NeedMore` when
 * they are not, so a caller can load more and retry from the last whole entry.
 */
class TocCursor {
  pos = 0;
  version = 0;
  intSize = 4;
  offSize = 8;
  latin1 = false;

  constructor(
    public buf: Buffer,
    public end: number,
  ) {}

  ensure(n: number): void {
    if (this.pos + n > this.end) throw new NeedMore();
  }

  byte(): number {
    this.ensure(1);
    return this.buf[this.pos++]!;
  }

  int(): number {
    // pg_dump writes a sign byte (from 1.1 on), then intSize bytes, least significant first.
    const sign = this.version > V1_0 ? this.byte() : 0;
    const value = this.unsigned(this.intSize);
    return sign ? -value : value;
  }

  /** Length-prefixed string; null for pg_dump's NULL (-1). */
  str(): string | null {
    const len = this.int();
    if (len < 0) return null;
    this.ensure(len);
    const start = this.pos;
    this.pos += len;
    return this.buf.toString(this.latin1 ? 'latin1' : 'utf8', start, this.pos);
  }

  /**
   * A string holding a decimal number (pg_dump stores OIDs and dependency ids so), parsed in place;
   * null for NULL.
   */
  num(): number | null {
    const len = this.int();
    if (len < 0) return null;
    this.ensure(len);
    let value = 0;
    for (let i = 0; i < len; i++) value = value * 10 + (this.buf[this.pos + i]! - 48);
    this.pos += len;
    return value;
  }

  /** Skips a string: STR_ABSENT for NULL or empty, STR_PREFIXED when it starts with `prefix`, else STR_PRESENT. */
  skipStr(prefix?: Buffer): number {
    const len = this.int();
    if (len <= 0) return STR_ABSENT;
    this.ensure(len);
    const prefixed = prefix !== undefined && len >= prefix.length && this.buf.compare(prefix, 0, prefix.length, this.pos, this.pos + prefix.length) === 0;
    this.pos += len;
    return prefixed ? STR_PREFIXED : STR_PRESENT;
  }

  private readonly seen = new Map<string, string>();

  /** Kinds, schemas and owners repeat across thousands of entries: keep one copy of each. */
  interned<T extends string | null>(s: T): T {
    if (s === null) return s;
    const known = this.seen.get(s);
    if (known !== undefined) return known as T;
    this.seen.set(s, s);
    return s;
  }

  skip(n: number): void {
    this.ensure(n);
    this.pos += n;
  }

  /** An offset: offSize bytes, least significant first (pg_backup_archiver.c ReadOffset). */
  offset(): number {
    return this.unsigned(this.offSize);
  }

  /** `size` bytes, least significant first. */
  private unsigned(size: number): number {
    this.ensure(size);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < size; i++) {
      value += this.buf[this.pos++]! * scale;
      scale *= 256;
    }
    return value;
  }
}

/** pg_backup_custom.c: the offset of an entry's data is known (K_OFFSET_POS_SET). */
const K_OFFSET_POS_SET = 2;

interface ArchiveHeader {
  header: TocHeader;
  version: number;
  formatCode: number;
}

function readArchiveHeaderFrom(c: TocCursor): ArchiveHeader {
  c.ensure(5);
  if (c.buf.subarray(c.pos, c.pos + 5).toString('latin1') !== 'PGDMP') throw new UnsupportedArchive('did not find the PGDMP magic string');
  c.pos += 5;
  const vmaj = c.byte();
  const vmin = c.byte();
  const vrev = vmaj > 1 || (vmaj === 1 && vmin > 0) ? c.byte() : 0;
  const version = K_VERS(vmaj, vmin, vrev);
  if (version < V1_0 || version > NEWEST_KNOWN) throw new UnsupportedArchive(`archive version ${vmaj}.${vmin}-${vrev} is newer than this reader knows`);
  c.version = version;
  c.intSize = c.byte();
  if (c.intSize < 1 || c.intSize > 8) throw new UnsupportedArchive(`integer size ${c.intSize} is not plausible`);
  c.offSize = version >= V1_7 ? c.byte() : c.intSize;
  const formatCode = c.byte();
  const header: TocHeader = {
    archiveVersion: `${vmaj}.${vmin}-${vrev}`,
    format: FORMAT_NAMES[formatCode] ?? 'UNKNOWN',
    intSize: c.intSize,
    offSize: c.offSize,
  };
  if (version >= V1_15) {
    header.compression = COMPRESSION_ALGORITHMS[c.byte()] ?? 'unknown';
  } else if (version >= K_VERS(1, 2)) {
    const level = version < V1_4 ? c.byte() : c.int();
    header.compressionLevel = level;
    header.compression = level === 0 ? 'none' : 'gzip';
  } else {
    header.compression = 'gzip';
  }
  if (version >= V1_4) {
    const [sec, min, hour, mday, mon, year] = [c.int(), c.int(), c.int(), c.int(), c.int(), c.int()];
    c.int(); // tm_isdst
    const two = (n: number) => String(n).padStart(2, '0');
    header.createdAt = `${year + 1900}-${two(mon + 1)}-${two(mday)} ${two(hour)}:${two(min)}:${two(sec)}`;
    header.dbname = c.str() ?? undefined;
  }
  if (version >= V1_10) {
    header.dumpedFrom = c.str() ?? undefined;
    header.dumpedBy = c.str() ?? undefined;
  }
  return { header, version, formatCode };
}

/** One TOC entry in the layout of `ReadToc` (pg_backup_archiver.c), plus the format's extra fields. */
function readEntry(c: TocCursor, formatCode: number, sink: EntrySink): void {
  const dumpId = c.int();
  if (dumpId <= 0) throw new UnsupportedArchive(`entry id ${dumpId} is out of range, so the table of contents is corrupt`);
  const hadDumper = c.int() !== 0;
  const catalogOid = c.version >= V1_8 ? (c.num() ?? 0) : 0;
  const objectOid = c.num() ?? 0;
  const tag = c.str();
  const desc = c.interned(c.str() ?? '');
  const section = c.version >= V1_11 ? c.int() : 0;
  let defn: number;
  let encoding: string | undefined;
  let references: { schema: string | null; name: string } | undefined;
  if (desc === 'ENCODING') {
    // `SET client_encoding = 'LATIN1';`: how every later name in the archive is encoded.
    const text = c.str();
    encoding = /'([^']*)'/.exec(text ?? '')?.[1];
    defn = text ? STR_PRESENT : STR_ABSENT;
  } else if (desc === 'FK CONSTRAINT') {
    // The definition names the referenced table, which a restore of chosen tables must know about.
    const text = c.str();
    references = text ? referencedTable(text) : undefined;
    defn = text ? STR_PRESENT : STR_ABSENT;
  } else {
    defn = c.skipStr(PARTITION_ROOT_NOTE);
  }
  // The drop statement names a constraint's or trigger's table exactly; others are skipped unread.
  const dropStmt = TABLE_PREFIXED.has(desc) ? c.str() : (c.skipStr(), null);
  if (c.version >= V1_3) c.skipStr(); // copyStmt
  const namespace = c.version >= V1_6 ? c.interned(c.str()) : null;
  if (c.version >= V1_10) c.skipStr(); // tablespace
  if (c.version >= V1_14) c.skipStr(); // table access method
  if (c.version >= V1_16) c.int(); // relkind
  const owner = c.interned(c.str());
  if (c.version >= V1_9) c.skipStr(); // "with oids", always false now
  let deps: number[] = NO_DEPENDENCIES;
  if (c.version >= V1_5) {
    for (;;) {
      const dep = c.num();
      if (dep === null) break;
      if (deps === NO_DEPENDENCIES) deps = [];
      deps.push(dep);
    }
  }
  // Each format stores where the entry's data is: an offset (custom) or a file name (directory, tar).
  if (formatCode === 1) {
    if (c.version < V1_7) c.int();
    else {
      const flag = c.byte();
      const offset = c.offset();
      if (flag === K_OFFSET_POS_SET && offset > sink.lastDataOffset) sink.lastDataOffset = offset;
    }
    if (c.version < V1_7) c.int();
  } else {
    c.skipStr();
  }
  const entry = new ArchiveEntry(dumpId, catalogOid, objectOid, desc, namespace, tag ?? '', owner, deps, SECTION_NAMES[section] ?? 'none');
  if (references) entry.references = { schema: references.schema ?? namespace ?? 'public', name: references.name };
  // Only a complete entry reaches the sink: a read that runs out of bytes is retried from its start.
  sink.all.push(entry);
  if (isListed(desc, tag ?? '', hadDumper, defn === STR_PRESENT)) {
    sink.listed.push(entry);
    const table = dropStmt ? tableInDropStatement(desc, dropStmt) : undefined;
    if (table !== undefined) sink.dropTables.set(dumpId, table);
  }
  // The ENCODING entry comes first; names after it are in that encoding. Single-byte encodings are
  // read as Latin-1, exact for LATIN1 and close for the others; anything else is read as UTF-8.
  if (encoding !== undefined) c.latin1 = SINGLE_BYTE_ENCODING.test(encoding);
}

/**
 * An entry read from an archive. Its list line is built on first use: most readers (the tree, a
 * restore of the whole dump) never need it, and building 70,000 of them was most of a large read.
 */
class ArchiveEntry implements TocEntry {
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
function isListed(desc: string, tag: string, hadDumper: boolean, hasDefinition: boolean): boolean {
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

const READ_CHUNK = 4 << 20;
/** No real table of contents comes near this; a length field that asks for more is corruption. */
const MAX_TOC_BYTES = 1 << 30;
const SINGLE_BYTE_ENCODING = /^(LATIN\d+|WIN\d+|ISO_8859_\d+|KOI8[RU]?|ISO-8859-\d+)$/i;

/**
 * Reads the header and table of contents of a custom, directory or tar archive. Throws
 * `UnsupportedArchive` for layouts it does not know (the caller falls back to pg_restore) and a
 * PgbrError when the archive ends inside its table of contents.
 */
async function readArchive(dumpPath: string, format: DumpFormat): Promise<{ header: TocHeader; entries: TocEntry[]; damage?: string }> {
  let source: ByteSource;
  if (format === 'directory') {
    const plain = path.join(dumpPath, 'toc.dat');
    if (await isFile(plain)) source = await wholeFile(plain);
    else if (await isFile(`${plain}.gz`)) source = wholeBuffer(await promisify(gunzip)(await fs.readFile(`${plain}.gz`)));
    else throw new UnsupportedArchive('the table of contents is compressed with lz4 or zstd');
  } else if (format === 'tar') {
    source = await tarMember(dumpPath, 'toc.dat');
  } else {
    source = await chunkedFile(dumpPath);
  }
  try {
    const c = new TocCursor(source.buf, source.end);
    const { header, formatCode } = await withMore(source, c, () => readArchiveHeaderFrom(c));
    // A directory dump's toc.dat says "tar" (pg_backup_directory.c: the layouts are compatible).
    const expected = format === 'custom' ? [1] : [3, 5];
    if (!expected.includes(formatCode)) throw new UnsupportedArchive(`format code ${formatCode} does not match a ${format} dump`);
    header.format = FORMAT_LABELS[format];
    const count = await withMore(source, c, () => c.int());
    header.tocEntries = count;
    const sink: EntrySink = { all: [], listed: [], dropTables: new Map(), lastDataOffset: -1 };
    // Entries are read synchronously from the buffer; only a read that runs off its end waits for more.
    while (sink.all.length < count) {
      const start = c.pos;
      try {
        readEntry(c, formatCode, sink);
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        await refill(source, c, start);
      }
    }
    const damage = format === 'custom' ? await dataPastEnd(dumpPath, sink.lastDataOffset, c.intSize) : undefined;
    return { header, entries: toEntries(sink), ...(damage ? { damage } : {}) };
  } finally {
    await source.close();
  }
}

/**
 * A custom dump cut short keeps its table of contents (it is at the start) but loses data. Written
 * to a file, the data blocks follow the TOC in order, so the block at the largest recorded offset is
 * the last thing in the file, and a block ends with a zero-length chunk (a zero sign byte and intSize
 * zero bytes; pg_backup_custom.c). So the offset and that block header must lie inside the file, and
 * the file must end with the end-of-block marker.
 */
async function dataPastEnd(dumpPath: string, lastDataOffset: number, intSize: number): Promise<string | undefined> {
  if (lastDataOffset < 0) return undefined;
  const size = (await fs.stat(dumpPath)).size;
  const marker = 1 + intSize;
  const blockHeader = 1 + marker;
  if (lastDataOffset + blockHeader > size) {
    return `the dump is truncated: its table of contents places data at byte ${lastDataOffset}, but the file ends at byte ${size}. Take the dump again or restore an older one.`;
  }
  const tail = Buffer.alloc(marker);
  const fh = await fs.open(dumpPath, 'r');
  try {
    await fh.read(tail, 0, marker, size - marker);
  } finally {
    await fh.close();
  }
  if (tail.every((b) => b === 0)) return undefined;
  return `the dump is truncated: its last data block (from byte ${lastDataOffset}) does not end where the file ends (byte ${size}). Take the dump again or restore an older one.`;
}

interface ByteSource {
  buf: Buffer;
  end: number;
  /** Loads more bytes, keeping those from `keepFrom` on; returns the shift applied to positions, or -1 at end of file. */
  more(keepFrom: number): Promise<number>;
  close(): Promise<void>;
}

function wholeBuffer(buf: Buffer): ByteSource {
  return { buf, end: buf.length, more: async () => -1, close: async () => {} };
}

async function wholeFile(file: string): Promise<ByteSource> {
  return wholeBuffer(await fs.readFile(file));
}

/** The custom format keeps its TOC at the front of a file that may be huge: read it a chunk at a time. */
async function chunkedFile(file: string): Promise<ByteSource> {
  const handle = await fs.open(file, 'r');
  let filePos = 0;
  const source: ByteSource = {
    buf: Buffer.alloc(0),
    end: 0,
    async more(keepFrom) {
      const kept = source.end - keepFrom;
      if (kept > MAX_TOC_BYTES) throw new TruncatedArchive();
      const size = Math.max(READ_CHUNK, kept * 2);
      const next = Buffer.allocUnsafe(size);
      source.buf.copy(next, 0, keepFrom, source.end);
      const { bytesRead } = await handle.read(next, kept, size - kept, filePos);
      filePos += bytesRead;
      source.buf = next;
      source.end = kept + bytesRead;
      return bytesRead === 0 ? -1 : keepFrom;
    },
    close: () => handle.close(),
  };
  await source.more(0);
  return source;
}

/** The first member of a pg_dump tar archive is `toc.dat`; read just it. */
async function tarMember(file: string, name: string): Promise<ByteSource> {
  const handle = await fs.open(file, 'r');
  try {
    const header = Buffer.alloc(TAR_BLOCK);
    const { bytesRead } = await handle.read(header, 0, TAR_BLOCK, 0);
    if (bytesRead < TAR_BLOCK) throw new NeedMore();
    const memberName = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    if (memberName !== name) throw new UnsupportedArchive(`the first member of the tar dump is ${memberName}, not ${name}`);
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const buf = Buffer.alloc(size);
    const read = await handle.read(buf, 0, size, TAR_BLOCK);
    return wholeBuffer(buf.subarray(0, read.bytesRead));
  } finally {
    await handle.close();
  }
}

/** Runs one read, loading more of the file and retrying from the same place while bytes are missing. */
async function withMore<T>(source: ByteSource, c: TocCursor, read: () => T): Promise<T> {
  for (;;) {
    const start = c.pos;
    try {
      return read();
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      await refill(source, c, start);
    }
  }
}

/** Loads more of the file, keeping the bytes from `start` on, and rewinds the cursor to `start`. */
async function refill(source: ByteSource, c: TocCursor, start: number): Promise<void> {
  const shift = await source.more(start);
  if (shift < 0) throw new TruncatedArchive();
  c.buf = source.buf;
  c.end = source.end;
  c.pos = start - shift;
}

class TruncatedArchive extends Error {}

/**
 * The table a foreign key's definition references: `ALTER TABLE ONLY public.orders ADD CONSTRAINT f
 * FOREIGN KEY (c) REFERENCES public."Cust""omers"(id);`. pg_dump writes the name schema-qualified.
 */
export function referencedTable(defn: string): { schema: string | null; name: string } | undefined {
  const at = /\bREFERENCES /.exec(defn);
  if (!at) return undefined;
  const chain = readIdentifierChain(defn, at.index + at[0].length);
  if (!chain || chain.parts.length === 0) return undefined;
  const parts = chain.parts;
  return parts.length >= 2 ? { schema: parts[parts.length - 2]!, name: parts[parts.length - 1]! } : { schema: null, name: parts[0]! };
}

function toEntries(sink: EntrySink): TocEntry[] {
  resolveTables(sink.listed, sink.all, sink.dropTables);
  return sink.listed;
}

/**
 * The table a constraint, trigger, rule, policy or default's drop statement names:
 * `ALTER TABLE ONLY public."a b" DROP CONSTRAINT x;`, `DROP TRIGGER t ON public.orders;`.
 */
function tableInDropStatement(desc: string, drop: string): string | undefined {
  const onMatch = desc === 'TRIGGER' || desc === 'RULE' || desc === 'POLICY';
  let i: number;
  if (onMatch) {
    // DROP TRIGGER <name> ON <table>: skip the object's (possibly quoted) name first.
    const m = /^DROP (?:TRIGGER|RULE|POLICY) /.exec(drop);
    if (!m) return undefined;
    const own = readIdentifierChain(drop, m[0].length);
    if (!own) return undefined;
    if (drop.slice(own.end, own.end + 4) !== ' ON ') return undefined;
    i = own.end + 4;
  } else {
    const m = /^ALTER (?:TABLE|FOREIGN TABLE) (?:ONLY )?(?:IF EXISTS )?/.exec(drop);
    if (!m) return undefined;
    i = m[0].length;
  }
  const chain = readIdentifierChain(drop, i);
  return chain?.parts.at(-1);
}

/** Fills `table` and `name` for entries that belong to a table, from drop statements and dependencies where known. */
function resolveTables(entries: TocEntry[], all: TocEntry[], dropTables: Map<number, string> = new Map()): void {
  // Dump ids are small dense integers: an array beats a map here.
  const byId: (TocEntry | undefined)[] = [];
  for (const e of all) if (e.dumpId !== null) byId[e.dumpId] = e;
  // Only needed when neither a drop statement nor dependencies say it: built on first use.
  let relationsBySchema: Map<string, string[]> | undefined;
  const relationsOf = (schema: string | null): string[] => {
    if (!relationsBySchema) {
      relationsBySchema = new Map();
      for (const e of entries) {
        if (!RELATION_DESCS.has(e.desc)) continue;
        const list = relationsBySchema.get(e.schema ?? '') ?? [];
        list.push(e.tag);
        relationsBySchema.set(e.schema ?? '', list);
      }
      for (const list of relationsBySchema.values()) list.sort((a, b) => b.length - a.length);
    }
    return relationsBySchema.get(schema ?? '') ?? [];
  };

  const ownerTable = (e: TocEntry): string | undefined => {
    const fromDrop = e.dumpId !== null ? dropTables.get(e.dumpId) : undefined;
    if (fromDrop !== undefined) return fromDrop;
    if (e.desc === 'TABLE DATA' || e.desc === 'ROW SECURITY' || e.desc === 'TABLE ATTACH') return e.tag;
    const prefixed = TABLE_PREFIXED.has(e.desc);
    let best: string | undefined;
    let candidates = 0;
    for (const id of e.dependencies ?? []) {
      const d = byId[id];
      if (!d || !RELATION_DESCS.has(d.desc) || d.schema !== e.schema) continue;
      if (!prefixed) return d.tag;
      if (!startsWithWord(e.tag, d.tag)) continue;
      candidates++;
      if (best === undefined || d.tag.length > best.length) best = d.tag;
    }
    // `a b c` on tables `a` and `a b`: both readings fit, the longer table is a guess.
    if (candidates > 1) e.ambiguous = true;
    if (best !== undefined || !prefixed) return best;
    if (e.dependencies !== undefined) return undefined;
    // No dependencies to go by (a list read without --verbose): the longest table of the schema the tag starts with.
    const tag = e.tag;
    const known = relationsOf(e.schema);
    for (let cut = tag.lastIndexOf(' '); cut > 0; cut = tag.lastIndexOf(' ', cut - 1)) {
      const candidate = tag.slice(0, cut);
      if (knownSet(known).has(candidate)) return candidate;
    }
    return undefined;
  };

  for (const e of entries) {
    if (!TABLE_ATTACHED.has(e.desc) && e.desc !== 'SEQUENCE') continue;
    const table = ownerTable(e);
    if (table === undefined) continue;
    e.table = table;
    if (TABLE_PREFIXED.has(e.desc) && startsWithWord(e.tag, table)) e.name = e.tag.slice(table.length + 1);
  }
  // A sequence's SET and OWNED BY entries belong to the sequence's table.
  const sequenceTable = new Map<string | null, Map<string, string>>();
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE' || e.table === undefined) continue;
    let inSchema = sequenceTable.get(e.schema);
    if (!inSchema) sequenceTable.set(e.schema, (inSchema = new Map<string, string>()));
    inSchema.set(e.tag, e.table);
  }
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE SET' && e.desc !== 'SEQUENCE OWNED BY') continue;
    const table = sequenceTable.get(e.schema)?.get(e.tag);
    if (table !== undefined) e.table = table;
  }
}

/** `tag` is `word` followed by a space and more: `orders orders_pkey` starts with the word `orders`. */
function startsWithWord(tag: string, word: string): boolean {
  return tag.length > word.length + 1 && tag.charCodeAt(word.length) === 32 && tag.startsWith(word);
}

const knownSets = new WeakMap<string[], Set<string>>();
function knownSet(list: string[]): Set<string> {
  let set = knownSets.get(list);
  if (!set) {
    set = new Set(list);
    knownSets.set(list, set);
  }
  return set;
}

// ---------------------------------------------------------------------------------------------
// Identifiers in SQL text

/**
 * Reads `a`, `"A b"."c""d"` or `public.orders` starting at `i`: unquoted parts fold to lower case as
 * the server folds them. Returns undefined when no identifier starts there.
 */
export function readIdentifierChain(s: string, i: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  for (;;) {
    if (s[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0) return undefined;
        part += s.slice(i, q);
        if (s[q + 1] === '"') {
          part += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      parts.push(part);
    } else {
      const start = i;
      while (i < s.length && isIdentChar(s.charCodeAt(i), i === start)) i++;
      if (i === start) return undefined;
      parts.push(s.slice(start, i).toLowerCase());
    }
    if (s[i] !== '.') return { parts, end: i };
    i++;
  }
}

function isIdentChar(code: number, first: boolean): boolean {
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 128) return true;
  return !first && ((code >= 48 && code <= 57) || code === 36);
}

// ---------------------------------------------------------------------------------------------
// `pg_restore --list` text

/**
 * Parses `pg_restore --list` output (with or without `--verbose`): the header comments and one entry
 * per line. Names with spaces are split with what the list itself says about schemas (the SCHEMA
 * entries) and owners (the last word); entries where that was a guess are marked `ambiguous`.
 */
export function parseTocList(text: string): { header: TocHeader; entries: TocEntry[] } {
  const header: TocHeader = {};
  const lines: { id: number; catalogOid: number; objectOid: number; desc: string; rest: string; raw: string; deps?: number[] }[] = [];
  let pos = 0;
  const length = text.length;
  while (pos < length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith(';')) {
      const last = lines.at(-1);
      if (line.startsWith(';\tdepends on:') && last) {
        last.deps = line.slice(';\tdepends on:'.length).trim().split(/\s+/).filter(Boolean).map(Number);
      } else {
        readHeaderComment(line, header);
      }
      continue;
    }
    const parsed = splitListLine(line);
    if (parsed) lines.push(parsed);
  }

  // Schemas the list creates, read as "tag owner" with a one-word owner; public and pg_catalog always exist.
  const schemas = new Set(['public', 'pg_catalog']);
  for (const l of lines) {
    if (l.desc === 'SCHEMA' && l.rest.startsWith('- ')) {
      const tagOwner = l.rest.slice(2);
      const cut = tagOwner.lastIndexOf(' ');
      schemas.add(cut < 0 ? tagOwner : tagOwner.slice(0, cut));
    }
  }
  const knownSchemas = [...schemas].sort((a, b) => b.length - a.length);

  const entries = lines.map<TocEntry>((l) => {
    let schema: string | null;
    let tagOwner: string;
    let ambiguous = false;
    if (l.rest.startsWith('- ')) {
      schema = null;
      tagOwner = l.rest.slice(2);
    } else {
      const found = knownSchemas.find((s) => l.rest.startsWith(`${s} `));
      if (found !== undefined) schema = found;
      else {
        const cut = l.rest.indexOf(' ');
        schema = cut < 0 ? l.rest : l.rest.slice(0, cut);
        ambiguous = schema.length < l.rest.length && l.rest.slice(schema.length + 1).includes(' ');
      }
      tagOwner = l.rest.slice((schema ?? '').length + 1);
    }
    const cut = tagOwner.lastIndexOf(' ');
    const tag = cut < 0 ? tagOwner : tagOwner.slice(0, cut);
    const owner = cut < 0 ? '' : tagOwner.slice(cut + 1);
    if (tag.includes(' ') && !TABLE_PREFIXED.has(l.desc) && l.desc !== 'COMMENT' && l.desc !== 'ACL' && l.desc !== 'SECURITY LABEL') ambiguous = true;
    if (schema !== null && schema.includes(' ')) ambiguous = true;
    const entry: TocEntry = {
      dumpId: l.id,
      catalogOid: l.catalogOid,
      objectOid: l.objectOid,
      desc: l.desc,
      schema,
      name: tag,
      tag,
      owner: owner === '' ? null : owner,
      rawLine: l.raw,
    };
    if (l.deps) entry.dependencies = l.deps;
    if (ambiguous) entry.ambiguous = true;
    return entry;
  });
  resolveTables(entries, entries);
  return { header, entries };
}

/** `3245; 1259 16390 TABLE public orders app` → id, oids, desc and the rest; undefined for other lines. */
function splitListLine(line: string): { id: number; catalogOid: number; objectOid: number; desc: string; rest: string; raw: string } | undefined {
  const semi = line.indexOf('; ');
  if (semi <= 0) return undefined;
  const id = Number(line.slice(0, semi));
  if (!Number.isInteger(id) || id <= 0) return undefined;
  const sp1 = line.indexOf(' ', semi + 2);
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) return undefined;
  const catalogOid = Number(line.slice(semi + 2, sp1));
  const objectOid = Number(line.slice(sp1 + 1, sp2));
  const afterOids = line.slice(sp2 + 1);
  // The longest run of up to four leading words that is a known kind.
  let desc: string | undefined;
  for (let cut = afterOids.indexOf(' '), words = 1; cut > 0 && words <= 4; cut = afterOids.indexOf(' ', cut + 1), words++) {
    const candidate = afterOids.slice(0, cut);
    if (KNOWN_DESC_SET.has(candidate)) desc = candidate;
  }
  if (desc === undefined) {
    // A kind this code does not know: pg_dump's kinds are upper-case words.
    const m = /^[A-Z][A-Z ]*?(?= (?:- |[^A-Z ]))/.exec(afterOids);
    desc = m ? m[0] : (afterOids.split(' ')[0] ?? '');
  }
  return { id, catalogOid, objectOid, desc, rest: afterOids.slice(desc.length + 1), raw: line };
}

function readHeaderComment(line: string, header: TocHeader): void {
  const body = line.replace(/^;\s*/, '');
  const created = /^Archive created at (.*)$/.exec(body);
  if (created) {
    header.createdAt = created[1]!.trim();
    return;
  }
  const colon = body.indexOf(': ');
  if (colon < 0) return;
  const key = body.slice(0, colon).trim();
  const value = body.slice(colon + 2).trim();
  switch (key) {
    case 'dbname':
      header.dbname = value;
      break;
    case 'TOC Entries':
      header.tocEntries = Number(value);
      break;
    case 'Compression': {
      const level = Number(value);
      if (Number.isInteger(level)) {
        header.compressionLevel = level;
        header.compression = level === 0 ? 'none' : 'gzip';
      } else header.compression = value;
      break;
    }
    case 'Dump Version':
      header.archiveVersion = value;
      break;
    case 'Format':
      header.format = value;
      break;
    case 'Integer':
      header.intSize = parseInt(value, 10);
      break;
    case 'Offset':
      header.offSize = parseInt(value, 10);
      break;
    case 'Dumped from database version':
      header.dumpedFrom = value;
      break;
    case 'Dumped by pg_dump version':
      header.dumpedBy = value;
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Plain SQL dumps

const PLAIN_STATEMENTS: { re: RegExp; desc: string }[] = [
  { re: /^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMPORARY |TEMP )|UNLOGGED )?TABLE (?:IF NOT EXISTS )?/i, desc: 'TABLE' },
  { re: /^CREATE FOREIGN TABLE (?:IF NOT EXISTS )?/i, desc: 'FOREIGN TABLE' },
  { re: /^CREATE MATERIALIZED VIEW (?:IF NOT EXISTS )?/i, desc: 'MATERIALIZED VIEW' },
  { re: /^CREATE (?:OR REPLACE )?(?:(?:TEMP|TEMPORARY|RECURSIVE) )?VIEW /i, desc: 'VIEW' },
  { re: /^CREATE (?:(?:TEMP|TEMPORARY|UNLOGGED) )?SEQUENCE (?:IF NOT EXISTS )?/i, desc: 'SEQUENCE' },
  { re: /^CREATE (?:OR REPLACE )?FUNCTION /i, desc: 'FUNCTION' },
  { re: /^CREATE (?:OR REPLACE )?PROCEDURE /i, desc: 'PROCEDURE' },
  { re: /^CREATE (?:OR REPLACE )?AGGREGATE /i, desc: 'AGGREGATE' },
  { re: /^CREATE SCHEMA (?:IF NOT EXISTS )?/i, desc: 'SCHEMA' },
  { re: /^CREATE EXTENSION (?:IF NOT EXISTS )?/i, desc: 'EXTENSION' },
  { re: /^CREATE TYPE /i, desc: 'TYPE' },
  { re: /^CREATE DOMAIN /i, desc: 'DOMAIN' },
  { re: /^COPY /i, desc: 'TABLE DATA' },
];
const CREATE_INDEX = /^CREATE (UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?/i;
const CREATE_TRIGGER = /^CREATE (?:OR REPLACE )?(?:CONSTRAINT )?TRIGGER /i;
const ALTER_TABLE = /^ALTER (?:TABLE|FOREIGN TABLE) (?:IF EXISTS )?(?:ONLY )?/i;
const ADD_CONSTRAINT = /^\s+ADD CONSTRAINT /i;
const SETVAL = /^SELECT pg_catalog\.setval\('((?:[^']|'')*)'/i;
const OWNED_BY = /^ALTER SEQUENCE /i;
const INSERT_INTO = /^INSERT INTO /i;
const HEADER_COMMENT = /^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*?)(?:; Tablespace: .*)?$/;

/**
 * Scans a plain SQL dump (gzip-compressed or not) for the objects it creates: tables and their COPY
 * data, sequences, functions, indexes, constraints and more. Streams the file, skipping COPY data
 * and dollar-quoted bodies, so a multi-gigabyte dump is read once without being held in memory.
 */
export async function scanPlainSql(file: string, gzip: boolean, signal?: AbortSignal): Promise<{ header: TocHeader; entries: TocEntry[] }> {
  const header: TocHeader = {};
  const entries: TocEntry[] = [];
  const input = createReadStream(file);
  const stream = gzip ? input.pipe(createGunzip()) : input;
  const failure = new Promise<never>((_, reject) => {
    const fail = (e: Error) => reject(new PgbrError('io', `${file} could not be read: ${e.message}. The dump is truncated or corrupt.`, { cause: e }));
    input.once('error', fail);
    stream.once('error', fail);
  });
  failure.catch(() => {});
  const lines = createInterface({ input: stream, crlfDelay: Infinity });

  let inCopy = false;
  let dollarTag: string | undefined;
  let pendingOwner: string | null | undefined;
  let pendingAlter: { schema: string | null; table: string; line: string } | undefined;
  const insertTables = new Set<string>();
  const add = (desc: string, schema: string | null, name: string, line: string, table?: string) => {
    // Tags as pg_dump writes them: `<table> <name>` for the kinds that carry their table in the tag.
    const tag = table !== undefined && TABLE_PREFIXED.has(desc) ? `${table} ${name}` : name;
    const entry: TocEntry = { dumpId: null, catalogOid: 0, objectOid: 0, desc, schema, name, tag, owner: pendingOwner ?? null, rawLine: line };
    if (table !== undefined) entry.table = table;
    entries.push(entry);
  };
  const split = (parts: string[]): [string | null, string] => (parts.length >= 2 ? [parts.at(-2)!, parts.at(-1)!] : [null, parts[0] ?? '']);

  const reading = (async (): Promise<void> => {
    for await (const line of lines) {
      if (signal?.aborted) throw new PgbrError('cancelled', 'reading the dump was cancelled');
      if (inCopy) {
        if (line === '\\.') inCopy = false;
        continue;
      }
      if (dollarTag !== undefined) {
        if (line.includes(dollarTag)) dollarTag = undefined;
        continue;
      }
      if (line.startsWith('--')) {
        const h = HEADER_COMMENT.exec(line);
        if (h) pendingOwner = h[4] === '-' || h[4] === '' ? null : h[4]!;
        else readPlainHeader(line, header);
        continue;
      }
      if (pendingAlter) {
        const add_ = ADD_CONSTRAINT.exec(line);
        if (add_) {
          const name = readIdentifierChain(line, add_[0].length);
          if (name) add(/\bFOREIGN KEY\b/i.test(line) ? 'FK CONSTRAINT' : 'CONSTRAINT', pendingAlter.schema, name.parts[0]!, pendingAlter.line, pendingAlter.table);
        }
        pendingAlter = undefined;
      }
      const first = line.charCodeAt(0);
      // Statements pg_dump writes start at the beginning of a line with an upper-case keyword.
      if (!(first >= 65 && first <= 90) && !(first >= 97 && first <= 122)) continue;

      const opened = openDollarQuote(line);
      let handled = false;
      for (const s of PLAIN_STATEMENTS) {
        const m = s.re.exec(line);
        if (!m) continue;
        const chain = readIdentifierChain(line, m[0].length);
        if (!chain) break;
        const [schema, name] = split(chain.parts);
        const desc = s.desc;
        if (desc === 'TABLE DATA') {
          if (/\bFROM stdin;\s*$/i.test(line)) inCopy = true;
          add(desc, schema, name, line, name);
        } else if (desc === 'SCHEMA' || desc === 'EXTENSION') {
          add(desc, null, chain.parts.at(-1)!, line);
        } else {
          add(desc, schema, name, line);
        }
        handled = true;
        break;
      }
      if (!handled) {
        let m: RegExpExecArray | null;
        if ((m = CREATE_INDEX.exec(line))) {
          const idx = readIdentifierChain(line, m[0].length);
          const on = idx ? /^ ON (?:ONLY )?/i.exec(line.slice(idx.end)) : null;
          const table = idx && on ? readIdentifierChain(line, idx.end + on[0].length) : undefined;
          if (idx && table) {
            const [schema, tableName] = split(table.parts);
            add('INDEX', schema, idx.parts.at(-1)!, line, tableName);
          }
        } else if ((m = CREATE_TRIGGER.exec(line))) {
          const trg = readIdentifierChain(line, m[0].length);
          const on = / ON (?:ONLY )?(?=["A-Za-z_])/i.exec(line);
          const table = on ? readIdentifierChain(line, on.index + on[0].length) : undefined;
          if (trg && table) {
            const [schema, tableName] = split(table.parts);
            add('TRIGGER', schema, trg.parts[0]!, line, tableName);
          }
        } else if ((m = ALTER_TABLE.exec(line))) {
          const table = readIdentifierChain(line, m[0].length);
          if (table) {
            const [schema, tableName] = split(table.parts);
            const rest = line.slice(table.end);
            const inline = /^ ADD CONSTRAINT /i.exec(rest);
            if (inline) {
              const name = readIdentifierChain(rest, inline[0].length);
              if (name) add(/\bFOREIGN KEY\b/i.test(rest) ? 'FK CONSTRAINT' : 'CONSTRAINT', schema, name.parts[0]!, line, tableName);
            } else if (rest.trim() === '') {
              pendingAlter = { schema, table: tableName, line };
            } else if (/^ ALTER COLUMN .* SET DEFAULT /i.test(rest)) {
              const col = readIdentifierChain(rest, ' ALTER COLUMN '.length);
              if (col) add('DEFAULT', schema, col.parts[0]!, line, tableName);
            }
          }
        } else if ((m = INSERT_INTO.exec(line))) {
          // Dumps made with --inserts carry rows as INSERTs: one data entry per table, as COPY gives.
          const table = readIdentifierChain(line, m[0].length);
          if (table) {
            const [schema, name] = split(table.parts);
            const key = `${schema ?? ''}\0${name}`;
            if (!insertTables.has(key)) {
              insertTables.add(key);
              add('TABLE DATA', schema, name, line, name);
            }
          }
        } else if ((m = SETVAL.exec(line))) {
          const seq = readIdentifierChain(m[1]!.replace(/''/g, "'"), 0);
          if (seq) {
            const [schema, name] = split(seq.parts);
            add('SEQUENCE SET', schema, name, line);
          }
        } else if ((m = OWNED_BY.exec(line)) && / OWNED BY /i.test(line)) {
          const seq = readIdentifierChain(line, m[0].length);
          if (seq) {
            const [schema, name] = split(seq.parts);
            add('SEQUENCE OWNED BY', schema, name, line);
          }
        }
      }
      if (opened !== undefined) dollarTag = opened;
    }
  })();
  reading.catch(() => {});
  try {
    await Promise.race([reading, failure]);
  } finally {
    lines.close();
    input.destroy();
  }
  linkPlainSequences(entries);
  return { header, entries };
}

/** A `$tag$` opened on this line and not closed on it: the rest until its close is a body, not statements. */
function openDollarQuote(line: string): string | undefined {
  const re = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/g;
  let open: string | undefined;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    if (open === undefined) open = m[0];
    else if (m[0] === open) open = undefined;
  }
  return open;
}

function readPlainHeader(line: string, header: TocHeader): void {
  const from = /^-- Dumped from database version (.*)$/.exec(line);
  if (from) header.dumpedFrom = from[1]!.trim();
  const by = /^-- Dumped by pg_dump version (.*)$/.exec(line);
  if (by) header.dumpedBy = by[1]!.trim();
  const started = /^-- Started on (.*)$/.exec(line);
  if (started) header.createdAt = started[1]!.trim();
}

/** In a plain dump, a sequence belongs to the table its `ALTER SEQUENCE ... OWNED BY` names. */
function linkPlainSequences(entries: TocEntry[]): void {
  const owners = new Map<string, string>();
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE OWNED BY') continue;
    const by = / OWNED BY (.*);\s*$/i.exec(e.rawLine);
    const chain = by ? readIdentifierChain(by[1]!, 0) : undefined;
    if (chain && chain.parts.length >= 2) {
      const table = chain.parts.at(-2)!;
      owners.set(`${e.schema}\0${e.name}`, table);
    }
  }
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE' && e.desc !== 'SEQUENCE SET' && e.desc !== 'SEQUENCE OWNED BY') continue;
    const table = owners.get(`${e.schema}\0${e.name}`);
    if (table !== undefined) e.table = table;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading any dump

export interface ReadTocOptions {
  /** pg_restore to fall back on for archives the built-in reader does not know. */
  pgRestore?: string;
  /** Use `pg_restore --list --verbose` even when the archive could be read directly (tests, comparisons). */
  preferPgRestore?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
}

/** The table of contents of any dump: custom, directory or tar archives, or plain SQL (gzip or not). */
export async function readToc(dumpPath: string, opts: ReadTocOptions = {}): Promise<Toc> {
  const detected = await detectDumpFormat(dumpPath);
  if (detected.format === 'plain') {
    const { header, entries } = await scanPlainSql(dumpPath, detected.gzip, opts.signal);
    return { path: dumpPath, ...detected, header, entries, source: 'plain scan' };
  }
  if (!opts.preferPgRestore) {
    try {
      const { header, entries, damage } = await readArchive(dumpPath, detected.format);
      return { path: dumpPath, ...detected, header, entries, source: 'archive', ...(damage ? { damage } : {}) };
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
  if (detected.format === 'plain') return undefined;
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

// ---------------------------------------------------------------------------------------------
// The tree the Dumps view shows

export type RelationKind = 'table' | 'foreign table' | 'materialized view' | 'view';

export interface TocTable {
  schema: string;
  name: string;
  kind: RelationKind;
  entry: TocEntry;
  /** The dump holds rows for it (a TABLE DATA or MATERIALIZED VIEW DATA entry). */
  hasData: boolean;
  dataEntry?: TocEntry;
}

export interface TocSchema {
  name: string;
  /** The SCHEMA entry, when the dump creates the schema (it does not for `public`). */
  entry?: TocEntry;
  tables: TocTable[];
  functions: TocEntry[];
  sequences: TocEntry[];
  indexes: TocEntry[];
  constraints: TocEntry[];
  others: TocEntry[];
}

export interface TocTree {
  schemas: TocSchema[];
  /** Entries outside any schema: extensions, languages, event triggers, ... */
  global: TocEntry[];
}

const RELATION_KIND: Record<string, RelationKind> = {
  TABLE: 'table',
  'FOREIGN TABLE': 'foreign table',
  'MATERIALIZED VIEW': 'materialized view',
  VIEW: 'view',
};
const FUNCTION_DESCS = new Set(['FUNCTION', 'PROCEDURE', 'AGGREGATE']);
const CONSTRAINT_DESCS = new Set(['CONSTRAINT', 'FK CONSTRAINT', 'CHECK CONSTRAINT']);
/** Entries folded into their parent node rather than shown on their own. */
const FOLDED = new Set(['TABLE DATA', 'MATERIALIZED VIEW DATA', 'SEQUENCE SET', 'SEQUENCE OWNED BY']);

/** Groups entries into schemas → tables (with `hasData`) and per-schema functions, sequences, indexes, constraints, others. */
export function groupToc(entries: readonly TocEntry[]): TocTree {
  const schemas = new Map<string, TocSchema>();
  const global: TocEntry[] = [];
  const schemaNode = (name: string): TocSchema => {
    let node = schemas.get(name);
    if (!node) {
      node = { name, tables: [], functions: [], sequences: [], indexes: [], constraints: [], others: [] };
      schemas.set(name, node);
    }
    return node;
  };
  const tables = new Map<string, Map<string, TocTable>>();
  for (const e of entries) {
    if (e.desc === 'SCHEMA' && e.schema === null) {
      schemaNode(e.name).entry = e;
      continue;
    }
    if (e.schema === null) {
      global.push(e);
      continue;
    }
    const node = schemaNode(e.schema);
    const kind = RELATION_KIND[e.desc];
    if (kind) {
      const t: TocTable = { schema: e.schema, name: e.tag, kind, entry: e, hasData: false };
      node.tables.push(t);
      let inSchema = tables.get(e.schema);
      if (!inSchema) tables.set(e.schema, (inSchema = new Map<string, TocTable>()));
      inSchema.set(e.tag, t);
    } else if (FUNCTION_DESCS.has(e.desc)) node.functions.push(e);
    else if (e.desc === 'SEQUENCE') node.sequences.push(e);
    else if (e.desc === 'INDEX') node.indexes.push(e);
    else if (CONSTRAINT_DESCS.has(e.desc)) node.constraints.push(e);
    else if (!FOLDED.has(e.desc)) node.others.push(e);
  }
  for (const e of entries) {
    if (e.desc !== 'TABLE DATA' && e.desc !== 'MATERIALIZED VIEW DATA') continue;
    const t = e.schema === null ? undefined : tables.get(e.schema)?.get(e.tag);
    if (t) {
      t.hasData = true;
      t.dataEntry = e;
    }
  }
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const sorted = [...schemas.values()].sort(byName);
  for (const s of sorted) {
    s.tables.sort(byName);
    for (const list of [s.functions, s.sequences, s.indexes, s.constraints]) list.sort(byName);
  }
  return { schemas: sorted, global };
}
