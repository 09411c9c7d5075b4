// The workspace file pgbackup.yaml: reading it into profiles with located problems (a connection entry: yamlEntry.ts; editing in place: yamlEdit.ts).
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
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type ParsedNode, type YAMLMap } from 'yaml';
import { parseDuration } from '../platform/duration';
import type { ConnectionParams, ConnectionProfile, ProfileProblem, ProfileSource, SslMode } from './types';
import { closestMatch } from './uri';
import { listKeys, messageOf, readConnectionEntry, readOffsite } from './yamlEntry';

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

export function resolve(doc: Document.Parsed, node: Node | null | undefined): ParsedNode | null {
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
