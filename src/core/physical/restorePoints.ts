// Named restore points: created on the server with pg_create_restore_point and remembered in a JSON file, so a PITR can offer them by name.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import { writeFileAtomic } from '../platform/fsutil';
import { quoteIdent } from '../postgres/names';
import { shellWord } from '../platform/shell';

export interface RestorePoint {
  name: string;
  /** `0/3000090`: where recovery with `recovery_target_name` stops. */
  lsn: string;
  /** ISO; the server's clock just after the restore point was written. */
  time: string;
  timeline: number;
  /** The WAL segment holding the restore point: it must reach the archive before a PITR can use it. */
  walFile: string;
}

export interface RecordedRestorePoint extends RestorePoint {
  profile: string;
  host?: string;
  port?: number;
}

export const RESTORE_POINTS_FILE = 'restore-points.json';
// PostgreSQL keeps restore point names in a MAXFNAMELEN (64) buffer with its terminating zero.
export const MAX_RESTORE_POINT_BYTES = 63;

/** `<baseBackupFolder>/restore-points.json`: restore points live beside the base backups they are reached from. */
export function restorePointsFileFor(baseBackupFolder: string): string {
  return path.join(baseBackupFolder, RESTORE_POINTS_FILE);
}

/** Refuses names the server would refuse, and names that could not be written into recovery settings on one line. */
export function validateRestorePointName(name: string): void {
  if (name.trim() === '') throw new PgbrError('usage', 'the restore point name is empty: give it a name, like before-migration-42');
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new PgbrError('usage', 'the restore point name has a line break or control character, which recovery_target_name cannot hold: use printable characters');
  }
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_RESTORE_POINT_BYTES) {
    throw new PgbrError('usage', `the restore point name is ${bytes} bytes long and PostgreSQL allows ${MAX_RESTORE_POINT_BYTES}: shorten it`);
  }
}

/**
 * Writes a restore point into the WAL. The timeline is the one of the segment it is in, which is the
 * server's current timeline on a primary.
 */
export async function createRestorePoint(client: pg.Client, name: string): Promise<RestorePoint> {
  validateRestorePointName(name);
  let row: { lsn: string; wal: string; t: Date } | undefined;
  try {
    // FROM runs before the select list, so the clock is read after the point is written.
    const r = await client.query<{ lsn: string; wal: string; t: Date }>(
      `SELECT p.lsn::text AS lsn, pg_catalog.pg_walfile_name(p.lsn) AS wal, pg_catalog.clock_timestamp() AS t
         FROM pg_catalog.pg_create_restore_point($1) AS p(lsn)`,
      [name],
    );
    row = r.rows[0];
  } catch (e) {
    throw await explainRestorePointError(client, e);
  }
  if (!row) throw new PgbrError('tool-failed', 'pg_create_restore_point returned nothing');
  return { name, lsn: row.lsn.toUpperCase(), time: row.t.toISOString(), timeline: parseInt(row.wal.slice(0, 8), 16), walFile: row.wal };
}

async function explainRestorePointError(client: pg.Client, e: unknown): Promise<PgbrError> {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === '42501') {
    const who = await client
      .query<{ u: string; d: string }>('SELECT current_user AS u, pg_catalog.current_database() AS d')
      .then((r) => r.rows[0] ?? { u: 'the role', d: 'this database' })
      .catch(() => ({ u: 'the role', d: 'this database' }));
    const role = quoteIdent(who.u);
    // pg_catalog's functions belong to each database: the grant must be made in the one connected to.
    return new PgbrError(
      'auth',
      `role "${who.u}" may not create restore points (${message}): as a superuser connected to database "${who.d}" (psql -d ${shellWord(who.d)}), run GRANT EXECUTE ON FUNCTION pg_catalog.pg_create_restore_point(text) TO ${role}; then retry`,
      { cause: e },
    );
  }
  if (/WAL level not sufficient/i.test(message)) {
    return new PgbrError('config', `the server's wal_level is "minimal", which writes no restore points: run ALTER SYSTEM SET wal_level = replica; and restart the server`, { cause: e });
  }
  if (/recovery is in progress/i.test(message)) {
    return new PgbrError('usage', 'the server is a standby (in recovery), and restore points can only be created on the primary: connect to the primary', { cause: e });
  }
  if (/value too long for restore point/i.test(message)) {
    return new PgbrError('usage', `the restore point name is too long for the server (${message}): shorten it`, { cause: e });
  }
  return new PgbrError('tool-failed', `could not create the restore point: ${message}`, { cause: e });
}

interface RestorePointsFile {
  restorePointsVersion: 1;
  restorePoints: RecordedRestorePoint[];
}

/** The recorded restore points, oldest first; a missing file is none. */
export async function readRestorePoints(file: string): Promise<RecordedRestorePoint[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PgbrError('io', `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, file });
  }
  let doc: Partial<RestorePointsFile>;
  try {
    doc = JSON.parse(text) as Partial<RestorePointsFile>;
  } catch (e) {
    throw new PgbrError('config', `${file} is not valid JSON (${e instanceof Error ? e.message : String(e)}): fix or remove it`, { cause: e, file });
  }
  if (doc.restorePointsVersion !== 1 || !Array.isArray(doc.restorePoints)) {
    throw new PgbrError('config', `${file} is not a pgbr restore point list: move it aside`, { file });
  }
  return doc.restorePoints.filter(
    (p): p is RecordedRestorePoint => typeof p?.name === 'string' && typeof p.lsn === 'string' && typeof p.timeline === 'number' && typeof p.time === 'string',
  );
}

/**
 * The recorded points a recovery from a backup of `server` can reach: those made on the same host and port.
 * A point recorded without a host (older files) is kept; with no server known, all are.
 */
export function restorePointsOf(points: readonly RecordedRestorePoint[], server?: { host: string; port: number }): RecordedRestorePoint[] {
  if (!server) return [...points];
  return points.filter((p) => p.host === undefined || (p.host === server.host && p.port === server.port));
}

/** Adds one restore point to the file, rewriting it atomically so a reader never sees half a list. */
export async function recordRestorePoint(file: string, point: RecordedRestorePoint): Promise<RecordedRestorePoint[]> {
  const points = [...(await readRestorePoints(file)), point];
  await fs.mkdir(path.dirname(file), { recursive: true });
  const doc: RestorePointsFile = { restorePointsVersion: 1, restorePoints: points };
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
  return points;
}
