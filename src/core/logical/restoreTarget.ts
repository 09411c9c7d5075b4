// The database a dump is restored into: whether it is the dump's source, whether it is empty, which tables are in the way, what blocks a TRUNCATE, and the schemas and database created for it.
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import { formatQualifiedName, quoteIdentAlways, type QualifiedName } from '../postgres/names';
import type { Toc } from './toc';
import { type NeededSchema, dumpTables, fmtName, key } from './restoreList';

// ---------------------------------------------------------------------------------------------
// Where a dump came from

export interface DatabaseLocation {
  host?: string;
  port?: number;
  database?: string;
  /** A table-of-contents header names the database only. */
  dbname?: string;
}

const DEFAULT_PORT = 5432;

function sameHost(a: string | undefined, b: string | undefined): boolean {
  const norm = (h: string | undefined) => {
    const v = (h ?? '').trim().toLowerCase();
    // A socket folder, localhost and the loopback addresses all reach the local server.
    return v === '' || v === 'localhost' || v === '127.0.0.1' || v === '::1' || v.startsWith('/') ? 'local' : v;
  };
  return norm(a) === norm(b);
}

/**
 * Whether restoring into `target` means restoring into the very database the dump came from (same
 * host, port and name), so the caller can ask first. A source that names only its database (a TOC
 * header without a manifest) counts as the same when the names match: better one question too many.
 */
export function isSameDatabase(source: DatabaseLocation, target: { host?: string; port?: number; database: string }): boolean {
  const sourceDb = source.database ?? source.dbname;
  if (sourceDb === undefined || sourceDb !== target.database) return false;
  if (source.host === undefined && source.port === undefined) return true;
  return sameHost(source.host, target.host) && (source.port ?? DEFAULT_PORT) === (target.port ?? DEFAULT_PORT);
}

/**
 * Creates the needed schemas the target does not have and the dump cannot create. With `fromDump` (a
 * table restore), those the dump has a SCHEMA entry for are returned instead, for the restore list;
 * a whole restore creates those itself.
 */
export async function createMissingSchemas(c: pg.Client, needed: readonly NeededSchema[], o: { fromDump: boolean }): Promise<{ fromDump: string[]; warnings: string[] }> {
  const r = await c.query<{ nspname: string | null; me: string }>(
    'SELECT n.nspname, current_user AS me FROM unnest($1::text[]) AS want(name) LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = want.name',
    [needed.map((s) => s.name)],
  );
  const present = new Set(r.rows.flatMap((row) => (row.nspname === null ? [] : [row.nspname])));
  const me = r.rows[0]?.me ?? 'the restoring user';
  const fromDump: string[] = [];
  const warnings: string[] = [];
  for (const schema of needed) {
    if (present.has(schema.name)) continue;
    if (schema.entry) {
      if (o.fromDump) fromDump.push(schema.name);
      continue;
    }
    try {
      await c.query(`CREATE SCHEMA ${quoteIdentAlways(schema.name)}`);
    } catch (e) {
      throw new PgbrError('auth', `could not create schema ${quoteIdentAlways(schema.name)}, which the restored tables need: ${(e as Error).message}. Create it first, or restore as a role that may.`, { cause: e });
    }
    warnings.push(
      `schema ${quoteIdentAlways(schema.name)} is not in the dump (it was made with chosen tables), so it was created owned by ${quoteIdentAlways(me)}: set its owner and grants if others use it (ALTER SCHEMA ${quoteIdentAlways(schema.name)} OWNER TO …).`,
    );
  }
  return { fromDump, warnings };
}

/**
 * CREATE DATABASE from template0 (a restore must start from nothing, not from whatever was added to
 * template1), with a message that says what to do when the role may not create databases.
 */
export async function createDatabase(c: pg.Client, name: string): Promise<void> {
  try {
    await c.query(`CREATE DATABASE ${quoteIdentAlways(name)} TEMPLATE template0`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = (e as Error).message;
    if (code === '42501') {
      throw new PgbrError('auth', `could not create database "${name}": ${why}. Use a role with CREATEDB, or create the database first.`, { cause: e });
    }
    throw new PgbrError('usage', `could not create database "${name}": ${why}.`, { cause: e });
  }
}

/** A database is empty when no table, view, sequence or foreign table lives in a non-system schema (extension objects aside). */
export async function checkEmpty(c: pg.Client, where: string): Promise<void> {
  const r = await c.query<{ nspname: string; relname: string; total: string }>(
    `SELECT n.nspname, cl.relname, count(*) OVER () AS total
       FROM pg_catalog.pg_class cl
       JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
      WHERE cl.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = cl.oid AND d.deptype = 'e')
      ORDER BY 1, 2
      LIMIT 3`,
  );
  const first = r.rows[0];
  if (!first) return;
  const examples = r.rows.map((row) => fmtName({ schema: row.nspname, name: row.relname })).join(', ');
  throw new PgbrError(
    'usage',
    `${where} is not empty (${first.total} relations, e.g. ${examples}): restore with clean to replace the dump's objects, or into a new database with create.`,
  );
}

export async function existingTables(c: pg.Client, tables: readonly QualifiedName[]): Promise<Set<string>> {
  const r = await c.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, cl.relname
       FROM pg_catalog.pg_class cl
       JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
       JOIN unnest($1::text[], $2::text[]) AS want(nspname, relname) ON want.nspname = n.nspname AND want.relname = cl.relname`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return new Set(r.rows.map((row) => key(row.nspname, row.relname)));
}

export async function checkTablesTarget(c: pg.Client, tables: readonly QualifiedName[], o: { dataOnly: boolean; recreate: boolean; where: string }): Promise<void> {
  const existing = await existingTables(c, tables);
  for (const t of tables) {
    const there = existing.has(key(t.schema, t.name));
    if (o.dataOnly && !there) {
      throw new PgbrError('usage', `table ${fmtName(t)} does not exist in ${o.where}, so there is nothing to load rows into: restore it without data-only.`);
    }
    if (!o.dataOnly && !o.recreate && there) {
      throw new PgbrError(
        'usage',
        `table ${fmtName(t)} already exists in ${o.where}: choose data-only (empty it and load the dump's rows) or recreate (drop it and restore it from the dump).`,
      );
    }
  }
}

export async function checkDataOnlyTarget(c: pg.Client, toc: Toc, where: string): Promise<void> {
  const tables = dumpTables(toc);
  const existing = await existingTables(c, tables);
  const missing = tables.filter((t) => !existing.has(key(t.schema, t.name)));
  if (missing.length > 0) {
    throw new PgbrError(
      'usage',
      `${missing.length} table(s) of the dump do not exist in ${where} (e.g. ${missing.slice(0, 3).map(fmtName).join(', ')}): a data-only restore needs them; restore the schema first.`,
    );
  }
}

/** A foreign key from a table that is not emptied to one that is: TRUNCATE refuses it. */
export interface TruncateBlocker {
  /** The table the key is on, which keeps its rows. */
  referencing: QualifiedName;
  /** The chosen table it points at. */
  referenced: QualifiedName;
  constraint: string;
}

/**
 * The foreign keys that make `TRUNCATE` of exactly these tables impossible: keys of other tables that
 * point at one of them. Keys among the chosen tables do not count (one statement empties them all).
 */
export async function truncateBlockers(c: pg.Client, tables: readonly QualifiedName[]): Promise<TruncateBlocker[]> {
  if (tables.length === 0) return [];
  const r = await c.query<{ ref_schema: string; ref_table: string; tgt_schema: string; tgt_table: string; conname: string }>(
    `WITH chosen AS (
       SELECT cl.oid FROM pg_catalog.pg_class cl
         JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
         JOIN unnest($1::text[], $2::text[]) AS want(nspname, relname) ON want.nspname = n.nspname AND want.relname = cl.relname)
     SELECT rn.nspname AS ref_schema, rc.relname AS ref_table, tn.nspname AS tgt_schema, tc.relname AS tgt_table, con.conname
       FROM pg_catalog.pg_constraint con
       JOIN pg_catalog.pg_class rc ON rc.oid = con.conrelid
       JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
       JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
       JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE con.contype = 'f'
        AND con.confrelid IN (SELECT oid FROM chosen)
        AND con.conrelid NOT IN (SELECT oid FROM chosen)
      ORDER BY 1, 2, 5`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return r.rows.map((row) => ({
    referencing: { schema: row.ref_schema, name: row.ref_table },
    referenced: { schema: row.tgt_schema, name: row.tgt_table },
    constraint: row.conname,
  }));
}

/** `public.orders references public.customers (orders_customer_id_fkey)`, for the first blockers. */
export function describeTruncateBlockers(blockers: readonly TruncateBlocker[]): string {
  const shown = blockers.slice(0, 3).map((b) => `${formatQualifiedName(b.referencing)} references ${formatQualifiedName(b.referenced)} (${b.constraint})`);
  return shown.join('; ') + (blockers.length > 3 ? `; and ${blockers.length - 3} more` : '');
}

/** What to say when a foreign key rules TRUNCATE out: which key, and the two ways that work. */
export function truncateImpossible(blockers: readonly TruncateBlocker[], where: string): PgbrError {
  return new PgbrError(
    'usage',
    `the rows cannot be replaced in ${where}: TRUNCATE is refused because ${describeTruncateBlockers(blockers)}. Restore the referencing tables too, or use recreate.`,
  );
}

export async function truncateTables(c: pg.Client, tables: readonly QualifiedName[], where: string): Promise<void> {
  if (tables.length === 0) return;
  const blockers = await truncateBlockers(c, tables);
  if (blockers.length > 0) throw truncateImpossible(blockers, where);
  try {
    // One statement, so foreign keys among the emptied tables do not stand in the way.
    await c.query(`TRUNCATE TABLE ${tables.map(fmtName).join(', ')}`);
  } catch (e) {
    const detail = (e as { message?: string; detail?: string }).detail;
    throw new PgbrError(
      'usage',
      `could not empty the tables in ${where} before loading them: ${(e as Error).message}${detail ? ` (${detail})` : ''}. Include the referencing tables, or restore them with recreate.`,
      { cause: e },
    );
  }
}

/** The cluster's roles and tablespaces, which a roles script must not create again. */
export async function clusterGlobals(c: pg.Client): Promise<{ roles: Set<string>; tablespaces: Set<string> }> {
  const roles = await c.query<{ rolname: string }>('SELECT rolname FROM pg_catalog.pg_roles');
  const spaces = await c.query<{ spcname: string }>('SELECT spcname FROM pg_catalog.pg_tablespace');
  return { roles: new Set(roles.rows.map((r) => r.rolname)), tablespaces: new Set(spaces.rows.map((r) => r.spcname)) };
}
