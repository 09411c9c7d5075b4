// What a table is made of, read from the catalogs: its columns, the key rows are matched by, the foreign
// keys out of it and into it, and the sequences its columns draw from; and whether the table as it was
// still fits the table as it is for a way of bringing rows back.
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import { formatQualifiedName, type QualifiedName, quoteIdent } from '../postgres/names';

/** Objects made by users have OIDs from here on (FirstNormalObjectId): their binary COPY form names that OID. */
const FIRST_USER_OID = 16384;

export interface ColumnShape {
  name: string;
  /** As `format_type` writes it: `numeric(10,2)`, `character varying(20)`, `sales.mood`. */
  type: string;
  notNull: boolean;
  /** A stored generated column: the server computes it, nothing may be inserted into it. */
  generated: boolean;
  identity: 'always' | 'by default' | undefined;
  /** The type (or its element type) was made by a user: its OID differs from server to server. */
  userType: boolean;
}

export interface RowKey {
  columns: string[];
  kind: 'primary key' | 'unique not null';
  /** The constraint or index that makes it a key. */
  name: string;
}

export interface ForeignKeyShape {
  name: string;
  /** The referencing table and its columns. */
  table: QualifiedName;
  columns: string[];
  /** The referenced table and its columns. */
  references: QualifiedName;
  referencedColumns: string[];
  /** `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default (pg_constraint.confdeltype). */
  onDelete: string;
}

export interface OwnedSequence {
  column: string;
  sequence: QualifiedName;
}

export interface TableShape {
  table: QualifiedName;
  columns: ColumnShape[];
  /** Undefined when the table has neither a primary key nor a unique index on NOT NULL columns. */
  key: RowKey | undefined;
  /** Foreign keys of this table, to its parents. */
  foreignKeys: ForeignKeyShape[];
  /** Foreign keys of other tables (or this one) that point at this table. */
  referencedBy: ForeignKeyShape[];
  /** Sequences owned by its columns (serial) or behind its identity columns. */
  sequences: OwnedSequence[];
}

type Queryable = Pick<pg.ClientBase, 'query'>;

/** Reads the shape of `table`; a PgbrError when there is no such table on that server. */
export async function tableShape(client: Queryable, table: QualifiedName, where = 'the database'): Promise<TableShape> {
  const found = await client.query<{ oid: number }>(
    `SELECT c.oid::int AS oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [table.schema, table.name],
  );
  const oid = found.rows[0]?.oid;
  if (oid === undefined) {
    throw new PgbrError('usage', `There is no table ${formatQualifiedName(table)} in ${where}: check the schema and the name (quoted names keep their case).`);
  }
  const columns = await client.query<{ name: string; type: string; not_null: boolean; generated: boolean; identity: string; user_type: boolean }>(
    `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            a.attgenerated <> '' AS generated, a.attidentity AS identity,
            (a.atttypid::int >= ${FIRST_USER_OID} OR COALESCE(NULLIF(t.typelem, 0)::int, 0) >= ${FIRST_USER_OID}) AS user_type
     FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  return {
    table,
    columns: columns.rows.map((c) => ({
      name: c.name,
      type: c.type,
      notNull: c.not_null,
      generated: c.generated,
      identity: c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by default' : undefined,
      userType: c.user_type,
    })),
    key: await rowKey(client, oid),
    ...(await foreignKeys(client, oid)),
    sequences: await ownedSequences(client, oid),
  };
}

async function rowKey(client: Queryable, oid: number): Promise<RowKey | undefined> {
  // The primary key, else the narrowest unique index on plain NOT NULL columns (no expression, no WHERE).
  const keys = await client.query<{ name: string; primary: boolean; columns: string[] }>(
    `SELECT ic.relname AS name, i.indisprimary AS primary,
            array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
     FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
     WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indexprs IS NULL AND i.indpred IS NULL
       AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey) k(attnum)
                       JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE NOT a.attnotnull)
       AND 0 <> ALL (i.indkey)
     ORDER BY i.indisprimary DESC, i.indnatts, ic.relname`,
    [oid],
  );
  const best = keys.rows[0];
  return best ? { columns: best.columns, kind: best.primary ? 'primary key' : 'unique not null', name: best.name } : undefined;
}

async function foreignKeys(client: Queryable, oid: number): Promise<Pick<TableShape, 'foreignKeys' | 'referencedBy'>> {
  const rows = await client.query<{ name: string; from_oid: number; from_schema: string; from_table: string; columns: string[]; to_schema: string; to_table: string; to_columns: string[]; on_delete: string; to_oid: number }>(
    `SELECT con.conname AS name, con.conrelid::int AS from_oid, fn.nspname AS from_schema, fc.relname AS from_table,
            array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
            tn.nspname AS to_schema, tc.relname AS to_table,
            array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n)
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS to_columns,
            con.confdeltype::text AS on_delete, con.confrelid::int AS to_oid
     FROM pg_catalog.pg_constraint con
     JOIN pg_catalog.pg_class fc ON fc.oid = con.conrelid JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
     JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
     WHERE con.contype = 'f' AND (con.conrelid = $1 OR con.confrelid = $1) AND con.conparentid = 0
     ORDER BY con.conname`,
    [oid],
  );
  const shapes = rows.rows.map((r) => ({
    fromOid: r.from_oid,
    toOid: r.to_oid,
    shape: {
      name: r.name,
      table: { schema: r.from_schema, name: r.from_table },
      columns: r.columns,
      references: { schema: r.to_schema, name: r.to_table },
      referencedColumns: r.to_columns,
      onDelete: r.on_delete,
    },
  }));
  return {
    foreignKeys: shapes.filter((s) => s.fromOid === oid).map((s) => s.shape),
    referencedBy: shapes.filter((s) => s.toOid === oid).map((s) => s.shape),
  };
}

async function ownedSequences(client: Queryable, oid: number): Promise<OwnedSequence[]> {
  // What pg_get_serial_sequence looks up: the sequence that depends on the column automatically (serial) or internally (identity).
  const rows = await client.query<{ column: string; schema: string; name: string }>(
    `SELECT a.attname AS column, sn.nspname AS schema, s.relname AS name
     FROM pg_catalog.pg_depend d
     JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
     JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
     JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
       AND d.refobjid = $1 AND d.deptype IN ('a', 'i')
     ORDER BY a.attnum`,
    [oid],
  );
  return rows.rows.map((r) => ({ column: r.column, sequence: { schema: r.schema, name: r.name } }));
}

/**
 * The columns rows are written into on the live table: those not generated there that the past table
 * had too (a column added since takes its default). A past column gone now, or of another type now,
 * blocks every way but a new table: a PgbrError names it.
 */
export function columnsToBringBack(past: TableShape, live: TableShape): ColumnShape[] {
  const table = formatQualifiedName(live.table);
  for (const then of past.columns) {
    const now = live.columns.find((c) => c.name === then.name);
    if (!now && then.generated) continue;
    if (!now) {
      throw new PgbrError('usage', `Column ${quoteIdent(then.name)} of ${table} was there then but is not now, so its values have nowhere to go: bring the table back as a new table instead.`);
    }
    if (now.type !== then.type) {
      throw new PgbrError('usage', `Column ${quoteIdent(then.name)} of ${table} was ${then.type} then and is ${now.type} now: bring the table back as a new table instead, and move the rows over by hand.`);
    }
  }
  return live.columns.filter((now) => !now.generated && past.columns.some((then) => then.name === now.name));
}
