// Walking pgbackup.yaml's nodes with their positions: aliases resolved within a limit, map keys as names, an entry's keys with where each was written.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type ParsedNode, type YAMLMap } from 'yaml';
import type { EntryField, Position } from './yamlConfig';

/** Alias uses expanded per value: shared defaults need a handful; an alias bomb needs millions. */
export const MAX_ALIAS_COUNT = 100;

/** A value whose aliases expand past MAX_ALIAS_COUNT, with where it was written. */
export class AliasBomb extends Error {
  constructor(
    readonly key: string,
    readonly at: Position | undefined,
  ) {
    super('too many aliases');
  }
}

/** `node.toJS` with the alias limit, turning the library's refusal into an `AliasBomb` for `key` at `at`. */
export function valueOf(doc: Document.Parsed, node: ParsedNode, key: string, at: Position | undefined): unknown {
  try {
    return node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) throw new AliasBomb(key, at);
    throw e;
  }
}


/** A map key written as a plain name, number or boolean; undefined for empty or complex keys. */
export function keyText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const { value } = node;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

export function resolve(doc: Document.Parsed, node: Node | null | undefined): ParsedNode | null {
  if (!node) return null;
  if (isAlias(node)) return (node.resolve(doc) as ParsedNode | undefined) ?? null;
  return node as ParsedNode;
}

/** The keys of one entry with their positions; `<<: *anchor` merges add keys the entry does not set. */
export function entryFields(doc: Document.Parsed, map: YAMLMap, positionOf: (offset: number) => Position): EntryField[] {
  const fields: EntryField[] = [];
  const merged: EntryField[] = [];
  for (const pair of map.items) {
    const key = pair.key;
    const valueNode = resolve(doc, pair.value as Node | null);
    if (isScalar(key) && (typeof key.value === 'symbol' || key.value === '<<')) {
      const sources = isSeq(valueNode) ? valueNode.items.map((n) => resolve(doc, n as Node | null)) : [valueNode];
      for (const source of sources) if (isMap(source)) merged.push(...entryFields(doc, source, positionOf));
      continue;
    }
    const keyRange = (key as Node | null)?.range;
    const keyAt = keyRange ? positionOf(keyRange[0]) : undefined;
    const valueAt = valueNode?.range ? positionOf(valueNode.range[0]) : keyAt;
    const field: EntryField = {
      key: keyText(key) ?? String(key),
      value: valueNode ? valueOf(doc, valueNode, keyText(key) ?? String(key), valueAt) : null,
    };
    if (isScalar(valueNode) && valueNode.type === 'PLAIN' && typeof valueNode.source === 'string') field.text = valueNode.source;
    // A nested mapping (a plan's keep: or notify:) keeps its keys' positions too.
    if (isMap(valueNode)) field.entries = entryFields(doc, valueNode, positionOf);
    // A list (a plan's offsite: targets) keeps each item's position, and a mapping item its keys'.
    if (isSeq(valueNode)) {
      field.items = valueNode.items.map((n) => {
        const item = resolve(doc, n);
        const at = item?.range ? positionOf(item.range[0]) : valueAt;
        return { ...(at ? { at } : {}), ...(isMap(item) ? { entries: entryFields(doc, item, positionOf) } : {}) };
      });
    }
    if (keyAt) field.keyAt = keyAt;
    field.valueAt = valueAt;
    fields.push(field);
  }
  const own = new Set(fields.map((f) => f.key));
  const fromMerges = new Set<string>();
  for (const field of merged) {
    if (own.has(field.key) || fromMerges.has(field.key)) continue;
    fromMerges.add(field.key);
    fields.push(field);
  }
  return fields;
}
