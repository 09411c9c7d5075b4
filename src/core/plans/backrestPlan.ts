// The pgbackrest part of a `plans:` entry: the stanza of `repositories:` it backs up, and which backup type each calendar takes.
import type { BackrestBackupType } from '../backrest/info';
import type { EntryField } from '../profiles/yamlConfig';
import { closestMatch } from '../profiles/uri';
import { listKeys } from '../profiles/yamlEntry';
import { parseCalendar, type CalendarSpec } from './calendar';

export const BACKREST_TYPES: readonly BackrestBackupType[] = ['full', 'diff', 'incr'];
const SCHEDULE_ITEM_KEYS = ['schedule', 'type'] as const;

/** Keys a pgbackrest plan refuses, and why: pgBackRest keeps, encrypts and copies its backups itself. */
export const BACKREST_REFUSED: Readonly<Record<string, string>> = {
  database: 'pgBackRest backs up the whole cluster',
  tables: 'pgBackRest backs up the whole cluster',
  format: "pgBackRest writes its own repository's format",
  compression: "pgBackRest's compress-type in its config decides that",
  jobs: "pgBackRest's process-max in its config decides that",
  encrypt: "pgBackRest encrypts its repository itself (repo1-cipher-type in its config)",
  encryptManifest: "pgBackRest encrypts its repository itself (repo1-cipher-type in its config)",
  offsite: 'pgBackRest copies to remote storage itself (a second repository, repo2-… in its config)',
  folder: "the backups go to the stanza's repository, which pgBackRest's config names",
  archive: 'pgBackRest archives WAL into its own repository and expires it with the backups',
};

/** One calendar of a pgbackrest plan and the backup type it takes. */
export interface BackrestSchedule {
  schedule: CalendarSpec;
  type: BackrestBackupType;
}

/** What a pgbackrest plan backs up: the stanza, the config its repository entry names, a calendar per type. */
export interface PlanBackrest {
  stanza: string;
  /** pgBackRest's config file, from the stanza's `repositories:` entry; absent: pgBackRest's own default. */
  config?: string;
  /** In the order written, each type once; the first is what `pgbr run` takes without --type. */
  schedules: BackrestSchedule[];
}

/** The stanzas of `repositories:`: each written one, with its entry when that loaded. */
export type StanzaEntries = ReadonlyMap<string, { config?: string; connection?: string } | undefined>;

type Fail = (field: EntryField | undefined, message: string, onKey?: boolean) => void;

export interface BackrestPart {
  backrest?: PlanBackrest;
  /** The repository's connection, which a plan without its own takes. */
  connection?: string;
}

/**
 * Reads `stanza`, and `schedules:` or `schedule:` with `type:`. `schedule` is what readPlanEntry
 * already parsed from `schedule:`, undefined when it is absent or wrong.
 */
export function readBackrestPart(byKey: ReadonlyMap<string, EntryField>, label: string, stanzas: StanzaEntries, schedule: CalendarSpec | undefined, fail: Fail): BackrestPart {
  const part: BackrestPart = {};
  const stanzaField = byKey.get('stanza');
  const stanza = typeof stanzaField?.value === 'string' ? stanzaField.value.trim() : undefined;
  let entry: { config?: string; connection?: string } | undefined;
  const written = [...stanzas.keys()];
  if (!stanzaField) fail(undefined, `${label} backs up with pgBackRest and has no "stanza": add stanza: with one of the stanzas under repositories:${written.length ? ` (${listKeys(written)})` : ''}`);
  else if (!stanza) fail(stanzaField, `"stanza" in ${label} must be a single text value, like stanza: main`);
  else if (!stanzas.has(stanza)) {
    const guess = closestMatch(stanza, written);
    const known = written.length ? `${guess ? `did you mean "${guess}"? ` : ''}the stanzas there are ${listKeys(written)}` : 'there are none yet; add one with kind: pgbackrest and its config';
    fail(stanzaField, `${label} names the stanza "${stanza}", which is not listed under repositories: (${known}): add it there or fix the name`);
  } else {
    entry = stanzas.get(stanza);
    if (!entry) fail(stanzaField, `${label} names the stanza "${stanza}", whose entry under repositories: has a problem: fix that entry first`);
  }
  if (entry?.connection !== undefined) part.connection = entry.connection;
  else if (entry && !byKey.has('connection')) {
    fail(undefined, `${label} has no "connection" and the entry of stanza "${stanza}" under repositories: names none: add connection: with the connection whose server the stanza backs up`);
  }

  const list = byKey.get('schedules');
  const typeField = byKey.get('type');
  let schedules: BackrestSchedule[] | undefined;
  if (list && byKey.has('schedule')) {
    fail(list, `${label} has both "schedule" and "schedules": keep schedules: with a type per calendar, or one schedule: with type:`, true);
  } else if (list) {
    if (typeField) fail(typeField, `"type" in ${label} goes with schedule:; with schedules: each item names its type: remove it`, true);
    schedules = readSchedules(list, label, fail);
  } else if (!byKey.has('schedule')) {
    fail(undefined, `${label} has no "schedules": add schedules: [{ schedule: "Sun 03:00", type: full }, { schedule: "Mon..Sat 03:00", type: diff }], or one schedule: with type:`);
  } else {
    const type = typeField ? typeOf(typeField, `"type" in ${label}`, fail) : 'full';
    if (schedule && type) schedules = [{ schedule, type }];
  }
  if (stanza && entry && schedules) {
    part.backrest = { stanza, ...(entry.config !== undefined ? { config: entry.config } : {}), schedules };
  }
  return part;
}

function typeOf(field: EntryField, what: string, fail: Fail): BackrestBackupType | undefined {
  if (typeof field.value === 'string' && (BACKREST_TYPES as readonly string[]).includes(field.value.trim())) return field.value.trim() as BackrestBackupType;
  fail(field, `${what} is ${JSON.stringify(field.value)}: write one of ${listKeys(BACKREST_TYPES)}`);
  return undefined;
}

function readSchedules(field: EntryField, label: string, fail: Fail): BackrestSchedule[] | undefined {
  const example = '[{ schedule: "Sun 03:00", type: full }, { schedule: "Mon..Sat 03:00", type: diff }]';
  if (!field.items || field.items.length === 0) {
    fail(field, `"schedules" in ${label} must be a list of calendars with their backup type, like schedules: ${example}`);
    return undefined;
  }
  const schedules: BackrestSchedule[] = [];
  const firstOfType = new Map<BackrestBackupType, number>();
  let complete = true;
  field.items.forEach((item, i) => {
    const name = `schedules[${i}]`;
    const where: EntryField = { key: name, value: null, ...(item.at ? { valueAt: item.at } : {}) };
    if (!item.entries) {
      fail(where, `"${name}" in ${label} must be a mapping with a calendar and a type, like { schedule: "Sun 03:00", type: full }`);
      complete = false;
      return;
    }
    const byKey = new Map(item.entries.map((e) => [e.key, e]));
    for (const entry of item.entries) {
      if ((SCHEDULE_ITEM_KEYS as readonly string[]).includes(entry.key)) continue;
      const guess = closestMatch(entry.key, SCHEDULE_ITEM_KEYS);
      fail(entry, `unknown key "${entry.key}" under "${name}" in ${label}: ${guess ? `did you mean "${guess}"?` : `the keys are ${listKeys(SCHEDULE_ITEM_KEYS)}`}`, true);
      complete = false;
    }
    const calendar = byKey.get('schedule');
    let spec: CalendarSpec | undefined;
    if (!calendar || typeof calendar.value !== 'string' || !calendar.value.trim()) {
      fail(calendar ?? where, `"${name}.schedule" in ${label} must be a systemd calendar expression, like schedule: "Sun 03:00"`);
    } else {
      const parsed = parseCalendar(calendar.value.trim());
      if ('problem' in parsed) fail(calendar, `${label}: ${parsed.problem}`);
      else spec = parsed.spec;
    }
    const typeField = byKey.get('type');
    const type = typeField ? typeOf(typeField, `"${name}.type" in ${label}`, fail) : 'full';
    if (type) {
      const earlier = firstOfType.get(type);
      if (earlier !== undefined) {
        fail(typeField ?? where, `"${name}" in ${label} schedules ${type} backups again (schedules[${earlier}] does): give each type one calendar; one expression can name several days, like Mon,Thu 03:00`);
        complete = false;
      } else firstOfType.set(type, i);
    }
    if (spec && type) schedules.push({ schedule: spec, type });
    else complete = false;
  });
  return complete ? schedules : undefined;
}

/** The systemd unit name a pgbackrest plan's timer for one type takes (without .timer/.service). */
export function typedUnitBase(plan: string, type: BackrestBackupType): string {
  return `pgbr-${plan}-${type}`;
}

/**
 * Plans whose units would be another plan's: `nightly-full` beside a pgbackrest plan `nightly`, whose
 * full backups run from pgbr-nightly-full.timer. The later-written one is named, with the one it meets.
 */
export function unitClashes(plans: readonly { name: string; line?: number; backrest?: PlanBackrest }[]): { plan: string; message: string }[] {
  const clashes: { plan: string; message: string }[] = [];
  for (const p of plans) {
    for (const s of p.backrest?.schedules ?? []) {
      const other = plans.find((o) => o !== p && `pgbr-${o.name}` === typedUnitBase(p.name, s.type));
      if (!other) continue;
      const later = (other.line ?? 0) > (p.line ?? 0) ? other : p;
      const earlier = later === p ? other : p;
      clashes.push({
        plan: later.name,
        message: `plan "${later.name}" would share the systemd units ${typedUnitBase(p.name, s.type)}.service and .timer with plan "${earlier.name}"${earlier.line ? ` (line ${earlier.line})` : ''}, whose ${s.type} backups run from them: rename one of the plans`,
      });
    }
  }
  return clashes;
}
