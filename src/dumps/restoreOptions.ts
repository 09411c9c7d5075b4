// "New database, with options…" in the Restore flow: jobs, owner handling, sections, then the exact pg_restore command before it runs.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, chooseTool } from '../core/platform';
import { type DumpSection, RESTORE_OPTION_HELP, validateRestore, type RestoreChoices, previewRestore, detectDumpFormat } from '../core/logical';
import type { ConnectionParams } from '../core/profiles';
import { getServerInfo, withClient } from '../core/postgres';

/** The database QuickPick's second "new" item: the same new database, with the options step after its name. */
export const NEW_WITH_OPTIONS = '$(settings-gear) New database, with options…';

export type NewDatabaseOptions = Pick<RestoreChoices, 'jobs' | 'noOwner' | 'role' | 'noPrivileges' | 'sections' | 'singleTransaction' | 'exitOnError'>;

type Key = keyof NewDatabaseOptions;

/**
 * Asks for the options of a restore into a new database. A combination that cannot work is said in the
 * title and asked again with the picks kept; Escape leaves the restore.
 */
export async function askNewDatabaseOptions(dumpPath: string, database: string): Promise<NewDatabaseOptions | undefined> {
  const { format, gzip } = await detectDumpFormat(dumpPath);
  if (format === 'plain') throw new PgbrError('usage', 'A plain SQL dump is replayed by psql as it was written, so it has no restore options: pick "New database…" instead.');
  const parallel = format === 'custom' || format === 'directory';
  const items: { key: Key; label: string; description: string }[] = [
    ...(parallel ? [{ key: 'jobs' as const, label: 'Parallel jobs…', description: RESTORE_OPTION_HELP.jobs }] : []),
    { key: 'noOwner', label: 'No owner', description: RESTORE_OPTION_HELP.noOwner },
    { key: 'role', label: 'Role…', description: RESTORE_OPTION_HELP.role },
    { key: 'noPrivileges', label: 'No privileges', description: RESTORE_OPTION_HELP.noPrivileges },
    { key: 'sections', label: 'Sections…', description: RESTORE_OPTION_HELP.sections },
    { key: 'singleTransaction', label: 'Single transaction', description: RESTORE_OPTION_HELP.singleTransaction },
    { key: 'exitOnError', label: 'Exit on error', description: RESTORE_OPTION_HELP.exitOnError },
  ];
  let keep = new Set<Key>(['exitOnError']);
  let problem: string | undefined;
  for (;;) {
    const picks = await vscode.window.showQuickPick(
      items.map((i) => ({ ...i, picked: keep.has(i.key) })),
      {
        title: problem ? `Restore into the new database ${database}: options. ${problem}` : `Restore into the new database ${database}: options`,
        placeHolder: 'Space toggles; Enter shows the command before it runs',
        canPickMany: true,
        ignoreFocusOut: true,
      },
    );
    if (!picks) return undefined;
    keep = new Set(picks.map((p) => p.key));
    const options = await valuesFor(keep, database);
    if (!options) return undefined;
    try {
      validateRestore({ ...options, database, create: true }, format, gzip);
      return options;
    } catch (e) {
      if (!(e instanceof PgbrError && e.kind === 'usage')) throw e;
      problem = `${e.message.charAt(0).toUpperCase()}${e.message.slice(1)}`;
    }
  }
}

async function valuesFor(keys: ReadonlySet<Key>, database: string): Promise<NewDatabaseOptions | undefined> {
  const o: NewDatabaseOptions = {};
  for (const flag of ['noOwner', 'noPrivileges', 'singleTransaction', 'exitOnError'] as const) if (keys.has(flag)) o[flag] = true;
  if (keys.has('jobs')) {
    const text = await vscode.window.showInputBox({
      title: `Restore into ${database}: parallel jobs`,
      value: String(Math.min(4, os.availableParallelism())),
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 64 ? undefined : 'A number of jobs from 1 to 64.'),
    });
    if (text === undefined) return undefined;
    o.jobs = Number(text);
  }
  if (keys.has('role')) {
    const role = await vscode.window.showInputBox({
      title: `Restore into ${database}: role to SET ROLE to (it creates and owns what is restored)`,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' ? 'Name a role, or press Escape and leave the option out.' : undefined),
    });
    if (role === undefined) return undefined;
    o.role = role.trim();
  }
  if (keys.has('sections')) {
    const sections: { label: DumpSection; description: string }[] = [
      { label: 'pre-data', description: 'tables, types, functions: the definitions' },
      { label: 'data', description: 'the rows, large objects, sequence values' },
      { label: 'post-data', description: 'indexes, constraints, triggers, rules' },
    ];
    const picked = await vscode.window.showQuickPick(
      sections.map((s) => ({ ...s, picked: true })),
      { title: `Restore into ${database}: sections`, canPickMany: true, ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    if (picked.length > 0 && picked.length < sections.length) o.sections = picked.map((p) => p.label);
  }
  return o;
}

/** Shows the exact pg_restore command, quoted for a shell and without any password, and asks to run it. */
export async function confirmRestoreCommand(
  ctx: Ctx,
  input: { params: ConnectionParams; password?: string; database: string; dumpPath: string; options: NewDatabaseOptions },
): Promise<boolean> {
  const maintenance = input.params.database || 'postgres';
  const major = await withClient(input.params, { password: input.password, database: maintenance }, async (c) => (await getServerInfo(c)).major);
  const tool = chooseTool(await ctx.tools(), 'pg_restore', major);
  const command = previewRestore({ ...input.options, create: true, toolPath: tool.path, connection: input.params, database: input.database, dumpPath: input.dumpPath });
  ctx.log.info(`restore command: ${command}`);
  const run = 'Restore Now';
  const choice = await vscode.window.showInformationMessage(
    `Create ${input.database} and restore into it with this command?`,
    {
      modal: true,
      detail: `${command}\n\nThe database is created first (CREATE DATABASE … TEMPLATE template0); the dump's checksums are checked before pg_restore starts.`,
    },
    run,
  );
  return choice === run;
}
