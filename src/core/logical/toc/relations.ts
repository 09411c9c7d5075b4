// Which table an index, constraint, default or data entry belongs to, and identifiers in SQL text.
import type { EntrySink } from './cursor';
import { RELATION_DESCS, TABLE_ATTACHED, TABLE_PREFIXED, type TocEntry } from './types';

/**
 * The table a foreign key's definition references: `ALTER TABLE ONLY public.orders ADD CONSTRAINT f
 * FOREIGN KEY (c) REFERENCES public."Cust""omers"(id);`. pg_dump writes the name schema-qualified.
 */
export function referencedTable(defn: string): { schema: string | null; name: string } | undefined {
  const at = /\bREFERENCES /.exec(defn);
  if (!at) return undefined;
  const chain = readIdentifierChain(defn, at.index + at[0].length);
  if (!chain || chain.parts.length === 0) return undefined;
  const parts = chain.parts;
  return parts.length >= 2 ? { schema: parts[parts.length - 2]!, name: parts[parts.length - 1]! } : { schema: null, name: parts[0]! };
}

export function toEntries(sink: EntrySink): TocEntry[] {
  resolveTables(sink.listed, sink.all, sink.dropTables);
  return sink.listed;
}

/**
 * The table a constraint, trigger, rule, policy or default's drop statement names:
 * `ALTER TABLE ONLY public."a b" DROP CONSTRAINT x;`, `DROP TRIGGER t ON public.orders;`.
 */
export function tableInDropStatement(desc: string, drop: string): string | undefined {
  const onMatch = desc === 'TRIGGER' || desc === 'RULE' || desc === 'POLICY';
  let i: number;
  if (onMatch) {
    // DROP TRIGGER <name> ON <table>: skip the object's (possibly quoted) name first.
    const m = /^DROP (?:TRIGGER|RULE|POLICY) /.exec(drop);
    if (!m) return undefined;
    const own = readIdentifierChain(drop, m[0].length);
    if (!own) return undefined;
    if (drop.slice(own.end, own.end + 4) !== ' ON ') return undefined;
    i = own.end + 4;
  } else {
    const m = /^ALTER (?:TABLE|FOREIGN TABLE) (?:ONLY )?(?:IF EXISTS )?/.exec(drop);
    if (!m) return undefined;
    i = m[0].length;
  }
  const chain = readIdentifierChain(drop, i);
  return chain?.parts.at(-1);
}

/** Fills `table` and `name` for entries that belong to a table, from drop statements and dependencies where known. */
export function resolveTables(entries: TocEntry[], all: TocEntry[], dropTables: Map<number, string> = new Map()): void {
  // Dump ids are small dense integers: an array beats a map here.
  const byId: (TocEntry | undefined)[] = [];
  for (const e of all) if (e.dumpId !== null) byId[e.dumpId] = e;
  // Only needed when neither a drop statement nor dependencies say it: built on first use.
  let relationsBySchema: Map<string, string[]> | undefined;
  const relationsOf = (schema: string | null): string[] => {
    if (!relationsBySchema) {
      relationsBySchema = new Map();
      for (const e of entries) {
        if (!RELATION_DESCS.has(e.desc)) continue;
        const list = relationsBySchema.get(e.schema ?? '') ?? [];
        list.push(e.tag);
        relationsBySchema.set(e.schema ?? '', list);
      }
      for (const list of relationsBySchema.values()) list.sort((a, b) => b.length - a.length);
    }
    return relationsBySchema.get(schema ?? '') ?? [];
  };

  const ownerTable = (e: TocEntry): string | undefined => {
    const fromDrop = e.dumpId !== null ? dropTables.get(e.dumpId) : undefined;
    if (fromDrop !== undefined) return fromDrop;
    if (e.desc === 'TABLE DATA' || e.desc === 'ROW SECURITY' || e.desc === 'TABLE ATTACH') return e.tag;
    const prefixed = TABLE_PREFIXED.has(e.desc);
    let best: string | undefined;
    let candidates = 0;
    for (const id of e.dependencies ?? []) {
      const d = byId[id];
      if (!d || !RELATION_DESCS.has(d.desc) || d.schema !== e.schema) continue;
      if (!prefixed) return d.tag;
      if (!startsWithWord(e.tag, d.tag)) continue;
      candidates++;
      if (best === undefined || d.tag.length > best.length) best = d.tag;
    }
    // `a b c` on tables `a` and `a b`: both readings fit, the longer table is a guess.
    if (candidates > 1) e.ambiguous = true;
    if (best !== undefined || !prefixed) return best;
    if (e.dependencies !== undefined) return undefined;
    // No dependencies to go by (a list read without --verbose): the longest table of the schema the tag starts with.
    const tag = e.tag;
    const known = relationsOf(e.schema);
    for (let cut = tag.lastIndexOf(' '); cut > 0; cut = tag.lastIndexOf(' ', cut - 1)) {
      const candidate = tag.slice(0, cut);
      if (knownSet(known).has(candidate)) return candidate;
    }
    return undefined;
  };

  for (const e of entries) {
    if (!TABLE_ATTACHED.has(e.desc) && e.desc !== 'SEQUENCE') continue;
    const table = ownerTable(e);
    if (table === undefined) continue;
    e.table = table;
    if (TABLE_PREFIXED.has(e.desc) && startsWithWord(e.tag, table)) e.name = e.tag.slice(table.length + 1);
  }
  // A sequence's SET and OWNED BY entries belong to the sequence's table.
  const sequenceTable = new Map<string | null, Map<string, string>>();
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE' || e.table === undefined) continue;
    let inSchema = sequenceTable.get(e.schema);
    if (!inSchema) sequenceTable.set(e.schema, (inSchema = new Map<string, string>()));
    inSchema.set(e.tag, e.table);
  }
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE SET' && e.desc !== 'SEQUENCE OWNED BY') continue;
    const table = sequenceTable.get(e.schema)?.get(e.tag);
    if (table !== undefined) e.table = table;
  }
}

/** `tag` is `word` followed by a space and more: `orders orders_pkey` starts with the word `orders`. */
function startsWithWord(tag: string, word: string): boolean {
  return tag.length > word.length + 1 && tag.charCodeAt(word.length) === 32 && tag.startsWith(word);
}

const knownSets = new WeakMap<string[], Set<string>>();
function knownSet(list: string[]): Set<string> {
  let set = knownSets.get(list);
  if (!set) {
    set = new Set(list);
    knownSets.set(list, set);
  }
  return set;
}

// Identifiers in SQL text

/**
 * Reads `a`, `"A b"."c""d"` or `public.orders` starting at `i`: unquoted parts fold to lower case as
 * the server folds them. Returns undefined when no identifier starts there.
 */
export function readIdentifierChain(s: string, i: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  for (;;) {
    if (s[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0) return undefined;
        part += s.slice(i, q);
        if (s[q + 1] === '"') {
          part += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      parts.push(part);
    } else {
      const start = i;
      while (i < s.length && isIdentChar(s.charCodeAt(i), i === start)) i++;
      if (i === start) return undefined;
      parts.push(s.slice(start, i).toLowerCase());
    }
    if (s[i] !== '.') return { parts, end: i };
    i++;
  }
}

function isIdentChar(code: number, first: boolean): boolean {
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 128) return true;
  return !first && ((code >= 48 && code <= 57) || code === 36);
}
