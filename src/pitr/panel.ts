// The PITR generator panel: checks each step against the base backup and the archive, previews, writes, drills.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { FromPitr, PitrForm, PitrStep, ToPitr } from '../../webview/protocol';
import { errorMessage, PgbrError } from '../core/platform';
import { listBaseBackups, readRestorePoints, restorePointsFileFor } from '../core/physical';
import { RESTORE_TEMPLATES, type RecoveryPlan, applyRecovery, readBaseBackupInfo, recoveryAsText, runDrill, type DrillReport, findServerBinDir } from '../core/pitr';
import { archiveLocations, baseBackupFolder } from '../places';
import { percentReporter, type ProgressReporter, withCancellableProgress } from '../progress';
import { withClient } from '../core/postgres';
import { checkStep, planFromForm, type StepResult } from './steps';
import { backrestRequest, checkBackrestStep } from './backrestSteps';
import { backrestInfo, type BackrestTarget, planBackrestRestore, runBackrestDrill, runBackrestRestore } from '../core/backrest';
import { TRUST_HINT } from '../core/profiles';
import { baseBackupDetail, drillView, restorePointDetail } from './text';
import { isFromPitr } from '../../webview/guards';

const ZONES = ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney'];

export class PitrPanel implements vscode.Disposable {
  static readonly viewType = 'pgBackup.pitr';
  static current?: PitrPanel;
  private readonly disposables: vscode.Disposable[] = [];
  /** The last drill's report, for tests and for the closing note of a drill. */
  lastDrill?: DrillReport;

  static show(ctx: Ctx, defaults: Partial<PitrForm> = {}): PitrPanel {
    if (PitrPanel.current) {
      PitrPanel.current.panel.reveal();
      if (Object.keys(defaults).length) void PitrPanel.current.init(defaults);
      return PitrPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(PitrPanel.viewType, 'Point-in-time recovery', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview')],
    });
    PitrPanel.current = new PitrPanel(ctx, panel, defaults);
    return PitrPanel.current;
  }

  constructor(
    private readonly ctx: Ctx,
    readonly panel: vscode.WebviewPanel,
    private defaults: Partial<PitrForm> = {},
  ) {
    PitrPanel.current = this;
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview')] };
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (isFromPitr(m)) void this.receive(m);
        else this.ctx.log.warn('PITR: a message from the panel that is not in its protocol was ignored');
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private async receive(m: FromPitr): Promise<void> {
    try {
      switch (m.type) {
        case 'ready':
          await this.init(this.defaults);
          return;
        case 'validate':
          await this.validate(m.step, m.form);
          return;
        case 'browse': {
          const picked = await vscode.window.showOpenDialog({
            canSelectFolders: true,
            canSelectFiles: false,
            title: { baseBackup: 'Base backup folder', archive: 'WAL archive folder', dataDir: 'Target data directory (stopped, or new)' }[m.field],
          });
          const p = picked?.[0]?.fsPath;
          if (p) await this.post({ type: 'browsed', field: m.field, path: p });
          return;
        }
        case 'copyText': {
          if (m.form.source === 'backrest') {
            const r = await this.check('dataDir', m.form);
            if (!r.ok || !r.preview) throw new PgbrError('usage', r.message);
            await vscode.env.clipboard.writeText(`${r.preview.settings.join('\n')}\n`);
            await this.post({ type: 'done', message: 'The pgbackrest restore command is on the clipboard.' });
            return;
          }
          const plan = this.plan(m.form);
          const format = (await readBaseBackupInfo(m.form.baseBackup)).format;
          await vscode.env.clipboard.writeText(recoveryAsText(plan, { baseBackupDir: m.form.baseBackup, format, dataDir: m.form.dataDir || undefined }));
          await this.post({ type: 'done', message: 'The recovery steps and settings are on the clipboard.' });
          return;
        }
        case 'apply':
          await this.apply(m.form);
          return;
        case 'drill':
          await this.drill(m.form);
          return;
      }
    } catch (e) {
      this.ctx.log.warn(`PITR: ${errorMessage(e)}`);
      await this.post({ type: 'error', message: errorMessage(e) });
    }
  }

  async init(defaults: Partial<PitrForm>): Promise<void> {
    const folder = await baseBackupFolder(this.ctx);
    const catalog = await listBaseBackups(folder);
    const { locations } = await archiveLocations(this.ctx);
    const points = await readRestorePoints(restorePointsFileFor(folder)).catch(() => []);
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    await this.post({
      type: 'init',
      choices: {
        baseBackups: catalog.backups
          .filter((b) => !b.missing)
          .map((b) => ({ path: b.path, label: b.record.name, detail: baseBackupDetail(b.record) })),
        stanzas: ((await this.ctx.profiles()).config?.repositories ?? []).map((r) => ({ stanza: r.stanza, label: `${r.stanza}${r.connection ? ` (${r.connection})` : ''}` })),
        archives: locations.map((l) => ({ path: l.path, label: `${l.path}${l.connection ? ` (${l.connection})` : ''}` })),
        restorePoints: points.map((p) => ({ name: p.name, detail: restorePointDetail(p) })),
        templates: RESTORE_TEMPLATES.map((t) => ({ label: t.label, template: t.template })),
        zones: [...new Set([local, ...ZONES])],
      },
      defaults: { targetZone: local, ...(locations[0] ? { archive: locations[0].path } : {}), ...defaults },
    });
  }

  /** Runs one step's check and shows its verdict under the step (or beside the field it is about). */
  private async validate(step: PitrStep, form: PitrForm): Promise<void> {
    // Whatever goes wrong in a check is that step's verdict, so an older verdict never stays under it.
    const result = await this.check(step, form).catch((e: unknown): StepResult => ({ ok: false, message: errorMessage(e), details: [] }));
    if (result.preview) await this.post({ type: 'preview', ...result.preview });
    await this.post({ type: 'validation', step, ok: result.ok, message: result.message, details: result.details, ...(result.field ? { field: result.field } : {}) });
  }

  private check(step: PitrStep, form: PitrForm): Promise<StepResult> {
    if (form.source === 'backrest') return checkBackrestStep(step, form, { target: (stanza) => this.backrestTarget(stanza) });
    return checkStep(step, form, { serverTimeZone: (profile) => this.serverTimeZone(profile) });
  }

  /**
   * The stanza's entry of repositories:, as pgBackRest is run for it; refused in an untrusted folder,
   * where the config file it names could make pgBackRest start a program.
   */
  private async backrestTarget(stanza: string): Promise<BackrestTarget | undefined> {
    const entry = ((await this.ctx.profiles()).config?.repositories ?? []).find((r) => r.stanza === stanza);
    if (!entry) return undefined;
    if (!this.ctx.trusted) throw new PgbrError('usage', `A recovery through pgBackRest runs pgbackrest, and this folder is not trusted: ${TRUST_HINT}.`);
    return { stanza: entry.stanza, ...(entry.config ? { config: entry.config } : {}) };
  }

  private async backrestApply(form: PitrForm): Promise<void> {
    const target = await this.backrestTarget(form.stanza);
    if (!target) throw new PgbrError('usage', `Stanza ${form.stanza} is not under repositories: in pgbackup.yaml.`);
    const plan = await planBackrestRestore(target, backrestRequest(form));
    const ok = await vscode.window.showWarningMessage(
      `Restore backup ${plan.backup.label} of stanza ${form.stanza} into ${plan.dataDir} with pgbackrest restore?${form.delta ? ' With delta, files that differ from the backup are overwritten.' : ''} The recovery settings are written with it; archive_mode is off.`,
      { modal: true },
      'Write recovery',
    );
    if (ok !== 'Write recovery') return;
    const result = await withCancellableProgress(`pgbackrest restore into ${plan.dataDir}`, (progress, signal) => {
      const report = percentReporter(progress);
      return runBackrestRestore(target, plan, { signal, logger: this.ctx.log, onProgress: (p) => report(`restoring ${p.percent.toFixed(0)}%`, p.percent, 100) });
    });
    this.ctx.log.info(`PITR through pgBackRest written into ${plan.dataDir}: ${result.settings.join('; ')}`);
    await this.post({ type: 'done', message: `Backup ${plan.backup.label} restored into ${plan.dataDir} with its recovery settings (${result.settings.length}). Start the server there to recover; it will ${form.action} at the target.` });
  }

  private async backrestDrill(form: PitrForm): Promise<DrillReport> {
    const target = await this.backrestTarget(form.stanza);
    if (!target) throw new PgbrError('usage', `Stanza ${form.stanza} is not under repositories: in pgbackup.yaml.`);
    const request = backrestRequest(form);
    const info = await backrestInfo(target, { logger: this.ctx.log });
    const major = Number.parseInt(info.db.at(-1)?.version ?? '', 10) || undefined;
    const binDir = await findServerBinDir(await this.ctx.tools(), major);
    return withCancellableProgress(`Testing the recovery of stanza ${form.stanza} on a scratch server`, (progress, signal) =>
      runBackrestDrill({
        target,
        info,
        recovery: { ...request.recovery, action: request.recovery.action === 'promote' ? 'promote' : 'pause' },
        ...(request.set ? { set: request.set } : {}),
        ...(request.dbInclude ? { dbInclude: request.dbInclude } : {}),
        binDir,
        signal,
        logger: this.ctx.log,
        onProgress: this.drillProgress(progress),
      }),
    );
  }

  private async apply(form: PitrForm): Promise<void> {
    const check = await this.check('dataDir', form);
    if (!check.ok) throw new PgbrError('usage', check.message);
    if (form.source === 'backrest') return this.backrestApply(form);
    const ok = await vscode.window.showWarningMessage(
      `Write the recovery into ${form.dataDir}? The base backup is restored there, recovery.signal and the settings are written; files that change are kept as .bak copies.`,
      { modal: true },
      'Write recovery',
    );
    if (ok !== 'Write recovery') return;
    const result = await withCancellableProgress(`Writing the recovery into ${form.dataDir}`, (_p, signal) =>
      applyRecovery({ baseBackupDir: form.baseBackup, dataDir: form.dataDir, plan: this.plan(form), logger: this.ctx.log, signal }),
    );
    this.ctx.log.info(`PITR written into ${form.dataDir}`);
    await this.post({ type: 'done', message: `Recovery written into ${form.dataDir} (${result.preview.changes.length} changes). Start the server there to recover; it will ${form.action} at the target.` });
  }

  /** Restores into a scratch folder, recovers on a free port, reports what came back, removes everything. */
  async drill(form: PitrForm): Promise<DrillReport> {
    const check = await this.check('target', form);
    if (!check.ok) throw new PgbrError('usage', check.message);
    const report = form.source === 'backrest' ? await this.backrestDrill(form) : await this.baseBackupDrill(form);
    this.lastDrill = report;
    this.ctx.log.info(`PITR drill: ${report.status} — ${report.message}`);
    await this.post({ type: 'drillReport', report: drillView(report) });
    return report;
  }

  private async baseBackupDrill(form: PitrForm): Promise<DrillReport> {
    const info = await readBaseBackupInfo(form.baseBackup);
    const major = info.pgVersion ? Number.parseInt(info.pgVersion, 10) : undefined;
    const binDir = await findServerBinDir(await this.ctx.tools(), major);
    const plan = { ...this.plan(form), action: form.action === 'promote' ? ('promote' as const) : ('pause' as const) };
    return withCancellableProgress('Testing the recovery on a scratch server', (progress, signal) =>
      runDrill({
        baseBackupDir: form.baseBackup,
        plan,
        binDir,
        signal,
        logger: this.ctx.log,
        onProgress: this.drillProgress(progress),
      }),
    );
  }

  /** A drill's progress, in the notification and on the panel. */
  private drillProgress(progress: ProgressReporter): (p: { message: string }) => void {
    return (p) => {
      progress.report({ message: p.message });
      void this.post({ type: 'busy', message: p.message });
    };
  }

  plan(form: PitrForm): RecoveryPlan {
    return planFromForm(form);
  }

  /** The TimeZone of the server the backup came from, to show a time target in it; undefined when it cannot be asked. */
  private async serverTimeZone(profileName: string): Promise<string | undefined> {
    try {
      const conn = await this.ctx.connection(await this.ctx.profile(profileName));
      return await withClient(conn.params, { password: conn.password, connectTimeoutMs: 3000 }, async (c) => (await c.query<{ TimeZone: string }>('SHOW TimeZone')).rows[0]?.TimeZone);
    } catch {
      return undefined;
    }
  }

  private post(m: ToPitr): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  private html(): string {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'dist', 'webview');
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'pitr.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'pitr.css'));
    const field = (name: keyof PitrForm, label: string, placeholder = ''): string =>
      `<vscode-text-field data-field="${name}" placeholder="${placeholder}">${label}</vscode-text-field>`;
    // The toolkit's components set inline styles (vscode-webview-ui-toolkit#545): styles may be inline, scripts only with the nonce.
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'unsafe-inline'; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Point-in-time recovery</title></head><body>
<h2>Point-in-time recovery</h2>
<p class="intro">Four steps, each checked before the next opens. Nothing is written until you choose Write recovery; the drill runs on a scratch copy.</p>
<section data-step="backup"><h3>1. Base backup</h3>
  <div class="row"><vscode-dropdown data-field="source"><vscode-option value="baseBackup">A base backup folder (pg_basebackup)</vscode-option><vscode-option value="backrest">A pgBackRest backup</vscode-option></vscode-dropdown></div>
  <div data-source="baseBackup"><div class="row"><vscode-dropdown id="baseBackupPick" data-fills="baseBackup"></vscode-dropdown></div>
  <div class="row">${field('baseBackup', 'Folder', '/srv/backups/base/prod_base_20261122-0300')}<vscode-button appearance="secondary" data-browse="baseBackup">Browse…</vscode-button></div></div>
  <div data-source="backrest"><div class="row"><vscode-dropdown id="stanzaPick" data-fills="stanza"></vscode-dropdown>${field('stanza', 'Stanza', 'main')}</div>
  <div class="row">${field('backrestSet', 'Backup set (empty: the target chooses)', '20261122-030000F')}</div></div>
  <vscode-button class="check">Check base backup</vscode-button><div class="status"></div></section>
<section data-step="source"><h3>2. WAL source</h3>
  <p class="hint" data-source="backrest">pgBackRest restores WAL from the stanza's own archive (restore_command = pgbackrest archive-get); the check reads that archive for gaps.</p>
  <div data-source="baseBackup"><div class="row"><vscode-dropdown data-field="restoreKind"><vscode-option value="copy">Archive folder (restore_command copies from it)</vscode-option><vscode-option value="custom">Custom restore_command</vscode-option></vscode-dropdown></div>
  <div data-restore="copy"><div class="row"><vscode-dropdown id="archivePick" data-fills="archive"></vscode-dropdown></div>
  <div class="row">${field('archive', 'Archive folder', '/srv/wal-archive')}<vscode-button appearance="secondary" data-browse="archive">Browse…</vscode-button></div></div>
  <div data-restore="custom"><div class="row">${field('customTemplate', 'restore_command', 'cp /mnt/wal/%f "%p"')}</div><div class="row" id="templates"></div></div></div>
  <vscode-button class="check">Check WAL source</vscode-button><div class="status"></div></section>
<section data-step="target"><h3>3. Target</h3>
  <div class="row"><vscode-dropdown data-field="targetKind">
    <vscode-option value="latest">Latest: all archived WAL</vscode-option><vscode-option value="immediate">Immediate: the end of the base backup</vscode-option>
    <vscode-option value="time">A time</vscode-option><vscode-option value="lsn">An LSN</vscode-option><vscode-option value="xid">A transaction id</vscode-option><vscode-option value="name">A restore point</vscode-option>
  </vscode-dropdown></div>
  <div class="row" data-target="time">${field('targetTime', 'Date and time', '2026-11-22 14:30:00')}<vscode-dropdown id="zonePick" data-fills="targetZone"></vscode-dropdown>${field('targetZone', 'Time zone', 'Europe/Berlin or +01:00')}</div>
  <div class="row" data-target="lsn">${field('targetLsn', 'LSN', '0/3000060')}</div>
  <div class="row" data-target="xid">${field('targetXid', 'Transaction id', '745')}</div>
  <div class="row" data-target="name"><vscode-dropdown id="restorePointPick" data-fills="targetName"></vscode-dropdown>${field('targetName', 'Restore point', 'before-migration')}</div>
  <div class="row" data-target="time lsn xid"><vscode-checkbox data-field="inclusive" checked>Inclusive: stop just after the target (else just before)</vscode-checkbox></div>
  <div class="row">${field('timeline', 'Timeline', 'latest, current or a number')}
    <vscode-dropdown data-field="action"><vscode-option value="pause">At the target: pause</vscode-option><vscode-option value="promote">At the target: promote</vscode-option><vscode-option value="shutdown">At the target: shut down</vscode-option></vscode-dropdown></div>
  <vscode-button class="check">Check target</vscode-button><div class="status"></div></section>
<section data-step="dataDir"><h3>4. Target data directory</h3>
  <p class="hint">A new folder, or the directory of a stopped cluster (a running one is refused). Every file and change is shown before anything is written.</p>
  <div class="row">${field('dataDir', 'Data directory', '/var/lib/postgresql/15/recovered')}<vscode-button appearance="secondary" data-browse="dataDir">Browse…</vscode-button></div>
  <div data-source="baseBackup"><div class="row"><vscode-dropdown data-field="archiving"><vscode-option value="off">Once promoted: do not archive (archive_mode = off)</vscode-option><vscode-option value="keep">Once promoted: keep archiving, with this archive_command</vscode-option></vscode-dropdown></div>
  <p class="hint">The copy has the source's archive_command: left on, the promoted server would push its new timeline into the source's archive.</p>
  <div class="row" data-archiving="keep">${field('archiveCommand', 'archive_command (not into the source\'s archive)', 'cp %p /srv/recovered-wal/%f')}</div></div>
  <div data-source="backrest"><p class="hint">Restored with archive_mode = off, so the recovered server never pushes WAL into the stanza's repository.</p>
  <div class="row"><vscode-checkbox data-field="delta">The directory is not empty: overwrite only the files that differ from the backup (--delta)</vscode-checkbox></div>
  <div class="row">${field('dbInclude', 'Only these databases (--db-include, comma-separated; empty: all)', 'shop, billing')}</div>
  <p class="hint">With --db-include, every other database comes back as sparse, zeroed files that cannot be connected to: drop them once the server is up.</p></div>
  <vscode-button class="check">Preview changes</vscode-button><div class="status"></div><div id="preview"></div></section>
<div class="actions"><vscode-button id="drill">Test this recovery (drill)</vscode-button><vscode-button id="apply" appearance="secondary">Write recovery</vscode-button><vscode-button id="copy" appearance="secondary">Copy as text</vscode-button></div>
<div id="busy"></div><div id="result"></div><div id="drill-report"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body></html>`;
  }

  dispose(): void {
    if (PitrPanel.current === this) PitrPanel.current = undefined;
    for (const d of this.disposables) d.dispose();
  }
}

/** Brings the panel back after a window reload, with the state the webview kept. */
export class PitrSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly ctx: Ctx) {}
  deserializeWebviewPanel(panel: vscode.WebviewPanel): Thenable<void> {
    new PitrPanel(this.ctx, panel);
    return Promise.resolve();
  }
}
