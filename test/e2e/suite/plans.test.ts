// Install Schedule… and Remove Schedule… driven as another extension would, with the answers given up front: the units go into the
// test unit folder (PGBR_SYSTEMD_DIR), the recording systemctl is told to reload and enable, and removing takes exactly that away.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension } from './tree';

const unitDir = process.env.PGBR_SYSTEMD_DIR ?? '';
const systemctl = process.env.PGBR_SYSTEMCTL ?? '';

suite('Plans: schedules', () => {
  suiteSetup(async () => {
    assert.ok(unitDir && systemctl, 'the runner sets PGBR_SYSTEMD_DIR and PGBR_SYSTEMCTL');
    await activateExtension();
  });

  test('Install Schedule… with { scheduler, user, confirm } writes both user units and enables the timer; Remove Schedule… undoes it', async () => {
    const installed = await vscode.commands.executeCommand<{ done: string[] } | undefined>('pgBackup.installPlanSchedule', 'weekly-down', { scheduler: 'systemd', user: true, confirm: true });
    assert.ok(installed, 'the install returned nothing: see the log');
    const service = path.join(unitDir, 'pgbr-weekly-down.service');
    const timer = path.join(unitDir, 'pgbr-weekly-down.timer');
    assert.deepEqual(installed.done, [`wrote ${service}`, `wrote ${timer}`, `ran ${systemctl} --user daemon-reload`, `ran ${systemctl} --user enable --now pgbr-weekly-down.timer`]);
    assert.match(await fs.readFile(timer, 'utf8'), /^OnCalendar=Sun 03:00 UTC$/m);
    assert.doesNotMatch(await fs.readFile(service, 'utf8'), /^User=/m);

    const removed = await vscode.commands.executeCommand<{ done: string[] } | undefined>('pgBackup.removePlanSchedule', 'weekly-down', { scheduler: 'systemd', user: true, confirm: true });
    assert.ok(removed, 'the removal returned nothing: see the log');
    assert.deepEqual(removed.done, [`ran ${systemctl} --user disable --now pgbr-weekly-down.timer`, `removed ${service}`, `removed ${timer}`, `ran ${systemctl} --user daemon-reload`]);
    await assert.rejects(fs.access(timer));
    await assert.rejects(fs.access(service));
  });
});
