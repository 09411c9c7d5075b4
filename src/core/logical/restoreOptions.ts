// What a restore can be asked for: the options, their one-line explanations, the checks on their combinations, and pg_restore's flags for them.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { PgbrError } from '../platform/errors';
import type { DumpFormat } from './manifest';
import type { DumpSection } from './options';
import type { QualifiedName } from '../postgres/names';

/** The choices of a restore beyond where it goes; `RestoreOptions` carries them into the run. */
export interface RestoreChoices {
  /** Create the target database first; it must not exist yet. */
  create?: boolean;
  /** Restore only these tables (and what belongs to them); the whole dump when absent or empty. */
  tables?: readonly QualifiedName[];
  /** Drop the dump's objects before creating them (`--clean --if-exists`); for tables, the same as `recreate`. */
  clean?: boolean;
  /** Chosen tables that exist are dropped and restored anew, in one transaction with their restore. */
  recreate?: boolean;
  /** Only rows: the tables are emptied with TRUNCATE first (the caller has confirmed), then loaded. */
  dataOnly?: boolean;
  noOwner?: boolean;
  noPrivileges?: boolean;
  singleTransaction?: boolean;
  /** Stop at the first error instead of going on (the restore fails either way). */
  exitOnError?: boolean;
  /** Parallel pg_restore jobs: custom or directory dumps only, not with a single transaction. */
  jobs?: number;
  /** `SET ROLE` to this role after connecting: objects are created by, and owned by, that role (`--role`). */
  role?: string;
  /** Only these parts of the dump (`--section`). */
  sections?: readonly DumpSection[];
  /** Disable triggers while rows are loaded into existing tables (`--disable-triggers`; needs superuser). */
  disableTriggers?: boolean;
}

/** One line per option, as the editor and `pgbr restore --help` explain them. */
export const RESTORE_OPTION_HELP = {
  jobs: 'several connections at once (custom and directory dumps)',
  noOwner: 'do not set owners: everything belongs to the restoring role',
  role: 'SET ROLE to this role: it creates and owns what is restored',
  noPrivileges: 'skip GRANT / REVOKE',
  sections: 'only some of pre-data, data (rows), post-data (indexes)',
  singleTransaction: 'all or nothing: one transaction, rolled back on the first error',
  exitOnError: 'stop at the first error',
  disableTriggers: 'data only: no triggers fire (no foreign key checks) while rows load; needs superuser',
} as const;

const SECTIONS: readonly DumpSection[] = ['pre-data', 'data', 'post-data'];

/** Combinations that cannot work, refused before anything changes, each with what to do instead. */
export function validateRestore(opts: RestoreChoices & { database: string }, format: DumpFormat, gzip: boolean): void {
  const usage = (m: string): never => {
    throw new PgbrError('usage', m);
  };
  const jobs = opts.jobs ?? 1;
  const tables = opts.tables ?? [];
  if (!Number.isInteger(jobs) || jobs < 1) usage(`--jobs must be a whole number of at least 1, not ${opts.jobs}.`);
  if (opts.database.trim() === '') usage('the target database name is empty: name the database to restore into.');
  if (jobs > 1 && opts.singleTransaction) usage('parallel jobs and a single transaction exclude each other: choose one.');
  if (jobs > 1 && format !== 'custom' && format !== 'directory') usage(`parallel restore needs a custom or directory dump; this one is ${format}${gzip ? ' (gzip)' : ''}.`);
  if (opts.dataOnly && (opts.recreate || opts.clean)) usage('data-only keeps the tables and replaces their rows; recreate or clean drops them: choose one.');
  if (opts.dataOnly && opts.create) usage('a new database has no tables to load rows into: drop data-only, or restore into the existing database.');
  if (opts.clean && opts.create) usage('clean drops the dump\'s objects before creating them, and a new database has none: leave clean out.');
  if (opts.recreate && tables.length === 0) usage('recreate applies to chosen tables: pick tables, or use clean for the whole dump.');
  if ((opts.recreate || (opts.clean && tables.length > 0)) && jobs > 1) {
    usage('recreating tables runs in one transaction, so a failure keeps the old tables: it cannot use parallel jobs.');
  }
  for (const s of opts.sections ?? []) if (!SECTIONS.includes(s)) usage(`"${s}" is not a dump section: use pre-data, data or post-data.`);
  if (opts.sections?.length && (opts.dataOnly || tables.length > 0)) usage('sections choose parts of the whole dump; data-only and chosen tables choose too: use one of them.');
  if (opts.sections?.length && opts.create && !opts.sections.includes('pre-data')) {
    usage('a new database has no tables until the pre-data section creates them: add pre-data, or restore into a database that has them.');
  }
  if (opts.role !== undefined && (opts.role.trim() === '' || opts.role.includes('\0'))) usage('the role to restore as is empty: name a role, or leave the option out.');
  const rowsOnly = opts.dataOnly || (opts.sections?.length === 1 && opts.sections[0] === 'data');
  if (opts.disableTriggers && !rowsOnly) {
    usage('disable triggers only acts while rows are loaded into existing tables (a data-only restore): a full restore creates the triggers after the rows anyway, so leave it out.');
  }
  if (format === 'plain') {
    if (tables.length > 0) usage('restoring chosen tables needs a custom, directory or tar dump: a plain SQL dump has no table of contents pg_restore can pick from.');
    if (opts.dataOnly) usage('a data-only restore needs a custom, directory or tar dump; a plain SQL dump is replayed as written.');
    if (opts.clean) usage('a plain SQL dump drops objects only if it was made with pg_dump --clean: restore into an empty database instead.');
    const unsupported = [opts.role !== undefined && 'role', opts.sections?.length && 'sections', opts.disableTriggers && 'disable triggers'].filter((o): o is string => typeof o === 'string');
    if (unsupported.length > 0) usage(`${unsupported.join(', ')} need${unsupported.length === 1 ? 's' : ''} pg_restore: a plain SQL dump is replayed by psql as written, so leave ${unsupported.length === 1 ? 'it' : 'them'} out.`);
  }
}

/** pg_restore's flags for the choices, in the order the run passes them (before `--use-list` and the dump). */
export function pgRestoreOptionArgs(opts: RestoreChoices, o: { recreate: boolean; oneTransaction: boolean }): string[] {
  const args: string[] = [];
  if (opts.clean || o.recreate) args.push('--clean', '--if-exists');
  if (opts.noOwner) args.push('--no-owner');
  if (opts.role !== undefined) args.push(`--role=${opts.role}`);
  if (opts.noPrivileges) args.push('--no-privileges');
  // Recreating tables drops them first: in one transaction a failed restore gives the old tables back.
  if (o.oneTransaction) args.push('--single-transaction');
  if (opts.exitOnError) args.push('--exit-on-error');
  if ((opts.jobs ?? 1) > 1) args.push('--jobs', String(opts.jobs));
  if (opts.dataOnly) args.push('--data-only');
  for (const s of opts.sections ?? []) args.push(`--section=${s}`);
  if (opts.disableTriggers) args.push('--disable-triggers');
  return args;
}

/** How much of a SQL script is read for its `\connect`: the database entry comes first in pg_dump's output. */
const SCRIPT_HEAD_BYTES = 256 * 1024;

/**
 * A plain dump made with `pg_dump --create` creates its own database and connects to it (with `--clean`, it
 * drops that database first), whatever database psql was started on: it would restore into the source's name.
 */
export async function refuseSelfConnectingScript(dumpPath: string, gzip: boolean, database: string): Promise<void> {
  const source = createReadStream(dumpPath, gzip ? {} : { end: SCRIPT_HEAD_BYTES - 1 });
  let head = '';
  try {
    for await (const chunk of gzip ? source.pipe(createGunzip()) : source) {
      head += (chunk as Buffer).toString('utf8');
      if (head.length >= SCRIPT_HEAD_BYTES) break;
    }
  } catch {
    // A script that cannot be read is reported by the restore itself, with psql's words.
    return;
  } finally {
    source.destroy();
  }
  const connect = /^\\connect (?:-reuse-previous=on )?("(?:[^"]|"")*"|'(?:[^'\\]|\\.)*'|\S+)/m.exec(head);
  if (!connect || !/^CREATE DATABASE /m.test(head)) return;
  const named = connect[1] ?? '';
  throw new PgbrError(
    'usage',
    `this SQL dump was made with pg_dump --create: it creates and connects to its own database ${named} whatever it is restored into, so it cannot go into "${database}". Run it with psql yourself if that is what you want, or take the dump without create.`,
  );
}
