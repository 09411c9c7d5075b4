// A plan in pgbackup.yaml (`plans:`): what it backs up, when, what it keeps and whom it tells, read from one entry with every problem at its key.
import type { DumpFormat } from '../logical/manifest';
import { parseCompression } from '../logical/options';
import { parseRecipients } from '../crypto/recipients';
import { parseDuration } from '../platform/duration';
import { isTimeZone } from '../platform/zones';
import { baseBackupFolderFrom, dumpFoldersFrom, expandFolder, type Places } from '../profiles/places';
import { closestMatch } from '../profiles/uri';
import type { EntryField, EntryIssue, Position, WorkspaceConfig } from '../profiles/yamlConfig';
import { listKeys, messageOf } from '../profiles/yamlEntry';
import { parseWithin, type KeepRules } from '../retention/rules';
import { parseCalendar, type CalendarSpec } from './calendar';
import { parseRemote } from '../offsite/remote';
import { BACKREST_REFUSED, readBackrestPart, type PlanBackrest, type StanzaEntries } from './backrestPlan';

export const PLAN_BACKUPS = ['dump', 'globals', 'basebackup', 'pgbackrest'] as const;
export type PlanBackup = (typeof PLAN_BACKUPS)[number];
export const PLAN_VERIFY = ['always', 'daily', 'weekly', 'never'] as const;
export type PlanVerify = (typeof PLAN_VERIFY)[number];

const PLAN_KEYS = [
  'name', 'connection', 'backup', 'database', 'tables', 'format', 'compression', 'jobs', 'folder',
  'schedule', 'timezone', 'spread', 'keep', 'verify', 'notify', 'archive', 'offsite', 'encrypt', 'encryptManifest',
  'stanza', 'schedules', 'type',
] as const;
const BACKREST_ONLY_KEYS = ['stanza', 'schedules', 'type'];
const OFFSITE_KEYS = ['to', 'keep', 'rcloneConfig'] as const;
const DUMP_ONLY_KEYS = ['database', 'tables', 'format', 'compression', 'jobs'];
const KEEP_COUNTS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
const KEEP_KEYS = [...KEEP_COUNTS, 'within'] as const;
const NOTIFY_KEYS = ['on', 'webhook', 'command'] as const;
const DUMP_FORMATS: readonly DumpFormat[] = ['custom', 'directory', 'tar', 'plain'];
/** Plan names become unit names (`pgbr-<name>.timer`), lock and journal file names. */
const PLAN_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface PlanNotify {
  on: 'failure' | 'always';
  webhook?: string;
  /** A program and its arguments, run without a shell. */
  command?: string[];
}

/** One remote a plan copies each new backup to, and what of the copies there it keeps. */
export interface PlanOffsite {
  /** The rclone remote spec as written (its parameters are passed in rclone's environment, never recorded). */
  to: string;
  keep?: KeepRules;
  /** rclone's config file for this remote, as written (`~` and relative paths resolved when the plan runs); absent: rclone's own default or RCLONE_CONFIG. */
  rcloneConfig?: string;
}

export interface Plan {
  name: string;
  connection: string;
  backup: PlanBackup;
  /** Dump plans: the database, and the dump's shape as in Back Up Database. */
  database?: string;
  tables?: string[];
  format?: DumpFormat;
  compression?: string;
  jobs?: number;
  /** Recipients (`age1…` or `gpg:FINGERPRINT`) the dump is encrypted to as it is written. */
  encrypt?: string[];
  /** Seal the manifest's table names and counts to the same recipients (dump plans with `encrypt`). */
  encryptManifest?: boolean;
  /** As written; `planFolder` decides the default. */
  folder?: string;
  schedule: CalendarSpec;
  /** IANA zone for the schedule and the retention periods; absent: the machine's. */
  timezone?: string;
  /** Spread the start over this long (systemd's RandomizedDelaySec). */
  spread?: { text: string; seconds: number };
  keep?: KeepRules;
  verify: PlanVerify;
  notify?: PlanNotify;
  /** The WAL archive (a path from `archives:`) whose segments a base-backup plan's retention cleans up. */
  archive?: string;
  /** Remotes each new backup is copied to once it verified (dump and globals plans). */
  offsite?: PlanOffsite[];
  /** pgbackrest plans: the stanza, its config, and the calendar of each backup type (`schedule` is the first's). */
  backrest?: PlanBackrest;
  /** The line of pgbackup.yaml the plan starts on. */
  line?: number;
}

/** What a plan is checked against: the rest of pgbackup.yaml. */
export interface PlanContext {
  /** Every connection name written in the file, loaded or not (a broken one is reported at its own line). */
  connections: ReadonlySet<string>;
  /** The paths of `archives:` as written. */
  archives: readonly string[];
  /** The stanzas of `repositories:`, which pgbackrest plans name. */
  stanzas?: StanzaEntries;
}

export interface ReadPlan {
  name?: string;
  /** Absent when anything is wrong: a plan is never half-loaded. */
  plan?: Plan;
  issues: EntryIssue[];
}

/** Checks one `plans:` entry; `index` (0-based) names an entry without a name. */
export function readPlanEntry(fields: readonly EntryField[], index: number, at: Position | undefined, context: PlanContext): ReadPlan {
  const issues: EntryIssue[] = [];
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const nameField = byKey.get('name');
  const nameText = typeof nameField?.value === 'string' ? nameField.value.trim() : undefined;
  const label = nameText ? `plan "${nameText}"` : `plan #${index + 1}`;
  const fail = (field: EntryField | undefined, message: string, onKey = false) =>
    issues.push({ message, key: field?.key, at: (onKey ? field?.keyAt : (field?.valueAt ?? field?.keyAt)) ?? at });
  const text = (key: string, example: string): string | undefined => {
    const field = byKey.get(key);
    if (!field) return undefined;
    if (typeof field.value === 'string' && field.value.trim()) return field.value.trim();
    if (typeof field.value === 'number' && field.text !== undefined) return field.text;
    fail(field, `"${key}" in ${label} must be a single text value, like ${key}: ${example}`);
    return undefined;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    const value = text(key, allowed[0] as string);
    if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
    fail(byKey.get(key), `"${key}" in ${label} is "${value}": write one of ${listKeys(allowed)}`);
    return undefined;
  };
  const required = (key: string, what: string) => {
    if (!byKey.has(key)) fail(undefined, `${label} has no "${key}": add ${key}: ${what}`);
  };

  for (const field of fields) {
    if ((PLAN_KEYS as readonly string[]).includes(field.key)) continue;
    const guess = closestMatch(field.key, PLAN_KEYS);
    fail(field, `unknown key "${field.key}" in ${label}: ${guess ? `did you mean "${guess}"?` : `remove it; the keys are ${listKeys(PLAN_KEYS)}`}`, true);
  }
  required('name', 'a name of letters, digits, - and _ (it names the timer, the lock and the journal)');
  const name = text('name', 'nightly');
  if (name !== undefined && !PLAN_NAME.test(name)) {
    fail(nameField, `${label} cannot be used in a unit name: use up to 64 letters, digits, - and _ only, like nightly-app`);
  }
  required('backup', `one of ${listKeys(PLAN_BACKUPS)}`);
  const backup = oneOf('backup', PLAN_BACKUPS);
  for (const key of backup === 'pgbackrest' ? Object.keys(BACKREST_REFUSED) : backup ? BACKREST_ONLY_KEYS : []) {
    if (!byKey.has(key)) continue;
    const why = BACKREST_REFUSED[key];
    fail(byKey.get(key), why ? `"${key}" is not for pgbackrest plans (${why}): remove it from ${label}` : `"${key}" is for pgbackrest plans, but ${label} takes a ${backup}: remove it`, true);
    // Read no further, so the key is refused once.
    byKey.delete(key);
  }
  if (backup !== 'pgbackrest') required('connection', 'the name of a connection in this file');
  let connection = text('connection', 'prod');
  if (connection !== undefined && !context.connections.has(connection)) {
    const guess = closestMatch(connection, [...context.connections]);
    const known = context.connections.size ? ` (${guess ? `did you mean "${guess}"? ` : ''}the connections are ${listKeys([...context.connections])})` : '';
    fail(byKey.get('connection'), `${label} uses the connection "${connection}", which is not defined in connections:${known}: add it or fix the name`);
  }
  if (backup && backup !== 'dump' && backup !== 'pgbackrest') {
    for (const key of DUMP_ONLY_KEYS) if (byKey.has(key)) fail(byKey.get(key), `"${key}" is for dump plans, but ${label} takes a ${backup}: remove it`, true);
  }
  if (backup === 'dump') required('database', 'the database to dump');
  const plan: Partial<Plan> = { verify: 'always' };
  const database = text('database', 'app');
  if (database !== undefined) plan.database = database;
  const tables = byKey.get('tables');
  if (tables) {
    if (Array.isArray(tables.value) && tables.value.length && tables.value.every((t) => typeof t === 'string' && t.trim())) plan.tables = tables.value as string[];
    else fail(tables, `"tables" in ${label} must be a list of tables, like [public.orders, public.customers]`);
  }
  const format = oneOf('format', DUMP_FORMATS);
  if (format) plan.format = format;
  const compression = text('compression', 'zstd:3');
  if (compression !== undefined) {
    try {
      parseCompression(compression);
      plan.compression = compression;
    } catch (e) {
      fail(byKey.get('compression'), `${label}: ${messageOf(e)}`);
    }
  }
  const jobs = byKey.get('jobs');
  if (jobs) {
    if (!Number.isInteger(jobs.value) || (jobs.value as number) < 1) fail(jobs, `"jobs" in ${label} must be a whole number of at least 1, like jobs: 4`);
    else if (format !== 'directory') fail(jobs, `"jobs" in ${label} needs format: directory, the only format pg_dump writes in parallel`, true);
    else plan.jobs = jobs.value as number;
  }
  const encrypt = byKey.get('encrypt');
  if (encrypt && backup === 'basebackup') {
    fail(encrypt, `"encrypt" is for dump and globals plans; ${label} takes a base backup, which pgbr does not encrypt: remove it`, true);
  } else if (encrypt) {
    const list = typeof encrypt.value === 'string' ? [encrypt.value] : encrypt.value;
    if (!Array.isArray(list) || list.length === 0 || !list.every((r) => typeof r === 'string' && r.trim())) {
      fail(encrypt, `"encrypt" in ${label} must be a list of recipients, like encrypt: [age1…] or [gpg:FINGERPRINT]`);
    } else if (format !== undefined && format !== 'custom') {
      fail(encrypt, `"encrypt" in ${label} needs format: custom (the default): an encrypted dump is read and restored by table from its head`, true);
    } else {
      try {
        parseRecipients(list as string[]);
        plan.encrypt = (list as string[]).map((r) => r.trim());
      } catch (e) {
        fail(encrypt, `${label}: ${messageOf(e)}`);
      }
    }
  }
  const sealField = byKey.get('encryptManifest');
  if (sealField) {
    if (typeof sealField.value !== 'boolean') fail(sealField, `"encryptManifest" in ${label} must be true or false`);
    else if (sealField.value && (backup !== 'dump' || !encrypt)) fail(sealField, `"encryptManifest" in ${label} needs a dump plan with encrypt: (the manifest is sealed to the dump's recipients)`, true);
    else if (sealField.value) plan.encryptManifest = true;
  }
  const folder = text('folder', '/srv/pg/dumps');
  if (folder !== undefined) plan.folder = folder;

  if (backup !== 'pgbackrest') required('schedule', 'a systemd calendar expression, like daily or "*-*-* 02:30:00"');
  const schedule = text('schedule', '"*-*-* 02:30:00"');
  if (schedule !== undefined) {
    const parsed = parseCalendar(schedule);
    if ('problem' in parsed) fail(byKey.get('schedule'), `${label}: ${parsed.problem}`);
    else plan.schedule = parsed.spec;
  }
  if (backup === 'pgbackrest') {
    const part = readBackrestPart(byKey, label, context.stanzas ?? new Map(), plan.schedule, fail);
    if (part.backrest) Object.assign(plan, { backrest: part.backrest, schedule: part.backrest.schedules[0]?.schedule });
    connection ??= part.connection;
  }
  const timezone = text('timezone', 'Europe/Berlin');
  if (timezone !== undefined) {
    const problem = zoneProblem(timezone);
    if (problem) fail(byKey.get('timezone'), `${label}: ${problem}`);
    else plan.timezone = timezone;
  }
  const spread = byKey.get('spread');
  if (spread) {
    try {
      plan.spread = { text: String(spread.value), seconds: parseDuration(spread.value as string | number, `"spread" in ${label}`) };
    } catch (e) {
      fail(spread, messageOf(e));
    }
  }
  const verify = oneOf('verify', PLAN_VERIFY);
  if (verify) plan.verify = verify;
  const keep = byKey.get('keep');
  if (keep) plan.keep = readKeep(keep, label, fail);
  const notify = byKey.get('notify');
  if (notify) plan.notify = readNotify(notify, label, fail);
  const offsite = byKey.get('offsite');
  if (offsite) {
    if (backup === 'basebackup') fail(offsite, `"offsite" is for dump and globals plans, whose backups carry a manifest to check copies against, but ${label} takes a basebackup: remove it`, true);
    else plan.offsite = readOffsiteTargets(offsite, label, fail);
  }
  const archive = text('archive', '/srv/wal-archive');
  if (archive !== undefined) {
    if (backup !== undefined && backup !== 'basebackup') fail(byKey.get('archive'), `"archive" is for basebackup plans, whose retention cleans up WAL, but ${label} takes a ${backup}: remove it`, true);
    else if (!context.archives.includes(archive)) {
      const known = context.archives.length > 1 ? `one of ${listKeys(context.archives)}` : (context.archives[0] ?? 'a path listed there');
      fail(byKey.get('archive'), `${label} names the archive "${archive}", which is not listed under archives: write ${known}, or add it there`);
    }
    else plan.archive = archive;
  }

  // In the order they are written, as an editor lists them.
  issues.sort((a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.column ?? 0) - (b.at?.column ?? 0));
  const entry: ReadPlan = { issues };
  if (name !== undefined) entry.name = name;
  if (!issues.length) entry.plan = { ...plan, name, connection, backup, line: at?.line } as Plan;
  return entry;
}

type Fail = (field: EntryField | undefined, message: string, onKey?: boolean) => void;

/** The keys of a nested mapping with positions, or a complaint that it is not one. */
function entriesOf(field: EntryField, label: string, example: string, fail: Fail): EntryField[] | undefined {
  if (field.entries && typeof field.value === 'object' && field.value !== null && !Array.isArray(field.value)) return field.entries;
  fail(field, `"${field.key}" in ${label} must be a mapping, like ${field.key}: ${example}`);
  return undefined;
}

function readKeep(field: EntryField, label: string, fail: Fail): KeepRules | undefined {
  const entries = entriesOf(field, label, '{ daily: 7, weekly: 4 }', fail);
  if (!entries) return undefined;
  const rules: KeepRules = {};
  for (const entry of entries) {
    if (entry.key === 'within') {
      const seconds = typeof entry.value === 'string' ? parseWithin(entry.value) : undefined;
      if (seconds === undefined) fail(entry, `"${field.key}.within" in ${label} must be a number and one of h, d, w, m, y (borg's units), like within: 2d`);
      else rules.within = { text: (entry.value as string).trim(), seconds };
    } else if ((KEEP_COUNTS as readonly string[]).includes(entry.key)) {
      const n = entry.value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) fail(entry, `"${field.key}.${entry.key}" in ${label} must be a whole number of 0 or more, like ${entry.key}: 7`);
      else rules[entry.key as (typeof KEEP_COUNTS)[number]] = n;
    } else {
      const guess = closestMatch(entry.key, KEEP_KEYS);
      fail(entry, `unknown key "${entry.key}" under "${field.key}" in ${label}: ${guess ? `did you mean "${guess}"?` : `the keys are ${listKeys(KEEP_KEYS)}`}`, true);
    }
  }
  return rules;
}

function readOffsiteTargets(field: EntryField, label: string, fail: Fail): PlanOffsite[] | undefined {
  const example = '[{ to: "backup:pg", keep: { daily: 7 } }]';
  if (!field.items || field.items.length === 0) {
    fail(field, `"offsite" in ${label} must be a list of remotes, like offsite: ${example}`);
    return undefined;
  }
  const targets: PlanOffsite[] = [];
  field.items.forEach((item, i) => {
    const where: EntryField = { key: `offsite[${i}]`, value: null, ...(item.at ? { valueAt: item.at } : {}) };
    if (!item.entries) {
      fail(where, `"offsite[${i}]" in ${label} must be a mapping with a remote, like { to: "backup:pg" }`);
      return;
    }
    const byKey = new Map(item.entries.map((e) => [e.key, e]));
    for (const entry of item.entries) {
      if ((OFFSITE_KEYS as readonly string[]).includes(entry.key)) continue;
      const guess = closestMatch(entry.key, OFFSITE_KEYS);
      fail(entry, `unknown key "${entry.key}" under "offsite[${i}]" in ${label}: ${guess ? `did you mean "${guess}"?` : `the keys are ${listKeys(OFFSITE_KEYS)}`}`, true);
    }
    const to = byKey.get('to');
    if (!to || typeof to.value !== 'string' || !to.value.trim()) {
      fail(to ?? where, `"offsite[${i}].to" in ${label} must be an rclone remote, like to: "backup:pg" or to: ":s3:bucket/pg"`);
      return;
    }
    try {
      // Only the spelling is checked here; relative folders are resolved against the workspace when the plan runs.
      parseRemote(to.value, '/');
    } catch (e) {
      fail(to, `"offsite[${i}].to" in ${label}: ${messageOf(e)}`);
      return;
    }
    const target: PlanOffsite = { to: to.value };
    const config = byKey.get('rcloneConfig');
    if (config) {
      if (typeof config.value !== 'string' || !config.value.trim()) fail(config, `"offsite[${i}].rcloneConfig" in ${label} must be the path of an rclone config file, like rcloneConfig: ~/.config/rclone/backup.conf`);
      else target.rcloneConfig = config.value;
    }
    const keep = byKey.get('keep');
    if (keep) {
      const rules = readKeep({ ...keep, key: `offsite[${i}].keep` }, label, fail);
      if (rules) target.keep = rules;
    }
    targets.push(target);
  });
  return targets;
}

function readNotify(field: EntryField, label: string, fail: Fail): PlanNotify | undefined {
  const entries = entriesOf(field, label, '{ on: failure, webhook: https://hooks.example/pg }', fail);
  if (!entries) return undefined;
  const notify: PlanNotify = { on: 'failure' };
  for (const entry of entries) {
    if (entry.key === 'on') {
      if (entry.value === 'failure' || entry.value === 'always') notify.on = entry.value;
      else fail(entry, `"notify.on" in ${label} must be failure or always`);
    } else if (entry.key === 'webhook') {
      if (isHttpUrl(entry.value)) notify.webhook = entry.value;
      else fail(entry, `"notify.webhook" in ${label} must be an http:// or https:// address, like https://hooks.example/pg`);
    } else if (entry.key === 'command') {
      const v = entry.value;
      if (Array.isArray(v) && v.length && v.every((a) => typeof a === 'string') && v[0]?.trim()) notify.command = v;
      else fail(entry, `"notify.command" in ${label} must be a list of a program and its arguments (no shell), like [/usr/local/bin/page-oncall, --team, db]`);
    } else {
      const guess = closestMatch(entry.key, NOTIFY_KEYS);
      fail(entry, `unknown key "${entry.key}" under "notify" in ${label}: ${guess ? `did you mean "${guess}"?` : `the keys are ${listKeys(NOTIFY_KEYS)}`}`, true);
    }
  }
  if (!entries.some((e) => e.key === 'webhook' || e.key === 'command')) fail(field, `"notify" in ${label} says nothing to notify: add webhook: https://… or command: [program, args…]`);
  return notify;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Why `zone` is not an IANA time zone systemd and the retention periods can use; undefined when it is. */
export function zoneProblem(zone: string): string | undefined {
  // Offsets (+01:00) are accepted by newer Intl but not by systemd, and they ignore DST.
  const named = zone === 'UTC' || /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/.test(zone);
  if (named && isTimeZone(zone)) return undefined;
  const guess = closestMatch(zone, Intl.supportedValuesOf('timeZone'));
  return `"${zone}" is not an IANA time zone: ${guess ? `did you mean "${guess}"?` : 'write one like Europe/Berlin or UTC'}`;
}

/** The machine's zone, which a plan without `timezone:` runs in. */
export function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Where a plan's backups go: its folder, else the first dump folder (base backups: the base-backup folder; pgbackrest plans: their journal and lock). */
export function planFolder(plan: Pick<Plan, 'backup' | 'folder'>, config: Pick<WorkspaceConfig, 'dumpFolders' | 'baseBackupFolder'>, places: Places): string {
  if (plan.folder) return expandFolder(plan.folder, places);
  if (plan.backup === 'basebackup' || plan.backup === 'pgbackrest') return baseBackupFolderFrom(config.baseBackupFolder, places);
  return dumpFoldersFrom(config.dumpFolders ?? [], places)[0] as string;
}
