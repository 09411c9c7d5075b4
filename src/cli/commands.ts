// The foundation's pgbr subcommands (connections, tools, status): each loads what it needs from the core, prints text or JSON, returns an exit code.
import * as os from 'node:os';
import { loadProfiles, parseConnectionUri, describeParams } from '../core/profiles';
import type { ConnectionProfile } from '../core/profiles/types';
import { discoverTools, TOOL_NAMES } from '../core/tools';
import { defaultConnectContext, resolveConnection } from '../core/connect';
import { getArchiverStatus, getServerInfo, withClient, type ArchiverStatus, type ServerInfo } from '../core/server';
import { PgbrError } from '../core/errors';
import { archiverProblems } from '../core/archiverCheck';
import { Exit, makeOutput, table } from './output';
import { Option, type Command } from 'commander';
import type { CliContext, Io } from './pgbr';

export async function profilesFor(workspace: string, io: Io) {
  return loadProfiles({ workspaceFolder: workspace, env: io.env, homedir: os.homedir() });
}

/** `--conn`: a profile name, or a postgresql:// URI used as an unnamed profile. */
export async function pickProfile(conn: string, workspace: string, io: Io): Promise<ConnectionProfile> {
  if (/^postgres(ql)?:\/\//.test(conn)) {
    return { name: describeParams(parseConnectionUri(conn)), params: parseConnectionUri(conn), source: { kind: 'setting', label: '--conn URI' } };
  }
  const loaded = await profilesFor(workspace, io);
  const found = loaded.profiles.find((p) => p.name === conn);
  if (found) return found;
  const known = loaded.profiles.map((p) => p.name);
  throw new PgbrError(
    'usage',
    `there is no connection named "${conn}"${known.length ? ` (known: ${known.join(', ')})` : ''}: pass a profile name or a postgresql:// URI.`,
  );
}

const run = {
  async connections(opts: { workspace: string; json?: boolean }, io: Io): Promise<number> {
    const out = makeOutput(!!opts.json, io.out, io.err);
    try {
      const loaded = await profilesFor(opts.workspace, io);
      const problems = loaded.problems.map((p) => ({
        source: p.source.label,
        file: p.file,
        line: p.line,
        column: p.column,
        profile: p.profileName,
        message: p.message,
      }));
      out.result(
        {
          connections: loaded.profiles.map((p) => ({ name: p.name, source: p.source.label, ...p.params })),
          problems,
        },
        () => {
          const rows = [['NAME', 'CONNECTS TO', 'FROM'], ...loaded.profiles.map((p) => [p.name, describeParams(p.params), p.source.label])];
          return loaded.profiles.length ? table(rows) : 'No connections: add one to pgbackup.yaml or set PGHOST/PGPORT/PGUSER.';
        },
      );
      if (!opts.json) {
        for (const p of problems) {
          const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}${p.column ? `:${p.column}` : ''}` : p.source;
          io.err(`pgbr: ${where}: ${p.message}\n`);
        }
      }
      return problems.length ? Exit.Error : Exit.Ok;
    } catch (e) {
      return out.fail(e);
    }
  },

  async tools(opts: { binPath?: string; json?: boolean }, io: Io): Promise<number> {
    const out = makeOutput(!!opts.json, io.out, io.err);
    try {
      const inventory = await discoverTools({ binPath: opts.binPath, env: io.env, platform: process.platform, homedir: os.homedir() });
      out.result(inventory, () => {
        if (inventory.installs.length === 0) {
          return 'No PostgreSQL client tools found: install them (e.g. postgresql-client) or pass --bin-path.';
        }
        const rows = [['MAJOR', 'TOOL', 'VERSION', 'PATH', 'FOUND VIA']];
        for (const install of inventory.installs) {
          for (const name of TOOL_NAMES) {
            const tool = install.tools[name];
            rows.push([String(install.major), name, tool?.version ?? 'missing', tool?.path ?? '', install.via]);
          }
        }
        return [table(rows), ...inventory.problems.map((p) => `problem: ${p}`)].join('\n');
      });
      return inventory.installs.length === 0 || inventory.problems.length > 0 ? Exit.Problem : Exit.Ok;
    } catch (e) {
      return out.fail(e);
    }
  },

  async status(opts: { conn: string; workspace: string; json?: boolean }, io: Io): Promise<number> {
    const out = makeOutput(!!opts.json, io.out, io.err);
    try {
      const profile = await pickProfile(opts.conn, opts.workspace, io);
      const conn = await resolveConnection(profile, defaultConnectContext(io.env));
      if (conn.warning) io.err(`pgbr: ${conn.warning}\n`);
      const { server, archiver } = await withClient(conn.params, { password: conn.password }, async (c) => ({
        server: await getServerInfo(c),
        archiver: await getArchiverStatus(c),
      }));
      const problems = archiverProblems(server, archiver);
      out.result(
        { connection: { name: profile.name, ...conn.params }, server, archiver, problems },
        () => renderStatus(profile.name, server, archiver, problems),
      );
      return problems.length ? Exit.Problem : Exit.Ok;
    } catch (e) {
      return out.fail(e);
    }
  },
};

function renderStatus(name: string, server: ServerInfo, a: ArchiverStatus, problems: string[]): string {
  const time = (d: Date | null): string => (d ? d.toISOString() : 'never');
  const rows = [
    ['connection', name],
    ['server', `PostgreSQL ${server.version}`],
    ['wal_level', server.walLevel],
    ['archive_mode', server.archiveMode],
    ['archive_command', server.archiveCommand || '(empty)'],
    ['archive_timeout', server.archiveTimeout],
    ['archived', `${a.archivedCount} (last ${a.lastArchivedWal ?? 'none'} at ${time(a.lastArchivedTime)})`],
    ['failed', `${a.failedCount} (last ${a.lastFailedWal ?? 'none'} at ${time(a.lastFailedTime)})`],
    ['current WAL', a.currentWal ?? '(in recovery)'],
    ['stats reset', time(a.statsReset)],
  ];
  const verdict = problems.length ? problems.map((p) => `problem: ${p}`).join('\n') : 'archiving: OK';
  return `${table(rows)}\n${verdict}`;
}

/** Options most subcommands share. */
export const workspaceOption = (): Option =>
  new Option('--workspace <dir>', 'folder holding pgbackup.yaml').default(process.cwd(), 'the current folder');
export const jsonOption = (): Option => new Option('--json', 'print one JSON document on stdout');

export function addFoundationCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('connections')
    .description('list connection profiles and where each comes from')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (opts: { workspace: string; json?: boolean }) => exit(await run.connections(opts, io)));

  program
    .command('tools')
    .description('list the PostgreSQL client tools found, per major version')
    .option('--bin-path <dir>', 'a folder searched before PATH and the standard locations')
    .addOption(jsonOption())
    .action(async (opts: { binPath?: string; json?: boolean }) => exit(await run.tools(opts, io)));

  program
    .command('status')
    .description('server version, WAL archiving settings and the pg_stat_archiver row')
    .requiredOption('--conn <name|uri>', 'a profile name or a postgresql:// URI')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (opts: { conn: string; workspace: string; json?: boolean }) => exit(await run.status(opts, io)));
}
