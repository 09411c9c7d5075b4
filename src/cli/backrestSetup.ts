// `pgbr backrest setup`: shows the pgBackRest config and server settings that make a stanza work on one server, and writes or applies them only when asked.
import { InvalidArgumentError, type Command } from 'commander';
import {
  type ApplyResult,
  applyBackrestServerSettings,
  type BackrestSetupInput,
  type BackrestSetupPlan,
  planBackrestSetup,
  setupLines,
  readServerLayout,
  type SetupWriteResult,
  writeBackrestSetup,
} from '../core/backrest';
import { PgbrError } from '../core/platform';
import { withClient } from '../core/postgres';
import { jsonOption, workspaceOption } from './commands';
import type { CliContext, Io } from './io';
import { Exit, makeOutput } from './output';
import { connectionFor } from './shared';

export interface SetupOptions {
  stanza: string;
  repoPath: string;
  conn?: string;
  dataDir?: string;
  port?: number;
  socketDir?: string;
  config?: string;
  write?: boolean;
  applyServer?: boolean;
  json?: boolean;
  workspace: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('give a port number from 1 to 65535.');
  return n;
}

export function renderSetup(plan: BackrestSetupPlan, written: SetupWriteResult | undefined, applied: ApplyResult | undefined): string {
  const lines = setupLines(plan, { written: !!written, applied: !!applied });
  if (written) {
    lines.push(`${plan.configPath} written with mode 0640${written.owner ? ` for uid ${written.owner.uid}` : ''}${written.repoCreated ? `; made the repository folder ${plan.repoPath}` : ''}.`);
    if (written.warning) lines.push(`warning: ${written.warning}`);
  }
  if (applied) {
    lines.push(`Applied ${applied.applied.join(', ')} and reloaded the configuration.`);
    if (applied.restartNeeded.length) lines.push(`${applied.restartNeeded.join(' and ')} changed and take${applied.restartNeeded.length === 1 ? 's' : ''} effect only when the server restarts: restart it before stanza-create.`);
  }
  if (!written && !applied) lines.push('Nothing was written or applied: run again with --write to write the file, and --apply-server to apply the settings (or run the SQL as a superuser).');
  else if (!applied) lines.push('The server settings were not applied: run the SQL as a superuser, or again with --apply-server.');
  else if (!written) lines.push(`The file was not written: run again with --write to write it.`);
  return lines.join('\n');
}

export async function backrestSetupCommand(opts: SetupOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    if (opts.conn === undefined && (opts.dataDir === undefined || opts.port === undefined)) {
      throw new PgbrError('usage', 'setup needs the server: give --conn PROFILE to read its data directory, port and socket folder, or both --data-dir and --port.');
    }
    if (opts.applyServer && opts.conn === undefined) throw new PgbrError('usage', '--apply-server needs --conn to reach the server: give the profile or URI of a superuser connection.');
    const base = { stanza: opts.stanza, repoPath: opts.repoPath, ...(opts.config !== undefined ? { configPath: opts.config } : {}) };
    const carryOut = async (input: BackrestSetupInput, apply?: (plan: BackrestSetupPlan) => Promise<ApplyResult>) => {
      const plan = await planBackrestSetup(input);
      const written = opts.write ? await writeBackrestSetup(plan) : undefined;
      const applied = apply ? await apply(plan) : undefined;
      const { mergedFrom, ...shown } = plan;
      out.result({ ...shown, existed: mergedFrom !== undefined, written: written ?? null, applied: applied ?? null }, () => renderSetup(plan, written, applied));
      return Exit.Ok;
    };
    if (opts.conn === undefined) {
      return await carryOut({ ...base, pgDataDir: opts.dataDir ?? '', pgPort: opts.port ?? 0, ...(opts.socketDir !== undefined ? { pgSocketDir: opts.socketDir } : {}) });
    }
    const { resolved } = await connectionFor(opts.conn, opts.workspace, io);
    return await withClient(resolved.params, { password: resolved.password, applicationName: 'pgbr backrest setup' }, async (client) => {
      const server = await readServerLayout(client);
      const pgDataDir = opts.dataDir ?? server.dataDir;
      if (pgDataDir === undefined) {
        throw new PgbrError('config', 'the server does not show data_directory to this role: connect as a superuser or a member of pg_read_all_settings, or pass --data-dir.');
      }
      const pgSocketDir = opts.socketDir ?? server.socketDir;
      return carryOut(
        { ...base, pgDataDir, pgPort: opts.port ?? server.port, ...(pgSocketDir !== undefined ? { pgSocketDir } : {}), serverNow: server.archiving },
        opts.applyServer ? (plan) => applyBackrestServerSettings(client, plan) : undefined,
      );
    });
  } catch (e) {
    return out.fail(e);
  }
}

export function addBackrestSetupCommand(backrest: Command, { io, exit }: CliContext): void {
  backrest
    .command('setup')
    .description("show the pgBackRest config (merged into an existing file) and the server settings that make a stanza work; --write writes the file, --apply-server runs ALTER SYSTEM")
    .requiredOption('--stanza <name>', 'the stanza to set up')
    .requiredOption('--repo-path <dir>', "the posix repository's folder (repo1-path), outside the data directory")
    .option('--conn <name|uri>', 'a profile name or a postgresql:// URI: the data directory, port and socket folder are read from the server')
    .option('--data-dir <dir>', "the server's data directory (pg1-path), without --conn or to override it")
    .option('--port <n>', "the server's port (pg1-port)", parsePort)
    .option('--socket-dir <dir>', "the server's Unix socket folder (pg1-socket-path)")
    .option('--config <file>', "pgBackRest's config file (default: /etc/pgbackrest/pgbackrest.conf)")
    .option('--write', 'write the config file (atomically, mode 0640) and make the repository folder')
    .option('--apply-server', 'apply archive_mode, archive_command and restore_command with ALTER SYSTEM and reload (needs --conn)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (opts: SetupOptions) => exit(await backrestSetupCommand(opts, io)));
}
