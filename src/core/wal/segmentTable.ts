// An archive's segment files as columns of numbers: a million segments cost about 30 MB, with no object or kept name per file.
import type { SegmentEntry } from './check';
import { COMPRESSIONS, segmentName, type Compression } from './names';

const PARTIAL = 1;
/** `.partial.gz` rather than `.gz.partial`: both occur, and the name must come back as it was. */
const COMPRESSED_AFTER_PARTIAL = 2;
const COMPRESSION_SHIFT = 2;

/**
 * Row i is one segment file. Its name is rebuilt from its numbers (`name(i)`), which gives back the
 * listed name exactly: a segment name is upper-case hex of the timeline and segment number, then its
 * suffixes. Names that do not come back so (given by a caller as entries) are kept aside.
 */
export class SegmentTable {
  readonly tli: Uint32Array;
  readonly segno: Float64Array;
  readonly size: Float64Array;
  readonly mtimeMs: Float64Array;
  private readonly flags: Uint8Array;
  private readonly otherNames = new Map<number, string>();
  private count = 0;

  constructor(
    readonly segmentSize: number,
    capacity: number,
  ) {
    this.tli = new Uint32Array(capacity);
    this.segno = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.mtimeMs = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Adds a row; `compressedAfterPartial` for `.partial.gz`. Returns its index. */
  push(tli: number, segno: number, size: number, mtimeMs: number, partial: boolean, compression: Compression | undefined, compressedAfterPartial = false): number {
    const i = this.count++;
    this.tli[i] = tli;
    this.segno[i] = segno;
    this.size[i] = size;
    this.mtimeMs[i] = mtimeMs;
    this.flags[i] =
      (partial ? PARTIAL : 0) | (partial && compression && compressedAfterPartial ? COMPRESSED_AFTER_PARTIAL : 0) | ((compression ? COMPRESSIONS.indexOf(compression) + 1 : 0) << COMPRESSION_SHIFT);
    return i;
  }

  partial(i: number): boolean {
    return ((this.flags[i] as number) & PARTIAL) !== 0;
  }

  compression(i: number): Compression | undefined {
    const c = (this.flags[i] as number) >> COMPRESSION_SHIFT;
    return c === 0 ? undefined : COMPRESSIONS[c - 1];
  }

  name(i: number): string {
    const other = this.otherNames.get(i);
    if (other !== undefined) return other;
    const base = segmentName(this.tli[i] as number, this.segno[i] as number, this.segmentSize);
    const c = this.compression(i);
    if (!this.partial(i)) return c ? `${base}.${c}` : base;
    if (!c) return `${base}.partial`;
    return ((this.flags[i] as number) & COMPRESSED_AFTER_PARTIAL) !== 0 ? `${base}.partial.${c}` : `${base}.${c}.partial`;
  }

  /** Row i as an object, for the few rows a report names. */
  entry(i: number): SegmentEntry {
    const compression = this.compression(i);
    return {
      name: this.name(i),
      tli: this.tli[i] as number,
      segno: this.segno[i] as number,
      size: this.size[i] as number,
      mtimeMs: this.mtimeMs[i] as number,
      partial: this.partial(i),
      ...(compression ? { compression } : {}),
    };
  }

  /** The rows `keep` accepts, in order, as a new table. */
  filter(keep: (i: number) => boolean): SegmentTable {
    const kept: number[] = [];
    for (let i = 0; i < this.count; i++) if (keep(i)) kept.push(i);
    const out = new SegmentTable(this.segmentSize, kept.length);
    for (const i of kept) {
      const j = out.count++;
      out.tli[j] = this.tli[i] as number;
      out.segno[j] = this.segno[i] as number;
      out.size[j] = this.size[i] as number;
      out.mtimeMs[j] = this.mtimeMs[i] as number;
      out.flags[j] = this.flags[i] as number;
      const other = this.otherNames.get(i);
      if (other !== undefined) out.otherNames.set(j, other);
    }
    return out;
  }

  /** Entries as callers with a few files give them (tests, pgBackRest's folders); their names are kept when the numbers do not give them back. */
  static fromEntries(entries: readonly SegmentEntry[], segmentSize: number): SegmentTable {
    const table = new SegmentTable(segmentSize, entries.length);
    for (const e of entries) {
      const afterPartial = e.partial && e.compression !== undefined && e.name.endsWith(`.partial.${e.compression}`);
      const i = table.push(e.tli, e.segno, e.size, e.mtimeMs, e.partial, e.compression, afterPartial);
      if (table.name(i) !== e.name) table.otherNames.set(i, e.name);
    }
    return table;
  }
}

/** The table of an inventory's segments, however they were given. */
export function segmentTableOf(segments: SegmentTable | readonly SegmentEntry[], segmentSize: number): SegmentTable {
  return segments instanceof SegmentTable && segments.segmentSize === segmentSize ? segments : SegmentTable.fromEntries(segments instanceof SegmentTable ? toEntries(segments) : segments, segmentSize);
}

function toEntries(table: SegmentTable): SegmentEntry[] {
  const out: SegmentEntry[] = [];
  for (let i = 0; i < table.length; i++) out.push(table.entry(i));
  return out;
}
