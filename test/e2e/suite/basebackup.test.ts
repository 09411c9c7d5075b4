// Base backups and restore points in a real extension host: a backup made, verified and listed with a restore point.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { withClient } from '../../../src/core/postgres/server';
import { activateExtension, child, children, labels, type PgBackupApi } from './tree';

const port = Number(process.env.PGBR_E2E_PORT);
const archiveDir = process.env.PGBR_E2E_ARCHIVE_DIR ?? '';

interface DrillReport {
  status: string;
  message: string;
  recoveredLsn?: string;
  logTail: string[];
  databases: { name: string; tables: { schema: string; table: string; rows: number | null }[] }[];
}
interface PitrPanelApi {
  drill(form: Record<string, unknown>): Promise<DrillReport>;
  panel: { dispose(): void };
}

suite('Base backups', () => {
  let api: PgBackupApi;

  suiteSetup(async () => {
    api = await activateExtension();
    // The superuser may replicate (the test cluster's pg_hba trusts it on 127.0.0.1); the app role may not.
    await vscode.commands.executeCommand('pgBackup.addConnection', { name: 'admin', host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('pgBackup.removeConnection', 'admin', { confirm: true });
  });

  let backupPath = '';

  test('Take Base Backup writes a verified backup and lists it under Base backups; a restore point is recorded', async () => {
    const result = await vscode.commands.executeCommand<{ path: string; record: { timeline: number; stopLsn: string; verification: { status: string } } }>(
      'pgBackup.takeBaseBackup',
      { profile: 'admin', format: 'plain', checkpoint: 'fast', label: 'e2e-plain' },
    );
    assert.ok(result, 'no result: see the log');
    await fs.access(result.path);
    backupPath = result.path;
    assert.equal(result.record.timeline, 1);
    assert.equal(result.record.verification.status, 'passed');

    const point = await vscode.commands.executeCommand<{ name: string; lsn: string; walFile: string }>('pgBackup.createRestorePoint', 'admin', 'before-e2e-change');
    assert.equal(point.name, 'before-e2e-change');
    // A restore point is a target once its WAL file is archived: switch, and wait until the archiver says the copy is
    // done (the file is in the folder while cp is still writing it, and a short segment ends the window before it).
    await withClient({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' }, {}, async (c) => {
      await c.query('SELECT pg_switch_wal()');
      for (let i = 0; i < 100; i++) {
        const last = (await c.query<{ wal: string | null }>('SELECT last_archived_wal AS wal FROM pg_stat_archiver')).rows[0]?.wal ?? '';
        if (last >= point.walFile) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    });

    const roots = await children(api.archive, undefined);
    const folder = roots.find((r) => r.label === 'Base backups');
    assert.ok(folder, labels(roots));
    const kids = await children(api.archive, folder.element);
    const backup = kids.find((k) => result.path.endsWith(k.label));
    assert.ok(backup, labels(kids));
    assert.match(backup.description, /verified/);
    const points = await children(api.archive, (await child(api.archive, folder.element, 'restore points')).element);
    assert.ok(points.some((p) => p.label === 'before-e2e-change'), labels(points));
  });

  test('the PITR generator drills a recovery of that backup to the restore point and reports the rows it recovered', async () => {
    assert.ok(backupPath, 'needs the backup of the previous test');
    const panel = await vscode.commands.executeCommand<PitrPanelApi>('pgBackup.openPitr', { baseBackup: backupPath, archive: archiveDir });
    const report = await panel.drill({
      baseBackup: backupPath,
      archive: archiveDir,
      restoreKind: 'copy',
      customTemplate: '',
      targetKind: 'name',
      targetTime: '',
      targetZone: 'UTC',
      targetLsn: '',
      targetXid: '',
      targetName: 'before-e2e-change',
      inclusive: true,
      timeline: 'latest',
      action: 'pause',
      dataDir: '',
      archiving: 'off',
      archiveCommand: '',
    });
    panel.panel.dispose();
    assert.equal(report.status, 'reached', `${report.message}\n${report.logTail.join('\n')}`);
    const shop = report.databases.find((d) => d.name === 'shop');
    assert.equal(shop?.tables.find((t) => t.table === 'customers')?.rows, 50, JSON.stringify(report.databases));
  });
});
