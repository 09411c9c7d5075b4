// Why pg_basebackup failed, said as the fix: the role to grant, the pg_hba.conf line, the setting to change.
import { passwordAdvice } from '../profiles/advice';
import { failureLine } from '../platform/toolFailure';
import { PgbrError } from '../platform/errors';
import type { RunResult } from '../platform/runner';
import type { ServerInfo } from '../postgres/server';
import { quoteIdent } from '../postgres/names';
import { errorLineOf } from '../platform/toolFailure';

/**
 * The one error a user sees when pg_basebackup fails: what refused the backup and the exact fix
 * (SQL to run, the pg_hba.conf line to add), or the tool's own last words.
 */
export function explainBaseBackupFailure(lines: readonly string[], context: { user?: string; server?: ServerInfo } = {}): PgbrError {
  const text = lines.join('\n');
  const user = context.user ?? 'the backup role';
  const role = context.user ? quoteIdent(context.user) : '<role>';
  if (/must be superuser or replication role to start walsender|permission denied to start WAL sender|REPLICATION attribute may start a WAL sender/i.test(text)) {
    return replicationRoleError(user, role);
  }
  const hba = /no pg_hba\.conf entry for replication connection from host "([^"]*)", user "([^"]*)"/.exec(text);
  if (hba) {
    const [, host = '', hbaUser = user] = hba;
    const line = host === '[local]' ? `local replication ${hbaUser} scram-sha-256` : `host replication ${hbaUser} ${host}/${host.includes(':') ? 128 : 32} scram-sha-256`;
    return new PgbrError(
      'auth',
      `the server's pg_hba.conf refuses replication connections for user "${hbaUser}" from ${host === '[local]' ? 'the local socket' : host}, and a base backup needs one: add the line "${line}" to pg_hba.conf (before any reject line) and reload (SELECT pg_reload_conf();)`,
    );
  }
  const senders = /number of requested standby connections exceeds max_wal_senders \(currently (\d+)\)/.exec(text);
  if (senders) {
    if (senders[1] === '0') return noWalSendersError();
    return new PgbrError(
      'connection',
      `all ${senders[1]} WAL senders (max_wal_senders) are in use by standbys or other backups, and a base backup needs two: wait for other backups to end (see pg_stat_replication), or raise it with ALTER SYSTEM SET max_wal_senders = ${Number(senders[1]) + 4}; and restart the server`,
    );
  }
  if (/all replication slots are in use/i.test(text)) {
    return new PgbrError(
      'config',
      'every replication slot (max_replication_slots) is in use, and pg_basebackup needs a temporary one: drop unused slots (see pg_replication_slots), or raise the limit with ALTER SYSTEM SET max_replication_slots = 10; and restart the server',
    );
  }
  if (/WAL level not sufficient|wal_level must be set to "replica" or "logical"/i.test(text)) return walLevelError();
  if (/too many clients already|remaining connection slots are reserved/i.test(text)) {
    return new PgbrError('connection', 'the server has no free connection slots for the backup: close idle sessions or raise max_connections, then retry');
  }
  if (/No space left on device/i.test(text)) {
    return new PgbrError('tool-failed', 'the disk filled up during the base backup (No space left on device), and nothing was kept: free space in the backup folder or choose another one, then retry');
  }
  const badPassword = /password authentication failed for user "([^"]*)"/.exec(text);
  if (badPassword) {
    return new PgbrError('auth', `password authentication failed for user "${badPassword[1] ?? user}": ${passwordAdvice()}`);
  }
  if (/no password supplied/i.test(text)) {
    return new PgbrError('auth', `user "${user}" needs a password for the replication connection: ${passwordAdvice()}`);
  }
  if (/Connection refused|could not connect to server|No such file or directory\s*\n?\s*Is the server running/i.test(text)) {
    return new PgbrError('connection', `pg_basebackup could not connect to the server: ${lastError(lines) ?? 'connection refused'}: start the server or fix the host and port`);
  }
  return new PgbrError('tool-failed', `pg_basebackup failed: ${lastError(lines) ?? 'it exited with an error and printed nothing'}`);
}

/** pg_basebackup's own error line, else its last line that is not a hint or its clean-up chatter. */
function lastError(lines: readonly string[]): string | undefined {
  const meaningful = lines.map((l) => l.trim()).filter((l) => l !== '' && !/^pg_basebackup: (hint|removing|detail)/.test(l));
  return errorLineOf(meaningful) ?? meaningful.at(-1)?.replace(/^pg_basebackup:\s*/, '');
}

export function replicationRoleError(user: string, role: string): PgbrError {
  return new PgbrError(
    'auth',
    `role "${user}" may not take base backups: it is neither a superuser nor has the REPLICATION attribute. As a superuser, run ALTER ROLE ${role} REPLICATION; then retry`,
  );
}

export function noWalSendersError(): PgbrError {
  return new PgbrError(
    'config',
    'the server allows no replication connections (max_wal_senders is 0), and a base backup needs two: run ALTER SYSTEM SET max_wal_senders = 10; and restart the server',
  );
}

export function walLevelError(): PgbrError {
  return new PgbrError(
    'config',
    'the server\'s wal_level is "minimal", which cannot make an online backup: run ALTER SYSTEM SET wal_level = replica; and restart the server',
  );
}

export function explainRunFailure(result: Extract<RunResult, { status: 'failed' }>, user: string | undefined, server: ServerInfo): PgbrError {
  if (result.exitCode === null && result.stderrTail.length === 0) return new PgbrError('tool-missing', result.message);
  const error = explainBaseBackupFailure(result.stderrTail, { ...(user ? { user } : {}), server });
  return error.kind === 'tool-failed' && /exited with an error and printed nothing/.test(error.message) ? new PgbrError('tool-failed', `pg_basebackup failed: ${failureLine(result)}`) : error;
}
