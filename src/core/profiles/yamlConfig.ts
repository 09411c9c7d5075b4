// The workspace file pgbackup.yaml: reading it into profiles with located problems, and editing it in place.
//
// Schema:
//
//   connections:            # list of profiles
//     - name: local         # required, unique
//       uri: postgresql://app@localhost:5433/app   # either uri ...
//     - name: prod          # ... or fields
//       host: db.example.com
//       port: 5432
//       user: backup
//       database: app
//       sslmode: require    # disable, allow, prefer, require, verify-ca or verify-full
//       options: { connect_timeout: "5" }   # any other libpq keyword
//     - name: billing
//       service: billing    # a section of pg_service.conf; keys set here override it
//   dumpFolders: [dumps]    # folders that hold dumps
//   dumpNameTemplate: "{db}_{yyyyMMdd-HHmmss}"
//   archives: [/srv/wal-archive]
//   baseBackupFolder: /srv/base
//   rpo: 15m                # recovery point objective: newest archived WAL at most this old
//   rto: 1h                 # recovery time objective: last measured restore at most this long
//   baseBackupMaxAge: 7d    # newest base backup at most this old
//   dumpMaxAge: 1d          # newest verified dump at most this old
//   retention: { keepDumps: 14, keepBaseBackups: 4 }
//   offsite: s3://bucket/pg # or { target: s3://bucket/pg, command: "rclone sync …" }
//
// Durations are a number and a unit (90s, 5m, 1h, 2d, 1w); the health checks read them (see core/health).
//
// Passwords are refused anywhere in the file: use "Set password…" (VS Code SecretStorage) or ~/.pgpass.
// Top-level keys starting with `x-` are ignored, so anchors for shared fields can live there
// (`x-defaults: &defaults` … `<<: *defaults`).

import * as path from 'node:path';
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type ParsedNode,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { PgbrError } from '../platform/errors';
import { parseDuration } from '../health/health';
import { closestMatch, parseConnectionUri, parsePort, parseSslMode } from './uri';
import type { ConnectionParams, ConnectionProfile, ProfileProblem, ProfileSource, SslMode } from './types';

export const WORKSPACE_CONFIG_FILE = 'pgbackup.yaml';

/** The whole of pgbackup.yaml; keys of later features are only checked for their shape. */
export interface WorkspaceConfig {
  /** The valid connection profiles, in file order (services not yet resolved). */
  connections: ConnectionProfile[];
  dumpFolders?: string[];
  dumpNameTemplate?: string;
  archives?: unknown[];
  baseBackupFolder?: string;
  rpo?: string | number;
  rto?: string | number;
  baseBackupMaxAge?: string;
  dumpMaxAge?: string;
  retention?: unknown;
  /** A location (`s3://bucket/pg`), or how and where copies go. */
  offsite?: string | { target?: string; command?: string };
}

export interface UriConnectionEntry {
  name: string;
  uri: string;
}

export interface FieldsConnectionEntry {
  name: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  sslmode?: SslMode;
  service?: string;
  options?: Record<string, string>;
}

/** A connection as written in pgbackup.yaml or the pgBackup.connections setting. */
export type ConnectionEntry = UriConnectionEntry | FieldsConnectionEntry;

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** One key of a connection entry, from YAML or from the JSON setting, with where it was written when known. */
export interface EntryField {
  key: string;
  value: unknown;
  /** A plain YAML scalar as written, so `host: 0x1F` stays "0x1F" instead of becoming 31. */
  text?: string;
  keyAt?: Position;
  valueAt?: Position;
}

export interface EntryIssue {
  message: string;
  key?: string;
  at?: Position;
}

export interface ReadEntry {
  name?: string;
  /** Absent when an issue makes the entry unusable: a half-read profile could reach the wrong server. */
  params?: ConnectionParams;
  service?: string;
  issues: EntryIssue[];
}

const CONNECTION_KEYS = ['name', 'uri', 'host', 'port', 'user', 'database', 'sslmode', 'service', 'options'] as const;
const KNOWN_CONNECTION_KEYS = new Set<string>(CONNECTION_KEYS);
const URI_EXCLUSIVE_KEYS = ['host', 'port', 'user', 'database', 'sslmode', 'service'];
/** Spellings from other tools, mapped to ours for the "did you mean" hint. */
const KEY_ALIASES: Record<string, string> = {
  dbname: 'database',
  db: 'database',
  username: 'user',
  hostname: 'host',
  hostaddr: 'host',
  url: 'uri',
  ssl: 'sslmode',
};
/** libpq keywords that have a key of their own, so `options` must not set them too. */
const OPTIONS_RESERVED: Record<string, string> = {
  host: 'host',
  port: 'port',
  user: 'user',
  dbname: 'database',
  sslmode: 'sslmode',
  service: 'service',
};
const TOP_LEVEL_KEYS = [
  'connections',
  'dumpFolders',
  'dumpNameTemplate',
  'archives',
  'baseBackupFolder',
  'rpo',
  'rto',
  'baseBackupMaxAge',
  'dumpMaxAge',
  'retention',
  'offsite',
] as const;

/**
 * pgbackup.yaml holds profiles and settings, never data: 256 KiB is over 4,000 profiles and about a
 * second to parse, where 1 MiB took 2 s and 10 MB 10 s and 950 MB, each time the file is read.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Alias uses expanded per value: shared defaults need a handful; an alias bomb needs millions. */
const MAX_ALIAS_COUNT = 100;

/** A value whose aliases expand past MAX_ALIAS_COUNT, with where it was written. */
class AliasBomb extends Error {
  constructor(
    readonly key: string,
    readonly at: Position | undefined,
  ) {
    super('too many aliases');
  }
}

/** `node.toJS` with the alias limit, turning the library's refusal into an `AliasBomb` for `key` at `at`. */
function valueOf(doc: Document.Parsed, node: ParsedNode, key: string, at: Position | undefined): unknown {
  try {
    return node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) throw new AliasBomb(key, at);
    throw e;
  }
}

const PASSWORD_REFUSED = 'passwords are not kept in plain text: remove it and use "Set password…" or ~/.pgpass';

function listKeys(keys: readonly string[]): string {
  return `${keys.slice(0, -1).join(', ')} and ${keys[keys.length - 1] ?? ''}`;
}

/**
 * Checks one connection entry and turns it into parameters. `index` (0-based) names an entry that
 * has no name yet. Shared by pgbackup.yaml and the pgBackup.connections setting so both say the same.
 */
export function readConnectionEntry(fields: readonly EntryField[], index: number, at?: Position): ReadEntry {
  const issues: EntryIssue[] = [];
  const byKey = new Map<string, EntryField>();
  for (const field of fields) if (!byKey.has(field.key)) byKey.set(field.key, field);

  let name: string | undefined;
  const nameField = byKey.get('name');
  if (nameField) {
    const text = scalarText(nameField);
    if (text?.trim()) name = text.trim();
  }
  const label = name !== undefined ? `connection "${name}"` : `connection #${index + 1}`;
  if (name === undefined) {
    const message = `${label} has no name: add "name:" with a name unique in this list`;
    issues.push({ message, key: 'name', at: nameField?.valueAt ?? at });
  }

  const params: ConnectionParams = {};
  let service: string | undefined;
  let uri: string | undefined;
  const fail = (field: EntryField, message: string, onKey = false) =>
    issues.push({ message, key: field.key, at: (onKey ? field.keyAt : field.valueAt ?? field.keyAt) ?? at });
  const text = (field: EntryField): string | undefined => {
    if (field.value === null || field.value === undefined || field.value === '') {
      fail(field, `"${field.key}" in ${label} is empty: give it a value or remove the key`);
      return undefined;
    }
    const value = scalarText(field);
    if (value === undefined) fail(field, `"${field.key}" in ${label} must be a single text value, not a list or mapping`);
    return value;
  };

  for (const field of fields) {
    switch (field.key) {
      case 'name':
        break;
      case 'password':
        fail(field, `${label} has a "password" key, but ${PASSWORD_REFUSED}`, true);
        break;
      case 'uri':
        uri = text(field);
        break;
      case 'host': {
        const v = text(field);
        if (v !== undefined) params.host = v;
        break;
      }
      case 'user': {
        const v = text(field);
        if (v !== undefined) params.user = v;
        break;
      }
      case 'database': {
        const v = text(field);
        if (v !== undefined) params.database = v;
        break;
      }
      case 'service':
        service = text(field);
        break;
      case 'port': {
        const v = typeof field.value === 'number' ? field.value : text(field);
        if (v === undefined) break;
        try {
          params.port = parsePort(v);
        } catch (e) {
          fail(field, `${label}: ${messageOf(e)}`);
        }
        break;
      }
      case 'sslmode': {
        const v = text(field);
        if (v === undefined) break;
        try {
          params.sslmode = parseSslMode(v);
        } catch (e) {
          fail(field, `${label}: ${messageOf(e)}`);
        }
        break;
      }
      case 'options': {
        const options = readOptions(field, label, fail);
        if (options) params.options = options;
        break;
      }
      default: {
        const guess = KEY_ALIASES[field.key] ?? closestMatch(field.key, CONNECTION_KEYS);
        const hint = guess ? `did you mean "${guess}"?` : `remove it; the keys are ${listKeys(CONNECTION_KEYS)}`;
        fail(field, `unknown key "${field.key}" in ${label}: ${hint}`, true);
      }
    }
  }

  if (byKey.has('uri')) {
    for (const key of URI_EXCLUSIVE_KEYS) {
      const other = byKey.get(key);
      if (other) fail(other, `${label} sets both "uri" and "${key}": keep one of them`, true);
    }
    if (uri !== undefined) {
      try {
        const fromUri = parseConnectionUri(uri);
        const { service: uriService, ...uriOptions } = fromUri.options ?? {};
        if (uriService !== undefined) service = uriService;
        const options = { ...uriOptions, ...params.options };
        Object.assign(params, fromUri);
        delete params.options;
        if (Object.keys(options).length) params.options = options;
      } catch (e) {
        const uriField = byKey.get('uri');
        if (uriField) fail(uriField, `${label}: ${messageOf(e)}`);
      }
    }
  }

  const entry: ReadEntry = { issues };
  if (name !== undefined) entry.name = name;
  if (!issues.length) {
    entry.params = params;
    if (service !== undefined) entry.service = service;
  }
  return entry;
}

const OFFSITE_SHAPE = '"offsite" must be a location like s3://bucket/pg, or a mapping like { target: s3://bucket/pg, command: "rclone sync …" }';

/** The offsite declaration as typed, or what is wrong with it. */
function readOffsite(value: unknown): { offsite: NonNullable<WorkspaceConfig['offsite']> } | { problem: string } {
  if (typeof value === 'string') return value.trim() ? { offsite: value.trim() } : { problem: OFFSITE_SHAPE };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: OFFSITE_SHAPE };
  const offsite: { target?: string; command?: string } = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key !== 'target' && key !== 'command') return { problem: `unknown key "${key}" under "offsite": the keys are target and command` };
    if (typeof v !== 'string' || !v.trim()) return { problem: `"offsite.${key}" must be a single text value` };
    offsite[key] = v.trim();
  }
  return offsite.target || offsite.command ? { offsite } : { problem: OFFSITE_SHAPE };
}

function readOptions(
  field: EntryField,
  label: string,
  fail: (field: EntryField, message: string, onKey?: boolean) => void,
): Record<string, string> | undefined {
  const value = field.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(field, `"options" in ${label} must be a mapping of libpq keywords, like { connect_timeout: "5" }`);
    return undefined;
  }
  const options: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'password') {
      fail(field, `${label} has a password under "options", but ${PASSWORD_REFUSED}`);
    } else if (OPTIONS_RESERVED[key]) {
      fail(field, `${label} sets "${key}" under "options": set "${OPTIONS_RESERVED[key]}" as a key of its own instead`);
    } else if (!/^[a-z_][a-z0-9_]*$/i.test(key)) {
      fail(field, `"${key}" under "options" in ${label} is not a libpq keyword: use names like connect_timeout`);
    } else if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
      options[key] = String(raw);
    } else {
      fail(field, `option "${key}" in ${label} must be a single value, not a list or mapping`);
    }
  }
  return options;
}

function scalarText(field: EntryField): string | undefined {
  const { value } = field;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return field.text ?? String(value);
  if (typeof value === 'boolean') return field.text ?? String(value);
  return undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface WorkspaceConfigResult {
  profiles: ConnectionProfile[];
  problems: ProfileProblem[];
  config: WorkspaceConfig;
}

/**
 * Reads pgbackup.yaml. Never throws: every problem comes back with its line and column, and each valid
 * connection still loads beside a broken one. A file with YAML syntax errors loads no connection,
 * because the parser's recovery may have misread the entries around the error.
 */
export function parseWorkspaceConfig(text: string, file: string): WorkspaceConfigResult {
  const base = path.basename(file);
  const lineCounter = new LineCounter();
  const positionOf = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: Math.max(1, p.line), column: Math.max(1, p.col) };
  };
  const nodeAt = (node: Node | null | undefined): Position | undefined =>
    node?.range ? positionOf(node.range[0]) : undefined;
  const sourceAt = (line?: number): ProfileSource =>
    line === undefined ? { kind: 'yaml', file, label: base } : { kind: 'yaml', file, line, label: `${base}:${line}` };
  const problems: ProfileProblem[] = [];
  const report = (message: string, at?: Position, extra: Partial<ProfileProblem> = {}) =>
    problems.push({ source: sourceAt(at?.line), message, file, line: at?.line, column: at?.column, ...extra });

  const config: WorkspaceConfig = { connections: [] };
  const result = (): WorkspaceConfigResult => ({ profiles: config.connections, problems, config });

  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) {
    const size = (n: number) => (n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);
    report(`${base} is ${size(bytes)}, over the ${size(MAX_CONFIG_BYTES)} a configuration file may be, so it is not parsed and no connection in it loads: keep profiles and settings only, or split the profiles across workspaces`, { line: 1, column: 1 });
    return result();
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });

  if (doc.errors.length) {
    // Later errors are mostly echoes of the first few. One found at the very end of the file (an
    // unclosed bracket) is shown on the last written line rather than on an empty one.
    const lastContent = Math.max(0, text.trimEnd().length - 1);
    for (const error of doc.errors.slice(0, 5)) {
      const at = positionOf(Math.min(error.pos[0], lastContent));
      report(`YAML syntax error: ${error.message}; no connection in ${base} loads until it is fixed`, at);
    }
    return result();
  }
  for (const warning of doc.warnings) {
    report(warning.message, positionOf(warning.pos[0]), { severity: 'warning' });
  }

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return result();
  if (!isMap(root)) {
    report(`${base} must be a mapping with a "connections:" list at the top level`, nodeAt(root));
    return result();
  }

  for (const pair of root.items) {
    const keyNode = pair.key;
    const key = keyText(keyNode);
    const keyAt = isScalar(keyNode) ? nodeAt(keyNode) : undefined;
    const valueNode = resolve(doc, pair.value);
    const valueAt = nodeAt(valueNode) ?? keyAt;
    if (key === undefined) {
      report(`top-level keys of ${base} must be plain names such as connections`, keyAt ?? valueAt);
      continue;
    }
    // Anchors for shared fields live under x- keys: read only where they are used.
    if (key.startsWith('x-')) continue;
    try {
      // Connections are read entry by entry from their nodes, so a problem is placed on its own line.
      const value = valueNode && key !== 'connections' ? valueOf(doc, valueNode, key, valueAt) : null;
      readTopLevel(key, valueNode, value, keyAt, valueAt);
    } catch (e) {
      if (!(e instanceof AliasBomb)) throw e;
      // Like a syntax error, the file is refused whole: what it expands to cannot be trusted to be what was meant.
      config.connections.length = 0;
      report(
        `"${e.key}" expands YAML aliases (*name) more than ${MAX_ALIAS_COUNT} times, as an alias bomb does, so ${base} is refused and no connection in it loads: write the values out or use fewer aliases`,
        e.at ?? valueAt,
        { key: e.key },
      );
      return result();
    }
  }
  return result();

  function readTopLevel(key: string, valueNode: ParsedNode | null, value: unknown, keyAt: Position | undefined, valueAt: Position | undefined): void {
    switch (key) {
      case 'connections':
        readConnections(valueNode, valueAt);
        break;
      case 'dumpFolders':
        if (value === null) break;
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) config.dumpFolders = value;
        else report(`"dumpFolders" must be a list of folder paths, like [dumps, /srv/backups]`, valueAt, { key });
        break;
      case 'archives':
        if (value === null) break;
        if (Array.isArray(value)) config.archives = value as unknown[];
        else report(`"archives" must be a list of WAL archive locations`, valueAt, { key });
        break;
      case 'dumpNameTemplate':
      case 'baseBackupFolder':
        if (value === null) break;
        if (typeof value === 'string') config[key] = value;
        else report(`"${key}" must be a single text value`, valueAt, { key });
        break;
      case 'rpo':
      case 'rto':
      case 'baseBackupMaxAge':
      case 'dumpMaxAge':
        if (value === null) break;
        if (typeof value !== 'string' && typeof value !== 'number') {
          report(`"${key}" must be a duration like 15m or 1h`, valueAt, { key });
          break;
        }
        try {
          parseDuration(value, key);
          config[key] = String(value);
        } catch (e) {
          report(messageOf(e), valueAt, { key });
        }
        break;
      case 'retention':
        if (value !== null) config.retention = value;
        break;
      case 'offsite': {
        if (value === null) break;
        const read = readOffsite(value);
        if ('problem' in read) report(read.problem, valueAt, { key });
        else config.offsite = read.offsite;
        break;
      }
      default: {
        const guess = closestMatch(key, TOP_LEVEL_KEYS);
        const hint = guess ? `did you mean "${guess}"?` : `remove it; the keys are ${listKeys(TOP_LEVEL_KEYS)}`;
        report(`unknown key "${key}" at the top of ${base}: ${hint}`, keyAt, { key });
      }
    }
  }

  function readConnections(node: ParsedNode | null, at: Position | undefined): void {
    if (!node || (isScalar(node) && node.value === null)) return;
    if (!isSeq(node)) {
      report(`"connections" must be a list: start each connection with "- name: …"`, at, { key: 'connections' });
      return;
    }
    const firstLine = new Map<string, number>();
    node.items.forEach((raw, index) => {
      const item = resolve(doc, raw);
      const itemAt = nodeAt(item) ?? at;
      if (!isMap(item)) {
        report(`connection #${index + 1} must be a mapping like "- name: local" with a uri or host fields`, itemAt);
        return;
      }
      const entry = readConnectionEntry(entryFields(doc, item, positionOf), index, itemAt);
      const source = sourceAt(itemAt?.line);
      for (const issue of entry.issues) {
        report(issue.message, issue.at, { source, profileName: entry.name, key: issue.key });
      }
      if (entry.name === undefined) return;
      const seen = firstLine.get(entry.name);
      if (seen !== undefined) {
        const nameAt = item.items.find((p) => isScalar(p.key) && p.key.value === 'name');
        report(`connection name "${entry.name}" is already used at line ${seen}: rename one of them`, nodeAt(nameAt?.value) ?? itemAt, {
          source,
          profileName: entry.name,
          key: 'name',
        });
        return;
      }
      firstLine.set(entry.name, itemAt?.line ?? 0);
      if (!entry.params) return;
      const profile: ConnectionProfile = { name: entry.name, params: entry.params, source };
      if (entry.service !== undefined) profile.service = entry.service;
      config.connections.push(profile);
    });
  }
}

/** A map key written as a plain name, number or boolean; undefined for empty or complex keys. */
function keyText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const { value } = node;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function resolve(doc: Document.Parsed, node: Node | null | undefined): ParsedNode | null {
  if (!node) return null;
  if (isAlias(node)) return (node.resolve(doc) as ParsedNode | undefined) ?? null;
  return node as ParsedNode;
}

/** The keys of one entry with their positions; `<<: *anchor` merges add keys the entry does not set. */
function entryFields(doc: Document.Parsed, map: YAMLMap, positionOf: (offset: number) => Position): EntryField[] {
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

// ---------------------------------------------------------------------------------------------
// Editing. The file is the user's: comments, blank lines, quoting and alignment must survive an
// add or a remove. A block list (the usual layout) is edited as text at the lines the parser
// located, then parsed back and compared with the intended data; any other layout, or a text edit
// that fails that check, goes through the yaml Document, which keeps comments but may re-indent.

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
