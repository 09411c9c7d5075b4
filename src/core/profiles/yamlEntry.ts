// One `connections:` entry of pgbackup.yaml read into a profile, and the other values that need shaping (offsite, options), each problem at its key.
import type { ConnectionParams } from './types';
import { closestMatch, parseConnectionUri, parsePort, parseSslMode } from './uri';
import type { EntryField, EntryIssue, Position, ReadEntry, WorkspaceConfig } from './yamlConfig';

export const CONNECTION_KEYS = ['name', 'uri', 'host', 'port', 'user', 'database', 'sslmode', 'service', 'options'] as const;
export const KNOWN_CONNECTION_KEYS = new Set<string>(CONNECTION_KEYS);
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
const PASSWORD_REFUSED = 'passwords are not kept in plain text: remove it and use "Set password…" or ~/.pgpass';

export function listKeys(keys: readonly string[]): string {
  if (keys.length < 2) return keys[0] ?? '';
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
export function readOffsite(value: unknown): { offsite: NonNullable<WorkspaceConfig['offsite']> } | { problem: string } {
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

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
