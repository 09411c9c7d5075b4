// What VS Code passes a command (a tree node with the multi-selection it belongs to, a path, a caller's
// object, nothing) turned into the one typed argument each command id takes, in one place.
import type { CommandId } from './commandIds';
import { PgbrError } from './core/platform';
import { parseQualifiedName } from './core/postgres';
import { EMPTY_PITR_FORM, type PitrForm } from '../webview/protocol';
import type { BackupRequest, BaseBackupRequest, NewConnection, RestoreRequest } from './requests';
import { targetOf } from './targets';
import { type ArgValues, type BackupTarget, type ExtraValues, wrong, wrongExtra } from './commandValues';

export type { ArgValues, BackupTarget, BaseBackupTarget, DumpSelection, ExtraValues } from './commandValues';

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
  'pgBackup.runPlanNow': { arg: 'plan', extra: 'backrestBackup' },
  'pgBackup.previewPlanRetention': { arg: 'plan' },
  'pgBackup.openPlanJournal': { arg: 'plan' },
  'pgBackup.installPlanSchedule': { arg: 'plan', extra: 'schedule' },
  'pgBackup.removePlanSchedule': { arg: 'plan', extra: 'schedule' },
  'pgBackup.addArchive': { arg: 'folder', extra: 'text' },
  'pgBackup.addRepository': { arg: 'repository', extra: 'text' },
  'pgBackup.generateBackrestConfig': { arg: 'connection', extra: 'backrestSetup' },
  'pgBackup.backrestCheck': { arg: 'repository' },
  'pgBackup.backrestBackup': { arg: 'repository', extra: 'backrestBackup' },
  'pgBackup.backrestExpire': { arg: 'repository', extra: 'backrestExpire' },
  'pgBackup.backrestVerify': { arg: 'repository' },
  'pgBackup.showHealth': { arg: 'connection', optional: true },
  'pgBackup.takeBaseBackup': { arg: 'baseBackup' },
  'pgBackup.createRestorePoint': { arg: 'connection', extra: 'text' },
  'pgBackup.openPitr': { arg: 'pitrDefaults', optional: true },
  'pgBackup.recoverTable': { arg: 'table' },
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
  table: (id, x) => {
    if (x === undefined) return undefined;
    const target = targetOf(x);
    if (target?.kind === 'table') return { connection: target.profile.name, database: target.database, table: target.table };
    const given = callerObject<{ connection: string; database: string; table: string }>(x, { connection: 'string', database: 'string', table: 'string' }, ['connection', 'database', 'table']);
    return given ? { connection: given.connection, database: given.database, table: parseQualifiedName(given.table) } : wrong(id, 'table', x);
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
    case 'backrestSetup': {
      const options = optionsOf<ExtraValues['backrestSetup']>(id, kind, given, { stanza: 'string', repoPath: 'string', dataDir: 'string', config: 'string', confirm: 'string' });
      if (options.confirm !== undefined && options.confirm !== 'write' && options.confirm !== 'apply') wrongExtra(id, kind, given);
      return options;
    }
  }
}

function optionsOf<T>(id: CommandId, kind: keyof ExtraValues, given: unknown, fields: FieldTypes<T>): T {
  if (given === undefined) return {} as T;
  return callerObject<T>(given, fields, []) ?? wrongExtra(id, kind, given);
}
