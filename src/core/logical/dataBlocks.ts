// The data blocks of a custom archive found as its bytes stream past, each with its place and sha256,
// so a restore of chosen tables can prove the bytes it restores without reading the whole file.
//
// What follows the table of contents (pg_backup_custom.c): block after block to the end of the file.
// A block is a type byte and the entry's dump id (an int: a sign byte, then intSize bytes, least
// significant first). A BLK_DATA block holds chunks, each prefixed by its int length, and ends with a
// zero length. A BLK_BLOBS block holds, per large object, its OID (an int), its chunks and a zero
// length, and ends with a zero OID. The head (header and table of contents) and the blocks tile the file.
import { createHash, type Hash } from 'node:crypto';

export const BLK_DATA = 1;
export const BLK_BLOBS = 3;

export interface RegionSum {
  length: number;
  /** sha256 (hex) of exactly these bytes. */
  sha256: string;
}

export interface DataBlockSum extends RegionSum {
  /** The TOC entry whose data the block holds. */
  dumpId: number;
  /** Where the block's type byte is in the file. */
  offset: number;
}

/** The head (bytes 0 to the end of the table of contents) and every data block after it, in file order. */
export interface BlockSums {
  head: RegionSum;
  data: DataBlockSum[];
}

type State = 'head' | 'type' | 'id' | 'oid' | 'chunkLength' | 'chunk' | 'lost';

/**
 * Fed the archive's bytes in order, in chunks of any size, it splits them into the head and the data
 * blocks and hashes each. The chunks are only looked at, never copied: those that come before the
 * end of the table of contents is known are kept by reference until `start` says where it is.
 */
export class DataBlockFinder {
  private tocEnd = -1;
  private intSize = 4;
  private waiting: Buffer[] = [];
  /** File position of the first byte of the next chunk. */
  private position = 0;
  private state: State = 'head';
  private hash: Hash = createHash('sha256');
  private regionStart = 0;
  private kind = 0;
  private dumpId = 0;
  private intRead = 0;
  private intValue = 0;
  private intScale = 1;
  private negative = false;
  private chunkLeft = 0;
  private head: RegionSum | undefined;
  private readonly blocks: DataBlockSum[] = [];
  /** Why the bytes did not follow the layout: then there are no block sums, and a restore checks the whole file. */
  lost: string | undefined;

  /** The table of contents ends at `tocEnd` and ints are `intSize` bytes (from the archive's header). */
  start(tocEnd: number, intSize: number): void {
    this.tocEnd = tocEnd;
    this.intSize = intSize;
    const waiting = this.waiting;
    this.waiting = [];
    for (const chunk of waiting) this.scan(chunk);
  }

  push(chunk: Buffer): void {
    if (this.tocEnd < 0) this.waiting.push(chunk);
    else this.scan(chunk);
  }

  /** The sums, once every byte was pushed; undefined when the bytes did not end after a whole block. */
  finish(): BlockSums | undefined {
    if (this.tocEnd < 0 || this.waiting.length > 0) return undefined;
    if (this.state === 'head' && this.position === this.tocEnd) this.closeHead();
    if (this.state !== 'type') {
      if (this.state !== 'lost') this.lose(`the archive ends inside a data block, at byte ${this.position}`);
      return undefined;
    }
    return this.head ? { head: this.head, data: [...this.blocks] } : undefined;
  }

  private scan(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    let from = 0;
    if (this.state === 'lost') {
      this.position += n;
      return;
    }
    if (this.state === 'head') {
      const left = this.tocEnd - this.position;
      if (left > n) {
        this.hash.update(chunk);
        this.position += n;
        return;
      }
      this.hash.update(chunk.subarray(0, left));
      this.closeHead();
      i = from = left;
    }
    while (i < n) {
      if (this.state === 'chunk') {
        const take = Math.min(this.chunkLeft, n - i);
        i += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.expectInt('chunkLength');
        continue;
      }
      if (this.state === 'type') {
        this.kind = chunk[i++]!;
        if (this.kind !== BLK_DATA && this.kind !== BLK_BLOBS) {
          this.lose(`byte ${this.position + i - 1} should start a data block but holds ${this.kind}`);
          this.position += n;
          return;
        }
        this.expectInt('id');
        continue;
      }
      // An int: the sign byte, then intSize bytes, least significant first; it may span chunks.
      while (i < n && this.intRead <= this.intSize) {
        const b = chunk[i++]!;
        if (this.intRead === 0) this.negative = b !== 0;
        else {
          this.intValue += b * this.intScale;
          this.intScale *= 256;
        }
        this.intRead++;
      }
      if (this.intRead <= this.intSize) break;
      const value = this.negative ? -this.intValue : this.intValue;
      if (this.state === 'id') {
        this.dumpId = value;
        this.expectInt(this.kind === BLK_DATA ? 'chunkLength' : 'oid');
      } else if (this.state === 'oid') {
        if (value === 0) from = this.closeBlock(chunk, from, i);
        else this.expectInt('chunkLength');
      } else if (value < 0) {
        this.lose(`a chunk of the data block of entry ${this.dumpId} has length ${value}`);
        this.position += n;
        return;
      } else if (value > 0) {
        this.chunkLeft = value;
        this.state = 'chunk';
      } else if (this.kind === BLK_DATA) {
        from = this.closeBlock(chunk, from, i);
      } else {
        this.expectInt('oid');
      }
    }
    this.hash.update(chunk.subarray(from, n));
    this.position += n;
  }

  private expectInt(state: 'id' | 'oid' | 'chunkLength'): void {
    this.state = state;
    this.intRead = 0;
    this.intValue = 0;
    this.intScale = 1;
  }

  private closeHead(): void {
    this.head = { length: this.tocEnd, sha256: this.hash.digest('hex') };
    this.hash = createHash('sha256');
    this.regionStart = this.tocEnd;
    this.state = 'type';
  }

  /** Ends the block at index `end` of `chunk`; returns where the next region starts in it. */
  private closeBlock(chunk: Buffer, from: number, end: number): number {
    this.hash.update(chunk.subarray(from, end));
    const blockEnd = this.position + end;
    this.blocks.push({ dumpId: this.dumpId, offset: this.regionStart, length: blockEnd - this.regionStart, sha256: this.hash.digest('hex') });
    this.hash = createHash('sha256');
    this.regionStart = blockEnd;
    this.state = 'type';
    return end;
  }

  private lose(why: string): void {
    this.lost = why;
    this.state = 'lost';
  }
}
