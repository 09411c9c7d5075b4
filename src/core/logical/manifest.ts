// The manifest written beside every dump: what was dumped, from where, with which tools, and proof of content.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError, errorMessage } from '../platform/errors';
import { writeFileAtomic } from '../platform/fsutil';
import type { LeftOutForeignKey } from './restoreList';
import type { ManifestEncryption } from './dumpEncrypted';
import type { BlockSums } from './dataBlocks';

export type DumpFormat = 'custom' | 'directory' | 'tar' | 'plain';

export interface TableRowCount {
  schema: string;
  table: string;
  /** Exact count, taken inside the snapshot pg_dump used. */
  rows: number;
}

export interface VerificationTable {
  schema: string;
  table: string;
  expected: number;
  /** null when the table is missing after the restore. */
  actual: number | null;
}

export interface Verification {
  status: 'passed' | 'failed';
  /** ISO time the verification finished. */
  at: string;
  durationMs: number;
  /** `profile/database` the dump was restored into (a scratch database, dropped afterwards). */
  target: string;
  tables: VerificationTable[];
  /** Foreign keys left out of the test restore, and so not checked, because the table they reference is not in the dump. */
  foreignKeysLeftOut?: LeftOutForeignKey[];
  /** Why it failed, in one or two sentences. */
  message?: string;
}

/** One remote holding a copy of the dump, as pgbr offsite push and verify last found it. */
export interface OffsiteCopy {
  /** The remote folder: its rclone name or type and path (`:s3:bucket/pg`, `backup:pg`, `/srv/copies`), never a parameter. */
  target: string;
  /** ISO time the last push finished. */
  copiedAt?: string;
  /** ISO time a verify last found every file there equal to the manifest's sha256. */
  verifiedAt?: string;
  /** The sums the copy was made and checked against, by file as in the manifest's `sha256`. */
  sha256: Record<string, string>;
  /** ISO time and finding of a verify that found the copy different (or gone) after `verifiedAt`. */
  failedAt?: string;
  failure?: string;
}

export interface DumpManifest {
  manifestVersion: 1;
  kind: 'database' | 'globals';
  /** Profile name; never a password or a URI with secrets. */
  profile: string;
  /** The plan (`plans:` in pgbackup.yaml) that made it; absent for a dump taken by hand and in manifests written before plans. Retention only ever decides over a plan's own dumps. */
  plan?: string;
  host: string;
  port: number;
  user: string;
  /** Absent for globals. */
  database?: string;
  serverVersion: string;
  tool: 'pg_dump' | 'pg_dumpall';
  toolVersion: string;
  format: DumpFormat;
  options: {
    tables?: string[];
    excludeTables?: string[];
    /** Tables whose definitions are in the dump but not their rows. */
    excludeTableData?: string[];
    schemas?: string[];
    jobs?: number;
    compression?: string;
    sections?: ('pre-data' | 'data' | 'post-data')[];
    schemaOnly?: boolean;
    dataOnly?: boolean;
    noOwner?: boolean;
    noPrivileges?: boolean;
    noRolePasswords?: boolean;
    create?: boolean;
    clean?: boolean;
    ifExists?: boolean;
    blobs?: 'include' | 'exclude';
    encoding?: string;
    noTablespaces?: boolean;
    lockWaitTimeout?: string;
    role?: string;
  };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sizeBytes: number;
  /**
   * sha256 (hex) by path relative to the dump: the file's own name for a single-file dump (`""` in
   * manifests written before names were given), each file for the directory format.
   */
  sha256: Record<string, string>;
  /** The snapshot pg_dump ran in (`pg_export_snapshot()`), when counts were taken in it. */
  snapshot?: string;
  rowCounts: TableRowCount[];
  verification?: Verification;
  /**
   * Set when the dump is encrypted: the scheme, who can decrypt it, and the sha256 of the encrypted
   * bytes. The manifest itself stays readable, so it still names every table and its row count.
   */
  encryption?: ManifestEncryption;
  /**
   * An unencrypted custom file's parts, which tile it: the head (header and table of contents) and each
   * data block with its dump id, offset, length and sha256. A restore of chosen tables checks the head
   * and its own blocks instead of the whole file; absent in older manifests and for other formats.
   */
  blocks?: BlockSums;
  /** Set when a check found the dump's bytes differ from what was written: the Dumps view shows it as damaged. */
  damage?: { at: string; message: string };
  /** Where copies of the dump are, and when each was last copied and verified. */
  offsite?: OffsiteCopy[];
}

/** `orders_20261122-101500.dump` → `orders_20261122-101500.dump.manifest.json`; a directory dump likewise. */
export function manifestPathFor(dumpPath: string): string {
  return `${dumpPath.replace(/[\\/]+$/, '')}.manifest.json`;
}

/** Ends the name of the last verification's report, kept beside its dump; never a dump itself. */
export const VERIFY_REPORT_SUFFIX = '.verify.md';

/** `shop_20261122-101500.dump` → `shop_20261122-101500.dump.verify.md`; a directory dump likewise. */
export function verifyReportPathFor(dumpPath: string): string {
  return `${dumpPath.replace(/[\\/]+$/, '')}${VERIFY_REPORT_SUFFIX}`;
}

const unreadableManifest = (file: string, e: unknown): PgbrError =>
  new PgbrError('io', `the manifest ${file} cannot be read (${errorMessage(e)}): check its permissions.`, { cause: e, file });

/**
 * The manifest beside a dump, undefined when there is none. A manifest that is not JSON or has the
 * wrong shape is an error naming the file and the field, never a crash later on.
 */
export async function readManifest(dumpPath: string): Promise<DumpManifest | undefined> {
  const file = manifestPathFor(dumpPath);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadableManifest(file, e);
  }
  return parseManifest(text, file);
}

/**
 * `readManifest` without the event loop, for listings that read thousands of manifests in slices:
 * one synchronous read costs a fraction of a promise-based one.
 */
export function readManifestSync(dumpPath: string): DumpManifest | undefined {
  const file = manifestPathFor(dumpPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadableManifest(file, e);
  }
  return parseManifest(text, file);
}

/** A manifest without its per-block sums (`blocks`), which only integrity checks read. */
export type ListedManifest = Omit<DumpManifest, 'blocks'>;

/**
 * `readManifest` for a listing (`pgbr toc`), which shows all of the manifest but its block sums: those
 * (one per table with rows, 40% of the text of a 10,000-table dump's manifest) are cut from the text
 * before it is parsed, so they are neither parsed nor checked. The rest is checked as `readManifest` does.
 */
export async function readListedManifest(dumpPath: string): Promise<ListedManifest | undefined> {
  const file = manifestPathFor(dumpPath);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadableManifest(file, e);
  }
  const cut = withoutBlocks(bytes);
  if (cut !== undefined) {
    try {
      return parseManifest(cut, file);
    } catch {
      // Not laid out as manifestText writes it: the whole text then says what is wrong, or is right.
    }
  }
  const manifest: ListedManifest & { blocks?: unknown } = parseManifest(bytes.toString('utf8'), file);
  delete manifest.blocks;
  return manifest;
}

const MEMBER_START = Buffer.from('{\n  "');
const BLOCKS_OPEN = Buffer.from('\n  "blocks": {\n');
const BLOCKS_CLOSE = Buffer.from('\n  }');
const OBJECT_END = Buffer.from('\n}');
const COMMA = 0x2c;

/**
 * The text without its top-level `"blocks"` member when it is laid out as `manifestText` writes it (two
 * spaces a level, so the member ends at the first line that is two spaces and a brace); else undefined.
 * It is found in the bytes, so the sums are never decoded into a string.
 */
function withoutBlocks(bytes: Buffer): string | undefined {
  if (!bytes.subarray(0, MEMBER_START.length).equals(MEMBER_START)) return undefined;
  const at = bytes.indexOf(BLOCKS_OPEN);
  if (at < 0) return undefined;
  const close = bytes.indexOf(BLOCKS_CLOSE, at + BLOCKS_OPEN.length - 1);
  if (close < 0) return undefined;
  const end = close + BLOCKS_CLOSE.length;
  // Followed by another member (`},`), or the last one (`}` then the object's end): its comma goes with it.
  if (bytes[end] === COMMA) return bytes.toString('utf8', 0, at) + bytes.toString('utf8', end + 1);
  if (bytes[at - 1] === COMMA && bytes.subarray(end, end + OBJECT_END.length).equals(OBJECT_END)) return bytes.toString('utf8', 0, at - 1) + bytes.toString('utf8', end);
  return undefined;
}

/** A manifest's text as the manifest, or the error naming what is wrong with it. */
export function parseManifest(text: string, file: string): DumpManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PgbrError('config', `the manifest is not valid JSON (${errorMessage(e)}): restore it from a copy, or remove it to use the dump without its proof.`, { file, cause: e });
  }
  const problem = manifestProblem(value);
  if (problem) throw new PgbrError('config', `the manifest is not one pgbr wrote: ${problem}. Restore it from a copy, or remove it to use the dump without its proof.`, { file });
  return value as DumpManifest;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';
const isLeftOutKey = (k: unknown): boolean =>
  isObject(k) && isText(k.schema) && isText(k.table) && isText(k.name) && isObject(k.references) && isText(k.references.schema) && isText(k.references.name);
const shapeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`.slice(0, 60));

const isSum = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/** Block sums of the right shape that cover the file exactly, each block starting where the one before it ends. */
function blocksFit(blocks: unknown, sizeBytes: unknown, customFile: boolean): boolean {
  if (!customFile || !isObject(blocks) || !isObject(blocks.head) || !Array.isArray(blocks.data)) return false;
  if (!isCount(blocks.head.length) || !isSum(blocks.head.sha256)) return false;
  let end = blocks.head.length as number;
  for (const b of blocks.data as unknown[]) {
    if (!isObject(b) || !isCount(b.dumpId) || b.offset !== end || !isCount(b.length) || !isSum(b.sha256)) return false;
    end += b.length as number;
  }
  return end === sizeBytes;
}

/** The first field that does not have the shape the code relies on, as "`field` must be …, found …". */
export function manifestProblem(v: unknown): string | undefined {
  if (!isObject(v)) return `it must be a JSON object, found ${shapeOf(v)}`;
  const want = (field: string, ok: boolean, what: string): string | undefined => (ok ? undefined : `"${field}" must be ${what}, found ${shapeOf(field.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), v))}`);
  const checks: (string | undefined)[] = [
    want('manifestVersion', v.manifestVersion === 1, '1'),
    want('kind', v.kind === 'database' || v.kind === 'globals', '"database" or "globals"'),
    want('format', ['custom', 'directory', 'tar', 'plain'].includes(v.format as string), 'custom, directory, tar or plain'),
    want('sizeBytes', isCount(v.sizeBytes), 'a whole number of bytes'),
    want('sha256', isObject(v.sha256) && Object.values(v.sha256).every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h)), 'an object of file → 64-digit hex sha256'),
    want('rowCounts', Array.isArray(v.rowCounts), 'a list of { schema, table, rows }'),
    want('offsite', v.offsite === undefined || (Array.isArray(v.offsite) && v.offsite.every((c) => isObject(c) && isText(c.target) && isObject(c.sha256))), 'a list of { target, copiedAt, verifiedAt, sha256 }'),
    want('encryption', v.encryption === undefined || (isObject(v.encryption) && (v.encryption.scheme === 'age' || v.encryption.scheme === 'gpg') && Array.isArray(v.encryption.recipients) && v.encryption.recipients.every(isText) && typeof v.encryption.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.encryption.sha256) && (v.encryption.sealed === undefined || isText(v.encryption.sealed))), '{ scheme: age|gpg, recipients: [...], sha256, sealed? }'),
    want('blocks', v.blocks === undefined || blocksFit(v.blocks, v.sizeBytes, v.format === 'custom' && v.encryption === undefined), '{ head: { length, sha256 }, data: [{ dumpId, offset, length, sha256 }] } tiling an unencrypted custom file'),
    want('plan', v.plan === undefined || (typeof v.plan === 'string' && v.plan !== ''), 'the name of the plan that made the dump'),
  ];
  const first = checks.find((c) => c !== undefined);
  if (first) return first;
  const rows = v.rowCounts as unknown[];
  const bad = rows.findIndex((r) => !isObject(r) || typeof r.schema !== 'string' || typeof r.table !== 'string' || !isCount(r.rows));
  if (bad >= 0) return `"rowCounts[${bad}]" must be { schema, table, rows } with a whole number of rows, found ${JSON.stringify(rows[bad]).slice(0, 80)}`;
  if (v.verification !== undefined) {
    const ver = v.verification;
    if (!isObject(ver) || (ver.status !== 'passed' && ver.status !== 'failed') || !Array.isArray(ver.tables)) {
      return `"verification" must be { status: passed|failed, at, tables: [...] }, found ${shapeOf(ver)}`;
    }
    const keys = ver.foreignKeysLeftOut;
    if (keys !== undefined && !(Array.isArray(keys) && keys.every(isLeftOutKey))) {
      return `"verification.foreignKeysLeftOut" must be a list of { schema, table, name, references: { schema, name } }, found ${JSON.stringify(keys).slice(0, 80)}`;
    }
  }
  return undefined;
}

/** The manifest as it goes beside `dumpPath`: a single file's checksum under that file's name. */
export function withFileKey(manifest: DumpManifest, dumpPath: string): DumpManifest {
  if (manifest.format === 'directory') return manifest;
  const values = Object.values(manifest.sha256);
  if (values.length !== 1) return manifest;
  return { ...manifest, sha256: { [path.basename(dumpPath)]: values[0] as string } };
}

export function manifestText(manifest: DumpManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

export async function writeManifest(dumpPath: string, manifest: DumpManifest): Promise<void> {
  await writeFileAtomic(manifestPathFor(dumpPath), manifestText(manifest));
}
