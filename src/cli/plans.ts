// Finding a plan by name in pgbackup.yaml for `pgbr run` and `pgbr prune`.
//
// The seam the validated `plans:` configuration replaces: until it lands, this reads the few keys a
// run needs, minimally (no positions, no schedule check), and refuses what it cannot use in words.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { DumpFormat } from '../core/logical/manifest';
import type { PlanToRun } from '../core/plans/run';
import { PgbrError, errorMessage } from '../core/platform/errors';
import { WORKSPACE_CONFIG_FILE } from '../core/profiles/yamlConfig';
import { baseBackupFolderFrom, dumpFoldersFrom } from '../core/profiles/places';
import { parseWithin, type KeepRules } from '../core/retention/rules';
import { cliPlaces } from './workspace';

type Entry = Record<string, unknown>;

const BACKUPS = ['dump', 'globals', 'basebackup'] as const;
const VERIFY = ['always', 'daily', 'weekly', 'never'] as const;
const COUNTS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

const isEntry = (v: unknown): v is Entry => typeof v === 'object' && v !== null && !Array.isArray(v);

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, fail: (why: string) => never, key: string): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  return fail(`"${key}" is ${JSON.stringify(value)}; use one of ${allowed.join(', ')}`);
}

function text(value: unknown, fail: (why: string) => never, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  return fail(`"${key}" must be a non-empty string`);
}

function keepRules(value: unknown, fail: (why: string) => never): KeepRules | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isEntry(value)) return fail('"keep" must be a mapping such as { last: 3, daily: 7 }');
  const rules: KeepRules = {};
  for (const key of COUNTS) {
    const n = value[key];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) fail(`"keep.${key}" must be a whole number of at least 0`);
    rules[key] = n;
  }
  const within = value.within;
  if (within !== undefined) {
    const seconds = typeof within === 'string' ? parseWithin(within) : undefined;
    if (seconds === undefined) fail('"keep.within" must be a duration such as 36h, 2d, 4w, 6m or 1y');
    rules.within = { text: within as string, seconds: seconds };
  }
  return rules;
}

function notify(value: unknown, fail: (why: string) => never): PlanToRun['notify'] {
  if (value === undefined || value === null) return undefined;
  if (!isEntry(value)) return fail('"notify" must be a mapping such as { on: failure, webhook: https://… }');
  const command = value.command;
  if (command !== undefined && !(Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === 'string'))) {
    fail('"notify.command" must be a list: the program, then its arguments');
  }
  const webhook = text(value.webhook, fail, 'notify.webhook');
  return { on: oneOf(value.on, ['failure', 'always'], 'failure', fail, 'notify.on'), ...(webhook ? { webhook } : {}), ...(command ? { command: command } : {}) };
}

/** The plan named `name` in `<workspace>/pgbackup.yaml`, with its folder and archive resolved against the workspace. */
export async function findPlan(workspace: string, name: string): Promise<PlanToRun> {
  const file = path.join(workspace, WORKSPACE_CONFIG_FILE);
  let doc: unknown;
  try {
    doc = parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new PgbrError('config', missing ? `there is no ${WORKSPACE_CONFIG_FILE} in ${workspace}, so there is no plan ${name}: write the plan under "plans:" there, or pass --workspace.` : `${file} cannot be read: ${errorMessage(e)}`, { file });
  }
  const plans = isEntry(doc) && Array.isArray(doc.plans) ? doc.plans.filter(isEntry) : [];
  const entry = plans.find((p) => p.name === name);
  if (!entry) {
    const known = plans.map((p) => p.name).filter((n): n is string => typeof n === 'string');
    throw new PgbrError('usage', `there is no plan named "${name}"${known.length ? ` (plans: ${known.join(', ')})` : ' (it has no "plans:")'}: give the name of a plan there, or add it under "plans:".`, { file });
  }
  const fail = (why: string): never => {
    throw new PgbrError('config', `plan ${name} cannot be run: ${why}.`, { file });
  };
  const config = doc as Entry;
  const places = cliPlaces(workspace);
  const backup = oneOf(entry.backup, BACKUPS, 'dump', fail, 'backup');
  const connection = text(entry.connection, fail, 'connection') ?? fail('"connection" is missing: name the connection profile the plan backs up');
  const folder = text(entry.folder, fail, 'folder');
  const defaultFolder = backup === 'basebackup'
    ? baseBackupFolderFrom(typeof config.baseBackupFolder === 'string' ? config.baseBackupFolder : undefined, places)
    : (dumpFoldersFrom(Array.isArray(config.dumpFolders) ? (config.dumpFolders as unknown[]) : [], places)[0] as string);
  const database = text(entry.database, fail, 'database');
  const archive = text(entry.archive, fail, 'archive');
  const keep = keepRules(entry.keep, fail);
  const notifyOn = notify(entry.notify, fail);
  const tables = entry.tables;
  if (tables !== undefined && !(Array.isArray(tables) && tables.every((t) => typeof t === 'string'))) fail('"tables" must be a list of schema.table names');
  return {
    name,
    connection,
    backup,
    ...(database ? { database } : {}),
    ...(tables ? { tables: tables as string[] } : {}),
    ...(entry.format !== undefined ? { format: oneOf<DumpFormat>(entry.format, ['custom', 'directory', 'tar', 'plain'], 'custom', fail, 'format') } : {}),
    folder: folder ? path.resolve(workspace, folder) : defaultFolder,
    schedule: text(entry.schedule, fail, 'schedule') ?? '',
    timezone: text(entry.timezone, fail, 'timezone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...(keep ? { keep } : {}),
    verify: oneOf(entry.verify, VERIFY, 'always', fail, 'verify'),
    ...(notifyOn ? { notify: notifyOn } : {}),
    ...(archive ? { archive: path.resolve(workspace, archive) } : {}),
  };
}
