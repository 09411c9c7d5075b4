// The Backup flow's "Options…" step: the pg_dump options a DBA looks for, one line each, then the exact command before it runs.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, type FoundTool } from '../core/platform';
import { DUMP_OPTION_HELP, validateDumpOptions, type DumpContentOptions, type DumpSection, previewDump } from '../core/logical';
import { formatQualifiedName, type QualifiedName } from '../core/postgres';
import type { ConnectionParams } from '../core/profiles';
import { dumpFolders, nameTemplate } from '../places';

export type ExtraDumpOptions = Pick<
  DumpContentOptions,
  'excludeTableData' | 'schemas' | 'sections' | 'create' | 'clean' | 'ifExists' | 'blobs' | 'encoding' | 'noTablespaces' | 'lockWaitTimeout' | 'role'
>;

export interface OptionsStepInput {
  database: string;
  /** What the earlier steps chose: format, tables, content. */
  chosen: DumpContentOptions;
  /** Every table of the database, for "exclude table data". */
  tables: readonly QualifiedName[];
  schemas: readonly string[];
}

type Key = 'excludeTableData' | 'schemas' | 'sections' | 'create' | 'clean' | 'ifExists' | 'blobsInclude' | 'blobsExclude' | 'encoding' | 'noTablespaces' | 'lockWaitTimeout' | 'role';

interface OptionItem extends vscode.QuickPickItem {
  key: Key;
}

/** The item the Backup flow's last step offers; picking it opens the Options step. */
export const OPTIONS_ITEM_LABEL = 'Options…';
export const OPTIONS_ITEM_DESCRIPTION = 'exclude table data, schemas, sections, clean/create, large objects, encoding, lock timeout, role; shows the command first';

/**
 * Asks which options to add and their values. A combination that cannot work is said in the title and
 * asked again with the picks kept; Escape leaves the whole backup.
 */
export async function askDumpOptions(input: OptionsStepInput): Promise<ExtraDumpOptions | undefined> {
  const plain = (input.chosen.format ?? 'custom') === 'plain';
  const whole = !input.chosen.tables?.length;
  const all: OptionItem[] = [
    { key: 'excludeTableData', label: 'Exclude table data…', description: DUMP_OPTION_HELP.excludeTableData },
    ...(whole ? [{ key: 'schemas' as const, label: 'Only some schemas…', description: DUMP_OPTION_HELP.schemas }] : []),
    ...(input.chosen.schemaOnly || input.chosen.dataOnly ? [] : [{ key: 'sections' as const, label: 'Sections…', description: DUMP_OPTION_HELP.sections }]),
    ...(plain
      ? [
          { key: 'create' as const, label: 'Create database', description: DUMP_OPTION_HELP.create },
          { key: 'clean' as const, label: 'Clean', description: DUMP_OPTION_HELP.clean },
          { key: 'ifExists' as const, label: 'If exists', description: DUMP_OPTION_HELP.ifExists },
        ]
      : []),
    { key: 'blobsInclude', label: 'Include large objects', description: DUMP_OPTION_HELP.blobsInclude },
    { key: 'blobsExclude', label: 'Leave out large objects', description: DUMP_OPTION_HELP.blobsExclude },
    { key: 'encoding', label: 'Encoding…', description: DUMP_OPTION_HELP.encoding },
    { key: 'noTablespaces', label: 'No tablespaces', description: DUMP_OPTION_HELP.noTablespaces },
    { key: 'lockWaitTimeout', label: 'Lock wait timeout…', description: DUMP_OPTION_HELP.lockWaitTimeout },
    { key: 'role', label: 'Role…', description: DUMP_OPTION_HELP.role },
  ];
  let keep = new Set<Key>();
  let problem: string | undefined;
  for (;;) {
    const picks = await vscode.window.showQuickPick(
      all.map((i) => ({ ...i, picked: keep.has(i.key) })),
      {
        title: problem ? `Back up ${input.database}: options. ${problem}` : `Back up ${input.database}: options${plain ? '' : ' (create and clean: plain format only)'}`,
        placeHolder: 'Space toggles; Enter shows the command before it runs',
        canPickMany: true,
        matchOnDescription: true,
        ignoreFocusOut: true,
      },
    );
    if (!picks) return undefined;
    keep = new Set(picks.map((p) => p.key));
    try {
      const options = await valuesFor(keep, input);
      if (!options) return undefined;
      validateDumpOptions({ ...input.chosen, ...options });
      return options;
    } catch (e) {
      if (!(e instanceof PgbrError && e.kind === 'usage')) throw e;
      problem = `${e.message.charAt(0).toUpperCase()}${e.message.slice(1)}.`;
    }
  }
}

async function valuesFor(keys: ReadonlySet<Key>, input: OptionsStepInput): Promise<ExtraDumpOptions | undefined> {
  const o: ExtraDumpOptions = {};
  if (keys.has('excludeTableData')) {
    const candidates = input.chosen.tables?.length ? input.chosen.tables : input.tables;
    const picked = await vscode.window.showQuickPick(
      candidates.map((t) => ({ label: formatQualifiedName(t), name: t })),
      { title: `Back up ${input.database}: tables whose rows are left out (their definitions stay)`, canPickMany: true, matchOnDescription: true, ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    if (picked.length > 0) o.excludeTableData = picked.map((p) => p.name);
  }
  if (keys.has('schemas')) {
    const picked = await vscode.window.showQuickPick(
      input.schemas.map((s) => ({ label: s })),
      { title: `Back up ${input.database}: only these schemas`, canPickMany: true, ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    if (picked.length > 0) o.schemas = picked.map((p) => p.label);
  }
  if (keys.has('sections')) {
    const sections: { label: DumpSection; description: string }[] = [
      { label: 'pre-data', description: 'tables, types, functions: the definitions' },
      { label: 'data', description: 'the rows, large objects, sequence values' },
      { label: 'post-data', description: 'indexes, constraints, triggers, rules' },
    ];
    const picked = await vscode.window.showQuickPick(sections, { title: `Back up ${input.database}: sections`, canPickMany: true, ignoreFocusOut: true });
    if (!picked) return undefined;
    if (picked.length > 0 && picked.length < sections.length) o.sections = picked.map((p) => p.label);
  }
  if (keys.has('create')) o.create = true;
  if (keys.has('clean')) o.clean = true;
  if (keys.has('ifExists')) o.ifExists = true;
  if (keys.has('blobsInclude') && keys.has('blobsExclude')) throw new PgbrError('usage', 'Include and leave out large objects exclude each other: pick one of them.');
  if (keys.has('blobsInclude')) o.blobs = 'include';
  if (keys.has('blobsExclude')) o.blobs = 'exclude';
  if (keys.has('noTablespaces')) o.noTablespaces = true;
  const text = async (key: 'encoding' | 'lockWaitTimeout' | 'role', title: string, value: string): Promise<boolean> => {
    if (!keys.has(key)) return true;
    const answer = await vscode.window.showInputBox({
      title,
      value,
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          validateDumpOptions({ [key]: v });
          return undefined;
        } catch (e) {
          return e instanceof Error ? e.message : String(e);
        }
      },
    });
    if (answer === undefined) return false;
    o[key] = answer.trim();
    return true;
  };
  if (!(await text('encoding', `Back up ${input.database}: encoding of the dump (${DUMP_OPTION_HELP.encoding})`, 'UTF8'))) return undefined;
  if (!(await text('lockWaitTimeout', `Back up ${input.database}: lock wait timeout (5000 = milliseconds, or 30s, 5min)`, '30s'))) return undefined;
  if (!(await text('role', `Back up ${input.database}: role to SET ROLE to after connecting`, ''))) return undefined;
  return o;
}

/**
 * Shows the exact command, quoted for a shell and without any password, and asks to run it. Returns the
 * file name the command writes, for the dump to use, or undefined when the person steps back.
 */
export async function confirmDumpCommand(
  ctx: Ctx,
  input: { tool: FoundTool; params: ConnectionParams; profile: string; database: string; folder?: string; options: DumpContentOptions },
): Promise<string | undefined> {
  const folder = input.folder ?? (await dumpFolders(ctx))[0];
  if (!folder) throw new PgbrError('config', 'No dump folder is configured: set pgBackup.dumpFolders.');
  const preview = previewDump({
    ...input.options,
    tool: input.tool,
    connection: input.params,
    profile: input.profile,
    database: input.database,
    folder,
    nameTemplate: await nameTemplate(ctx),
    now: new Date(),
  });
  ctx.log.info(`backup command: ${preview.command}`);
  const run = 'Back Up Now';
  const choice = await vscode.window.showInformationMessage(
    `Back up ${input.database} with this command?`,
    { modal: true, detail: [preview.command, '', ...preview.notes].join('\n') },
    run,
  );
  return choice === run ? preview.fileName : undefined;
}
