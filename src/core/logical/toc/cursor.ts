// The archive's own TOC byte by byte: its header and entries in the layout of pg_backup_archiver.c.
import type { DumpFormat } from '../manifest';
import { ArchiveEntry, SINGLE_BYTE_ENCODING, isListed } from './entry';
import { referencedTable, tableInDropStatement } from './relations';
import { SECTION_NAMES, TABLE_PREFIXED, type TocEntry, type TocHeader } from './types';

/** The archive ended inside its table of contents: more bytes are needed, or the file is cut short. */
export class NeedMore extends Error {}

export class UnsupportedArchive extends Error {}

/** Where entries go as they are read: all of them (dependencies may point at unlisted ones), the listed ones, and drop statements. */
export interface EntrySink {
  all: TocEntry[];
  listed: TocEntry[];
  /** The table named by the drop statement of a constraint, trigger, rule, policy or default, by dump id. */
  dropTables: Map<number, string>;
  /** Custom format: the largest data offset the TOC records (-1 when none is set, e.g. a dump written to a pipe). */
  lastDataOffset: number;
  /** Custom format: an entry has data whose offset the TOC does not record (a dump written to a pipe). */
  unplacedData: boolean;
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
export const FORMAT_LABELS: Record<DumpFormat, string> = { custom: 'CUSTOM', tar: 'TAR', directory: 'DIRECTORY', plain: 'PLAIN' };
const PARTITION_ROOT_NOTE = Buffer.from('-- load via partition root ', 'latin1');

const NO_DEPENDENCIES: number[] = [];
const STR_ABSENT = 0;
const STR_PRESENT = 1;
const STR_PREFIXED = 2;

/**
 * A cursor over a growing buffer: every read checks the bytes are there and throws `NeedMore` when
 * they are not, so a caller can load more and retry from the last whole entry.
 */
export class TocCursor {
  pos = 0;
  /** Bytes of the source dropped from the front of `buf` so far: `consumed + pos` is the position in the file. */
  consumed = 0;
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
    const prefixed = prefix !== undefined && len >= prefix.length && this.startsWith(prefix);
    this.pos += len;
    return prefixed ? STR_PREFIXED : STR_PRESENT;
  }

  /** Whether the bytes at the cursor start with `prefix`: a byte loop, as Buffer.compare's checks cost more than the compare for a few bytes. */
  private startsWith(prefix: Buffer): boolean {
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
    return true;
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

/** pg_backup_custom.c: an entry has data but its offset is not recorded (K_OFFSET_POS_NOT_SET), or is (K_OFFSET_POS_SET). */
const K_OFFSET_POS_NOT_SET = 1;
const K_OFFSET_POS_SET = 2;

interface ArchiveHeader {
  header: TocHeader;
  version: number;
  formatCode: number;
}

export function readArchiveHeaderFrom(c: TocCursor): ArchiveHeader {
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
export function readEntry(c: TocCursor, formatCode: number, sink: EntrySink): void {
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
      if (flag === K_OFFSET_POS_NOT_SET) sink.unplacedData = true;
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
