// What a finished backup says about itself: backup_label (also inside base.tar) and backup_manifest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PgbrError } from '../platform/errors';
import { parsePgTime } from '../wal/history';
import { parseLsn } from '../wal/names';

/** The fields of a backup_label file that a record keeps. */
export interface BackupLabel {
  startLsn: string;
  startWal: string;
  checkpointLsn?: string;
  label?: string;
  startTime?: Date;
  startTimeText?: string;
  startTimeline?: number;
}

/** Reads backup_label (`START WAL LOCATION: 0/5000028 (file 000000010000000000000005)` ...). */
export function parseBackupLabel(text: string): BackupLabel | undefined {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  const start = /^([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}) \(file ([0-9A-F]{24})\)$/.exec(fields.get('START WAL LOCATION') ?? '');
  if (!start) return undefined;
  const label: BackupLabel = { startLsn: (start[1] as string).toUpperCase(), startWal: start[2] as string };
  const checkpoint = fields.get('CHECKPOINT LOCATION');
  if (checkpoint !== undefined && parseLsn(checkpoint) !== undefined) label.checkpointLsn = checkpoint.toUpperCase();
  const name = fields.get('LABEL');
  if (name !== undefined) label.label = name;
  const time = fields.get('START TIME');
  if (time !== undefined) {
    label.startTimeText = time;
    const parsed = parsePgTime(time);
    if (parsed) label.startTime = parsed;
  }
  const tli = fields.get('START TIMELINE');
  if (tli !== undefined && /^\d+$/.test(tli)) label.startTimeline = Number(tli);
  return label;
}

export interface WalRange {
  timeline: number;
  startLsn: string;
  endLsn: string;
}

/** The parts of a backup_manifest a record needs. */
export interface ManifestSummary {
  walRanges: WalRange[];
  /** When the server wrote backup_label (GMT, to the second): the backup's start. */
  labelTime?: Date;
  checksumValid: boolean;
  systemIdentifier?: string;
}

/**
 * Parses a backup_manifest and checks its own sha256, which covers everything up to the line that
 * holds it, as pg_verifybackup computes it.
 */
export function parseBackupManifest(bytes: Buffer): ManifestSummary {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new PgbrError('tool-failed', `the backup_manifest is not valid JSON (${e instanceof Error ? e.message : String(e)}): the backup is damaged`);
  }
  const manifest = doc as {
    'System-Identifier'?: number | string;
    Files?: { Path?: string; 'Last-Modified'?: string }[];
    'WAL-Ranges'?: { Timeline?: number; 'Start-LSN'?: string; 'End-LSN'?: string }[];
    'Manifest-Checksum'?: string;
  };
  const walRanges: WalRange[] = [];
  for (const r of manifest['WAL-Ranges'] ?? []) {
    if (typeof r.Timeline === 'number' && typeof r['Start-LSN'] === 'string' && typeof r['End-LSN'] === 'string') {
      walRanges.push({ timeline: r.Timeline, startLsn: r['Start-LSN'].toUpperCase(), endLsn: r['End-LSN'].toUpperCase() });
    }
  }
  const labelEntry = (manifest.Files ?? []).find((f) => f.Path === 'backup_label');
  const labelTime = labelEntry?.['Last-Modified'] ? parsePgTime(labelEntry['Last-Modified']) : undefined;
  const summary: ManifestSummary = { walRanges, checksumValid: manifestChecksumMatches(bytes, manifest['Manifest-Checksum']) };
  if (labelTime) summary.labelTime = labelTime;
  if (manifest['System-Identifier'] !== undefined) {
    // A 64-bit number JSON.parse may have rounded: read the digits from the text instead.
    const m = /"System-Identifier":\s*(\d+)/.exec(bytes.toString('utf8', 0, Math.min(bytes.length, 4096)));
    if (m) summary.systemIdentifier = m[1];
  }
  return summary;
}

function manifestChecksumMatches(bytes: Buffer, expected: string | undefined): boolean {
  if (typeof expected !== 'string') return false;
  // The checksum covers every byte up to and including the newline before the last line.
  const last = bytes.lastIndexOf(0x0a, bytes.length - 2);
  if (last < 0) return false;
  const actual = createHash('sha256').update(bytes.subarray(0, last + 1)).digest('hex');
  return actual === expected.toLowerCase();
}

/** backup_label read out of `base.tar` or `base.tar.gz`; undefined for other compressions (Node reads neither lz4 nor, on 20, zstd). */
export async function readLabelFromTar(tarPath: string): Promise<string | undefined> {
  if (!/\.tar(\.gz)?$/.test(tarPath)) return undefined;
  const source = createReadStream(tarPath);
  const stream: Readable = tarPath.endsWith('.gz') ? source.pipe(createGunzip()) : source;
  let buffer = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      buffer = Buffer.concat([buffer, chunk as Buffer]);
      // Walk the headers seen so far; backup_label is the first entry, so this rarely reads past one block.
      let offset = 0;
      while (buffer.length - offset >= 512) {
        const header = buffer.subarray(offset, offset + 512);
        if (header.every((b) => b === 0)) return undefined;
        const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
        const size = parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
        const dataEnd = offset + 512 + size;
        if (name === 'backup_label') {
          if (buffer.length < dataEnd) break;
          return buffer.toString('utf8', offset + 512, dataEnd);
        }
        const next = offset + 512 + Math.ceil(size / 512) * 512;
        if (buffer.length < next) break;
        offset = next;
      }
      buffer = buffer.subarray(offset);
      // A tar that does not start with backup_label within a few MB is not what pg_basebackup writes.
      if (buffer.length > 64 * 1024 * 1024) return undefined;
    }
  } catch {
    return undefined;
  } finally {
    source.destroy();
  }
  return undefined;
}
