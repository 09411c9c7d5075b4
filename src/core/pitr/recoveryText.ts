// "Copy as text": a recovery written out as the shell steps that do it by hand on another host.
import type { BaseBackupFormat } from './apply';
import { headerLine, renderRecoverySettings, type RecoveryPlan } from './config';

export interface RecoveryTextOptions {
  dataDir?: string;
  baseBackupDir?: string;
  format?: BaseBackupFormat;
  now?: Date;
}

/** "Copy as text": the same recovery done by hand on another host, step by step. */
export function recoveryAsText(plan: RecoveryPlan, opts: RecoveryTextOptions = {}): string {
  const q = (s: string) => `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
  const settings = renderRecoverySettings(plan, 'linux');
  const base = opts.baseBackupDir ?? '/path/to/base-backup';
  const restoreStep =
    opts.format === 'tar'
      ? [`tar -xf ${q(base)}/base.tar* -C "$PGDATA"`, `tar -xf ${q(base)}/pg_wal.tar* -C "$PGDATA/pg_wal"   # when the backup has it`]
      : [`cp -a ${q(base)}/. "$PGDATA"/`];
  const action = plan.action ?? 'pause';
  return [
    '# Point-in-time recovery by hand (PostgreSQL 12 or later), as the user that runs the server.',
    `PGDATA=${q(opts.dataDir ?? '/var/lib/postgresql/data')}`,
    '# 1. Stop the server and move its data directory aside (keep it until the recovery is checked).',
    'pg_ctl -D "$PGDATA" stop -m fast',
    'mv "$PGDATA" "$PGDATA.old" && mkdir -m 700 "$PGDATA"',
    '# 2. Restore the base backup into the empty data directory.',
    ...restoreStep,
    '# 3. Comment out earlier recovery_target*, restore_command and archive_* lines, and remove standby.signal if there is one.',
    `sed -i -E 's/^[[:space:]]*(recovery_target|restore_command|archive_mode|archive_command)/# (disabled) &/' "$PGDATA/postgresql.conf" "$PGDATA/postgresql.auto.conf"`,
    'rm -f "$PGDATA/standby.signal"',
    '# 4. Add the recovery settings. restore_command must be able to read the archive from this host.',
    (plan.archiving ?? { kind: 'off' }).kind === 'off'
      ? "#    archive_mode = off keeps the promoted server from pushing its new timeline into the source's archive."
      : "#    The promoted server archives with the archive_command below: it must not write into the source's archive.",
    `cat >> "$PGDATA/postgresql.auto.conf" <<'EOF'`,
    headerLine(opts.now ?? new Date()),
    ...settings,
    'EOF',
    '# 5. Ask for recovery and start.',
    'touch "$PGDATA/recovery.signal"',
    'chmod 700 "$PGDATA"',
    'pg_ctl -D "$PGDATA" -l "$PGDATA/recovery.log" start',
    `# 6. Watch the log for "recovery stopping" (or "recovery ended before configured recovery target was reached").`,
    action === 'pause'
      ? '#    Recovery pauses at the target: check the data, then SELECT pg_wal_replay_resume(); to end recovery and promote.'
      : action === 'promote'
        ? '#    The server promotes at the target and starts a new timeline.'
        : '#    The server shuts down at the target; remove recovery.signal before starting it again to promote it.',
    '',
  ].join('\n');
}
