// The exact pg_dump command a backup will run, shown before it runs.
import * as path from 'node:path';
import { previewCommand } from '../platform/commandPreview';
import type { ConnectionParams } from '../profiles/types';
import type { FoundTool } from '../platform/tools';
import { planDump } from './dumpPlan';
import { DEFAULT_NAME_TEMPLATE, expandNameTemplate } from './naming';
import type { DumpContentOptions } from './options';

export interface DumpPreviewInput extends DumpContentOptions {
  tool: FoundTool;
  connection: ConnectionParams;
  profile: string;
  database: string;
  folder: string;
  nameTemplate?: string;
  /** The moment the name is made from; the real run takes its own, a few seconds later. */
  now: Date;
}

export interface DumpPreview {
  /** The command line, shell-quoted, with the connection as PG* variables and no password. */
  command: string;
  /** What the command line cannot show: the snapshot and the filter file are made when the dump starts. */
  notes: string[];
  /** The dump's final file name, as the preview shows it: pass it on so the dump is written under this name. */
  fileName: string;
}

export function previewDump(input: DumpPreviewInput): DumpPreview {
  const format = input.format ?? 'custom';
  const probe = planDump({ ...input, toolMajor: input.tool.major, outputPath: '' });
  const base = expandNameTemplate(input.nameTemplate ?? DEFAULT_NAME_TEMPLATE, { db: input.database, profile: input.profile, format, date: input.now });
  const outputPath = path.join(input.folder, `${base}${probe.extension}.partial`);
  const filterFilePath = input.tool.major >= 17 ? path.join('<private temp folder>', 'filter') : undefined;
  const plan = planDump({ ...input, toolMajor: input.tool.major, outputPath, ...(filterFilePath ? { filterFilePath } : {}) });
  const notes = [
    'pg_dump also gets --snapshot= with the snapshot the row counts are taken in, exported when the dump starts.',
    `It writes to ${path.basename(outputPath)} and renames it to ${path.basename(outputPath, '.partial')} once it has been read back (a name taken by then gets -2).`,
  ];
  if (plan.filterText !== undefined) notes.push(`The filter file holds:\n${plan.filterText.trimEnd()}`);
  return { command: previewCommand(input.tool.path, plan.args, { ...input.connection, database: input.database }), notes, fileName: path.basename(outputPath, '.partial') };
}
