// Why a connection failed, in the user's words: a driver or socket error turned into what happened and what to do.
import { PgbrError, type PgbrErrorDetails } from '../platform/errors';
import type { ConnectionParams } from '../profiles/types';
import type { ConnectOptions } from './server';
import { passwordAdvice } from '../profiles/advice';
import { serverOf } from '../profiles/passwordKey';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

const LOST_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03']);

export function isConnectionLoss(e: unknown): boolean {
  const code = errorCode(e);
  if (code && (LOST_CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return e instanceof Error && /Connection terminated/i.test(e.message);
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `127.0.0.1:5433`, or the socket file for a unix-socket connection. */
function describeTarget(params: ConnectionParams): string {
  const host = params.host ?? 'localhost';
  const port = params.port ?? 5432;
  return host.startsWith('/') ? `${host.replace(/\/$/, '')}/.s.PGSQL.${port}` : `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** Turns a driver or socket error into what happened and what to do, in the words of the profile. */
export function describeConnectionError(err: unknown, params: ConnectionParams, opts: ConnectOptions = {}): PgbrError {
  if (err instanceof PgbrError) return err;
  const where = describeTarget(params);
  const user = params.user ?? 'the default user';
  const database = opts.database ?? params.database ?? params.user ?? 'the default database';
  const raw = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  const details = { cause: err, server: serverOf({ host: params.host ?? 'localhost', port: params.port ?? 5432, user: params.user ?? '' }) };
  const setPassword = passwordAdvice();

  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
      return new PgbrError('connection', `no PostgreSQL server is listening at ${where}: start the server or fix host/port in the profile`, details);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new PgbrError('connection', `unknown host "${params.host ?? 'localhost'}": check the host name in the profile`, details);
    case 'ETIMEDOUT':
      return timeoutError(where, opts, details);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new PgbrError('connection', `cannot reach ${where} (${code}): check the host, the network and any VPN`, details);
    case 'EACCES':
      return new PgbrError('connection', `not allowed to open ${where}: check the socket folder's permissions`, details);
    case '28P01':
      return new PgbrError('auth', `password authentication failed for user "${user}": ${setPassword}`, details);
    case '28000':
      if (/pg_hba\.conf/.test(raw)) {
        return new PgbrError(
          'auth',
          `the pg_hba.conf of the server at ${where} does not let user "${user}" connect to database "${database}" from here: add a pg_hba.conf line for it on the server and reload`,
          details,
        );
      }
      if (/role .* does not exist/.test(raw)) {
        return new PgbrError('auth', `role "${user}" does not exist on ${where}: fix the user in the profile or create the role`, details);
      }
      return new PgbrError('auth', `the server refused user "${user}": ${raw}`, details);
    case '3D000':
      return new PgbrError('connection', `database "${database}" does not exist on ${where}: pick an existing database in the profile or create it`, details);
    case '53300':
      return new PgbrError('connection', `the server at ${where} has no free connection slots: close idle sessions or raise max_connections`, details);
    case '57P03':
      return new PgbrError('connection', `the server at ${where} is not accepting connections yet (${raw}): wait for it to finish starting or recovering`, details);
    case '57P01':
    case '57P02':
      // Both a shutdown and pg_terminate_backend() raise these: the server's words tell which.
      return new PgbrError('connection', `the server at ${where} ended the session (${raw}): retry once it is up again`, details);
    case 'ECONNRESET':
    case 'EPIPE':
      return new PgbrError('connection', `the connection to ${where} was cut (${code}): check the server log and the network, then retry`, details);
  }
  if (/client password must be a string|no password supplied|password must be a non-empty string/i.test(raw)) {
    return new PgbrError('auth', `user "${user}" needs a password on ${where}: ${setPassword}`, details);
  }
  if (/timeout expired|connection timeout|timed out/i.test(raw)) return timeoutError(where, opts, details);
  if (/does not support SSL/i.test(raw)) {
    return new PgbrError(
      'connection',
      `the server at ${where} does not accept SSL connections: set sslmode to "prefer" or "disable" in the profile, or enable ssl on the server`,
      details,
    );
  }
  if (/certificate|self[- ]signed|CERT_|altnames/i.test(raw)) {
    return new PgbrError(
      'connection',
      `the server certificate of ${where} could not be verified (${raw}): set sslrootcert to the CA that signed it, or use sslmode "require" to skip verification`,
      details,
    );
  }
  if (/Connection terminated/i.test(raw)) {
    return new PgbrError('connection', `the server at ${where} closed the connection: check that it is a PostgreSQL server and read its log`, details);
  }
  return new PgbrError('connection', `could not connect to ${where}: ${raw}`, details);
}

function timeoutError(where: string, opts: ConnectOptions, details: PgbrErrorDetails): PgbrError {
  const ms = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new PgbrError('connection', `the server at ${where} did not answer within ${seconds(ms)}: check the host, port and firewall`, details);
}
