// One `repositories:` entry of pgbackup.yaml (a pgBackRest stanza, its config file and the connection it backs up), each problem at its key.
import { closestMatch } from '../profiles/uri';
import { listKeys } from '../profiles/yamlEntry';
import type { EntryField, EntryIssue, Position } from '../profiles/yamlConfig';

/** A pgBackRest repository as pgbackup.yaml names it: pgBackRest's own config says where it is and holds its secrets. */
export interface BackrestRepository {
  kind: 'pgbackrest';
  /** The stanza (`--stanza`), which names the cluster in the repository. */
  stanza: string;
  /** pgBackRest's config file (`--config`); absent: pgBackRest's own default. */
  config?: string;
  /** The connection of pgbackup.yaml whose server archives into this stanza. */
  connection?: string;
  /** Where the entry starts in pgbackup.yaml, for messages. */
  line?: number;
}

export const REPOSITORY_KEYS = ['kind', 'stanza', 'config', 'connection'] as const;
export const REPOSITORY_KINDS = ['pgbackrest'] as const;
/** pgBackRest's own rule for a stanza name (it refuses others): letters, digits, `-`, `_` and `.`. */
const STANZA_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isStanzaName(name: string): boolean {
  return STANZA_NAME.test(name);
}

export interface RepositoryContext {
  connections: ReadonlySet<string>;
}

export interface ReadRepository {
  /** The stanza, which identifies the entry in messages and duplicate checks. */
  name?: string;
  /** Absent when any issue makes the entry unusable. */
  repository?: BackrestRepository;
  issues: EntryIssue[];
}

/** Checks one `repositories:` entry. `index` (0-based) names an entry whose stanza cannot be read. */
export function readRepositoryEntry(fields: readonly EntryField[], index: number, at: Position | undefined, context: RepositoryContext): ReadRepository {
  const issues: EntryIssue[] = [];
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const stanzaField = byKey.get('stanza');
  const stanzaText = typeof stanzaField?.value === 'string' ? stanzaField.value.trim() : undefined;
  const label = stanzaText ? `repository "${stanzaText}"` : `repository #${index + 1}`;
  // Every issue carries a key: a problem without one reads as one of the whole file.
  const fail = (key: string, field: EntryField | undefined, message: string, onKey = false) =>
    issues.push({ message, key, at: (onKey ? field?.keyAt : (field?.valueAt ?? field?.keyAt)) ?? at });
  const text = (key: string, example: string): string | undefined => {
    const field = byKey.get(key);
    if (!field) return undefined;
    if (typeof field.value === 'string' && field.value.trim()) return field.value.trim();
    if (typeof field.value === 'number' && field.text !== undefined) return field.text;
    fail(key, field, `"${key}" in ${label} must be a single text value, like ${key}: ${example}`);
    return undefined;
  };

  for (const field of fields) {
    if ((REPOSITORY_KEYS as readonly string[]).includes(field.key)) continue;
    const guess = closestMatch(field.key, REPOSITORY_KEYS);
    const secret = /pass|key|secret|token/i.test(field.key)
      ? ' (secrets belong in pgBackRest\'s own config file or PGBACKREST_* variables, never here)'
      : '';
    fail(field.key, field, `unknown key "${field.key}" in ${label}${secret}: ${guess ? `did you mean "${guess}"?` : `remove it; the keys are ${listKeys(REPOSITORY_KEYS)}`}`, true);
  }

  if (!byKey.has('kind')) fail('kind', undefined, `${label} has no "kind": add kind: pgbackrest`);
  const kind = text('kind', 'pgbackrest');
  if (kind !== undefined && !(REPOSITORY_KINDS as readonly string[]).includes(kind)) {
    fail('kind', byKey.get('kind'), `"kind" in ${label} is "${kind}": the only kind is pgbackrest`);
  }

  if (!stanzaField) fail('stanza', undefined, `${label} has no "stanza": add stanza: with the stanza name of pgBackRest's config, like stanza: main`);
  const stanza = text('stanza', 'main');
  if (stanza !== undefined && !isStanzaName(stanza)) {
    fail('stanza', stanzaField, `${label} is not a name pgBackRest accepts for a stanza: use letters, digits, ".", "-" and "_"`);
  }

  const config = text('config', '/etc/pgbackrest/pgbackrest.conf');
  const connection = text('connection', 'prod');
  if (connection !== undefined && !context.connections.has(connection)) {
    const known = [...context.connections];
    const guess = closestMatch(connection, known);
    const list = known.length ? ` (${guess ? `did you mean "${guess}"? ` : ''}the connections are ${listKeys(known)})` : '';
    fail('connection', byKey.get('connection'), `${label} uses the connection "${connection}", which is not defined in connections:${list}: add it or fix the name`);
  }

  const result: ReadRepository = { issues };
  if (stanza !== undefined) result.name = stanza;
  if (issues.length === 0 && stanza !== undefined) {
    const repository: BackrestRepository = { kind: 'pgbackrest', stanza };
    if (config !== undefined) repository.config = config;
    if (connection !== undefined) repository.connection = connection;
    if (at) repository.line = at.line;
    result.repository = repository;
  }
  return result;
}
