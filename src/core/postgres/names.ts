// SQL identifiers: parse `schema.table` as PostgreSQL does, quote them back, and make exact pg_dump patterns.
import { PgbrError } from '../platform/errors';

export interface QualifiedName {
  schema: string;
  name: string;
}

/**
 * Parses a table name in SQL syntax: `orders` (meaning `public.orders`), `sales.orders`,
 * `public."a.b"`, `"My Schema"."Order""s"`. Unquoted parts fold to lower case, as the server does.
 */
export function parseQualifiedName(text: string, defaultSchema = 'public'): QualifiedName {
  const parts: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new PgbrError('usage', `"${text}" is not a table name (${why}): write it as in SQL, e.g. public.orders or "My Schema"."Order""s".`);
  };
  while (i <= text.length) {
    if (text[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('a double quote is not closed');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i];
        i++;
      }
      if (part === '') fail('an empty quoted name');
      parts.push(part);
    } else {
      const start = i;
      while (i < text.length && text[i] !== '.' && text[i] !== '"') i++;
      const raw = text.slice(start, i).trim();
      if (raw === '') fail('an empty name part');
      if (/\s/.test(raw)) fail(`"${raw}" has a space: put it in double quotes`);
      parts.push(raw.toLowerCase());
    }
    if (i >= text.length) break;
    if (text[i] !== '.') fail('expected a dot between schema and table');
    i++;
    if (i >= text.length) fail('nothing after the dot');
  }
  if (parts.length === 1) return { schema: defaultSchema, name: parts[0] as string };
  if (parts.length === 2) return { schema: parts[0] as string, name: parts[1] as string };
  return fail('more than two parts; a table name is schema.table');
}

/** Quotes an identifier when the server would otherwise read it differently. */
export function quoteIdent(id: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(id) && !RESERVED.has(id) ? id : `"${id.replace(/"/g, '""')}"`;
}

/** Always quotes: for SQL built from names, where being unambiguous beats being pretty. */
export function quoteIdentAlways(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}

export function formatQualifiedName(q: QualifiedName): string {
  return `${quoteIdent(q.schema)}.${quoteIdent(q.name)}`;
}

/**
 * A pg_dump `-t`/`-n` pattern that matches this name only. Inside double quotes the pattern
 * characters `*`, `?` and `.` are literal and case is kept, so `x*y` cannot pull in `xay`.
 */
export function exactTablePattern(q: QualifiedName): string {
  return `${quoteIdentAlways(q.schema)}.${quoteIdentAlways(q.name)}`;
}

export function exactSchemaPattern(schema: string): string {
  return quoteIdentAlways(schema);
}

export function sameName(a: QualifiedName, b: QualifiedName): boolean {
  return a.schema === b.schema && a.name === b.name;
}

// Words that must be quoted as identifiers (PostgreSQL's reserved keywords).
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation ' +
    'column concurrently constraint create cross current_catalog current_date current_role current_schema current_time ' +
    'current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze ' +
    'from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit ' +
    'localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references ' +
    'returning right select session_user similar some symmetric system_user table tablesample then to trailing true union ' +
    'unique user using variadic verbose when where window with'
  ).split(' '),
);

/** PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1) and silently drops the rest. */
export const MAX_NAME_BYTES = 63;

/** `base`, else `base_2`, `base_3`…: the first that no existing name takes, cut to fit 63 bytes. */
export function freeName(base: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? '' : `_${n}`;
    let stem = base;
    while (Buffer.byteLength(stem + suffix) > MAX_NAME_BYTES) stem = stem.slice(0, -1);
    const name = stem + suffix;
    if (!taken.has(name)) return name;
  }
}

/** Why `name` cannot be a new database on a server holding `taken`, in a sentence; undefined when it can. */
export function newDatabaseNameProblem(name: string, taken: ReadonlySet<string>): string | undefined {
  if (name.trim() === '') return 'Type a name for the new database.';
  if (name !== name.trim()) return 'The name starts or ends with a space: remove it.';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `The name is ${Buffer.byteLength(name)} bytes long; PostgreSQL keeps only ${MAX_NAME_BYTES}: shorten it.`;
  if (taken.has(name)) return `A database named "${name}" already exists on this server: choose another name (${freeName(name, taken)} is free).`;
  return undefined;
}
