// Editing pgbackup.yaml in place. The file is the user's: comments, blank lines, quoting and alignment must survive an
// add or a remove. A block list (the usual layout) is edited as text at the lines the parser
// located, then parsed back and compared with the intended data; any other layout, or a text edit
// that fails that check, goes through the yaml Document, which keeps comments but may re-indent.
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLSeq } from 'yaml';
import { PgbrError } from '../platform/errors';
import { type ConnectionEntry, type EntryField, WORKSPACE_CONFIG_FILE } from './yamlConfig';
import { resolve } from './yamlNodes';
import { CONNECTION_KEYS, KNOWN_CONNECTION_KEYS, readConnectionEntry } from './yamlEntry';

const EDIT_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

interface ParsedForEdit {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  connections?: YAMLSeq;
}

function parseForEdit(text: string): ParsedForEdit {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, keepSourceTokens: true, merge: true });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new PgbrError('config', `${WORKSPACE_CONFIG_FILE} has a YAML syntax error at line ${line} (${first.message}): fix it first`, {
      line,
      column: col,
    });
  }
  if (doc.contents !== null && !isMap(doc.contents) && !(isScalar(doc.contents) && doc.contents.value === null)) {
    throw new PgbrError('config', `${WORKSPACE_CONFIG_FILE} must be a mapping with a "connections:" list at the top level: fix it first`);
  }
  const value = isMap(doc.contents) ? doc.contents.get('connections', true) : undefined;
  if (value !== undefined && value !== null && !isSeq(value) && !(isScalar(value) && value.value === null)) {
    throw new PgbrError('config', `"connections" in ${WORKSPACE_CONFIG_FILE} must be a list: fix it first`);
  }
  return { doc, lineCounter, connections: isSeq(value) ? value : undefined };
}

function entryName(doc: Document.Parsed, item: unknown): string | undefined {
  const map = resolve(doc, item as Node | null);
  if (!isMap(map)) return undefined;
  const name: unknown = map.get('name');
  return typeof name === 'string' || typeof name === 'number' ? String(name) : undefined;
}

/** The entry as it will be written: known keys in a stable order, nothing undefined. */
function entryObject(entry: ConnectionEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = entry as unknown as Record<string, unknown>;
  for (const key of CONNECTION_KEYS) {
    const value = source[key];
    if (value === undefined || value === '') continue;
    if (key === 'options' && value && typeof value === 'object' && !Object.keys(value).length) continue;
    out[key] = value;
  }
  // Unknown keys are kept so the check before writing refuses them (a stray `password` above all).
  for (const [key, value] of Object.entries(source)) if (!KNOWN_CONNECTION_KEYS.has(key) && value !== undefined) out[key] = value;
  return out;
}

/** Adds a connection at the end of the list, creating the file's content or the list when missing. */
export function addConnectionToYaml(text: string | undefined, entry: ConnectionEntry): string {
  const object = entryObject(entry);
  const fields = Object.entries(object).map(([key, value]): EntryField => ({ key, value }));
  const checked = readConnectionEntry(fields, 0);
  const issue = checked.issues[0];
  if (issue || checked.name === undefined) throw new PgbrError('config', issue?.message ?? 'a connection needs a name');
  object.name = checked.name;
  const eol = text?.includes('\r\n') ? '\r\n' : '\n';
  if (text === undefined || !text.trim()) {
    return [
      '# Connection profiles for PG Backup. Passwords never go here: use "Set password…" or ~/.pgpass.',
      'connections:',
      ...entryLines(object, 2),
      '',
    ].join(eol);
  }

  const parsed = parseForEdit(text);
  const { doc, connections } = parsed;
  const before = connections?.items.map((item) => entryName(doc, item)) ?? [];
  if (before.includes(checked.name)) {
    throw new PgbrError('config', `a connection named "${checked.name}" already exists in ${WORKSPACE_CONFIG_FILE}: choose another name`);
  }
  const expected = { ...(doc.toJS() as Record<string, unknown> | null) };
  expected.connections = [...((expected.connections as unknown[] | null) ?? []), object];
  const spliced = spliceAdd(text, parsed, object, eol);
  if (spliced !== undefined && sameData(spliced, expected)) return spliced;

  const fallback: Document = parseDocument(text, { merge: true });
  const node = fallback.createNode(object);
  if (!isMap(fallback.contents)) fallback.contents = fallback.createNode({ connections: [node] });
  else {
    const list = fallback.contents.get('connections', true);
    if (isSeq(list)) list.items.push(node);
    else fallback.contents.set('connections', fallback.createNode([node]));
  }
  return fallback.toString(EDIT_OPTIONS);
}

/** Text insertion for a block list, a bare `connections:` or no list at all; undefined when the layout is unusual. */
function spliceAdd(text: string, parsed: ParsedForEdit, object: Record<string, unknown>, eol: string): string | undefined {
  const { doc, lineCounter, connections } = parsed;
  const lines = text.split('\n');
  const withEol = (added: string[]) => added.map((l) => (eol === '\r\n' ? `${l}\r` : l));
  if (connections) {
    const dashes = dashOffsets(connections);
    const lastItem = connections.items[connections.items.length - 1] as Node | undefined;
    const lastDash = dashes[dashes.length - 1];
    if (connections.flow || lastDash === undefined || !lastItem?.range || dashes.length !== connections.items.length) return undefined;
    const dashColumn = lineCounter.linePos(lastDash).col - 1;
    const firstKey = firstKeyColumn(connections.items[0], lineCounter);
    const contentColumn = firstKey ?? dashColumn + 2;
    const endLine = itemEndLine(text, lines, lineCounter, lastItem, dashColumn);
    lines.splice(endLine + 1, 0, ...withEol(entryLines(object, dashColumn, contentColumn)));
    return lines.join('\n');
  }
  const root = isMap(doc.contents) ? doc.contents : undefined;
  const pair = root?.items.find((p) => isScalar(p.key) && p.key.value === 'connections');
  if (!pair) {
    // No list yet: it starts at the end of the file, at the top level.
    if (root && (root.flow || firstKeyColumn(root, lineCounter) !== 0)) return undefined;
    const body = text.endsWith('\n') ? text : `${text}${eol}`;
    return body + withEol(['connections:', ...entryLines(object, 2)]).join('\n') + '\n';
  }
  // `connections:` with nothing after it: the list goes on the lines below the key.
  const key = pair.key as Node;
  if (!key.range) return undefined;
  const keyPos = lineCounter.linePos(key.range[0]);
  lines.splice(keyPos.line, 0, ...withEol(entryLines(object, keyPos.col - 1 + 2)));
  return lines.join('\n');
}

/** Removes the named connection with the comment lines directly above it. */
export function removeConnectionFromYaml(text: string, name: string): string {
  const parsed = parseForEdit(text);
  const { doc, connections } = parsed;
  const index = connections?.items.findIndex((item) => entryName(doc, item) === name) ?? -1;
  if (!connections || index < 0) {
    throw new PgbrError(
      'config',
      `there is no connection named "${name}" in ${WORKSPACE_CONFIG_FILE}: it may have been renamed or removed already`,
    );
  }
  const expected = { ...(doc.toJS() as Record<string, unknown>) };
  const list = [...(expected.connections as unknown[])];
  list.splice(index, 1);
  expected.connections = list.length ? list : null;

  const spliced = spliceRemove(text, parsed, index);
  if (spliced !== undefined && sameData(spliced, expected)) return spliced;

  const fallback = parseDocument(text, { merge: true });
  const seq = isMap(fallback.contents) ? fallback.contents.get('connections', true) : undefined;
  if (isSeq(seq)) seq.items.splice(index, 1);
  return fallback.toString(EDIT_OPTIONS);
}

function spliceRemove(text: string, parsed: ParsedForEdit, index: number): string | undefined {
  const { lineCounter, connections } = parsed;
  if (!connections || connections.flow) return undefined;
  const dashes = dashOffsets(connections);
  const dash = dashes[index];
  const item = connections.items[index] as Node | undefined;
  if (dash === undefined || !item?.range || dashes.length !== connections.items.length) return undefined;
  const lines = text.split('\n');
  const dashPos = lineCounter.linePos(dash);
  const dashColumn = dashPos.col - 1;
  let start = dashPos.line - 1;
  // Nothing else may share the dash's line (a flow or compact layout).
  if ((lines[start] ?? '').slice(0, dashColumn).trim()) return undefined;
  while (start > 0 && isCommentAt(lines[start - 1] ?? '', (indent) => indent === dashColumn)) start--;
  let end = itemEndLine(text, lines, lineCounter, item, dashColumn);
  // The blank line after the entry separated it from the next: drop it when nothing is left to separate
  // from above, so neither two blank lines nor a blank right under `connections:` remain.
  const blankAbove = start > 0 && !lines[start - 1]?.trim();
  const blankBelow = end + 2 < lines.length && !lines[end + 1]?.trim();
  if (blankBelow && (blankAbove || index === 0)) end++;
  lines.splice(start, end - start + 1);
  return lines.join('\n');
}

/** 1-based line of the named connection's entry, for revealing it in an editor. */
export function findConnectionLine(text: string, name: string): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true });
  const list = isMap(doc.contents) ? doc.contents.get('connections', true) : undefined;
  if (!isSeq(list)) return undefined;
  const item = list.items.find((i) => entryName(doc, i) === name) as Node | undefined;
  return item?.range ? lineCounter.linePos(item.range[0]).line : undefined;
}

/** Offsets of each item's `-`, from the concrete syntax the parser kept. */
function dashOffsets(seq: YAMLSeq): number[] {
  const token = seq.srcToken;
  if (token?.type !== 'block-seq') return [];
  const offsets: number[] = [];
  for (const item of token.items) {
    const dash = item.start.find((t) => t.type === 'seq-item-ind');
    if (dash) offsets.push(dash.offset);
  }
  return offsets;
}

function firstKeyColumn(node: unknown, lineCounter: LineCounter): number | undefined {
  if (!isMap(node) || node.flow) return undefined;
  const key = node.items[0]?.key as Node | undefined;
  return key?.range ? lineCounter.linePos(key.range[0]).col - 1 : undefined;
}

/** 0-based last line of an item: its last content line, plus comment lines indented under it. */
function itemEndLine(text: string, lines: string[], lineCounter: LineCounter, item: Node, dashColumn: number): number {
  const range = item.range as [number, number, number];
  let end = range[2];
  while (end > range[0] && /\s/.test(text[end - 1] ?? '')) end--;
  let line = lineCounter.linePos(Math.max(range[0], end - 1)).line - 1;
  while (line + 1 < lines.length && isCommentAt(lines[line + 1] ?? '', (indent) => indent > dashColumn)) line++;
  return line;
}

function isCommentAt(line: string, indentOk: (indent: number) => boolean): boolean {
  const trimmed = line.trimStart();
  return trimmed.startsWith('#') && indentOk(line.length - trimmed.length);
}

/** The entry rendered by the yaml library (for quoting), as list-item lines at the given indents. */
function entryLines(object: Record<string, unknown>, dashColumn: number, contentColumn = dashColumn + 2): string[] {
  const body = new Document(object).toString(EDIT_OPTIONS).replace(/\n$/, '').split('\n');
  const dash = `${' '.repeat(dashColumn)}-`.padEnd(contentColumn, ' ');
  return body.map((line, i) => (i === 0 ? dash : ' '.repeat(contentColumn)) + line);
}

function sameData(text: string, expected: unknown): boolean {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length) return false;
  return JSON.stringify(doc.toJS()) === JSON.stringify(expected);
}
