// The pg_dump command line for a dump: format, compression, exact table and schema patterns (a --filter file where pg_dump has it).
import { PgbrError } from '../platform/errors';
import { exactSchemaPattern, exactTablePattern, type QualifiedName } from '../postgres/names';
import type { DumpFormat } from './manifest';
import { dumpExtension } from './naming';
import { extraDumpArgs, formatCompression, parseCompression, validateDumpOptions, type Compression, type DumpContentOptions } from './options';

export interface PlanInput extends DumpContentOptions {
  /** Major version of the pg_dump that will run. */
  toolMajor: number;
  /** Where pg_dump writes: the `.partial` file or folder; empty for its stdout (an encrypted dump, encrypted as it streams). */
  outputPath: string;
  /** `pg_export_snapshot()` of the transaction the row counts are taken in. */
  snapshot?: string;
  /** Directory-format workers when `jobs` is not given. */
  defaultJobs?: number;
  /** Where the `--filter` file will be written (pg_dump 17+); without it, picks always go in `--table`. */
  filterFilePath?: string;
}

export interface DumpPlan {
  format: DumpFormat;
  /** pg_dump's arguments. The database and the connection travel in the environment, never here. */
  args: string[];
  /** Contents for the file at `filterFilePath`, when the plan uses `--filter`. */
  filterText?: string;
  /** Workers, when the dump runs in parallel. */
  jobs?: number;
  compression?: Compression;
  /** `.dump`, `.tar`, `.sql`, `.sql.gz`, or none for a directory. */
  extension: string;
}

const FORMAT_FLAG: Record<DumpFormat, string> = { custom: 'custom', directory: 'directory', tar: 'tar', plain: 'plain' };
const FIRST_WITH_COMPRESSION_METHODS = 16;
export const FIRST_WITH_FILTER = 17;


/** An identifier in a `--filter` file: quoted like -t, plus the file's own escapes for backslash and newline. */
function filterIdent(id: string): string {
  return `"${id.replace(/\\/g, '\\\\').replace(/"/g, '""').replace(/\n/g, '\\n')}"`;
}

function filterPattern(q: QualifiedName): string {
  return `${filterIdent(q.schema)}.${filterIdent(q.name)}`;
}

/**
 * The pg_dump arguments for a dump: pure, so what runs is what the tests check. Picked tables are
 * exact patterns (`"public"."x*y"` cannot match `xay`, `public` cannot pull in `public2`).
 */
export function planDump(input: PlanInput): DumpPlan {
  validateDumpOptions(input);
  const format = input.format ?? 'custom';
  const compression = input.compression === undefined ? undefined : parseCompression(input.compression);
  if (compression && (compression.method === 'lz4' || compression.method === 'zstd') && input.toolMajor < FIRST_WITH_COMPRESSION_METHODS) {
    // The tools are fine for the server; the option asks for more than they can do: a usage error.
    throw new PgbrError(
      'usage',
      `${compression.method} compression needs pg_dump ${FIRST_WITH_COMPRESSION_METHODS} or newer, and the one for this server is ${input.toolMajor}: use gzip, or install the PostgreSQL ${FIRST_WITH_COMPRESSION_METHODS}+ client tools`,
    );
  }

  const args = ['--verbose', '--no-password', `--format=${FORMAT_FLAG[format]}`, ...(input.outputPath === '' ? [] : [`--file=${input.outputPath}`])];
  if (input.snapshot) args.push(`--snapshot=${input.snapshot}`);

  let jobs: number | undefined;
  if (format === 'directory') {
    jobs = input.jobs ?? Math.max(1, Math.floor(input.defaultJobs ?? 1));
    if (jobs > 1) args.push(`--jobs=${jobs}`);
  }

  if (compression) {
    if (compression.method === 'none') args.push('--compress=0');
    else if (compression.method === 'gzip') args.push(`--compress=${compression.level ?? 6}`);
    else args.push(`--compress=${formatCompression(compression)}`);
  }

  if (input.schemaOnly) args.push('--schema-only');
  if (input.dataOnly) args.push('--data-only');
  for (const s of input.sections ?? []) args.push(`--section=${s}`);
  if (input.noOwner) args.push('--no-owner');
  if (input.noPrivileges) args.push('--no-privileges');
  args.push(...extraDumpArgs(input));

  const tables = input.tables ?? [];
  const excludes = input.excludeTables ?? [];
  const schemas = tables.length > 0 ? [] : (input.schemas ?? []);
  // A picked name that matches nothing must fail the dump, not silently leave the table out.
  if (tables.length > 0 || schemas.length > 0) args.push('--strict-names');

  const names = [...tables, ...excludes];
  // A carriage return inside a quoted name is dropped by the filter-file reader; -t takes it as is.
  const useFilter =
    input.toolMajor >= FIRST_WITH_FILTER &&
    input.filterFilePath !== undefined &&
    names.length + schemas.length > 0 &&
    !names.some((q) => /\r/.test(q.schema + q.name)) &&
    !schemas.some((s) => s.includes('\r'));
  let filterText: string | undefined;
  if (useFilter) {
    const lines = [
      ...schemas.map((s) => `include schema ${filterIdent(s)}`),
      ...tables.map((q) => `include table ${filterPattern(q)}`),
      ...excludes.map((q) => `exclude table ${filterPattern(q)}`),
    ];
    filterText = lines.join('\n') + '\n';
    args.push(`--filter=${input.filterFilePath}`);
  } else {
    for (const s of schemas) args.push(`--schema=${exactSchemaPattern(s)}`);
    for (const q of tables) args.push(`--table=${exactTablePattern(q)}`);
    for (const q of excludes) args.push(`--exclude-table=${exactTablePattern(q)}`);
  }

  return {
    format,
    args,
    ...(filterText !== undefined ? { filterText } : {}),
    ...(jobs !== undefined && jobs > 1 ? { jobs } : {}),
    ...(compression ? { compression } : {}),
    extension: dumpExtension(format, format === 'plain' && compression?.method === 'gzip'),
  };
}
