// Turns a profile into what a client or a tool needs: libpq's defaults applied and the password found.
import os from 'node:os';
import type { ConnectionParams, ConnectionProfile } from '../profiles/types';
import { effectiveParams, findDefaultSocketDir, ignoredPasswordWarning, resolvePassword } from '../profiles';

/** The parts of the process a connection depends on, explicit so tests and the CLI can set them. */
export interface ConnectContext {
  env: NodeJS.ProcessEnv;
  homedir: string;
  osUser: string;
  platform: NodeJS.Platform;
}

export function defaultConnectContext(env: NodeJS.ProcessEnv = process.env): ConnectContext {
  let osUser = env.USER ?? env.USERNAME ?? '';
  try {
    osUser = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment.
  }
  return { env, homedir: os.homedir(), osUser, platform: process.platform };
}

export interface ResolvedConnection {
  profile: ConnectionProfile;
  /** The profile's parameters with libpq's defaults filled in. */
  params: ConnectionParams & { host: string; port: number; user: string; database: string };
  password?: string;
  passwordFrom: 'secret' | 'pgpass' | 'environment' | 'none';
  /** Why a pgpass file was not used (readable by others, unreadable): worth a log line, never fatal. */
  warning?: string;
}

export async function resolveConnection(
  profile: ConnectionProfile,
  ctx: ConnectContext,
  secret?: string,
): Promise<ResolvedConnection> {
  const params = effectiveParams(profile.params, ctx.env, ctx.osUser, await findDefaultSocketDir(ctx.platform));
  const found = await resolvePassword(profile, {
    secret,
    env: ctx.env,
    homedir: ctx.homedir,
    platform: ctx.platform,
    osUser: ctx.osUser,
  });
  // With no password found, one left unused in a service file is the likely reason a server refuses.
  const ignored = found.password === undefined ? ignoredPasswordWarning(profile) : undefined;
  const warning = [found.warning, ignored].filter((w) => w !== undefined).join('; ') || undefined;
  return { profile, params, password: found.password, passwordFrom: found.from, ...(warning ? { warning } : {}) };
}
