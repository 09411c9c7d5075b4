// What VS Code passes a command (a tree node with the multi-selection it belongs to, a path, a caller's
// object, nothing) turned into the one typed argument each command id takes, in one place.
import type { CommandId } from './commandIds';
import { PgbrError } from './core/platform';
import type { QualifiedName } from './core/postgres';
import { EMPTY_PITR_FORM, type PitrForm } from '../webview/protocol';
import type { BackupRequest, BaseBackupRequest, NewConnection, RestoreRequest } from './requests';
import { TARGET_NOUNS, targetOf } from './targets';

/** What a backup starts from: a connection, a database, tables of one database, or a caller's whole request. */
export type BackupTarget = Partial<BackupRequest> & { profile: string };

/** A dump, whole (no tables) or the tables picked in it. */
export interface DumpSelection {
  dumpPath: string;
  tables: QualifiedName[];
}

/** A connection to take a base backup of, with the caller's choices when it gave them (then nothing is asked). */
export interface BaseBackupTarget {
  profile: string;
  given?: BaseBackupRequest;
}

/** The typed argument of each kind. */
export interface ArgValues {
  none: undefined;
  /** A connection's name. */
  connection: string;
  newConnection: NewConnection;
  backup: BackupTarget;
  /** A dump's path. */
  dump: string;
  /** Dumps acted on together (one question for all of them). */
  dumps: string[];
  dumpSelection: DumpSelection;
  /** Unfinished dumps' .partial files. */
  partials: string[];
  baseBackup: BaseBackupTarget;
  pitrDefaults: Partial<PitrForm>;
  /** A folder's path. */
  folder: string;
  /** A plan's name (`plans:` in pgbackup.yaml). */
  plan: string;
  /** A dump at a remote: the rclone remote folder and the dump's name there. */
  offsiteCopy: { from: string; dump: string };
  /** A pgBackRest stanza (a row of the WAL Archive view, its name, or { stanza, config }). */
  repository: { stanza: string; config?: string };
}

/** What a caller may pass after the node (or the selection). */
export interface ExtraValues {
  none: undefined;
  /** The caller answered the confirmation itself: { confirm: true }. */
  confirmed: boolean;
  text: string | undefined;
  /** Undefined when the caller gave none: then the restore asks as a person would be asked. */
  restore: RestoreRequest | undefined;
  verify: { profile?: string; show?: boolean };
  globals: { noRolePasswords?: boolean };
  tools: { show?: boolean };
  /** Install/Remove Schedule's answers given up front: { scheduler: 'systemd' | 'cron', user, confirm }. */
  schedule: { scheduler?: 'systemd' | 'cron'; user?: boolean; confirm?: boolean };
  /** Backup…'s answer given up front: { type: 'full' | 'diff' | 'incr' }. */
  backrestBackup: { type?: 'full' | 'diff' | 'incr' };
  /** Expire…'s answers given up front: { keep: 'daily 7, weekly 4', confirm: true }. */
  backrestExpire: { keep?: string; confirm?: boolean };
}

export interface ArgSpec {
  readonly arg: keyof ArgValues;
  readonly extra?: keyof ExtraValues;
  /** With several nodes selected, the handler runs once for each (else on the clicked one, or on all together for the list kinds). */
  readonly each?: true;
  /** With nothing passed, the handler runs without an argument instead of asking. */
  readonly optional?: true;
}

/** The argument each command takes. */
export const COMMAND_ARGS = {
  'pgBackup.addConnection': { arg: 'newConnection' },
  'pgBackup.editConnection': { arg: 'connection' },
  'pgBackup.removeConnection': { arg: 'connection', extra: 'confirmed' },
  'pgBackup.testConnection': { arg: 'connection', each: true },
  'pgBackup.refreshConnections': { arg: 'none' },
  'pgBackup.setPassword': { arg: 'connection', extra: 'text' },
  'pgBackup.forgetPassword': { arg: 'connection', each: true },
  'pgBackup.showTools': { arg: 'none', extra: 'tools' },
  'pgBackup.showLog': { arg: 'none' },
  'pgBackup.backupDatabase': { arg: 'backup' },
  'pgBackup.backupTables': { arg: 'backup' },
  'pgBackup.backupGlobals': { arg: 'connection', extra: 'globals' },
  'pgBackup.refreshDumps': { arg: 'none' },
  'pgBackup.restoreDump': { arg: 'dumpSelection', extra: 'restore' },
  'pgBackup.restoreTables': { arg: 'dumpSelection', extra: 'restore' },
  'pgBackup.verifyDump': { arg: 'dump', extra: 'verify', each: true },
  'pgBackup.showDumpContents': { arg: 'dump', each: true },
  'pgBackup.revealDump': { arg: 'dump' },
  'pgBackup.deleteDump': { arg: 'dumps', extra: 'confirmed' },
  'pgBackup.cleanPartials': { arg: 'partials', extra: 'confirmed', optional: true },
  'pgBackup.restoreFromOffsite': { arg: 'offsiteCopy', extra: 'restore', optional: true },
  'pgBackup.setDecryptionIdentity': { arg: 'none', extra: 'text' },
  'pgBackup.forgetDecryptionIdentity': { arg: 'none' },
  'pgBackup.refreshArchive': { arg: 'none' },
  'pgBackup.refreshPlans': { arg: 'none' },
  'pgBackup.runPlanNow': { arg: 'plan' },
  'pgBackup.previewPlanRetention': { arg: 'plan' },
  'pgBackup.openPlanJournal': { arg: 'plan' },
  'pgBackup.installPlanSchedule': { arg: 'plan', extra: 'schedule' },
  'pgBackup.removePlanSchedule': { arg: 'plan', extra: 'schedule' },
  'pgBackup.addArchive': { arg: 'folder', extra: 'text' },
  'pgBackup.addRepository': { arg: 'repository', extra: 'text' },
  'pgBackup.backrestCheck': { arg: 'repository' },
  'pgBackup.backrestBackup': { arg: 'repository', extra: 'backrestBackup' },
  'pgBackup.backrestExpire': { arg: 'repository', extra: 'backrestExpire' },
  'pgBackup.backrestVerify': { arg: 'repository' },
  'pgBackup.showHealth': { arg: 'connection', optional: true },
  'pgBackup.takeBaseBackup': { arg: 'baseBackup' },
  'pgBackup.createRestorePoint': { arg: 'connection', extra: 'text' },
  'pgBackup.openPitr': { arg: 'pitrDefaults', optional: true },
} as const satisfies Record<CommandId, ArgSpec>;

type SpecOf<Id extends CommandId> = (typeof COMMAND_ARGS)[Id];
type ValueOf<Id extends CommandId> = ArgValues[SpecOf<Id>['arg']];
export type ArgOf<Id extends CommandId> = ValueOf<Id> | (SpecOf<Id> extends { optional: true } ? undefined : never);
export type ExtraOf<Id extends CommandId> = SpecOf<Id> extends { extra: infer E extends keyof ExtraValues } ? ExtraValues[E] : undefined;

/** A command's handler: typed values in; `pick` is the question it asks when nothing was passed (undefined: closed). */
export type CommandHandler<Id extends CommandId> = { run: (arg: ArgOf<Id>, extra: ExtraOf<Id>) => unknown } & (SpecOf<Id> extends { optional: true }
  ? unknown
  : SpecOf<Id>['arg'] extends 'none'
    ? unknown
    : { pick: () => Promise<ValueOf<Id> | undefined> });

export type CommandTable = { [Id in CommandId]: CommandHandler<Id> };

interface AnyHandler {
  run: (arg: unknown, extra: unknown) => unknown;
  pick?: () => Promise<unknown>;
}

/**
 * Runs a command with what VS Code passed: the argument read from the clicked node, the selection, a
 * path or a caller's object; the handler's question when nothing was passed; once per selected item
 * where the command takes several (the results in an array, a single result as it is).
 */
export async function runCommand(id: CommandId, handler: CommandTable[CommandId], args: readonly unknown[]): Promise<unknown> {
  const spec: ArgSpec = COMMAND_ARGS[id];
  const h = handler as AnyHandler;
  // From a row's menu VS Code passes the row and the selection: a command that takes no node ignores them.
  if (spec.arg === 'none') return h.run(undefined, readExtra(id, spec.extra, args.filter((a) => !isRowArgument(a))));
  const { clicked, selection, rest } = splitArgs(args);
  const extra = readExtra(id, spec.extra, rest);
  const read = READERS[spec.arg];
  const values = (spec.each ? selection.map((item) => read(id, item, [item])) : [read(id, clicked, selection)]).filter((v) => v !== undefined);
  if (values.length === 0) {
    if (spec.optional || !h.pick) return h.run(undefined, extra);
    const picked = await h.pick();
    return picked === undefined ? undefined : h.run(picked, extra);
  }
  const results: unknown[] = [];
  for (const value of values) results.push(await h.run(value, extra));
  return results.length === 1 ? results[0] : results;
}

/** VS Code's context menus pass the clicked node, then the selection it is part of; callers pass their own arguments after the first. */
/** A tree row (or the selection of rows) as VS Code passes it to a command run from a row's menu. */
function isRowArgument(a: unknown): boolean {
  return Array.isArray(a) ? a.length > 0 && a.every((x) => targetOf(x) !== undefined) : targetOf(a) !== undefined;
}

function splitArgs(args: readonly unknown[]): { clicked: unknown; selection: unknown[]; rest: unknown[] } {
  const [clicked, second, ...after] = args;
  const one = clicked === undefined ? [] : [clicked];
  if (!Array.isArray(second)) return { clicked, selection: one, rest: [second, ...after] };
  const selection: unknown[] = second;
  return { clicked, selection: selection.length > 0 && (clicked === undefined || selection.includes(clicked)) ? selection : one, rest: after };
}

type Reader<K extends keyof ArgValues> = (id: CommandId, clicked: unknown, selection: readonly unknown[]) => ArgValues[K] | undefined;

const READERS: { [K in keyof ArgValues]: Reader<K> } = {
  none: () => undefined,
  connection: (id, x) => connectionName(id, x),
  newConnection: (id, x) =>
    x === undefined ? undefined : callerObject<NewConnection>(x, { name: 'string', uri: 'string', host: 'string', port: 'number', user: 'string', database: 'string', sslmode: 'string', password: 'string', saveWithoutTest: 'boolean' }, ['name']) ?? wrong(id, 'newConnection', x),
  backup: (id, clicked, selection) => {
    const tables = selection.map(targetOf).flatMap((t) => (t?.kind === 'table' ? [t] : []));
    const first = tables[0];
    if (first) {
      if (tables.some((t) => t.profile.name !== first.profile.name || t.database !== first.database)) {
        throw new PgbrError('usage', 'The selected tables belong to different databases: back up one database at a time.');
      }
      return { profile: first.profile.name, database: first.database, tables: tables.map((t) => t.table) };
    }
    if (clicked === undefined) return undefined;
    const target = targetOf(clicked);
    if (target?.kind === 'database') return { profile: target.profile.name, database: target.database };
    const profile = target?.kind === 'connection' || typeof clicked === 'string' ? connectionName(id, clicked) : undefined;
    if (profile !== undefined) return { profile };
    return callerObject<BackupTarget>(clicked, BACKUP_FIELDS, ['profile']) ?? wrong(id, 'backup', clicked);
  },
  dump: (id, x) => dumpPath(id, x),
  dumps: (id, _clicked, selection) => {
    const paths = [...new Set(selection.flatMap((x): unknown[] => (Array.isArray(x) ? x : [x])).flatMap((x) => dumpPath(id, x, 'dumps') ?? []))];
    return paths.length > 0 ? paths : undefined;
  },
  dumpSelection: (id, clicked, selection) => {
    const tables = selection.map(targetOf).flatMap((t) => (t?.kind === 'dumpTable' ? [t] : []));
    const first = tables[0];
    if (!first) {
      const path = dumpPath(id, clicked, 'dumpSelection');
      return path === undefined ? undefined : { dumpPath: path, tables: [] };
    }
    if (tables.some((t) => t.dumpPath !== first.dumpPath)) {
      throw new PgbrError('usage', 'The selected tables come from different dumps: restore from one dump at a time.');
    }
    return { dumpPath: first.dumpPath, tables: tables.map((t) => t.table) };
  },
  partials: (id, _clicked, selection) => {
    const paths = selection.flatMap((x) => {
      const target = targetOf(x);
      if (target?.kind === 'partials') return [...target.paths];
      const list: unknown[] = Array.isArray(x) ? x : [x];
      return list.map((p) => (typeof p === 'string' ? p : wrong(id, 'partials', p)));
    });
    return paths.length > 0 ? [...new Set(paths)] : undefined;
  },
  baseBackup: (id, x) => {
    if (x === undefined) return undefined;
    const profile = targetOf(x)?.kind === 'connection' || typeof x === 'string' ? connectionName(id, x) : undefined;
    if (profile !== undefined) return { profile };
    const given = callerObject<BaseBackupRequest>(x, { profile: 'string', format: 'string', compression: 'string', checkpoint: 'string', label: 'string' }, ['profile']);
    return given ? { profile: given.profile, given } : wrong(id, 'baseBackup', x);
  },
  pitrDefaults: (id, x) => {
    if (x === undefined) return undefined;
    const target = targetOf(x);
    if (target?.kind === 'baseBackup') return { baseBackup: target.path };
    return callerObject<Partial<PitrForm>>(x, PITR_FIELDS, []) ?? wrong(id, 'pitrDefaults', x);
  },
  folder: (id, x) => (x === undefined ? undefined : (typeof x === 'string' ? x : fileUriPath(x)) ?? wrong(id, 'folder', x)),
  offsiteCopy: (id, x) => (x === undefined ? undefined : (callerObject<{ from: string; dump: string }>(x, { from: 'string', dump: 'string' }, ['from', 'dump']) ?? wrong(id, 'offsiteCopy', x))),
  plan: (id, x) => {
    if (x === undefined || typeof x === 'string') return x;
    const target = targetOf(x);
    return target?.kind === 'plan' ? target.name : wrong(id, 'plan', x);
  },
  repository: (id, x) => {
    if (x === undefined) return undefined;
    if (typeof x === 'string') return { stanza: x };
    const target = targetOf(x);
    if (target?.kind === 'repository') return { stanza: target.stanza, ...(target.config !== undefined ? { config: target.config } : {}) };
    return callerObject<{ stanza: string; config?: string }>(x, { stanza: 'string', config: 'string' }, ['stanza']) ?? wrong(id, 'repository', x);
  },
};

function connectionName(id: CommandId, x: unknown): string | undefined {
  if (x === undefined || typeof x === 'string') return x;
  const target = targetOf(x);
  return target?.kind === 'connection' ? target.profile.name : wrong(id, 'connection', x);
}

function dumpPath(id: CommandId, x: unknown, kind: 'dump' | 'dumps' | 'dumpSelection' = 'dump'): string | undefined {
  if (x === undefined || typeof x === 'string') return x;
  const target = targetOf(x);
  return target?.kind === 'dump' ? target.path : (fileUriPath(x) ?? wrong(id, kind, x));
}

/** A file URI's path (a vscode.Uri, read without the editor). */
function fileUriPath(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null || !('scheme' in x) || !('fsPath' in x)) return undefined;
  return x.scheme === 'file' && typeof x.fsPath === 'string' ? x.fsPath : undefined;
}

type FieldType = 'string' | 'number' | 'boolean' | 'object';
type FieldTypes<T> = { [K in keyof T]?: FieldType };

const BACKUP_FIELDS: FieldTypes<BackupRequest> = {
  profile: 'string',
  database: 'string',
  quiet: 'boolean',
  folder: 'string',
  fileName: 'string',
  tables: 'object',
  schemas: 'object',
  format: 'string',
  jobs: 'number',
  compression: 'string',
};
const PITR_FIELDS: FieldTypes<PitrForm> = Object.fromEntries(Object.entries(EMPTY_PITR_FORM).map(([k, v]) => [k, typeof v as FieldType]));
const RESTORE_FIELDS: FieldTypes<RestoreRequest> = {
  profile: 'string',
  database: 'string',
  create: 'boolean',
  clean: 'boolean',
  dataOnly: 'boolean',
  recreate: 'boolean',
  noOwner: 'boolean',
  singleTransaction: 'boolean',
  exitOnError: 'boolean',
  jobs: 'number',
  role: 'string',
  sections: 'object',
  disableTriggers: 'boolean',
  confirm: 'boolean',
};

/** A caller's own object (not a node, not a list) whose named fields have their types and whose required ones are there. */
function callerObject<T>(x: unknown, fields: FieldTypes<T>, required: readonly (keyof T & string)[]): T | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || targetOf(x)) return undefined;
  const record = x as Record<string, unknown>;
  const typed = Object.entries(fields).every(([key, type]) => record[key] === undefined || typeof record[key] === type);
  return typed && required.every((key) => record[key] !== undefined) ? (x as T) : undefined;
}

function readExtra(id: CommandId, kind: keyof ExtraValues | undefined, rest: readonly unknown[]): unknown {
  const given = rest.find((x) => x !== undefined);
  switch (kind) {
    case undefined:
    case 'none':
      return undefined;
    case 'confirmed':
      return rest.some((x) => callerObject<{ confirm: boolean }>(x, { confirm: 'boolean' }, ['confirm'])?.confirm === true);
    case 'text':
      return given === undefined || typeof given === 'string' ? given : wrongExtra(id, 'text', given);
    case 'restore':
      return given === undefined ? undefined : optionsOf(id, kind, given, RESTORE_FIELDS);
    case 'verify':
      return optionsOf(id, kind, given, { profile: 'string', show: 'boolean' });
    case 'globals':
      return optionsOf(id, kind, given, { noRolePasswords: 'boolean' });
    case 'tools':
      return optionsOf(id, kind, given, { show: 'boolean' });
    case 'schedule': {
      const options = optionsOf<ExtraValues['schedule']>(id, kind, given, { scheduler: 'string', user: 'boolean', confirm: 'boolean' });
      if (options.scheduler !== undefined && options.scheduler !== 'systemd' && options.scheduler !== 'cron') wrongExtra(id, kind, given);
      return options;
    }
    case 'backrestBackup': {
      const options = optionsOf<ExtraValues['backrestBackup']>(id, kind, given, { type: 'string' });
      if (options.type !== undefined && !['full', 'diff', 'incr'].includes(options.type)) wrongExtra(id, kind, given);
      return options;
    }
    case 'backrestExpire':
      return optionsOf(id, kind, given, { keep: 'string', confirm: 'boolean' });
  }
}

function optionsOf<T>(id: CommandId, kind: keyof ExtraValues, given: unknown, fields: FieldTypes<T>): T {
  if (given === undefined) return {} as T;
  return callerObject<T>(given, fields, []) ?? wrongExtra(id, kind, given);
}

const ARG_NOUNS: Record<keyof ArgValues, string> = {
  none: 'nothing',
  connection: "a connection (one in the Connections view, or its name)",
  newConnection: 'a new connection ({ name, uri } or { name, host, port, user, database })',
  backup: 'a database or tables in the Connections view, or { profile, database }',
  dump: "a dump (one in the Dumps view, or its file's path)",
  dumps: "dumps (in the Dumps view, or their files' paths)",
  dumpSelection: "a dump or tables in it (in the Dumps view), or a dump file's path",
  partials: "unfinished dumps (the .partial row in the Dumps view, or the files' paths)",
  baseBackup: "a connection (one in the Connections view, or its name) or { profile, format, checkpoint }",
  repository: 'a pgBackRest stanza (one in the WAL Archive view, its name, or { stanza, config })',
  pitrDefaults: 'a base backup in the WAL Archive view, or the fields of the recovery form',
  folder: "a folder's path",
  plan: "a plan (one in the Plans view, or its name)",
  offsiteCopy: '{ from: REMOTE, dump: NAME }, a dump at an rclone remote',
};

const EXTRA_NOUNS: Record<keyof ExtraValues, string> = {
  none: 'nothing',
  confirmed: '{ confirm: true }',
  text: 'text',
  restore: 'restore choices such as { profile, database, create }',
  verify: '{ profile, show }',
  globals: '{ noRolePasswords }',
  tools: '{ show }',
  schedule: "{ scheduler: 'systemd' | 'cron', user, confirm }",
  backrestBackup: "{ type: 'full' | 'diff' | 'incr' }",
  backrestExpire: "{ keep: 'daily 7, weekly 4', confirm: true }",
};

function described(x: unknown): string {
  const target = targetOf(x);
  if (target) return TARGET_NOUNS[target.kind];
  if (typeof x === 'string') return `the text "${x.length > 60 ? `${x.slice(0, 57)}…` : x}"`;
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'object' && x !== null) return 'label' in x ? 'that item' : 'an object without the fields it needs';
  return `${typeof x} ${String(x)}`;
}

function wrong(id: CommandId, kind: keyof ArgValues, x: unknown): never {
  throw new PgbrError('usage', `${id} acts on ${ARG_NOUNS[kind]}, not on ${described(x)}: run it from its menu in the view, or from the Command Palette to be asked.`);
}

function wrongExtra(id: CommandId, kind: keyof ExtraValues, x: unknown): never {
  throw new PgbrError('usage', `${id} takes ${EXTRA_NOUNS[kind]} after its first argument, not ${described(x)}: pass that, or nothing to be asked.`);
}
