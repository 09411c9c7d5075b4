// The pg_restore -L list for chosen tables: each table with what belongs to it, dangling foreign keys left out, and the schemas it needs.
import { PgbrError } from '../platform/errors';
import { quoteIdentAlways, type QualifiedName } from '../postgres/names';
import { readIdentifierChain, RELATION_DESCS, type Toc, type TocEntry } from './toc';

// ---------------------------------------------------------------------------------------------
// The -L list for chosen tables

export interface RestoreList {
  /** The entries to restore, in archive order (pg_restore restores a list in its order). */
  entries: TocEntry[];
  /** The list file's text: one `pg_restore --list` line per entry. */
  text: string;
}

/** Kinds that belong to a table and are restored with it (its `table` names it). */
const BELONGS_TO_TABLE = new Set(['CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'INDEX', 'TRIGGER', 'RULE', 'POLICY', 'ROW SECURITY', 'DEFAULT', 'STATISTICS']);
export const DATA_DESCS = new Set(['TABLE DATA', 'MATERIALIZED VIEW DATA']);
/** Entries about another entry: restored when what they describe is. */
const ABOUT_ANOTHER = new Set(['COMMENT', 'ACL', 'SECURITY LABEL']);

export const key = (schema: string | null, name: string) => `${schema ?? ''}\0${name}`;

/**
 * The `pg_restore -L` list that restores exactly the chosen tables: each TABLE and its TABLE DATA,
 * its constraints and foreign keys, indexes, triggers, rules, policies, column defaults, extended
 * statistics, the sequences it owns (with their OWNED BY and SET entries), and the comments, ACLs and
 * security labels on all of those. Dependencies from the archive decide what belongs to what; a list
 * read without them falls back on names. With `dataOnly`, only the rows and the owned sequences' values.
 */
export function buildRestoreList(
  entries: readonly TocEntry[],
  tables: readonly QualifiedName[],
  opts: { dataOnly?: boolean; schemas?: readonly string[] } = {},
): RestoreList {
  if (entries.some((e) => e.dumpId === null)) {
    throw new PgbrError('usage', 'restoring chosen tables needs a custom, directory or tar dump: a plain SQL dump has no table of contents pg_restore can pick from.');
  }
  const relations = new Map<string, TocEntry>();
  for (const e of entries) if (RELATION_DESCS.has(e.desc)) relations.set(key(e.schema, e.tag), e);

  const roots: TocEntry[] = [];
  for (const t of tables) {
    const found = relations.get(key(t.schema, t.name));
    if (!found) throw new PgbrError('usage', notInDumpMessage(t, [...relations.values()]));
    if (!roots.includes(found)) roots.push(found);
  }
  const rootIds = new Set(roots.map((r) => r.dumpId!));
  const rootKeys = new Set(roots.map((r) => key(r.schema, r.tag)));
  const hasDeps = entries.some((e) => e.dependencies !== undefined);
  const dependsOn = (e: TocEntry, ids: Set<number>) => (e.dependencies ?? []).some((d) => ids.has(d));
  const ofRoot = (e: TocEntry) => e.table !== undefined && rootKeys.has(key(e.schema, e.table));

  const byId = new Map(entries.map((e) => [e.dumpId!, e]));
  const chosen = new Set<number>();
  const sequences = new Set<number>();
  const sequenceKeys = new Set<string>();
  for (const e of entries) {
    const id = e.dumpId!;
    if (RELATION_DESCS.has(e.desc)) {
      if (rootIds.has(id) && !opts.dataOnly) chosen.add(id);
    } else if (DATA_DESCS.has(e.desc)) {
      if (hasDeps ? dependsOn(e, rootIds) : rootKeys.has(key(e.schema, e.tag))) chosen.add(id);
    } else if (e.desc === 'SEQUENCE') {
      // A sequence a table owns (serial, identity) depends on the table in the archive.
      if (hasDeps ? dependsOn(e, rootIds) : ofRoot(e)) {
        sequences.add(id);
        sequenceKeys.add(key(e.schema, e.tag));
        if (!opts.dataOnly) chosen.add(id);
      }
    } else if (BELONGS_TO_TABLE.has(e.desc)) {
      // `table` comes from the entry's drop statement or its dependencies (see toc.ts).
      if (!opts.dataOnly && ofRoot(e)) chosen.add(id);
    } else if (e.desc === 'TABLE ATTACH') {
      // Attaching a partition needs both the partition and its parent in the restore.
      const relationDeps = (e.dependencies ?? []).filter((d) => RELATION_DESCS.has(byId.get(d)?.desc ?? ''));
      if (!opts.dataOnly && relationDeps.length > 0 && relationDeps.every((d) => rootIds.has(d))) chosen.add(id);
    }
  }
  if (!hasDeps) {
    // Without dependencies, a serial column's sequence is found through its DEFAULT: <table>_<column>_seq.
    for (const e of entries) {
      if (e.desc !== 'DEFAULT' || !ofRoot(e)) continue;
      const seq = entries.find((s) => s.desc === 'SEQUENCE' && s.schema === e.schema && s.tag === `${e.table}_${e.name}_seq`);
      if (seq && !sequences.has(seq.dumpId!)) {
        sequences.add(seq.dumpId!);
        sequenceKeys.add(key(seq.schema, seq.tag));
        if (!opts.dataOnly) chosen.add(seq.dumpId!);
      }
    }
  }
  // Schemas the target lacks come from the dump's own SCHEMA entries, so their owner, grants and comment come too.
  const schemaKeys = new Set(opts.dataOnly ? [] : (opts.schemas ?? []));
  for (const e of entries) if (e.desc === 'SCHEMA' && schemaKeys.has(e.tag)) chosen.add(e.dumpId!);
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE OWNED BY' && e.desc !== 'SEQUENCE SET') continue;
    if (e.desc === 'SEQUENCE OWNED BY' && opts.dataOnly) continue;
    if (hasDeps ? dependsOn(e, sequences) : sequenceKeys.has(key(e.schema, e.tag))) chosen.add(e.dumpId!);
  }
  if (!opts.dataOnly) {
    for (const e of entries) {
      if (!ABOUT_ANOTHER.has(e.desc)) continue;
      const about = hasDeps
        ? (e.dependencies ?? []).some((d) => chosen.has(d) && byId.get(d)?.desc !== 'ACL')
        : describesChosen(e, rootKeys, sequenceKeys, schemaKeys, entries.filter((x) => chosen.has(x.dumpId!)));
      if (about) chosen.add(e.dumpId!);
    }
  }
  return listOf(entries.filter((e) => chosen.has(e.dumpId!)));
}

/** A `pg_restore -L` list of these entries, in their order. */
export function listOf(entries: readonly TocEntry[]): RestoreList {
  return { entries: [...entries], text: entries.map((e) => e.rawLine).join('\n') + '\n' };
}

/** A foreign key a restore leaves out, and the table it references that is not there. */
export interface LeftOutForeignKey {
  schema: string;
  table: string;
  name: string;
  references: QualifiedName;
}

/**
 * Leaves out the foreign keys that cannot be created: those whose referenced table is neither among
 * the restored ones (`tables`: the chosen tables, or every relation of a whole dump) nor in the target
 * (`present`). Comments on them go too. Each one left out gets a warning that says what to do, so the
 * restore still succeeds honestly for what it restored.
 */
export function withoutDanglingForeignKeys(
  list: RestoreList,
  tables: readonly QualifiedName[],
  present: (t: QualifiedName) => boolean,
): { list: RestoreList; warnings: string[]; left: LeftOutForeignKey[] } {
  const restored = new Set(tables.map((t) => key(t.schema, t.name)));
  const dangling = list.entries.filter(
    (e) => e.desc === 'FK CONSTRAINT' && e.references !== undefined && !restored.has(key(e.references.schema, e.references.name)) && !present(e.references),
  );
  if (dangling.length === 0) return { list, warnings: [], left: [] };
  const ids = new Set(dangling.map((e) => e.dumpId));
  const entries = list.entries.filter((e) => !ids.has(e.dumpId) && !(ABOUT_ANOTHER.has(e.desc) && (e.dependencies ?? []).some((d) => ids.has(d))));
  const left = dangling.map((e) => ({ schema: e.schema ?? '', table: e.table ?? '', name: e.name, references: e.references! }));
  const warnings = left.map((k) => {
    const ref = fmtName(k.references);
    return `foreign key ${quoteIdentAlways(k.name)} on ${fmtName({ schema: k.schema, name: k.table })} was not restored: it references ${ref}, which is neither restored nor in the target. Restore ${ref} too, then add the constraint again.`;
  });
  return { list: listOf(entries), warnings, left };
}

/** The relations a dump creates: what its foreign keys may reference without the target holding it. */
export function dumpRelations(entries: readonly TocEntry[]): QualifiedName[] {
  return entries.filter((e) => RELATION_DESCS.has(e.desc)).map((e) => ({ schema: e.schema ?? 'public', name: e.tag }));
}

/** Why a table is not in the dump, with the names that differ only in case or schema. */
function notInDumpMessage(t: QualifiedName, relations: TocEntry[]): string {
  const wanted = t.name.toLowerCase();
  const near = relations.filter((r) => r.tag.toLowerCase() === wanted).map((r) => `${quoteIdentAlways(r.schema ?? '')}.${quoteIdentAlways(r.tag)}`);
  const hint = near.length > 0 ? ` Did you mean ${near.join(' or ')}? Quote names that have capitals or special characters.` : ' List the tables in it with pgbr toc.';
  return `table ${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)} is not in this dump.${hint}`;
}

/** Schemas PostgreSQL creates itself or that no dump restores into. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

export interface NeededSchema {
  name: string;
  /** The dump's SCHEMA entry, when it has one (a dump made with --table has none). */
  entry?: TocEntry;
}

/**
 * The schemas the restored entries live in, each with the dump's SCHEMA entry when there is one.
 * `public` counts as having none: pg_dump 15+ writes its entry without a CREATE (initdb makes it).
 */
export function schemasNeeded(all: readonly TocEntry[], restored: readonly TocEntry[]): NeededSchema[] {
  const entries = new Map<string, TocEntry>();
  for (const e of all) if (e.desc === 'SCHEMA' && e.schema === null && e.tag !== 'public') entries.set(e.tag, e);
  const names = new Set<string>();
  for (const e of restored) if (e.schema !== null && !SYSTEM_SCHEMAS.has(e.schema) && !e.schema.startsWith('pg_temp')) names.add(e.schema);
  return [...names].map((name) => {
    const entry = entries.get(name);
    return entry ? { name, entry } : { name };
  });
}

/**
 * For lists without dependencies: whether a COMMENT/ACL tag (`TABLE "Order""s"`, `COLUMN t.c`,
 * `CONSTRAINT c ON t`, `SEQUENCE s`, `INDEX i`) describes a chosen table or something of it.
 */
function describesChosen(e: TocEntry, rootKeys: Set<string>, sequenceKeys: Set<string>, schemaKeys: Set<string>, chosen: TocEntry[]): boolean {
  const m = /^([A-Z]+(?: [A-Z]+)*) /.exec(e.tag);
  if (!m) return false;
  const kind = m[1]!;
  const object = readIdentifierChain(e.tag, m[0].length);
  if (!object) return false;
  const first = object.parts[0]!;
  if (kind === 'SCHEMA') return e.schema === null && schemaKeys.has(first);
  if (kind === 'COLUMN') return rootKeys.has(key(e.schema, first));
  if (RELATION_DESCS.has(kind)) return rootKeys.has(key(e.schema, first));
  if (kind === 'SEQUENCE') return sequenceKeys.has(key(e.schema, first));
  const on = / ON /.exec(e.tag.slice(object.end)) ? readIdentifierChain(e.tag, object.end + 4) : undefined;
  if (on) return rootKeys.has(key(e.schema, on.parts.at(-1)!));
  if (kind === 'INDEX') return chosen.some((c) => c.desc === 'INDEX' && c.schema === e.schema && c.tag === first);
  return false;
}

export const fmtName = (t: QualifiedName) => `${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)}`;

/** The relations of a dump that hold rows: what a whole data-only restore empties and loads. */
export function dumpTables(toc: Toc): QualifiedName[] {
  const withData = new Set(toc.entries.filter((e) => e.desc === 'TABLE DATA').map((e) => key(e.schema, e.tag)));
  return toc.entries
    .filter((e) => e.desc === 'TABLE' && withData.has(key(e.schema, e.tag)))
    .map((e) => ({ schema: e.schema ?? 'public', name: e.tag }));
}
