// The pg_basebackup command line for a set of options, and the options refused before anything connects.
import { formatCompression, parseCompression, type Compression } from '../logical/dump';
import { PgbrError, usageError } from '../platform/errors';
import { type BaseBackupFormat, type BaseBackupOptions, type CheckpointMode, FIRST_WITH_COMPRESSION_METHODS, MAX_LABEL_BYTES } from './record';

/** Refuses what pg_basebackup would refuse, before anything connects. */
export function validateBaseBackupOptions(opts: Pick<BaseBackupOptions, 'format' | 'compression' | 'checkpoint' | 'label' | 'maxRate'>): Compression | undefined {
  if (opts.format !== 'plain' && opts.format !== 'tar') throw usageError(`"${String(opts.format)}" is not a base backup format: use plain or tar`);
  if (opts.checkpoint !== 'fast' && opts.checkpoint !== 'spread') throw usageError(`"${String(opts.checkpoint)}" is not a checkpoint mode: use fast or spread`);
  if (opts.label !== undefined) {
    if (opts.label.trim() === '') throw usageError('the backup label is empty: give a label, or leave it out to use the backup name');
    if (/[\u0000-\u001f\u007f]/.test(opts.label)) throw usageError('the backup label has a line break or control character, which backup_label cannot hold: use a single line');
    if (Buffer.byteLength(opts.label) > MAX_LABEL_BYTES) throw usageError(`the backup label is longer than ${MAX_LABEL_BYTES} bytes: shorten it`);
  }
  if (opts.maxRate !== undefined && !/^\d+[kM]?$/.test(opts.maxRate)) {
    throw usageError(`max rate "${opts.maxRate}" is not understood: give kB/s (like 2048) or a number with k or M (like 500k, 20M), from 32k to 1024M`);
  }
  const compression = opts.compression === undefined ? undefined : parseCompression(opts.compression);
  if (compression && compression.method !== 'none' && opts.format === 'plain') {
    throw usageError('pg_basebackup only compresses the tar format: use --format tar for a compressed base backup');
  }
  return compression && compression.method !== 'none' ? compression : undefined;
}

export interface BaseBackupPlanInput {
  outputPath: string;
  format: BaseBackupFormat;
  compression?: Compression;
  checkpoint: CheckpointMode;
  label: string;
  maxRate?: string;
  toolMajor: number;
}

/** pg_basebackup's arguments; the connection travels in the environment. Pure, so tests check what runs. */
export function planBaseBackup(input: BaseBackupPlanInput): string[] {
  const args = [
    '--pgdata', input.outputPath,
    '--format', input.format === 'plain' ? 'plain' : 'tar',
    // The WAL written during the copy comes along, so the backup restores on its own, without the archive.
    '--wal-method', 'stream',
    '--checkpoint', input.checkpoint,
    '--label', input.label,
    '--progress',
    '--verbose',
    '--no-password',
  ];
  const c = input.compression;
  if (c && c.method !== 'none') {
    if (input.toolMajor >= FIRST_WITH_COMPRESSION_METHODS) args.push('--compress', formatCompression(c));
    else if (c.method === 'gzip') args.push('--compress', String(c.level ?? 6));
    else {
      throw new PgbrError(
        'tool-version',
        `${c.method} compression needs pg_basebackup ${FIRST_WITH_COMPRESSION_METHODS} or newer, and the one for this server is ${input.toolMajor}: use gzip, or install the PostgreSQL ${FIRST_WITH_COMPRESSION_METHODS}+ client tools`,
      );
    }
  }
  if (input.maxRate !== undefined) args.push('--max-rate', input.maxRate);
  return args;
}

