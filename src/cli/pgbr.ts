// `pgbr`: the command line over the same core as the extension, for cron, CI and monitoring.
import { Command, CommanderError } from 'commander';
import { addFoundationCommands } from './commands';
import { addDumpCommands } from './dumpCommands';
import { addRestoreCommands } from './restoreCommands';
import { addWalCommands } from './walCommands';
import { addBaseBackupCommands } from './baseBackupCommands';
import { addPitrCommands } from './pitrCommands';
import { addLeftoverCommands } from './leftoverCommands';
import { addPlanCommands } from './planCommands';
import { addRunCommands } from './runCommands';
import { addOffsiteCommands } from './offsiteCommands';
import { addBackrestCommands } from './backrestCommands';
import { sweepDeadRuns } from '../core/platform';
import { adviseForShell } from '../core/profiles';
import { Exit } from './output';
import type { CliContext, CommandGroup, Io } from './io';

export type { Io } from './io';
import { version } from '../../package.json';

const GROUPS: CommandGroup[] = [addFoundationCommands, addDumpCommands, addRestoreCommands, addWalCommands, addBaseBackupCommands, addPitrCommands, addLeftoverCommands, addPlanCommands, addRunCommands, addOffsiteCommands, addBackrestCommands];

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  adviseForShell();
  let code: number = Exit.Ok;
  const cli: CliContext = { io, exit: (c) => (code = c) };
  const program = new Command('pgbr')
    .description('PostgreSQL backup and recovery: connections, tools, dumps, archiver status.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError();
  for (const group of GROUPS) group(program, cli);
  // Before any command: what runs that were killed left in the temp folder goes (their passfiles first).
  if (!argv.some((a) => a === '--version' || a === '-V' || a === '--help' || a === '-h')) {
    for (const problem of sweepDeadRuns().problems) io.err(`pgbr: ${problem}\n`);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? Exit.Ok : Exit.Error;
    }
    io.err(`pgbr: ${e instanceof Error ? e.message : String(e)}\n`);
    return Exit.Error;
  }
}

function defaultIo(): Io {
  return { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env };
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
