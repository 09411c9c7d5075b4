// The manifest written beside every dump: what was dumped, from where, with which tools, and proof of content.
import * as fs from 'node:fs/promises';
import { writeFileAtomic } from '../fsutil';

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
  /** Why it failed, in one or two sentences. */
  message?: string;
}

export interface DumpManifest {
  manifestVersion: 1;
  kind: 'database' | 'globals';
  /** Profile name; never a password or a URI with secrets. */
  profile: string;
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
    schemas?: string[];
    jobs?: number;
    compression?: string;
    sections?: ('pre-data' | 'data' | 'post-data')[];
    schemaOnly?: boolean;
    dataOnly?: boolean;
    noOwner?: boolean;
    noPrivileges?: boolean;
    noRolePasswords?: boolean;
  };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sizeBytes: number;
  /** sha256 (hex) by path relative to the dump: `""` for a single-file dump, each file for the directory format. */
  sha256: Record<string, string>;
  /** The snapshot pg_dump ran in (`pg_export_snapshot()`), when counts were taken in it. */
  snapshot?: string;
  rowCounts: TableRowCount[];
  verification?: Verification;
}

/** `orders_20261122-101500.dump` → `orders_20261122-101500.dump.manifest.json`; a directory dump likewise. */
export function manifestPathFor(dumpPath: string): string {
  return `${dumpPath.replace(/[\\/]+$/, '')}.manifest.json`;
}

export async function readManifest(dumpPath: string): Promise<DumpManifest | undefined> {
  try {
    return JSON.parse(await fs.readFile(manifestPathFor(dumpPath), 'utf8')) as DumpManifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function writeManifest(dumpPath: string, manifest: DumpManifest): Promise<void> {
  await writeFileAtomic(manifestPathFor(dumpPath), JSON.stringify(manifest, null, 2) + '\n');
}
