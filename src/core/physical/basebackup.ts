// Physical backups with pg_basebackup: pre-flight checks, progress from `-P`, verification, and a record of the WAL range a PITR needs.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { listFilesRecursive } from '../dump/checksum';
import { discardPartial, failureLine, formatCompression, parseCompression, type Compression } from '../dump/dump';
import { expandNameTemplate, WORKSPACE_DUMP_FOLDER } from '../dump/naming';
import { untranslatedMessagesEnv } from '../dump/progress';
import { PgbrError, errorMessage } from '../errors';
import { pathExists } from '../fsutil';
import { silentLogger, type Logger } from '../log';
import type { ConnectionParams } from '../profiles/types';
import { runTool, type RunResult } from '../runner';
import { claimPartial, finalizeWithProof, isClaimedPartial, ProofNotSaved, releasePartial } from '../partials';
import { getServerInfo, withClient, type ServerInfo } from '../server';
import { chooseTool, type FoundTool, type ToolInventory } from '../tools';
import { parsePgTime } from '../wal/history';
import { lsnToSegment, parseLsn, segmentName, DEFAULT_SEGMENT_SIZE } from '../wal/names';
import type { KnownBaseBackup } from '../wal/scan';
import { passwordAdvice } from '../advice';

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
}

export interface BaseBackupResult {
  path: string;
  recordPath: string;
  record: BaseBackupRecord;
}

export const RECORD_SUFFIX = '.basebackup.json';
export const DEFAULT_BASE_BACKUP_SUBFOLDER = 'base';
const NAME_TEMPLATE = '{profile}_base_{yyyyMMdd-HHmmss}';
const FIRST_WITH_COMPRESSION_METHODS = 15;
const FIRST_VERIFYBACKUP = 13;
const FIRST_VERIFYBACKUP_TAR = 18;
// backup_label's LABEL is limited to MAXPGPATH - 1 bytes by the server.
const MAX_LABEL_BYTES = 1023;


/** The configured folder (relative to the workspace), else `<workspace>/.pg-backups/base`, else the extension's own storage. */
export function defaultBaseBackupFolder(choice: { configured?: string; workspaceFolder?: string; globalStorage: string }): string {
  const configured = choice.configured?.trim();
  if (configured) {
    const expanded = configured.startsWith('~/') ? path.join(os.homedir(), configured.slice(2)) : configured;
    return choice.workspaceFolder ? path.resolve(choice.workspaceFolder, expanded) : path.resolve(expanded);
  }
  if (choice.workspaceFolder) return path.join(choice.workspaceFolder, WORKSPACE_DUMP_FOLDER, DEFAULT_BASE_BACKUP_SUBFOLDER);
  return path.join(choice.globalStorage, DEFAULT_BASE_BACKUP_SUBFOLDER);
}

export function recordPathFor(backupPath: string): string {
  return `${backupPath}${RECORD_SUFFIX}`;
}

/** Refuses what pg_basebackup would refuse, before anything connects. */
export function validateBaseBackupOptions(opts: Pick<BaseBackupOptions, 'format' | 'compression' | 'checkpoint' | 'label' | 'maxRate'>): Compression | undefined {
  if (opts.format !== 'plain' && opts.format !== 'tar') throw usage(`"${String(opts.format)}" is not a base backup format: use plain or tar`);
  if (opts.checkpoint !== 'fast' && opts.checkpoint !== 'spread') throw usage(`"${String(opts.checkpoint)}" is not a checkpoint mode: use fast or spread`);
  if (opts.label !== undefined) {
    if (opts.label.trim() === '') throw usage('the backup label is empty: give a label, or leave it out to use the backup name');
    if (/[\u0000-\u001f\u007f]/.test(opts.label)) throw usage('the backup label has a line break or control character, which backup_label cannot hold: use a single line');
    if (Buffer.byteLength(opts.label) > MAX_LABEL_BYTES) throw usage(`the backup label is longer than ${MAX_LABEL_BYTES} bytes: shorten it`);
  }
  if (opts.maxRate !== undefined && !/^\d+[kM]?$/.test(opts.maxRate)) {
    throw usage(`max rate "${opts.maxRate}" is not understood: give kB/s (like 2048) or a number with k or M (like 500k, 20M), from 32k to 1024M`);
  }
  const compression = opts.compression === undefined ? undefined : parseCompression(opts.compression);
  if (compression && compression.method !== 'none' && opts.format === 'plain') {
    throw usage('pg_basebackup only compresses the tar format: use --format tar for a compressed base backup');
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

// `12331/37068 kB (33%), 0/1 tablespace (/path/base.tar   )`; the estimate-less form has no total and no percentage.
const PROGRESS_LINE = /^\s*(\d+)(?:\/(\d+))? kB(?: \((\d+)%\))?, (\d+)\/(\d+) tablespaces?\b/;

export interface ProgressSample {
  doneBytes: number;
  totalBytes?: number;
  percent?: number;
  tablespacesDone: number;
  tablespacesTotal: number;
}

/**
 * Reads one `--progress` report. On a terminal pg_basebackup separates reports with `\r`, so a
 * chunk may hold several: the last complete one wins.
 */
export function parseProgressLine(text: string): ProgressSample | undefined {
  const reports = text.split('\r').filter((r) => r.trim() !== '');
  for (let i = reports.length - 1; i >= 0; i--) {
    const m = PROGRESS_LINE.exec(reports[i] as string);
    if (!m) continue;
    const sample: ProgressSample = {
      doneBytes: Number(m[1]) * 1024,
      tablespacesDone: Number(m[4]),
      tablespacesTotal: Number(m[5]),
    };
    if (m[2] !== undefined) sample.totalBytes = Number(m[2]) * 1024;
    if (m[3] !== undefined) sample.percent = Number(m[3]);
    return sample;
  }
  return undefined;
}

/** What pg_basebackup --verbose says about the WAL range, for when there is no manifest to read it from. */
export interface VerboseFacts {
  startLsn?: string;
  startTimeline?: number;
  stopLsn?: string;
}

/** Follows pg_basebackup's stderr: phase changes from `--verbose`, byte counts from `--progress`. */
export class BaseBackupProgressTracker {
  private state: BaseBackupProgress = { phase: 'connecting', doneBytes: 0 };
  private reported = false;
  readonly facts: VerboseFacts = {};

  constructor(
    private readonly onProgress?: (p: BaseBackupProgress) => void,
    private readonly onStopReached?: () => void,
  ) {}

  get current(): BaseBackupProgress {
    return { ...this.state };
  }

  onLine(line: string): void {
    for (const part of line.split('\r')) this.onReport(part);
  }

  setPhase(phase: BaseBackupPhase): void {
    // The first call always reports, so a listener hears "connecting" before anything else.
    if (this.state.phase === phase && this.reported) return;
    this.state = { ...this.state, phase };
    this.emit();
  }

  private onReport(text: string): void {
    if (text.trim() === '') return;
    const sample = parseProgressLine(text);
    if (sample) {
      const { tablespacesDone, tablespacesTotal, doneBytes, totalBytes, percent } = sample;
      this.state = {
        phase: this.state.phase === 'connecting' || this.state.phase === 'checkpoint' ? 'copying' : this.state.phase,
        doneBytes,
        ...(totalBytes !== undefined ? { totalBytes } : {}),
        ...(percent !== undefined ? { percent } : {}),
        tablespacesDone,
        tablespacesTotal,
      };
      this.emit();
      return;
    }
    const message = text.replace(/^.*?pg_basebackup:\s*/, '');
    if (/waiting for checkpoint/.test(message)) this.setPhase('checkpoint');
    else if (/^checkpoint completed/.test(message)) this.setPhase('copying');
    else if (/^write-ahead log start point: /.test(message)) {
      const m = /start point: ([0-9A-F]+\/[0-9A-F]+) on timeline (\d+)/i.exec(message);
      if (m) {
        this.facts.startLsn = (m[1] as string).toUpperCase();
        this.facts.startTimeline = Number(m[2]);
      }
    } else if (/^write-ahead log end point: /.test(message)) {
      const m = /end point: ([0-9A-F]+\/[0-9A-F]+)/i.exec(message);
      if (m) this.facts.stopLsn = (m[1] as string).toUpperCase();
      this.onStopReached?.();
      this.setPhase('finishing');
    } else if (/^syncing data to disk/.test(message)) this.setPhase('syncing');
  }

  private emit(): void {
    this.reported = true;
    this.onProgress?.(this.current);
  }
}

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

/**
 * The one error a user sees when pg_basebackup fails: what refused the backup and the exact fix
 * (SQL to run, the pg_hba.conf line to add), or the tool's own last words.
 */
export function explainBaseBackupFailure(lines: readonly string[], context: { user?: string; server?: ServerInfo } = {}): PgbrError {
  const text = lines.join('\n');
  const user = context.user ?? 'the backup role';
  const role = context.user ? quoteRole(context.user) : '<role>';
  if (/must be superuser or replication role to start walsender|permission denied to start WAL sender|REPLICATION attribute may start a WAL sender/i.test(text)) {
    return replicationRoleError(user, role);
  }
  const hba = /no pg_hba\.conf entry for replication connection from host "([^"]*)", user "([^"]*)"/.exec(text);
  if (hba) {
    const [, host = '', hbaUser = user] = hba;
    const line = host === '[local]' ? `local replication ${hbaUser} scram-sha-256` : `host replication ${hbaUser} ${host}/${host.includes(':') ? 128 : 32} scram-sha-256`;
    return new PgbrError(
      'auth',
      `the server's pg_hba.conf refuses replication connections for user "${hbaUser}" from ${host === '[local]' ? 'the local socket' : host}, and a base backup needs one: add the line "${line}" to pg_hba.conf (before any reject line) and reload (SELECT pg_reload_conf();)`,
    );
  }
  const senders = /number of requested standby connections exceeds max_wal_senders \(currently (\d+)\)/.exec(text);
  if (senders) {
    if (senders[1] === '0') return noWalSendersError();
    return new PgbrError(
      'connection',
      `all ${senders[1]} WAL senders (max_wal_senders) are in use by standbys or other backups, and a base backup needs two: wait for other backups to end (see pg_stat_replication), or raise it with ALTER SYSTEM SET max_wal_senders = ${Number(senders[1]) + 4}; and restart the server`,
    );
  }
  if (/all replication slots are in use/i.test(text)) {
    return new PgbrError(
      'config',
      'every replication slot (max_replication_slots) is in use, and pg_basebackup needs a temporary one: drop unused slots (see pg_replication_slots), or raise the limit with ALTER SYSTEM SET max_replication_slots = 10; and restart the server',
    );
  }
  if (/WAL level not sufficient|wal_level must be set to "replica" or "logical"/i.test(text)) return walLevelError();
  if (/too many clients already|remaining connection slots are reserved/i.test(text)) {
    return new PgbrError('connection', 'the server has no free connection slots for the backup: close idle sessions or raise max_connections, then retry');
  }
  if (/No space left on device/i.test(text)) {
    return new PgbrError('tool-failed', 'the disk filled up during the base backup (No space left on device), and nothing was kept: free space in the backup folder or choose another one, then retry');
  }
  const badPassword = /password authentication failed for user "([^"]*)"/.exec(text);
  if (badPassword) {
    return new PgbrError('auth', `password authentication failed for user "${badPassword[1] ?? user}": ${passwordAdvice()}`);
  }
  if (/no password supplied/i.test(text)) {
    return new PgbrError('auth', `user "${user}" needs a password for the replication connection: ${passwordAdvice()}`);
  }
  if (/Connection refused|could not connect to server|No such file or directory\s*\n?\s*Is the server running/i.test(text)) {
    return new PgbrError('connection', `pg_basebackup could not connect to the server: ${lastError(lines) ?? 'connection refused'}: start the server or fix the host and port`);
  }
  return new PgbrError('tool-failed', `pg_basebackup failed: ${lastError(lines) ?? 'it exited with an error and printed nothing'}`);
}

function lastError(lines: readonly string[]): string | undefined {
  const meaningful = lines.map((l) => l.trim()).filter((l) => l !== '' && !/^pg_basebackup: (hint|removing|detail)/.test(l));
  const errorLine = [...meaningful].reverse().find((l) => /\b(error|FATAL|ERROR):/.test(l)) ?? meaningful.at(-1);
  return errorLine?.replace(/^pg_basebackup:\s*(error:\s*)?/, '');
}

function quoteRole(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function replicationRoleError(user: string, role: string): PgbrError {
  return new PgbrError(
    'auth',
    `role "${user}" may not take base backups: it is neither a superuser nor has the REPLICATION attribute. As a superuser, run ALTER ROLE ${role} REPLICATION; then retry`,
  );
}

function noWalSendersError(): PgbrError {
  return new PgbrError(
    'config',
    'the server allows no replication connections (max_wal_senders is 0), and a base backup needs two: run ALTER SYSTEM SET max_wal_senders = 10; and restart the server',
  );
}

function walLevelError(): PgbrError {
  return new PgbrError(
    'config',
    'the server\'s wal_level is "minimal", which cannot make an online backup: run ALTER SYSTEM SET wal_level = replica; and restart the server',
  );
}

/**
 * Checks what pg_basebackup will need before it runs, with the same fixes its failures would get:
 * the REPLICATION attribute (or superuser), WAL senders free for the copy and the WAL stream, and a
 * wal_level that allows online backups. pg_hba.conf can only be tested by the connection itself.
 */
export async function checkBaseBackupPrerequisites(client: pg.Client): Promise<ServerInfo> {
  const server = await getServerInfo(client);
  const who = await client.query<{ u: string; busy: number }>(
    `SELECT current_user AS u, (SELECT count(*)::int FROM pg_catalog.pg_stat_replication) AS busy`,
  );
  const user = who.rows[0]?.u ?? '';
  if (!server.hasReplication) throw replicationRoleError(user, quoteRole(user));
  if (server.walLevel === 'minimal') throw walLevelError();
  if (server.maxWalSenders === 0) throw noWalSendersError();
  // One sender copies the files and one streams WAL: both must be free.
  const free = server.maxWalSenders - (who.rows[0]?.busy ?? 0);
  if (free < 2) {
    throw new PgbrError(
      'connection',
      `only ${Math.max(0, free)} of ${server.maxWalSenders} WAL senders (max_wal_senders) are free, and a base backup needs two: wait for other backups to end (see pg_stat_replication), or raise it with ALTER SYSTEM SET max_wal_senders = ${server.maxWalSenders + 4}; and restart the server`,
    );
  }
  return server;
}

/**
 * Takes a base backup. The folder appears under its final name only after pg_basebackup succeeded
 * and the result was verified; any failure or cancel removes what was written.
 */
export async function runBaseBackup(opts: BaseBackupOptions): Promise<BaseBackupResult> {
  const compression = validateBaseBackupOptions(opts);
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const { params, password } = opts.connection;
  throwIfCancelled(opts.signal);

  const startedAt = now();
  const startedMs = performance.now();
  const name = expandNameTemplate(NAME_TEMPLATE, { db: params.database ?? '', profile: opts.profile, format: opts.format, date: startedAt });
  const label = opts.label ?? name;
  const stopClock = new StopClock();
  const progress = new BaseBackupProgressTracker(opts.onProgress, () => stopClock.mark());
  let partial: string | undefined;

  try {
    progress.setPhase('connecting');
    const taken = await withClient(params, { password, applicationName: 'pgbr basebackup' }, async (client) => {
      const server = await checkBaseBackupPrerequisites(client);
      if (opts.format === 'plain') await refuseTablespacesInPlain(client);
      const systemIdentifier = await readSystemIdentifier(client);
      const tool = chooseTool(opts.tools, 'pg_basebackup', server.major);
      const args = (outputPath: string) =>
        planBaseBackup({ outputPath, format: opts.format, checkpoint: opts.checkpoint, label, toolMajor: tool.major, ...(compression ? { compression } : {}), ...(opts.maxRate !== undefined ? { maxRate: opts.maxRate } : {}) });
      // Refuse what this pg_basebackup cannot do before a folder is made.
      args('');

      const target = await reserveFolder(opts.folder, name);
      partial = target.partial;
      stopClock.client = client;
      const result = await runTool({
        file: tool.path,
        args: args(target.partial),
        connection: params,
        password,
        env: untranslatedMessagesEnv(),
        signal: opts.signal,
        onStderrLine: (line) => {
          logger.trace(line);
          progress.onLine(line);
        },
        logger,
        label: 'pg_basebackup',
      });
      if (result.status === 'cancelled') throw cancelledError();
      if (result.status === 'failed') throw explainRunFailure(result, params.user, server);
      const stopTime = await stopClock.read();
      stopClock.client = undefined;
      return { server, tool, target, stopTime, systemIdentifier };
    });
    throwIfCancelled(opts.signal);

    progress.setPhase('verifying');
    const contents = await readBackupContents(taken.target.partial, opts.format, taken.server.segmentSize || DEFAULT_SEGMENT_SIZE, progress.facts);
    if (contents.manifestValid === false) {
      throw new PgbrError('tool-failed', 'pg_basebackup finished but its backup_manifest does not match its own checksum: the backup is damaged and was removed; retry');
    }
    const verification = await verifyBackup(taken.target.partial, opts.format, taken.tool.major, opts.tools, taken.server.major, opts.signal, logger, now);
    throwIfCancelled(opts.signal);
    if (verification.status === 'failed') {
      throw new PgbrError('tool-failed', `pg_basebackup finished but pg_verifybackup found problems (${verification.message ?? 'see the log'}): nothing was kept; retry, and check the disk if it happens again`);
    }

    const systemIdentifier = taken.systemIdentifier ?? contents.systemIdentifier;
    const finishedAt = now();
    const durationMs = Math.round(performance.now() - startedMs);
    const recordFor = (finalPath: string): BaseBackupRecord => ({
      recordVersion: 1,
      kind: 'basebackup',
      name: path.basename(finalPath),
      label,
      profile: opts.profile,
      host: params.host ?? '',
      port: params.port ?? 5432,
      user: params.user ?? '',
      serverVersion: taken.server.version,
      ...(systemIdentifier ? { systemIdentifier } : {}),
      tool: 'pg_basebackup',
      toolVersion: taken.tool.version,
      format: opts.format,
      compression: compression ? formatCompression(compression) : 'none',
      checkpoint: opts.checkpoint,
      walMethod: 'stream',
      startLsn: contents.startLsn,
      startWal: contents.startWal,
      ...(contents.checkpointLsn ? { checkpointLsn: contents.checkpointLsn } : {}),
      stopLsn: contents.stopLsn,
      stopWal: contents.stopWal,
      timeline: contents.timeline,
      startTimeline: contents.startTimeline,
      startTime: (contents.startTime ?? startedAt).toISOString(),
      stopTime: taken.stopTime.toISOString(),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs,
      sizeBytes: contents.sizeBytes,
      segmentSize: taken.server.segmentSize || DEFAULT_SEGMENT_SIZE,
      files: contents.files,
      ...(contents.manifestValid ? { manifestChecksum: 'valid' as const } : {}),
      verification,
    });
    const finalPath = await finalizeFolder(taken.target.partial, taken.target.final, (p) => JSON.stringify(recordFor(p), null, 2) + '\n');
    partial = undefined;
    const recordPath = recordPathFor(finalPath);
    const record = recordFor(finalPath);
    progress.setPhase('done');
    logger.info(`Base backup ${record.name}: ${record.startLsn} – ${record.stopLsn} on timeline ${record.timeline}, ${record.sizeBytes} bytes, verification ${verification.status}`);
    return { path: finalPath, recordPath, record };
  } catch (e) {
    if (partial !== undefined) {
      await discardPartial(partial, logger);
      releasePartial(partial);
    }
    if (opts.signal?.aborted) throw cancelledError();
    throw e;
  }
}

/** The server's clock when pg_basebackup reports the end point: the closest a client gets to the backup's stop time. */
class StopClock {
  client: pg.Client | undefined;
  private reading: Promise<Date | undefined> | undefined;

  mark(): void {
    const client = this.client;
    if (!client || this.reading) return;
    this.reading = client
      .query<{ t: Date }>('SELECT pg_catalog.clock_timestamp() AS t')
      .then((r) => r.rows[0]?.t)
      .catch(() => undefined);
  }

  async read(): Promise<Date> {
    // Without an end-point line (or if that query failed), the clock now is still after the stop.
    this.mark();
    return (await this.reading) ?? new Date();
  }
}

function explainRunFailure(result: Extract<RunResult, { status: 'failed' }>, user: string | undefined, server: ServerInfo): PgbrError {
  if (result.exitCode === null && result.stderrTail.length === 0) return new PgbrError('tool-missing', result.message);
  const error = explainBaseBackupFailure(result.stderrTail, { ...(user ? { user } : {}), server });
  return error.kind === 'tool-failed' && /exited with an error and printed nothing/.test(error.message) ? new PgbrError('tool-failed', `pg_basebackup failed: ${failureLine(result)}`) : error;
}

async function readSystemIdentifier(client: pg.Client): Promise<string | undefined> {
  try {
    const r = await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()');
    return r.rows[0]?.id;
  } catch {
    // Not granted to this role: the manifest (PostgreSQL 15+) carries it too.
    return undefined;
  }
}

/** Plain format writes each tablespace to its original absolute path on this machine: refuse rather than write outside the folder. */
async function refuseTablespacesInPlain(client: pg.Client): Promise<void> {
  const r = await client.query<{ names: string[] | null }>(
    `SELECT array_agg(spcname::text ORDER BY spcname) AS names FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')`,
  );
  const names = r.rows[0]?.names ?? [];
  if (names.length > 0) {
    throw usage(
      `the server has tablespaces outside its data directory (${names.join(', ')}), which the plain format would write to their original paths on this machine: use the tar format`,
    );
  }
}

interface BackupContents {
  startLsn: string;
  startWal: string;
  checkpointLsn?: string;
  stopLsn: string;
  stopWal: string;
  timeline: number;
  startTimeline: number;
  startTime?: Date;
  sizeBytes: number;
  files: string[];
  /** Undefined when there is no manifest (servers before 13). */
  manifestValid?: boolean;
  systemIdentifier?: string;
}

/** Reads the WAL range and times from backup_manifest and backup_label, with pg_basebackup's own words as the fallback. */
async function readBackupContents(dir: string, format: BaseBackupFormat, segmentSize: number, facts: VerboseFacts): Promise<BackupContents> {
  const entries = (await fs.readdir(dir)).sort();
  let manifest: ManifestSummary | undefined;
  try {
    manifest = parseBackupManifest(await fs.readFile(path.join(dir, 'backup_manifest')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let labelText: string | undefined;
  if (format === 'plain') labelText = await fs.readFile(path.join(dir, 'backup_label'), 'utf8').catch(() => undefined);
  else {
    const base = entries.find((e) => /^base\.tar(\.|$)/.test(e));
    if (base) labelText = await readLabelFromTar(path.join(dir, base));
  }
  const label = labelText === undefined ? undefined : parseBackupLabel(labelText);

  const firstRange = manifest?.walRanges[0];
  const lastRange = manifest?.walRanges.at(-1);
  const startLsn = firstRange?.startLsn ?? label?.startLsn ?? facts.startLsn;
  const stopLsn = lastRange?.endLsn ?? facts.stopLsn;
  const startTimeline = firstRange?.timeline ?? label?.startTimeline ?? facts.startTimeline;
  const timeline = lastRange?.timeline ?? startTimeline;
  if (!startLsn || !stopLsn || startTimeline === undefined || timeline === undefined) {
    throw new PgbrError('tool-failed', 'pg_basebackup finished but neither its manifest nor its output says which WAL the backup needs: it cannot be restored to a point in time and was removed');
  }
  let sizeBytes = 0;
  for (const file of await listFilesRecursive(dir)) sizeBytes += (await fs.stat(path.join(dir, ...file.split('/')))).size;
  const walOf = (lsn: string, tli: number) => segmentName(tli, lsnToSegment(parseLsn(lsn) ?? 0n, segmentSize), segmentSize);
  const contents: BackupContents = {
    startLsn,
    startWal: label?.startWal ?? walOf(startLsn, startTimeline),
    stopLsn,
    stopWal: walOf(stopLsn, timeline),
    timeline,
    startTimeline,
    sizeBytes,
    files: entries,
  };
  if (label?.checkpointLsn) contents.checkpointLsn = label.checkpointLsn;
  const startTime = label?.startTime ?? manifest?.labelTime;
  if (startTime) contents.startTime = startTime;
  if (manifest) contents.manifestValid = manifest.checksumValid;
  if (manifest?.systemIdentifier) contents.systemIdentifier = manifest.systemIdentifier;
  return contents;
}

/**
 * pg_verifybackup checks every file against the manifest and, for plain backups, that the WAL
 * needed is there and parses. Version 13-17 reads plain backups only; 18 reads tar, without the WAL.
 */
async function verifyBackup(
  dir: string,
  format: BaseBackupFormat,
  backupToolMajor: number,
  tools: ToolInventory,
  serverMajor: number,
  signal: AbortSignal | undefined,
  logger: Logger,
  now: () => Date,
): Promise<BaseBackupVerification> {
  const at = () => now().toISOString();
  let tool: FoundTool;
  try {
    tool = chooseTool(tools, 'pg_verifybackup', Math.max(serverMajor, backupToolMajor));
  } catch (e) {
    return { tool: 'pg_verifybackup', status: 'skipped', at: at(), message: `${errorMessage(e)}; only the manifest's own checksum was checked` };
  }
  if (tool.major < FIRST_VERIFYBACKUP) {
    return { tool: 'pg_verifybackup', status: 'skipped', at: at(), message: `pg_verifybackup ${tool.major} predates backup manifests` };
  }
  if (format === 'tar' && tool.major < FIRST_VERIFYBACKUP_TAR) {
    return {
      tool: 'pg_verifybackup',
      toolVersion: tool.version,
      status: 'skipped',
      at: at(),
      message: `pg_verifybackup ${tool.major} checks plain-format backups only (tar needs ${FIRST_VERIFYBACKUP_TAR}); the manifest's own checksum was checked`,
    };
  }
  const args = format === 'tar' ? ['--no-parse-wal', dir] : [dir];
  const result = await runTool({ file: tool.path, args, signal, logger, label: 'pg_verifybackup', env: untranslatedMessagesEnv() });
  if (result.status === 'cancelled') throw cancelledError();
  const base = { tool: 'pg_verifybackup', toolVersion: tool.version, at: at() };
  if (result.status === 'failed') {
    const problems = result.stderrTail.map((l) => l.replace(/^pg_verifybackup:\s*(error:\s*)?/, '').trim()).filter((l) => l !== '' && !/^hint:/.test(l));
    const shown = problems.slice(0, 3).join('; ') || result.message;
    return { ...base, status: 'failed', message: problems.length > 3 ? `${shown}; and more` : shown };
  }
  return { ...base, status: 'passed', ...(format === 'tar' ? { message: 'files checked against the manifest; WAL not parsed in tar format' } : {}) };
}

interface ReservedFolder {
  final: string;
  partial: string;
}

/** A free `<name>` (or `<name>-2`...) whose `.partial` folder this call created, so two backups never share one. */
async function reserveFolder(folder: string, name: string): Promise<ReservedFolder> {
  await fs.mkdir(folder, { recursive: true }).catch((e: unknown) => {
    throw new PgbrError('io', `cannot create the base backup folder ${folder}: ${errorMessage(e)}`, { cause: e });
  });
  for (let n = 1; n <= 100; n++) {
    const final = path.join(folder, n === 1 ? name : `${name}-${n}`);
    if ((await pathExists(final)) || (await pathExists(recordPathFor(final)))) continue;
    const partial = `${final}.partial`;
    try {
      await fs.mkdir(partial, { mode: 0o700 });
      claimPartial(partial);
      return { final, partial };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new PgbrError('io', `cannot create ${partial}: ${errorMessage(e)}`, { cause: e });
    }
  }
  throw new PgbrError('io', `no free base backup name in ${folder} for ${name}: remove old backups`);
}

/**
 * Gives the verified `.partial` its final name, never over an existing folder, with its record
 * written first: a base backup under a final name always has the record a PITR needs.
 */
async function finalizeFolder(partial: string, final: string, recordText: (finalPath: string) => string): Promise<string> {
  const candidates = Array.from({ length: 100 }, (_, i) => (i === 0 ? final : `${final}-${i + 1}`));
  let taken: string | undefined;
  try {
    taken = await finalizeWithProof({
      partial,
      candidates,
      proofPathFor: recordPathFor,
      proofText: recordText,
      move: async (from, to) => {
        if (await pathExists(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
        await fs.rename(from, to);
      },
    });
  } catch (e) {
    if (e instanceof ProofNotSaved) {
      throw new PgbrError('io', `the base backup was written but its record could not be saved (${errorMessage(e.cause)}), so it was removed: check the folder's free space and permissions`, { cause: e.cause });
    }
    throw new PgbrError('io', `cannot move the finished base backup to ${final}: ${errorMessage(e)}`, { cause: e });
  }
  if (taken === undefined) throw new PgbrError('io', `no free name for the finished base backup ${final}: remove old backups`);
  return taken;
}

export interface BaseBackupEntry {
  path: string;
  recordPath: string;
  record: BaseBackupRecord;
  /** The record is there but its folder is gone (deleted or moved by hand). */
  missing: boolean;
}

export interface BaseBackupPartial {
  path: string;
  modified: Date;
}

export interface BaseBackupCatalog {
  /** Newest first. */
  backups: BaseBackupEntry[];
  /** `.partial` folders no backup of this process is writing: what a crash or a kill left. */
  partials: BaseBackupPartial[];
  /** One sentence per record that could not be read. */
  problems: string[];
}

/** The base backups of a folder, from their records; a missing folder is an empty catalog. */
export async function listBaseBackups(folder: string): Promise<BaseBackupCatalog> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { backups: [], partials: [], problems: [] };
    throw e;
  }
  const backups: BaseBackupEntry[] = [];
  const partials: BaseBackupPartial[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const full = path.join(folder, name);
    if (name.endsWith('.partial')) {
      if (isClaimedPartial(full)) continue;
      const stat = await fs.lstat(full).catch(() => undefined);
      if (stat?.isDirectory()) partials.push({ path: full, modified: stat.mtime });
      continue;
    }
    if (!name.endsWith(RECORD_SUFFIX)) continue;
    const backupPath = full.slice(0, -RECORD_SUFFIX.length);
    try {
      const record = readRecord(await fs.readFile(full, 'utf8'));
      backups.push({ path: backupPath, recordPath: full, record, missing: !(await pathExists(backupPath)) });
    } catch (e) {
      problems.push(`${full} cannot be read (${errorMessage(e)}): the base backup beside it is not listed`);
    }
  }
  backups.sort((a, b) => b.record.stopTime.localeCompare(a.record.stopTime) || b.path.localeCompare(a.path));
  partials.sort((a, b) => a.path.localeCompare(b.path));
  return { backups, partials, problems };
}

function readRecord(text: string): BaseBackupRecord {
  const r = JSON.parse(text) as Partial<BaseBackupRecord>;
  if (r.kind !== 'basebackup' || r.recordVersion !== 1) throw new Error('not a pgbr base backup record');
  if (typeof r.stopLsn !== 'string' || parseLsn(r.stopLsn) === undefined) throw new Error('it has no stop LSN');
  if (typeof r.timeline !== 'number' || typeof r.stopTime !== 'string' || typeof r.label !== 'string') throw new Error('it lacks the timeline, stop time or label');
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

function usage(message: string): PgbrError {
  return new PgbrError('usage', message);
}

function cancelledError(): PgbrError {
  return new PgbrError('cancelled', 'the base backup was cancelled; nothing was kept');
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

