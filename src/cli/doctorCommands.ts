// `pgbr doctor`: whether this machine has what the workspace's plans need (tools per server major, a
// scheduler, encryption and offsite programs, writable folders), one finding per line with its fix.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DOCTOR_PROGRAMS, type DoctorProgram, type Finding, type FolderAccess, describePlans, machineZone, planNeeds, type ReadinessFacts, readinessFailed, readinessFindings } from '../core/plans';
import { errorMessage } from '../core/platform';
import { defaultConnectContext, resolveConnection, withClient } from '../core/postgres';
import { jsonOption, workspaceOption } from './commands';
import type { CliContext, Io } from './io';
import { Exit, makeOutput } from './output';
import { inventoryFor } from './shared';
import { cliPlaces, pickProfile, profilesFor } from './workspace';

interface DoctorOptions {
  workspace: string;
  binPath?: string;
  json?: boolean;
}

/** A doctor is run by hand or by provisioning: a server that does not answer should not hold it for long. */
const CONNECT_TIMEOUT_MS = 5000;

export async function doctorCommand(opts: DoctorOptions, io: Io, now = new Date()): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const workspace = path.resolve(opts.workspace);
    const [loaded, inventory, programs] = await Promise.all([profilesFor(workspace, io), inventoryFor(opts.binPath, io), findPrograms(io.env)]);
    const plans = loaded.config?.plans ?? [];
    const overview = describePlans(loaded.config ?? {}, cliPlaces(workspace), now, machineZone());
    const needs = plans.map(planNeeds);
    const connections = [...new Set(needs.filter((n) => n.tools.length).map((n) => n.connection))];
    const servers = Object.fromEntries(await Promise.all(connections.map(async (c) => [c, await serverMajor(c, workspace, io)] as const)));
    const facts: ReadinessFacts = {
      inventory,
      programs,
      plans: needs,
      planProblems: loaded.problems.filter((p) => p.plan !== undefined && p.severity !== 'warning').map((p) => `${p.file ?? p.source.label}${p.line ? `:${p.line}` : ''}: ${p.message}`),
      servers,
      folders: await Promise.all(overview.map(async (p) => ({ plan: p.name, folder: p.folder, access: await folderAccess(p.folder) }))),
      workspace,
    };
    const findings = readinessFindings(facts);
    out.result({ findings }, () => findings.map(findingLine).join('\n'));
    return readinessFailed(findings) ? Exit.Problem : Exit.Ok;
  } catch (e) {
    return out.fail(e);
  }
}

/** `fail pg_dump for nightly: pg_dump 15 is older than … (fix: install …)`. */
export function findingLine(f: Finding): string {
  return `${f.status.padEnd(4)} ${f.check}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`;
}

async function findPrograms(env: NodeJS.ProcessEnv): Promise<Partial<Record<DoctorProgram, string>>> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((d) => path.isAbsolute(d));
  const found = await Promise.all(DOCTOR_PROGRAMS.map(async (program) => [program, await onPath(program, dirs)] as const));
  return Object.fromEntries(found.filter(([, file]) => file !== undefined));
}

async function onPath(program: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const file = path.join(dir, program);
    const executable = await access(file, constants.X_OK).then(() => stat(file).then((s) => s.isFile()), () => false);
    if (executable) return file;
  }
  return undefined;
}

/** The major of the server a connection reaches (`server_version_num` 150004 → 15), or why it could not be read. */
async function serverMajor(conn: string, workspace: string, io: Io): Promise<{ major: number } | { problem: string }> {
  try {
    const profile = await pickProfile(conn, workspace, io);
    const resolved = await resolveConnection(profile, defaultConnectContext(io.env));
    const num = await withClient(resolved.params, { password: resolved.password, connectTimeoutMs: CONNECT_TIMEOUT_MS }, async (c) =>
      Number((await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num),
    );
    return Number.isFinite(num) && num > 0 ? { major: num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100 } : { problem: 'it reported no server_version_num' };
  } catch (e) {
    return { problem: errorMessage(e) };
  }
}

/** Writable now, or creatable: the nearest folder that exists above it is writable. */
export async function folderAccess(folder: string): Promise<FolderAccess> {
  let dir = folder;
  for (;;) {
    const info = await stat(dir).catch(() => undefined);
    if (info) {
      if (!info.isDirectory()) return { writable: false, problem: `${dir} is not a folder` };
      const ok = await access(dir, constants.W_OK | constants.X_OK).then(() => true, () => false);
      if (!ok) return { writable: false, problem: dir === folder ? 'it is not writable by this user' : `${dir}, where it would be created, is not writable by this user` };
      return { writable: true, exists: dir === folder };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { writable: false, problem: 'no folder above it exists' };
    dir = parent;
  }
}

export function addDoctorCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('doctor')
    .description("check this machine for what the plans of pgbackup.yaml need: client tools per server major, a scheduler, age/gpg/rclone/pgbackrest, writable folders; exit 1 when something fails")
    .option('--bin-path <dir>', 'the folder of the PostgreSQL tools to use (PATH and the standard locations are then not searched)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (opts: DoctorOptions) => exit(await doctorCommand(opts, io)));
}
