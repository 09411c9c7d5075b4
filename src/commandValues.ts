// The typed values commands take (the argument, and what a caller may pass after it), and the words that
// say which was expected when a command is given something else.
import type { CommandId } from './commandIds';
import { PgbrError } from './core/platform';
import type { QualifiedName } from './core/postgres';
import type { PitrForm } from '../webview/protocol';
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
  /** A table of a live database (a table row of the Connections view, or { connection, database, table: 'schema.name' }). */
  table: { connection: string; database: string; table: QualifiedName };
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
  /** Generate pgBackRest Config…'s answers given up front; confirm: 'write' writes the file, 'apply' also applies the settings. */
  backrestSetup: { stanza?: string; repoPath?: string; dataDir?: string; config?: string; confirm?: 'write' | 'apply' };
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
  table: "a table in the Connections view, or { connection, database, table: 'schema.name' }",
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
  backrestSetup: "{ stanza, repoPath, dataDir, config, confirm: 'write' | 'apply' }",
};

function described(x: unknown): string {
  const target = targetOf(x);
  if (target) return TARGET_NOUNS[target.kind];
  if (typeof x === 'string') return `the text "${x.length > 60 ? `${x.slice(0, 57)}…` : x}"`;
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'object' && x !== null) return 'label' in x ? 'that item' : 'an object without the fields it needs';
  return `${typeof x} ${String(x)}`;
}

export function wrong(id: CommandId, kind: keyof ArgValues, x: unknown): never {
  throw new PgbrError('usage', `${id} acts on ${ARG_NOUNS[kind]}, not on ${described(x)}: run it from its menu in the view, or from the Command Palette to be asked.`);
}

export function wrongExtra(id: CommandId, kind: keyof ExtraValues, x: unknown): never {
  throw new PgbrError('usage', `${id} takes ${EXTRA_NOUNS[kind]} after its first argument, not ${described(x)}: pass that, or nothing to be asked.`);
}
