// Carrying out a `pgbr backrest setup` plan: the config file written whole (or not at all), the repository folder made, and the server's settings read and applied.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type pg from 'pg';
import { PgbrError, errorMessage } from '../platform/errors';
import { isRoot } from '../pitr/scratchServer';
import { type BackrestSetupPlan, type ServerArchiving, sqlLiteral } from './setup';

export interface SetupWriteResult {
  configPath: string;
  /** Whether the repository folder was made (pgBackRest would make it too, but as whoever runs stanza-create). */
  repoCreated: boolean;
  /** Who the file was given to, when we run as root (a new repository folder goes to the data directory's owner). */
  owner?: { uid: number; gid: number };
  /** Something the user must still do, when there is one. */
  warning?: string;
}

async function statOrUndefined(p: string) {
  return fs.stat(p).catch(() => undefined);
}

/**
 * Writes the plan's file: refused when the file is no longer what the plan merged into; a temp file in
 * the same folder, synced, then renamed over it, mode 0640. As root the file keeps the owner it had, and
 * a new one goes to the data directory's owner: the server's archive-push reads it as that user.
 */
export async function writeBackrestSetup(plan: BackrestSetupPlan): Promise<SetupWriteResult> {
  const file = plan.configPath;
  const now = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (now !== plan.mergedFrom) {
    throw new PgbrError('io', `${file} ${now === undefined ? 'was removed' : plan.mergedFrom === undefined ? 'was created' : 'changed'} since the setup was planned: run pgbr backrest setup again to see what it would write now.`);
  }
  const folder = path.dirname(file);
  await fs.mkdir(folder, { recursive: true });
  let owner: SetupWriteResult['owner'];
  let serverUser: SetupWriteResult['owner'];
  let warning: string | undefined;
  if (isRoot()) {
    const data = await statOrUndefined(plan.pgDataDir);
    if (data && data.uid !== 0) serverUser = { uid: data.uid, gid: data.gid };
    // A file keeps its owner and group (root:postgres reads as well as postgres:postgres); a new one is the server's.
    const before = await statOrUndefined(file);
    owner = before ? { uid: before.uid, gid: before.gid } : serverUser;
    if (!owner || (owner.uid === 0 && owner.gid === 0)) warning = `${file} belongs to root: give it to the server's OS user (chown postgres: ${file}) so its archive-push can read it.`;
  }

  const tmp = path.join(folder, `.${path.basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    const handle = await fs.open(tmp, 'wx', 0o640);
    try {
      await handle.writeFile(plan.configText);
      // The umask may have taken bits off: the mode is 0640 whatever it is.
      await handle.chmod(0o640);
      if (owner) await handle.chown(owner.uid, owner.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new PgbrError('io', `could not write ${file}: ${errorMessage(e)}; run as a user who may write to ${folder}, or pass another --config.`, { cause: e });
  }
  // The rename is durable once the folder is synced; a file system that cannot sync a folder still has the file.
  await fs
    .open(folder, 'r')
    .then(async (dir) => {
      await dir.sync().finally(() => dir.close());
    })
    .catch(() => {});

  let repoCreated = false;
  if (!(await statOrUndefined(plan.repoPath))) {
    // Parents as usual (others must pass through them), the repository itself for its owner and group only.
    await fs.mkdir(path.dirname(plan.repoPath), { recursive: true });
    await fs.mkdir(plan.repoPath, { mode: 0o750 });
    if (serverUser) await fs.chown(plan.repoPath, serverUser.uid, serverUser.gid);
    repoCreated = true;
  }
  return { configPath: file, repoCreated, ...(owner ? { owner } : {}), ...(warning ? { warning } : {}) };
}

/** Where the server keeps its data and listens, and how it archives now: what `--conn` gives setup. */
export interface ServerLayout {
  dataDir?: string;
  port: number;
  socketDir?: string;
  archiving: ServerArchiving;
}

/** The first of unix_socket_directories that is a folder (not an abstract `@name`), or undefined when there is none. */
export function firstSocketDir(setting: string): string | undefined {
  const first = setting.split(',')[0]?.trim().replace(/^"(.*)"$/, '$1');
  return first && first.startsWith('/') ? first : undefined;
}

export async function readServerLayout(client: pg.Client): Promise<ServerLayout> {
  // pg_settings hides data_directory from roles that may not read it instead of failing.
  const rows = await client.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY($1::text[])`,
    [['data_directory', 'port', 'unix_socket_directories', 'archive_mode', 'archive_command', 'wal_level']],
  );
  const s = new Map(rows.rows.map((r) => [r.name, r.setting]));
  const socketDir = firstSocketDir(s.get('unix_socket_directories') ?? '');
  const archiving: ServerArchiving = {};
  for (const [key, name] of [['archiveMode', 'archive_mode'], ['archiveCommand', 'archive_command'], ['walLevel', 'wal_level']] as const) {
    const value = s.get(name);
    if (value !== undefined) archiving[key] = value;
  }
  return { ...(s.has('data_directory') ? { dataDir: s.get('data_directory') } : {}), port: Number(s.get('port')), ...(socketDir ? { socketDir } : {}), archiving };
}

export interface ApplyResult {
  applied: string[];
  /** Settings that changed but take effect only when the server restarts. */
  restartNeeded: string[];
}

/** ALTER SYSTEM for each of the plan's settings, then pg_reload_conf(); which of them wait for a restart is read from the server, not guessed. */
export async function applyBackrestServerSettings(client: pg.Client, plan: BackrestSetupPlan): Promise<ApplyResult> {
  const before = await client.query<{ name: string; setting: string; context: string }>(
    `SELECT name, setting, context FROM pg_catalog.pg_settings WHERE name = ANY($1::text[])`,
    [plan.serverSettings.map((s) => s.name)],
  );
  const was = new Map(before.rows.map((r) => [r.name, r]));
  const applied: string[] = [];
  for (const setting of plan.serverSettings) {
    try {
      // The names are setup's own few; the value is a literal quoted as quote_literal would.
      await client.query(`ALTER SYSTEM SET ${setting.name} = ${sqlLiteral(setting.value)}`);
    } catch (e) {
      const done = applied.length ? ` (${applied.join(', ')} ${applied.length === 1 ? 'was' : 'were'} set)` : '';
      throw new PgbrError('config', `ALTER SYSTEM SET ${setting.name} failed: ${errorMessage(e)}${done}; run the SQL shown as a superuser or a role granted ALTER SYSTEM.`, { cause: e });
    }
    applied.push(setting.name);
  }
  await client.query('SELECT pg_catalog.pg_reload_conf()');
  const restartNeeded = plan.serverSettings.filter((s) => was.get(s.name)?.context === 'postmaster' && was.get(s.name)?.setting !== s.value).map((s) => s.name);
  return { applied, restartNeeded };
}
