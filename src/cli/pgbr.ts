// `pgbr`: the command line over the same core as the extension, for cron, CI and monitoring.
import { Command, CommanderError } from 'commander';
import { Exit } from './exit';
import type { CliContext, CommandGroup, Io } from './io';

export type { Io } from './io';
import { version } from '../../package.json';
import { versionText } from './version';

/**
 * Each feature's subcommands, loaded only when its command is run: `pgbr --version` and a command
 * that never connects do not pay for the pg driver, yaml and the rest of the core at start-up.
 * `commands` lists the group's top-level names (a unit test checks it against what the group adds).
 */
export const GROUPS: readonly { commands: readonly string[]; load: () => Promise<CommandGroup>; needsAll?: true }[] = [
  { commands: ['connections', 'tools', 'status'], load: async () => (await import('./commands')).addFoundationCommands },
  { commands: ['dump', 'globals'], load: async () => (await import('./dumpCommands')).addDumpCommands },
  { commands: ['toc'], load: async () => (await import('./tocCommand')).addTocCommand },
  { commands: ['restore', 'verify'], load: async () => (await import('./restoreCommands')).addRestoreCommands },
  { commands: ['wal-check'], load: async () => (await import('./walCommands')).addWalCommands },
  { commands: ['basebackup', 'restore-point'], load: async () => (await import('./baseBackupCommands')).addBaseBackupCommands },
  { commands: ['pitr'], load: async () => (await import('./pitrCommands')).addPitrCommands },
  { commands: ['leftovers'], load: async () => (await import('./leftoverCommands')).addLeftoverCommands },
  { commands: ['plans', 'schedule'], load: async () => (await import('./planCommands')).addPlanCommands },
  { commands: ['run', 'prune'], load: async () => (await import('./runCommands')).addRunCommands },
  { commands: ['offsite'], load: async () => (await import('./offsiteCommands')).addOffsiteCommands },
  { commands: ['backrest'], load: async () => (await import('./backrestCommands')).addBackrestCommands },
  { commands: ['recover-table'], load: async () => (await import('./undoCommands')).addUndoCommands },
  { commands: ['doctor'], load: async () => (await import('./doctorCommands')).addDoctorCommands },
  // Completion walks every command, so all the groups are loaded for it.
  { commands: ['completion'], load: async () => (await import('./completion')).addCompletionCommands, needsAll: true },
];

const ONLY_VERSION_OR_HELP = new Set(['--version', '-V', '--help', '-h']);

/** The groups a command line needs: the one that owns its command, or all of them for help, suggestions and unknown names. */
function groupsFor(argv: readonly string[]): (typeof GROUPS)[number][] {
  const first = argv.find((a) => !a.startsWith('-'));
  if (first === undefined) return argv.length > 0 && argv.every((a) => a === '--version' || a === '-V') ? [] : [...GROUPS];
  const owner = GROUPS.find((g) => g.commands.includes(first));
  return owner && !owner.needsAll ? [owner] : [...GROUPS];
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let code: number = Exit.Ok;
  const cli: CliContext = { io, exit: (c) => (code = c) };
  const program = new Command('pgbr')
    .description('PostgreSQL backup and recovery: connections, tools, dumps, archiver status.')
    .version(versionText(version))
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError();
  for (const group of await Promise.all(groupsFor(argv).map((g) => g.load()))) group(program, cli);
  // Before any command: what runs that were killed left in the temp folder goes (their passfiles first).
  if (!argv.some((a) => ONLY_VERSION_OR_HELP.has(a))) {
    const [{ sweepDeadRuns }, { adviseForShell }] = await Promise.all([import('../core/platform'), import('../core/profiles')]);
    adviseForShell();
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
  // A reader that stops early (`pgbr toc dump | head`) closes the pipe: that ends the output, not with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
  return { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env };
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
