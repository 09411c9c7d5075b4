// What a pg_dump can be asked for: the options, their one-line explanations, their checks, their flags and what the manifest records of them.
import { usageError } from '../platform/errors';
import { exactTablePattern, formatQualifiedName, type QualifiedName } from '../postgres/names';
import type { DumpFormat, DumpManifest } from './manifest';

export type DumpSection = 'pre-data' | 'data' | 'post-data';
export type CompressionMethod = 'none' | 'gzip' | 'lz4' | 'zstd';

export interface Compression {
  method: CompressionMethod;
  level?: number;
}

/** What goes into the dump; shared by the plan and the run. */
export interface DumpContentOptions {
  /** Exactly these tables (each matches itself only); empty or absent: the whole database. */
  tables?: readonly QualifiedName[];
  excludeTables?: readonly QualifiedName[];
  /** Tables whose definitions are dumped but not their rows (`--exclude-table-data`). */
  excludeTableData?: readonly QualifiedName[];
  /** Only these schemas; ignored when tables are picked, as pg_dump ignores -n next to -t. */
  schemas?: readonly string[];
  /** Default `custom`. */
  format?: DumpFormat;
  /** Parallel workers, directory format only. */
  jobs?: number;
  /** `0`-`9` (gzip level), `none`, `gzip[:level]`, `lz4[:level]`, `zstd[:level]`; lz4 and zstd need pg_dump 16. */
  compression?: string;
  sections?: readonly DumpSection[];
  schemaOnly?: boolean;
  dataOnly?: boolean;
  noOwner?: boolean;
  noPrivileges?: boolean;
  /** Plain SQL only: the script creates the database and connects to it (`--create`). */
  create?: boolean;
  /** Plain SQL only: the script drops each object before creating it (`--clean`). */
  clean?: boolean;
  /** With `clean`: `DROP … IF EXISTS`, so a script run on an empty database raises no errors. */
  ifExists?: boolean;
  /** Large objects: `include` (`--blobs`) even when tables or schemas are picked, `exclude` (`--no-blobs`). */
  blobs?: 'include' | 'exclude';
  /** The dump's character set (`--encoding`); default the database's. */
  encoding?: string;
  /** No `SET default_tablespace`: objects land in the target's default tablespace. */
  noTablespaces?: boolean;
  /** Give up instead of waiting longer than this for a table lock (`--lock-wait-timeout`): `30s`, `5min`, `1000` (ms). */
  lockWaitTimeout?: string;
  /** `SET ROLE` to this role after connecting (`--role`). */
  role?: string;
}

/** One line per option, as the editor and `pgbr dump --help` explain them. */
export const DUMP_OPTION_HELP = {
  excludeTableData: 'keep the tables\' definitions, leave out their rows',
  schemas: 'dump only the schemas picked',
  sections: 'only some of pre-data, data (rows), post-data (indexes)',
  create: 'the script creates the database and connects to it',
  clean: 'the script drops each object before creating it',
  ifExists: 'with clean: DROP … IF EXISTS, no errors on an empty database',
  blobsInclude: 'large objects too, even when only some tables are picked',
  blobsExclude: 'leave large objects out',
  encoding: 'the dump\'s character set (default: the database\'s)',
  noTablespaces: 'no tablespace assignments: the target\'s default for all',
  lockWaitTimeout: 'fail rather than wait longer for another session\'s lock',
  role: 'SET ROLE to this role after connecting',
} as const;

const SECTIONS: readonly DumpSection[] = ['pre-data', 'data', 'post-data'];
const FORMATS: readonly DumpFormat[] = ['custom', 'directory', 'tar', 'plain'];
const ENCODING = /^[A-Za-z][A-Za-z0-9_-]{0,30}$/;
const LOCK_WAIT = /^\d+\s*(?:ms|s|min|h)?$/;


/** Reads a compression setting: `6`, `none`, `gzip`, `gzip:9`, `lz4`, `zstd:19`. */
export function parseCompression(text: string): Compression {
  const spec = text.trim().toLowerCase();
  const bad = (why: string): never => {
    throw usageError(`compression "${text}" ${why}: use 0-9 (gzip level), none, gzip[:1-9], lz4[:level] or zstd[:level]`);
  };
  if (/^\d+$/.test(spec)) {
    const level = Number(spec);
    if (level > 9) bad('is not a gzip level');
    return level === 0 ? { method: 'none' } : { method: 'gzip', level };
  }
  const match = /^(none|gzip|lz4|zstd)(?::(-?\d+))?$/.exec(spec);
  if (!match) return bad('is not understood');
  const method = match[1] as CompressionMethod;
  if (match[2] === undefined) return { method };
  const level = Number(match[2]);
  if (method === 'none') return bad('takes no level');
  if (method === 'gzip' && (level < 1 || level > 9)) bad('is not a gzip level');
  if (method === 'lz4' && (level < 1 || level > 12)) bad('is not an lz4 level (1-12)');
  if (method === 'zstd' && (level < -7 || level > 22)) bad('is not a zstd level (-7 to 22)');
  return { method, level };
}

/** `gzip:6`, `zstd`, `none`: how the manifest records it. */
export function formatCompression(c: Compression): string {
  return c.level === undefined ? c.method : `${c.method}:${c.level}`;
}

/** Checks that need no server: contradictions a user can fix before anything runs. */
export function validateDumpOptions(opts: DumpContentOptions): void {
  const format = opts.format ?? 'custom';
  if (!FORMATS.includes(format)) throw usageError(`"${String(format)}" is not a dump format: use custom, directory, tar or plain`);
  if (opts.schemaOnly && opts.dataOnly) throw usageError('a dump cannot be both schema-only and data-only: pick one, or neither');
  if (opts.sections?.length && (opts.schemaOnly || opts.dataOnly)) {
    throw usageError('sections and schema-only/data-only both choose what to dump: use one of them');
  }
  for (const s of opts.sections ?? []) if (!SECTIONS.includes(s)) throw usageError(`"${s}" is not a dump section: use pre-data, data or post-data`);
  if (opts.jobs !== undefined) {
    if (!Number.isInteger(opts.jobs) || opts.jobs < 1) throw usageError(`jobs must be a whole number of at least 1, not ${opts.jobs}`);
    if (format !== 'directory' && opts.jobs > 1) throw usageError('parallel jobs need the directory format: pick --format directory, or drop --jobs');
  }
  const compression = opts.compression === undefined ? undefined : parseCompression(opts.compression);
  if (compression && compression.method !== 'none') {
    if (format === 'tar') throw usageError('pg_dump cannot compress the tar format: use custom or directory for a compressed dump');
    if (format === 'plain' && compression.method !== 'gzip') {
      throw usageError(`a plain SQL dump can only be compressed with gzip here (${compression.method} output could not be checked for completeness): use custom or directory for ${compression.method}`);
    }
  }
  validateScriptOptions(opts, format);
  if (opts.encoding !== undefined && !ENCODING.test(opts.encoding)) {
    throw usageError(`"${opts.encoding}" is not an encoding name: use one PostgreSQL knows, such as UTF8, LATIN1 or WIN1252`);
  }
  if (opts.lockWaitTimeout !== undefined && !LOCK_WAIT.test(opts.lockWaitTimeout.trim())) {
    throw usageError(`lock wait timeout "${opts.lockWaitTimeout}" is not a duration: use milliseconds (5000) or a unit (30s, 5min, 1h)`);
  }
  if (opts.role !== undefined && (opts.role.trim() === '' || opts.role.includes('\0'))) throw usageError('the role to dump as is empty: name a role, or leave the option out');
}

/** `--create`, `--clean`, `--if-exists` shape a SQL script; for archives pg_restore takes them at restore time. */
function validateScriptOptions(opts: DumpContentOptions, format: DumpFormat): void {
  if (opts.ifExists && !opts.clean) throw usageError('if-exists only changes the DROP commands that clean writes: add clean, or leave if-exists out');
  const scriptOnly = [opts.create && 'create', opts.clean && 'clean'].filter((o): o is string => typeof o === 'string');
  if (scriptOnly.length > 0 && format !== 'plain') {
    throw usageError(`${scriptOnly.join(' and ')} only change${scriptOnly.length === 1 ? 's' : ''} a plain SQL dump: use the plain format, or choose ${scriptOnly.join('/')} when restoring this ${format} dump`);
  }
  if (opts.clean && opts.dataOnly) throw usageError('clean drops objects, and a data-only dump has none to drop: pick one of them');
}

/** The flags of the options above that `planDump` does not place itself; names as exact patterns. */
export function extraDumpArgs(opts: DumpContentOptions): string[] {
  const args: string[] = [];
  for (const q of opts.excludeTableData ?? []) args.push(`--exclude-table-data=${exactTablePattern(q)}`);
  if (opts.create) args.push('--create');
  if (opts.clean) args.push('--clean');
  if (opts.ifExists) args.push('--if-exists');
  if (opts.blobs === 'include') args.push('--blobs');
  if (opts.blobs === 'exclude') args.push('--no-blobs');
  if (opts.encoding !== undefined) args.push(`--encoding=${opts.encoding}`);
  if (opts.noTablespaces) args.push('--no-tablespaces');
  if (opts.lockWaitTimeout !== undefined) args.push(`--lock-wait-timeout=${opts.lockWaitTimeout.replace(/\s+/g, '')}`);
  if (opts.role !== undefined) args.push(`--role=${opts.role}`);
  return args;
}

/** Whether the dump holds table rows at all. */
export function hasDataSection(opts: DumpContentOptions): boolean {
  if (opts.schemaOnly) return false;
  return !opts.sections?.length || opts.sections.includes('data');
}

/** What the manifest records of the options, so verification and the Dumps view know what is (not) in the dump. */
export function manifestOptions(opts: DumpContentOptions, plan: { jobs?: number; compression?: Compression }): DumpManifest['options'] {
  const o: DumpManifest['options'] = {};
  if (opts.tables?.length) o.tables = opts.tables.map(formatQualifiedName);
  if (opts.excludeTables?.length) o.excludeTables = opts.excludeTables.map(formatQualifiedName);
  if (opts.excludeTableData?.length) o.excludeTableData = opts.excludeTableData.map(formatQualifiedName);
  if (opts.schemas?.length && !opts.tables?.length) o.schemas = [...opts.schemas];
  if (plan.jobs !== undefined) o.jobs = plan.jobs;
  if (plan.compression) o.compression = formatCompression(plan.compression);
  if (opts.sections?.length) o.sections = [...opts.sections];
  const flags = ['schemaOnly', 'dataOnly', 'noOwner', 'noPrivileges', 'create', 'clean', 'ifExists', 'noTablespaces'] as const;
  for (const flag of flags) if (opts[flag]) o[flag] = true;
  if (opts.blobs) o.blobs = opts.blobs;
  if (opts.encoding !== undefined) o.encoding = opts.encoding;
  if (opts.lockWaitTimeout !== undefined) o.lockWaitTimeout = opts.lockWaitTimeout;
  if (opts.role !== undefined) o.role = opts.role;
  return o;
}

/**
 * What a verification of this dump cannot compare, in words: `undefined` when every table's rows are
 * in it. A dump without rows must never read as "rows match".
 */
export function leftOutData(options: DumpManifest['options']): string | undefined {
  if (options.schemaOnly) return 'it is a schema-only dump, so it holds no rows to compare';
  if (options.sections?.length && !options.sections.includes('data')) return `it holds only the ${options.sections.join(' and ')} section${options.sections.length === 1 ? '' : 's'}, so no rows to compare`;
  const excluded = options.excludeTableData ?? [];
  if (excluded.length === 0) return undefined;
  const shown = excluded.length > 3 ? `${excluded.slice(0, 3).join(', ')} and ${excluded.length - 3} more` : excluded.join(', ');
  return `the rows of ${shown} were left out when dumping, so ${excluded.length === 1 ? 'that table was' : 'those tables were'} not compared`;
}
