// The exact pg_restore command a restore will run, shown before it runs.
import { previewCommand } from '../platform/commandPreview';
import type { ConnectionParams } from '../profiles/types';
import { dbnameConninfo, isOneTransaction } from './restoreRun';
import { pgRestoreOptionArgs, type RestoreChoices } from './restoreOptions';

export interface RestorePreviewInput extends RestoreChoices {
  /** The pg_restore that will run. */
  toolPath: string;
  connection: ConnectionParams;
  database: string;
  dumpPath: string;
}

/** A whole dump's restore: the command line with the connection as PG* variables and no password. */
export function previewRestore(input: RestorePreviewInput): string {
  const args = ['--verbose', '--dbname', dbnameConninfo(input.database), ...pgRestoreOptionArgs(input, { recreate: false, oneTransaction: isOneTransaction(input, false) }), input.dumpPath];
  return previewCommand(input.toolPath, args, { ...input.connection, database: input.database });
}
