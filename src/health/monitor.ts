// Polls the chosen connection's archiver health: feeds the Health view, the status bar item and one-shot alerts.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { ToHealth } from '../../webview/protocol';
import { PgbrError, errorMessage, type PgbrErrorKind, formatDuration } from '../core/platform';
import { withClient } from '../core/postgres';
import { listDumps, type CatalogEntry } from '../core/logical';
import { archivedPerHour, collectHealth, failuresPerHour, healthPolicy, recentArchiveFiles, type ArchiverPoll, type HealthSnapshot, readPollHistory, withPoll, writePollHistory, baseBackupsSeen, backrestSeen } from '../core/health';
import { archiveForConnection, type ArchiveLocation } from '../core/wal';
import { archiveLocations, baseBackupFolder, dumpFolders } from '../places';
import { healthModel } from './model';
import { adviceFor } from '../connections/failureToast';
import { onSettingChange, setting } from '../settings';
import { describeParams } from '../core/profiles';
import { describePlans, plansHealth, machineZone } from '../core/plans';

const SELECTED_KEY = 'pgBackup.health.connection';
/** Before poll history went to files: migrated from here once, then removed. */
const LEGACY_POLLS_KEY = (profile: string): string => `pgBackup.health.polls/${profile}`;

export class HealthMonitor implements vscode.Disposable {
  private readonly updated = new vscode.EventEmitter<ToHealth>();
  /** Every message for the Health view: loading, a snapshot, an error. */
  readonly onDidUpdate = this.updated.event;
  readonly statusItem: vscode.StatusBarItem;
  last?: ToHealth;
  lastSnapshot?: HealthSnapshot;
  private viewVisible = false;
  private timer?: ReturnType<typeof setTimeout>;
  private polling?: Promise<HealthSnapshot | undefined>;
  /** Alerts already shown, by kind, so a condition that lasts warns once. */
  private readonly alerted = new Set<'failing' | 'stale'>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The status bar shows a failed connection (not an archiving verdict). */
  private connectionFailed = false;

  constructor(private readonly ctx: Ctx) {
    this.statusItem = vscode.window.createStatusBarItem('pgBackup.health', vscode.StatusBarAlignment.Left, 50);
    this.statusItem.name = 'PG Backup archiving';
    this.statusItem.command = 'pgBackup.showHealth';
    this.disposables.push(
      this.statusItem,
      this.updated,
      onSettingChange(['health.pollSeconds', 'health.backgroundPollSeconds'], () => this.schedule()),
      // Where dumps, base backups and archives are decides the RPO rows: measured again at once.
      onSettingChange(['dumpFolders', 'baseBackupFolder', 'archives'], () => void this.pollNow()),
      // A command or a view found the chosen connection failing: shown now, not at the next poll.
      ctx.servers.onDidChangeConnectionState((s) => {
        if (s.profile !== this.selected) return;
        if (!s.ok) this.showFailure(s.profile, s.kind, s.message);
        else if (this.connectionFailed) void this.pollNow();
      }),
      // A password set or forgotten, a profile edited: a failed connection is tried again at once.
      ctx.onDidChangeProfiles(() => {
        if (this.connectionFailed) void this.pollNow();
      }),
    );
    // No connection is made here: the first poll waits for the view or a chosen connection's timer.
    if (this.selected) {
      this.statusItem.text = `$(database) ${this.selected}: archiving …`;
      this.statusItem.show();
      this.schedule();
    }
  }

  get selected(): string | undefined {
    return this.ctx.extension.workspaceState.get<string>(SELECTED_KEY);
  }

  async select(name: string): Promise<HealthSnapshot | undefined> {
    await this.ctx.extension.workspaceState.update(SELECTED_KEY, name);
    this.lastSnapshot = undefined;
    this.alerted.clear();
    return this.pollNow();
  }

  setViewVisible(visible: boolean): void {
    this.viewVisible = visible;
    this.schedule();
    if (visible && !this.polling) void this.pollNow();
  }

  async connectionsMessage(): Promise<ToHealth> {
    const names = (await this.ctx.profiles()).profiles.map((p) => p.name);
    return { type: 'connections', names, selected: this.selected ?? names[0], pollSeconds: this.pollSeconds(true) };
  }

  /** One poll now (joined with one already running). */
  pollNow(): Promise<HealthSnapshot | undefined> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
      this.schedule();
    });
    return this.polling;
  }

  private pollSeconds(forView: boolean): number {
    return forView ? Math.max(5, setting('health.pollSeconds') ?? 30) : (setting('health.backgroundPollSeconds') ?? 300);
  }

  /** While the view is visible: its interval. Hidden: the background interval for the status bar (0 = off). */
  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.selected) return;
    const seconds = this.pollSeconds(this.viewVisible);
    if (seconds <= 0) return;
    this.timer = setTimeout(() => void this.pollNow(), seconds * 1000);
  }

  private async poll(): Promise<HealthSnapshot | undefined> {
    const profiles = (await this.ctx.profiles()).profiles;
    const name = this.selected ?? profiles[0]?.name;
    if (!name) {
      this.emit({ type: 'empty', message: 'No connections yet: add one in the Connections view.' });
      return undefined;
    }
    if (!this.selected) await this.ctx.extension.workspaceState.update(SELECTED_KEY, name);
    this.emit({ type: 'loading', connection: name });
    try {
      const profile = await this.ctx.profile(name);
      const conn = await this.ctx.connection(profile);
      const loaded = await this.ctx.profiles();
      const now = new Date();
      const dumps = await this.dumps();
      const plans = await plansHealth(describePlans(loaded.config ?? {}, this.ctx.places, now, machineZone()).filter((p) => p.connection === name));
      for (const problem of plans.problems) this.ctx.log.warn(problem);
      const snapshot = await withClient(conn.params, { password: conn.password }, async (c) => {
        const archive = await this.archiveFor(name, c);
        const notes: string[] = [];
        const baseBackups = await baseBackupsSeen({ ...(archive ? { archive: archive.path } : {}), folder: await baseBackupFolder(this.ctx), profile: name }, notes);
        const backrest = await backrestSeen(loaded.config?.repositories ?? [], name, notes, { trusted: this.ctx.trusted, logger: this.ctx.log });
        for (const note of notes) this.ctx.log.warn(note);
        const activity = archive ? archivedPerHour(await recentArchiveFiles(archive.path, new Date(now.getTime() - 24 * 3_600_000)), now) : undefined;
        const s = await collectHealth(c, {
          policy: healthPolicy(loaded.config),
          ...(this.lastSnapshot ? { previous: this.lastSnapshot } : {}),
          dumps,
          plans: plans.plans,
          baseBackups: [...baseBackups, ...backrest.baseBackups],
          ...(backrest.repositoryWal.length ? { repositoryWal: backrest.repositoryWal } : {}),
          ...(activity ? { archiveActivity: activity } : {}),
          now,
        });
        return { s, archive };
      });
      const polls = await this.recordPoll(name, describeParams(profile.params), snapshot.s);
      this.lastSnapshot = snapshot.s;
      const model = healthModel(name, snapshot.s, {
        archived: snapshot.s.activity,
        failures: failuresPerHour(polls, now),
        archive: snapshot.archive?.path,
      });
      this.emit({ type: 'health', model });
      this.showStatus(name, snapshot.s);
      this.alert(name, snapshot.s);
      return snapshot.s;
    } catch (e) {
      const message = errorMessage(e);
      this.ctx.log.warn(`health of ${name}: ${message}`);
      // Said as the toast says it: which password was refused and what fixes it.
      const advice = await this.ctx.profile(name).then((p) => adviceFor(this.ctx, p, e)).then((a) => a.message, () => message);
      this.emit({ type: 'error', connection: name, message: advice });
      this.showFailure(name, e instanceof PgbrError ? e.kind : undefined, advice);
      return undefined;
    }
  }

  /** The status bar after a failed connection: red for a refused sign-in, amber for a server out of reach. */
  private showFailure(name: string, kind: PgbrErrorKind | undefined, message: string): void {
    this.connectionFailed = true;
    const refused = kind === 'auth';
    this.statusItem.text = refused ? `$(error) ${name}: sign-in refused` : `$(debug-disconnect) ${name}: unreachable`;
    this.statusItem.tooltip = `${message}\nClick to open PG Backup Health.`;
    this.statusItem.backgroundColor = new vscode.ThemeColor(refused ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    this.statusItem.show();
  }

  /** The archive folder of this connection: declared for it, or the one its archive_command copies into. */
  private async archiveFor(profile: string, c: Parameters<Parameters<typeof withClient>[2]>[0]): Promise<ArchiveLocation | undefined> {
    const { locations } = await archiveLocations(this.ctx);
    const command = (await c.query<{ archive_command: string }>('SHOW archive_command')).rows[0]?.archive_command ?? '';
    return archiveForConnection(locations, profile, command);
  }

  private async dumps(): Promise<CatalogEntry[]> {
    const all: CatalogEntry[] = [];
    for (const folder of await dumpFolders(this.ctx)) all.push(...(await listDumps(folder).catch(() => ({ dumps: [] }))).dumps);
    return all;
  }

  /**
   * Keeps 48 hours of failed counts per connection, across reloads, for the failures chart: a file in the
   * extension's storage in `pgbr status --state` format (`health-polls/<profile>.json`).
   */
  private async recordPoll(profile: string, identity: string, s: HealthSnapshot): Promise<ArchiverPoll[]> {
    const storage = (this.ctx.extension.storageUri ?? this.ctx.extension.globalStorageUri).fsPath;
    const file = path.join(storage, 'health-polls', `${encodeURIComponent(profile)}.json`);
    const notes: string[] = [];
    const legacy = this.ctx.extension.workspaceState.get<ArchiverPoll[]>(LEGACY_POLLS_KEY(profile));
    const earlier = legacy ?? (await readPollHistory(file, identity, notes));
    const polls = withPoll(earlier, { at: s.at.toISOString(), failedCount: s.archiver.failedCount, statsReset: s.archiver.statsReset?.toISOString() ?? null }, s.at);
    await fs.mkdir(path.dirname(file), { recursive: true }).catch(() => undefined);
    await writePollHistory(file, identity, polls, notes);
    if (legacy) await this.ctx.extension.workspaceState.update(LEGACY_POLLS_KEY(profile), undefined);
    for (const note of notes) this.ctx.log.warn(`Health: ${note}`);
    return polls;
  }

  private showStatus(name: string, s: HealthSnapshot): void {
    this.connectionFailed = false;
    const text = { ok: 'archiving OK', lagging: 'archiving lagging', failing: 'archiving FAILING' }[s.overall];
    const icon = { ok: '$(pass)', lagging: '$(warning)', failing: '$(error)' }[s.overall];
    this.statusItem.text = `${icon} ${name}: ${text}`;
    this.statusItem.tooltip = `${s.reasons.join('\n') || 'WAL is being archived and nothing is failing.'}\nClick to open PG Backup Health.`;
    this.statusItem.backgroundColor =
      s.overall === 'failing' ? new vscode.ThemeColor('statusBarItem.errorBackground') : s.overall === 'lagging' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.statusItem.show();
  }

  /** One warning per condition while it lasts: failed_count rising, or the last archive older than the RPO target. */
  private alert(name: string, s: HealthSnapshot): void {
    const failing = (s.failedSincePrevious ?? 0) > 0 || s.checklist.some((c) => c.id === 'no-failure-since-success' && c.status === 'fail');
    const limit = s.policy.rpoSeconds ?? (setting('health.staleAfterMinutes') ?? 60) * 60;
    const stale = s.rpo.wal.status === 'missed' || (s.lag.lastArchiveAgeSeconds !== null && s.lag.lastArchiveAgeSeconds > limit && (s.lag.unarchivedBytes ?? 1) > 0);
    const show = (kind: 'failing' | 'stale', active: boolean, message: string): void => {
      if (!active) {
        this.alerted.delete(kind);
        return;
      }
      if (this.alerted.has(kind)) return;
      this.alerted.add(kind);
      this.ctx.log.warn(message);
      void vscode.window.showWarningMessage(message, 'Show health').then((choice) => {
        if (choice) void vscode.commands.executeCommand('pgBackup.showHealth');
      });
    };
    show('failing', failing, `WAL archiving on ${name} is failing: ${s.archiver.failedCount} failures, the last for ${s.archiver.lastFailedWal ?? 'a WAL file'}. Check archive_command and the server log.`);
    show(
      'stale',
      stale,
      `The last WAL archive on ${name} is ${s.lag.lastArchiveAgeSeconds === null ? 'missing' : `${formatDuration(s.lag.lastArchiveAgeSeconds)} old`}: everything written since would be lost in a crash.`,
    );
  }

  private emit(message: ToHealth): void {
    this.last = message;
    this.updated.fire(message);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
