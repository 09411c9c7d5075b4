// "Take base backup…" and "Create restore point…": pg_basebackup with progress, pg_create_restore_point recorded.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { runBaseBackup, type BaseBackupResult, createRestorePoint, recordRestorePoint, restorePointsFileFor, validateRestorePointName, type RecordedRestorePoint } from '../core/physical';
import { withClient } from '../core/postgres';
import { formatBytes, formatWhen } from '../core/platform';
import { pickConnection } from '../pickConnection';
import { percentReporter, withCancellableProgress } from '../progress';
import { baseBackupFolder } from '../places';

export function baseBackupCommands(ctx: Ctx) {
  return {
    'pgBackup.takeBaseBackup': {
      pick: async () => {
        const profile = await pickConnection(ctx, { title: 'Take base backup: connection' });
        return profile === undefined ? undefined : { profile };
      },
      run: async ({ profile: name, given }): Promise<BaseBackupResult | undefined> => {
        let format = given?.format;
        let compression = given?.compression;
        let checkpoint = given?.checkpoint;
        if (!given) {
          const pick = await vscode.window.showQuickPick(
            [
              { label: 'tar, gzip', description: 'compressed base.tar.gz and pg_wal.tar.gz', format: 'tar' as const, compression: 'gzip' },
              { label: 'tar, uncompressed', format: 'tar' as const, compression: 'none' },
              { label: 'plain', description: 'a copy of the data directory; checked with pg_verifybackup', format: 'plain' as const, compression: undefined },
            ],
            { title: `Base backup of ${name} (1/2): format`, ignoreFocusOut: true },
          );
          if (!pick) return undefined;
          format = pick.format;
          compression = pick.compression;
          const cp = await vscode.window.showQuickPick(
            [
              { label: 'fast checkpoint', description: 'starts at once; a burst of I/O on the server', value: 'fast' as const },
              { label: 'spread checkpoint', description: 'gentle on the server; may wait up to checkpoint_timeout to start', value: 'spread' as const },
            ],
            { title: `Base backup of ${name} (2/2): checkpoint`, ignoreFocusOut: true },
          );
          if (!cp) return undefined;
          checkpoint = cp.value;
        }
        const profile = await ctx.profile(name);
        const conn = await ctx.connection(profile);
        const folder = await baseBackupFolder(ctx);
        const tools = await ctx.tools();
        const result = await withCancellableProgress(`Base backup of ${name}`, async (progress, signal) => {
          const report = percentReporter(progress);
          return runBaseBackup({
            connection: { params: conn.params, password: conn.password },
            profile: name,
            tools,
            folder,
            format: format ?? 'tar',
            ...(compression ? { compression } : {}),
            checkpoint: checkpoint ?? 'fast',
            ...(given?.label ? { label: given.label } : {}),
            signal,
            logger: ctx.log,
            onProgress: (p) =>
              report(
                p.totalBytes ? `${p.phase}: ${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)}` : p.phase,
                p.percent ?? 0,
                100,
              ),
          });
        });
        const r = result.record;
        const verified = r.verification.status === 'passed' ? 'verified with pg_verifybackup' : `verification ${r.verification.status}${r.verification.message ? `: ${r.verification.message}` : ''}`;
        void vscode.window.showInformationMessage(`Base backup of ${name}: ${formatBytes(r.sizeBytes)}, WAL ${r.startLsn} – ${r.stopLsn} on timeline ${r.timeline}, ${verified}.`);
        ctx.baseBackupsChanged();
        return result;
      },
    },

    'pgBackup.createRestorePoint': {
      pick: () => pickConnection(ctx, { title: 'Create restore point: connection' }),
      run: async (name, pointName): Promise<RecordedRestorePoint | undefined> => {
        const point =
          pointName ??
          (await vscode.window.showInputBox({
            title: `Restore point on ${name}`,
            prompt: 'A name to recover to later, e.g. before-migration-42 (at most 63 bytes).',
            ignoreFocusOut: true,
            validateInput: (v) => {
              try {
                validateRestorePointName(v);
                return undefined;
              } catch (e) {
                return e instanceof Error ? e.message : String(e);
              }
            },
          }));
        if (!point) return undefined;
        const profile = await ctx.profile(name);
        const conn = await ctx.connection(profile);
        const created = await withClient(conn.params, { password: conn.password }, (c) => createRestorePoint(c, point));
        const record: RecordedRestorePoint = { ...created, profile: name, host: conn.params.host, port: conn.params.port };
        await recordRestorePoint(restorePointsFileFor(await baseBackupFolder(ctx)), record);
        ctx.log.info(`restore point "${point}" on ${name} at ${created.lsn}`);
        void vscode.window.showInformationMessage(`Restore point "${point}" created on ${name} at ${created.lsn}, ${formatWhen(created.time, { seconds: true, noAge: true })}. It can be used as a recovery target once ${created.walFile} is archived.`);
        ctx.baseBackupsChanged();
        return record;
      },
    },
  } satisfies Partial<CommandTable>;
}
