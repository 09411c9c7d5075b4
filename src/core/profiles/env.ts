// The `environment` profile: what libpq's PG* variables describe, shown beside the declared profiles.
import { PgbrError } from '../platform/errors';
import { parsePort, parseSslMode } from './uri';
import type { ConnectionParams, ConnectionProfile, ProfileProblem, ProfileSource } from './types';

export const ENV_PROFILE_NAME = 'environment';
export const ENV_SOURCE: ProfileSource = { kind: 'env', label: 'PG* environment' };

/** Any of these makes the environment describe a connection of its own. */
const TRIGGERS = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGSERVICE'] as const;

/** Variables libpq reads into keywords without a field in ConnectionParams. */
const OPTION_VARIABLES: Record<string, string> = {
  PGHOSTADDR: 'hostaddr',
  PGCONNECT_TIMEOUT: 'connect_timeout',
  PGAPPNAME: 'application_name',
  PGOPTIONS: 'options',
  PGSSLROOTCERT: 'sslrootcert',
  PGSSLCERT: 'sslcert',
  PGSSLKEY: 'sslkey',
  PGTARGETSESSIONATTRS: 'target_session_attrs',
};

export interface EnvProfile {
  profile?: ConnectionProfile;
  problems: ProfileProblem[];
}

/**
 * The profile the PG* variables describe, if they describe one. PGPASSWORD is never read here:
 * passwords are looked up when connecting. A bad PGPORT or PGSSLMODE is a problem, not a profile
 * that would silently connect somewhere else.
 */
export function profileFromEnv(env: NodeJS.ProcessEnv): EnvProfile {
  const set = (name: string) => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  if (!TRIGGERS.some((name) => set(name) !== undefined)) return { problems: [] };

  const params: ConnectionParams = {};
  const problems: ProfileProblem[] = [];
  const check = (variable: string, read: () => void) => {
    try {
      read();
    } catch (e) {
      const message = e instanceof PgbrError ? e.message : String(e);
      problems.push({ source: ENV_SOURCE, profileName: ENV_PROFILE_NAME, key: variable, message: `${variable}: ${message}` });
    }
  };

  const host = set('PGHOST');
  if (host !== undefined) params.host = host;
  const port = set('PGPORT');
  if (port !== undefined) check('PGPORT', () => (params.port = parsePort(port)));
  const user = set('PGUSER');
  if (user !== undefined) params.user = user;
  const database = set('PGDATABASE');
  if (database !== undefined) params.database = database;
  const sslmode = set('PGSSLMODE');
  if (sslmode !== undefined) check('PGSSLMODE', () => (params.sslmode = parseSslMode(sslmode)));
  for (const [variable, keyword] of Object.entries(OPTION_VARIABLES)) {
    const value = set(variable);
    if (value !== undefined) params.options = { ...params.options, [keyword]: value };
  }
  if (params.host === undefined && params.options?.hostaddr !== undefined) {
    // Without a host name, the address is the host (as libpq and the service files have it).
    const { hostaddr, ...rest } = params.options;
    params.host = hostaddr;
    if (Object.keys(rest).length) params.options = rest;
    else delete params.options;
  }
  if (problems.length) return { problems };

  const profile: ConnectionProfile = { name: ENV_PROFILE_NAME, params, source: ENV_SOURCE };
  const service = set('PGSERVICE');
  if (service !== undefined) profile.service = service;
  return { profile, problems };
}
