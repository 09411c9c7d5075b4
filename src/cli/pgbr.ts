// `pgbr`: the command line over the same core as the extension, for cron, CI and monitoring.
import { Command, CommanderError, Option } from 'commander';
import { run } from './commands';
import { Exit } from './output';
import { version } from '../../package.json';

export async function main(argv: string[], io = defaultIo()): Promise<number> {
  const program = new Command('pgbr')
    .description('PostgreSQL backup and recovery: connections, tools and archiver status.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError();
  let code: number = Exit.Ok;
  const workspace = new Option('--workspace <dir>', 'folder holding pgbackup.yaml').default(process.cwd(), 'the current folder');
  const json = new Option('--json', 'print one JSON document on stdout');

  program
    .command('connections')
    .description('list connection profiles and where each comes from')
    .addOption(workspace)
    .addOption(json)
    .action(async (opts: { workspace: string; json?: boolean }) => {
      code = await run.connections(opts, io);
    });

  program
    .command('tools')
    .description('list the PostgreSQL client tools found, per major version')
    .option('--bin-path <dir>', 'a folder searched before PATH and the standard locations')
    .addOption(json)
    .action(async (opts: { binPath?: string; json?: boolean }) => {
      code = await run.tools(opts, io);
    });

  program
    .command('status')
    .description('server version, WAL archiving settings and the pg_stat_archiver row')
    .requiredOption('--conn <name|uri>', 'a profile name or a postgresql:// URI')
    .addOption(workspace)
    .addOption(json)
    .action(async (opts: { conn: string; workspace: string; json?: boolean }) => {
      code = await run.status(opts, io);
    });

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

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

function defaultIo(): Io {
  return { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env };
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
