// What a base backup is on disk: its options and record types, where it goes and how its record is read.
import type { Logger } from '../platform/log';
import type { ConnectionParams } from '../profiles/types';
import type { ToolInventory } from '../platform/tools';
import { parseLsn } from '../wal/names';
import type { KnownBaseBackup } from '../wal/scan';

export type BaseBackupFormat = 'plain' | 'tar';
export type CheckpointMode = 'fast' | 'spread';
export type BaseBackupPhase = 'connecting' | 'checkpoint' | 'copying' | 'finishing' | 'syncing' | 'verifying' | 'done';

export interface BaseBackupProgress {
  phase: BaseBackupPhase;
  doneBytes: number;
  /** pg_basebackup's estimate of the cluster's size; it grows when the cluster does during the copy. */
  totalBytes?: number;
  percent?: number;
  tablespacesDone?: number;
  tablespacesTotal?: number;
}

export interface BaseBackupConnection {
  params: ConnectionParams;
  password?: string;
}

export interface BaseBackupOptions {
  connection: BaseBackupConnection;
  /** The profile's name: recorded, and part of the backup's name. */
  profile: string;
  /** The plan that takes this backup, recorded so retention decides over the plan's own base backups only. */
  plan?: string;
  tools: ToolInventory;
  /** Where backups go: each one is a folder `<name>` in it with a `<name>.basebackup.json` beside it. */
  folder: string;
  format: BaseBackupFormat;
  /** `none`, `gzip`, `gzip:N`, `lz4[:N]`, `zstd[:N]`: tar only (pg_basebackup refuses to compress plain); lz4 and zstd need pg_basebackup 15. */
  compression?: string;
  checkpoint: CheckpointMode;
  /** The label the server writes into backup_label and the archive's `.backup` file (default: the backup's name). */
  label?: string;
  /** pg_basebackup `--max-rate` (`32k`-`1024M`, or kB/s): spares a busy server's disks and network. */
  maxRate?: string;
  signal?: AbortSignal;
  onProgress?: (p: BaseBackupProgress) => void;
  logger?: Logger;
  now?: () => Date;
}

export type VerificationStatus = 'passed' | 'failed' | 'skipped';

export interface BaseBackupVerification {
  /** `pg_verifybackup`, or `pgbr` when only the manifest's own checksum could be checked. */
  tool: string;
  toolVersion?: string;
  status: VerificationStatus;
  /** ISO time of the check. */
  at: string;
  message?: string;
}

/** `<name>.basebackup.json`: what a restore and the archive's recoverable window need to know about one base backup. */
export interface BaseBackupRecord {
  recordVersion: 1;
  kind: 'basebackup';
  /** The folder's name, beside this record. */
  name: string;
  label: string;
  profile: string;
  /** The plan (`plans:` in pgbackup.yaml) that made it; absent for one taken by hand and in records written before plans. */
  plan?: string;
  host: string;
  port: number;
  user: string;
  serverVersion: string;
  /** The server's `system_identifier`, to tell a matching WAL archive from another cluster's; absent when not readable. */
  systemIdentifier?: string;
  tool: 'pg_basebackup';
  toolVersion: string;
  format: BaseBackupFormat;
  /** `none`, `gzip:6`, `zstd`...: how the tar files are compressed. */
  compression: string;
  checkpoint: CheckpointMode;
  /** Always `stream`: the WAL needed to make the backup consistent is inside it. */
  walMethod: 'stream';
  /** `0/5000028`: where WAL replay starts. */
  startLsn: string;
  /** The segment of the start LSN. */
  startWal: string;
  checkpointLsn?: string;
  /** The end of the backup: recovery must replay at least up to here to be consistent. */
  stopLsn: string;
  /** The segment of the stop LSN. */
  stopWal: string;
  /** The timeline at the stop (the start's too, unless the backup came from a standby that was promoted meanwhile). */
  timeline: number;
  startTimeline: number;
  /** ISO; from backup_label, or the manifest's time of backup_label. */
  startTime: string;
  /** ISO; the server's clock as the backup ended, a moment after the exact stop: no recovery target before it can work. */
  stopTime: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sizeBytes: number;
  segmentSize: number;
  /** What the folder holds: `base.tar.gz`, `pg_wal.tar.gz`, `backup_manifest` for tar; top-level entries for plain. */
  files: string[];
  /** Whether the manifest's own sha256 matched its contents (absent without a manifest, before PostgreSQL 13). */
  manifestChecksum?: 'valid';
  verification: BaseBackupVerification;
  /** The last recovery drill of this backup, recorded by the run that drilled it: `passed` when recovery reached its target. */
  drill?: { status: 'passed' | 'failed'; at: string; message?: string };
}

export interface BaseBackupResult {
  path: string;
  recordPath: string;
  record: BaseBackupRecord;
}

export const RECORD_SUFFIX = '.basebackup.json';
export const NAME_TEMPLATE = '{profile}_base_{yyyyMMdd-HHmmss}';
export const FIRST_WITH_COMPRESSION_METHODS = 15;
export const FIRST_VERIFYBACKUP = 13;
export const FIRST_VERIFYBACKUP_TAR = 18;
// backup_label's LABEL is limited to MAXPGPATH - 1 bytes by the server.
export const MAX_LABEL_BYTES = 1023;

export function recordPathFor(backupPath: string): string {
  return `${backupPath}${RECORD_SUFFIX}`;
}

export function readRecord(text: string): BaseBackupRecord {
  const r = JSON.parse(text) as Partial<BaseBackupRecord>;
  if (r.kind !== 'basebackup' || r.recordVersion !== 1) throw new Error('not a pgbr base backup record');
  if (typeof r.stopLsn !== 'string' || parseLsn(r.stopLsn) === undefined) throw new Error('it has no stop LSN');
  if (typeof r.timeline !== 'number' || typeof r.stopTime !== 'string' || typeof r.label !== 'string') throw new Error('it lacks the timeline, stop time or label');
  if (r.plan !== undefined && (typeof r.plan !== 'string' || r.plan === '')) throw new Error('its plan is not a plan name');
  return r as BaseBackupRecord;
}

/** What the archive scan needs to place a base backup in the recoverable window. */
export function toKnownBaseBackup(record: BaseBackupRecord): KnownBaseBackup {
  const stopTime = new Date(record.stopTime);
  return {
    label: record.label,
    stopLsn: record.stopLsn,
    ...(record.stopWal ? { stopWal: record.stopWal } : {}),
    ...(Number.isNaN(stopTime.getTime()) ? {} : { stopTime }),
    timeline: record.timeline,
  };
}
