// The foundation's pgbr subcommands (connections, tools, status): each loads what it needs from the core, prints text or JSON, returns an exit code.
import { inventoryFor } from './shared';
import type pg from 'pg';
import { describeParams, type WorkspaceConfig, expandFolder } from '../core/profiles';
import { TOOL_NAMES, errorMessage, describeLeftovers, findScratchDatabases, findPartials, shellWord } from '../core/platform';
import { defaultConnectContext, resolveConnection, withClient } from '../core/postgres';
import { archiverProblems, readPollHistory, withPoll, writePollHistory, archivedPerHour, collectHealth, failuresPerHour, missingBaseBackup, healthPolicy, recentArchiveFiles, type ArchiveActivityHour, type ArchiverPoll, baseBackupsSeen, backrestSeen, type FailureHour, type PreviousSnapshot } from '../core/health';
import { listDumps, type CatalogEntry } from '../core/logical';
import { archiveForConnection, parseArchiveLocations } from '../core/wal';
import { Exit, makeOutput, table } from './output';
import { renderStatus } from './statusText';
import { describePlans, plansHealth, machineZone } from '../core/plans';
import { type Command } from 'commander';
import type { CliContext, Io } from './io';
import { jsonOption, workspaceOption } from './options';
import { baseBackupFolderFor, cliPlaces, dumpFoldersFor, pickProfile, profilesFor } from './workspace';

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
      const inventory = await inventoryFor(opts.binPath, io);
      out.result(inventory, () => {
        const problems = inventory.problems.map((p) => `problem: ${p}`);
        if (inventory.installs.length === 0) {
          const none = inventory.namedDirs
            ? `No PostgreSQL client tools in ${inventory.namedDirs.join(', ')}: pass the folder that holds pg_dump, or leave --bin-path out to search PATH and the standard locations.`
            : 'No PostgreSQL client tools found: install them (e.g. postgresql-client) or pass --bin-path.';
          return [none, ...problems].join('\n');
        }
        const rows = [['MAJOR', 'TOOL', 'VERSION', 'PATH', 'FOUND VIA']];
        for (const install of inventory.installs) {
          for (const name of TOOL_NAMES) {
            const tool = install.tools[name];
            rows.push([String(install.major), name, tool?.version ?? 'missing', tool?.path ?? '', install.via]);
          }
        }
        return [table(rows), ...problems].join('\n');
      });
      return inventory.installs.length === 0 || inventory.problems.length > 0 ? Exit.Problem : Exit.Ok;
    } catch (e) {
      return out.fail(e);
    }
  },

  async status(opts: StatusOptions, io: Io): Promise<number> {
    const out = makeOutput(!!opts.json, io.out, io.err);
    try {
      const profile = await pickProfile(opts.conn, opts.workspace, io);
      const conn = await resolveConnection(profile, defaultConnectContext(io.env));
      if (conn.warning) io.err(`pgbr: ${conn.warning}\n`);
      const loaded = await profilesFor(opts.workspace, io);
      // Problems of pgbackup.yaml outside the connections (a misspelt or malformed policy key) leave a target unchecked: say so.
      const notes = loaded.problems
        .filter((p) => p.source.kind === 'yaml' && p.profileName === undefined)
        .map((p) => `${p.source.label}: ${p.message}`);
      const policy = healthPolicy(loaded.config);
      const now = new Date();
      const dumps = await dumpsFor(loaded.config, opts.workspace, notes);
      const plans = await plansHealth(describePlans(loaded.config ?? {}, cliPlaces(opts.workspace), now, machineZone()).filter((p) => p.connection === profile.name));
      notes.push(...plans.problems);
      const identity = describeParams(conn.params);
      const polls = opts.state ? await readPollHistory(opts.state, identity, notes) : [];
      const previous = polls[polls.length - 1];

      const snapshot = await withClient(conn.params, { password: conn.password }, async (c) => {
        const archive = await archiveFor(opts, profile.name, loaded.config, c);
        const activity = archive ? await readActivity(archive, now, notes) : undefined;
        const viaBackrest = (loaded.config?.repositories ?? []).some((r) => r.connection === profile.name);
        if (!archive && !viaBackrest) notes.push('no WAL archive given (--archive DIR or archives: in pgbackup.yaml): only base backups this tool recorded are counted, and WAL per hour is not shown');
        const baseBackups = await baseBackupsSeen({ ...(archive ? { archive } : {}), folder: baseBackupFolderFor(loaded.config, opts.workspace), profile: profile.name }, notes);
        // pgbr runs on the folder its user points it at: that is the trust an editor asks for.
        const backrest = await backrestSeen(loaded.config?.repositories ?? [], profile.name, notes, { trusted: true });
        const health = await collectHealth(c, {
          policy,
          dumps,
          plans: plans.plans,
          baseBackups: [...baseBackups, ...backrest.baseBackups],
          ...(backrest.repositoryWal.length ? { repositoryWal: backrest.repositoryWal } : {}),
          ...(activity ? { archiveActivity: activity } : {}),
          ...(previous ? { previous: previousSnapshot(previous) } : {}),
          now,
        });
        // Scratch databases of verifies that were killed hold disk on this server until someone drops them.
        const scratch = await findScratchDatabases(c).catch((e: unknown) => {
          notes.push(`scratch databases of earlier verifies not checked: ${errorMessage(e)}`);
          return [];
        });
        notes.push(...describeLeftovers({ scratch }).map((n) => n.replace('--conn NAME', `--conn ${opts.conn}`)));
        return health;
      });
      const problems = archiverProblems(snapshot.server, snapshot.archiver);
      let failures: FailureHour[] | undefined;
      if (opts.state) {
        const current: ArchiverPoll = { at: now, failedCount: snapshot.archiver.failedCount, statsReset: snapshot.archiver.statsReset };
        const kept = withPoll(polls, current, now);
        failures = failuresPerHour(kept, now);
        await writePollHistory(opts.state, identity, kept, notes);
      }
      const missing = missingBaseBackup(snapshot, `pgbr basebackup --conn ${shellWord(opts.conn)}`);
      const warnings = missing ? [missing] : [];
      out.result(
        { connection: { name: profile.name, ...conn.params }, ...snapshot, ...(failures ? { failuresPerHour: failures } : {}), problems, warnings, notes },
        () => renderStatus(profile.name, snapshot, { problems, warnings, notes }, failures),
      );
      const failed = snapshot.overall === 'failing' || snapshot.checklist.some((i) => i.status === 'fail');
      return failed || problems.length ? Exit.Problem : Exit.Ok;
    } catch (e) {
      return out.fail(e);
    }
  },
};

interface StatusOptions {
  conn: string;
  workspace: string;
  json?: boolean;
  archive?: string;
  state?: string;
}


/** The dumps of the configured folders (default `<workspace>/.pg-backups`); a folder that cannot be read is a note, not a failure. */
async function dumpsFor(config: WorkspaceConfig | undefined, workspace: string, notes: string[]): Promise<CatalogEntry[]> {
  const folders = dumpFoldersFor(config, workspace);
  notes.push(...describeLeftovers({ partials: await findPartials(folders) }));
  const dumps: CatalogEntry[] = [];
  for (const folder of folders) {
    try {
      dumps.push(...(await listDumps(folder)).dumps);
    } catch (e) {
      notes.push(`cannot read the dump folder ${folder}: ${errorMessage(e)}`);
    }
  }
  return dumps;
}

/** `--archive`, else the archive of pgbackup.yaml this connection archives into, chosen as the editor chooses it. */
export async function archiveFor(opts: Pick<StatusOptions, 'archive' | 'workspace'>, connection: string, config: WorkspaceConfig | undefined, c: pg.Client): Promise<string | undefined> {
  if (opts.archive) return expandFolder(opts.archive, cliPlaces(opts.workspace));
  const { locations } = parseArchiveLocations(config?.archives ?? [], 'pgbackup.yaml', opts.workspace);
  const command = (await c.query<{ archive_command: string }>('SHOW archive_command')).rows[0]?.archive_command ?? '';
  return archiveForConnection(locations, connection, command)?.path;
}

/** WAL archived per hour, from the archive's newest files. */
async function readActivity(dir: string, now: Date, notes: string[]): Promise<ArchiveActivityHour[] | undefined> {
  try {
    return archivedPerHour(await recentArchiveFiles(dir, new Date(now.getTime() - 24 * 3_600_000)), now);
  } catch (e) {
    notes.push(`WAL per hour not shown: ${errorMessage(e)}`);
    return undefined;
  }
}

function previousSnapshot(poll: ArchiverPoll): PreviousSnapshot {
  return { at: poll.at, archiver: { failedCount: poll.failedCount, statsReset: poll.statsReset ?? null } };
}

export { jsonOption, workspaceOption };

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
    .option('--bin-path <dir>', 'the folder of the PostgreSQL tools to use (PATH and the standard locations are then not searched)')
    .addOption(jsonOption())
    .action(async (opts: { binPath?: string; json?: boolean }) => exit(await run.tools(opts, io)));

  program
    .command('status')
    .description('WAL archiving health: settings, pg_stat_archiver, lag, RPO/RTO against pgbackup.yaml, and a checklist; exit 1 when failing')
    .requiredOption('--conn <name|uri>', 'a profile name or a postgresql:// URI')
    .option('--archive <dir>', 'the WAL archive folder, for base backups and WAL per hour (default: the first of archives: in pgbackup.yaml)')
    .option('--state <file>', 'remember each check in this file, to report failures since the previous one (for cron)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (opts: StatusOptions) => exit(await run.status(opts, io)));
}
