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
//   plans:                  # backups that run on their own, each loaded whole or not at all: the schema is
//     - name: nightly       # in core/plans/config.ts and README "Plans" (connection, backup, schedule, keep, …)
//   repositories:           # pgBackRest stanzas, each once (core/backrest/config.ts); secrets stay in its config
//     - { kind: pgbackrest, stanza: main, config: /etc/pgbackrest/pgbackrest.conf, connection: prod }
//
// Durations are a number and a unit (90s, 5m, 1h, 2d, 1w); the health checks read them (see core/health).
//
// Passwords are refused anywhere in the file: use "Set password…" (VS Code SecretStorage) or ~/.pgpass.
// Top-level keys starting with `x-` are ignored, so anchors for shared fields can live there
// (`x-defaults: &defaults` … `<<: *defaults`).
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type ParsedNode } from 'yaml';
import { parseDuration } from '../platform/duration';
import type { ConnectionParams, ConnectionProfile, ProfileProblem, ProfileSource, SslMode } from './types';
import { closestMatch } from './uri';
import { listKeys, messageOf, readConnectionEntry, readOffsite } from './yamlEntry';
import { readPlanEntry, type Plan } from '../plans/config';
import { unitClashes, type StanzaEntries } from '../plans/backrestPlan';
import { readRepositoryEntry, type BackrestRepository } from '../backrest/config';
import { AliasBomb, entryFields, keyText, MAX_ALIAS_COUNT, resolve, valueOf } from './yamlNodes';

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
  /** The plans with no problem, in file order (`plans:`, read by core/plans/config.ts). */
  plans?: Plan[];
  /** The pgBackRest repositories with no problem, in file order (`repositories:`). */
  repositories?: BackrestRepository[];
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
  /** The keys of a nested mapping, each with its own position. */
  entries?: EntryField[];
  /** The items of a list, each with its position and, for a mapping, its keys. */
  items?: { at?: Position; entries?: EntryField[] }[];
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
  'plans',
  'repositories',
] as const;

/**
 * pgbackup.yaml holds profiles and settings, never data: 256 KiB is over 4,000 profiles and about a
 * second to parse, where 1 MiB took 2 s and 10 MB 10 s and 950 MB, each time the file is read.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;
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

  const connectionNames = new Set<string>();
  let plansAt: { node: ParsedNode | null; at: Position | undefined } | undefined;
  let repositoriesAt: typeof plansAt;
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
    // Plans are read last: they are checked against the connections and archives, wherever those are written.
    if (key === 'plans' || key === 'repositories') {
      if (key === 'plans') plansAt = { node: valueNode, at: valueAt };
      else repositoriesAt = { node: valueNode, at: valueAt };
      continue;
    }
    try {
      // Connections are read entry by entry from their nodes, so a problem is placed on its own line.
      const value = valueNode && key !== 'connections' ? valueOf(doc, valueNode, key, valueAt) : null;
      readTopLevel(key, valueNode, value, keyAt, valueAt);
    } catch (e) {
      return refuseAliasBomb(e, valueAt);
    }
  }
  // Repositories before plans: a pgbackrest plan takes its stanza's config from there.
  const stanzas = new Map<string, { config?: string; connection?: string } | undefined>();
  for (const [later, read] of [[repositoriesAt, readRepositories], [plansAt, readPlans]] as const) {
    if (!later) continue;
    try {
      read(later.node, later.at);
    } catch (e) {
      return refuseAliasBomb(e, later.at);
    }
  }
  return result();

  function refuseAliasBomb(e: unknown, at: Position | undefined): WorkspaceConfigResult {
    if (!(e instanceof AliasBomb)) throw e;
    // Like a syntax error, the file is refused whole: what it expands to cannot be trusted to be what was meant.
    config.connections.length = 0;
    delete config.plans;
    delete config.repositories;
    report(
      `"${e.key}" expands YAML aliases (*name) more than ${MAX_ALIAS_COUNT} times, as an alias bomb does, so ${base} is refused and no connection in it loads: write the values out or use fewer aliases`,
      e.at ?? at,
      { key: e.key },
    );
    return result();
  }

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
    const list = { key: 'connections', noun: 'connection', shape: '"- name: local" with a uri or host fields' } as const;
    readList(node, at, list, (fields, index, itemAt) => readConnectionEntry(fields, index, itemAt), (entry, source) => {
      connectionNames.add(entry.name);
      if (!entry.params) return;
      const profile: ConnectionProfile = { name: entry.name, params: entry.params, source };
      if (entry.service !== undefined) profile.service = entry.service;
      config.connections.push(profile);
    });
  }

  function readPlans(node: ParsedNode | null, at: Position | undefined): void {
    const archives = (config.archives ?? []).flatMap((a) => {
      const where = typeof a === 'string' ? a : (a as { path?: unknown } | null)?.path;
      return typeof where === 'string' ? [where] : [];
    });
    const list = { key: 'plans', noun: 'plan', shape: '"- name: nightly" with a connection, backup and schedule' } as const;
    const plans: Plan[] = [];
    const context = { connections: connectionNames, archives, stanzas: stanzas as StanzaEntries };
    readList(node, at, list, (fields, index, itemAt) => readPlanEntry(fields, index, itemAt, context), (entry) => {
      if (entry.plan) plans.push(entry.plan);
    });
    const clashes = unitClashes(plans);
    for (const c of clashes) report(c.message, { line: plans.find((p) => p.name === c.plan)?.line ?? 1, column: 1 }, { plan: c.plan, key: 'name' });
    config.plans = plans.filter((p) => !clashes.some((c) => c.plan === p.name));
  }

  function readRepositories(node: ParsedNode | null, at: Position | undefined): void {
    const list = { key: 'repositories', noun: 'repository', shape: '"- kind: pgbackrest" with a stanza' } as const;
    const repositories: BackrestRepository[] = [];
    readList(node, at, list, (fields, index, itemAt) => readRepositoryEntry(fields, index, itemAt, { connections: connectionNames }), (entry) => {
      if (entry.repository) repositories.push(entry.repository);
      const { config: file, connection } = entry.repository ?? {};
      stanzas.set(entry.name, entry.repository ? { ...(file !== undefined ? { config: file } : {}), ...(connection !== undefined ? { connection } : {}) } : undefined);
    });
    config.repositories = repositories;
  }

  /** A list of named entries (connections, plans): each read on its own, its problems at its lines, a repeated name refused. */
  function readList<E extends { name?: string; issues: EntryIssue[] }>(
    node: ParsedNode | null,
    at: Position | undefined,
    list: { key: 'connections' | 'plans' | 'repositories'; noun: 'connection' | 'plan' | 'repository'; shape: string },
    read: (fields: EntryField[], index: number, itemAt: Position | undefined) => E,
    accept: (entry: E & { name: string }, source: ProfileSource) => void,
  ): void {
    if (!node || (isScalar(node) && node.value === null)) return;
    if (!isSeq(node)) {
      report(`"${list.key}" must be a list: start each ${list.noun} with "- ${list.noun === 'repository' ? 'kind' : 'name'}: …"`, at, { key: list.key });
      return;
    }
    const owner = (name: string | undefined, index: number): Partial<ProfileProblem> =>
      list.noun === 'plan' ? { plan: name ?? `#${index + 1}` } : list.noun === 'repository' ? { repository: name ?? `#${index + 1}` } : { profileName: name };
    const firstLine = new Map<string, number>();
    node.items.forEach((raw, index) => {
      const item = resolve(doc, raw);
      const itemAt = nodeAt(item) ?? at;
      if (!isMap(item)) {
        report(`${list.noun} #${index + 1} must be a mapping like ${list.shape}`, itemAt, owner(undefined, index));
        return;
      }
      const entry = read(entryFields(doc, item, positionOf), index, itemAt);
      const source = sourceAt(itemAt?.line);
      for (const issue of entry.issues) {
        report(issue.message, issue.at, { source, ...owner(entry.name, index), key: issue.key });
      }
      const name = entry.name;
      if (name === undefined) return;
      const seen = firstLine.get(name);
      if (seen !== undefined) {
        const nameAt = item.items.find((p) => isScalar(p.key) && p.key.value === (list.noun === 'repository' ? 'stanza' : 'name'));
        const what = list.noun === 'repository' ? 'stanza' : 'name';
        report(`${list.noun} ${what} "${name}" is already used at line ${seen}: ${what === 'name' ? 'rename one of them' : 'list each stanza once'}`, nodeAt(nameAt?.value) ?? itemAt, {
          source,
          ...owner(name, index),
          key: what,
        });
        return;
      }
      firstLine.set(name, itemAt?.line ?? 0);
      accept({ ...entry, name }, source);
    });
  }
}
