// Node kinds of the WAL Archive tree: location → summary, problems, timelines → runs → segments, backups.
import * as vscode from 'vscode';
import { type ArchiveLocation, type ArchiveProblem, type ArchiveScan, type TimelineSummary, type BackupWindow, type SegmentRun, formatSize } from '../core/wal';
import { formatBytes, plural, formatWhen } from '../core/platform';
import type { BaseBackupCatalog, BaseBackupEntry, RecordedRestorePoint } from '../core/physical';
import { TreeNode as ArchiveNode } from '../treeNode';
import type { NodeTarget, Targeted } from '../targets';
import { baseBackupDescription, pointText, problemHeadline, restorePointDescription, runTooltip } from './labels';

export const enum ArchiveContext {
  Location = 'walLocation',
  Summary = 'walSummary',
  Problem = 'walProblem',
  Timeline = 'walTimeline',
  Run = 'walRun',
  Page = 'walPage',
  Segment = 'walSegment',
  History = 'walHistory',
  Backups = 'walBackups',
  Backup = 'walBackup',
}

/** Segments listed per page under a long run. */
export const SEGMENTS_PER_PAGE = 500;

export { TreeNode as ArchiveNode } from '../treeNode';

export class LocationNode extends ArchiveNode {
  readonly parent = undefined;
  scan?: Promise<ArchiveScan>;
  constructor(readonly location: ArchiveLocation) {
    super(location.path, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `wal/${location.path}`;
    this.iconPath = new vscode.ThemeIcon('archive');
    this.description = [location.connection, location.source].filter(Boolean).join(' · ');
    this.tooltip = `WAL archive ${location.path}${location.connection ? ` of connection ${location.connection}` : ''} (from ${location.source})`;
    this.contextValue = ArchiveContext.Location;
    this.resourceUri = vscode.Uri.file(location.path);
  }
}

/** Shown while a large archive is scanned for the first time. */
export class ScanningNode extends ArchiveNode {
  constructor(readonly parent: LocationNode) {
    super('Scanning the archive…', vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/scanning`;
    this.iconPath = new vscode.ThemeIcon('loading~spin');
    this.contextValue = 'walScanning';
  }
}

export class SummaryNode extends ArchiveNode {
  constructor(
    readonly parent: LocationNode,
    scan: ArchiveScan,
  ) {
    const t = scan.totals;
    const w = scan.window;
    const window = w.earliest && w.latest ? `recoverable ${pointText(w.earliest)} – ${pointText(w.latest)}` : (w.note ?? 'no recoverable window: no base backup is known');
    super(`${plural(t.segments, 'segment')} · ${formatBytes(t.bytes)}`, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/summary`;
    this.description = window;
    const errors = scan.problems.filter((p) => p.severity === 'error').length;
    if (t.segments === 0) this.description = 'empty · nothing archived yet';
    this.iconPath =
      errors > 0
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        : t.segments === 0 || !(w.earliest && w.latest)
          ? // Empty, or WAL with no base backup to start from: nothing here can be recovered yet.
            new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(
      `**${t.segments.toLocaleString('en-US')}** segments (${t.compressed} compressed, ${t.partial} partial), ${formatBytes(t.bytes)}, segment size ${formatSize(scan.segmentSize)} (${scan.segmentSizeFrom})  \n`,
    );
    tip.appendMarkdown(`${errors} problem${errors === 1 ? '' : 's'} that break recovery  \n`);
    if (w.earliest && w.latest) {
      tip.appendMarkdown(`earliest recoverable: ${pointText(w.earliest, {}, true)} (${w.earliest.exact ? 'exact' : 'estimate'}, ${w.earliest.source})  \n`);
      tip.appendMarkdown(`latest recoverable: ${pointText(w.latest, {}, true)} (${w.latest.exact ? 'exact' : 'estimate'}, ${w.latest.source})`);
    }
    if (t.segments === 0) tip.appendMarkdown('Nothing has been archived here: check archive_command and that it writes into this folder.');
    this.tooltip = tip;
    this.contextValue = ArchiveContext.Summary;
  }
}

export class ProblemNode extends ArchiveNode {
  constructor(
    readonly parent: LocationNode,
    problem: ArchiveProblem,
    index: number,
  ) {
    // The what fits a row; the why and the fix are in the tooltip.
    super(problemHeadline(problem.message), vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/problem/${index}`;
    this.description = problem.kind;
    this.tooltip = `${problem.message}${problem.file ? `\n${problem.file}` : ''}`;
    this.iconPath =
      problem.severity === 'error'
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        : problem.severity === 'warning'
          ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon('info');
    this.contextValue = `${ArchiveContext.Problem}.${problem.severity}`;
  }
}

export class TimelineNode extends ArchiveNode {
  constructor(
    readonly parent: LocationNode,
    readonly timeline: TimelineSummary,
    readonly segmentSize: number,
  ) {
    super(`timeline ${timeline.tli}`, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/tli/${timeline.tli}`;
    const runs = timeline.runs.length;
    this.description = `${timeline.segments.toLocaleString('en-US')} segments · ${formatBytes(timeline.bytes)} · ${runs} run${runs === 1 ? '' : 's'}${
      timeline.parent !== undefined ? ` · from timeline ${timeline.parent} at ${timeline.switchLsn ?? '?'}` : ''
    }`;
    this.iconPath = new vscode.ThemeIcon(runs > 1 ? 'git-compare' : 'git-commit');
    this.contextValue = ArchiveContext.Timeline;
  }
}

export class RunNode extends ArchiveNode {
  constructor(
    readonly parent: TimelineNode,
    readonly run: SegmentRun,
    index: number,
  ) {
    super(`${run.first} – ${run.last}`, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/run/${index}`;
    this.description = `${run.count.toLocaleString('en-US')} segment${run.count === 1 ? '' : 's'} · ${formatBytes(run.bytes)}`;
    this.tooltip = runTooltip(run);
    this.iconPath = new vscode.ThemeIcon('list-flat');
    this.contextValue = ArchiveContext.Run;
  }
}

/** A page of a long run's segments, so that a run of 100,000 never becomes 100,000 rows at once. */
export class PageNode extends ArchiveNode {
  constructor(
    readonly parent: RunNode,
    readonly from: number,
    readonly to: number,
    first: string,
    last: string,
  ) {
    super(`${first} – ${last}`, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/page/${from}`;
    this.description = `segments ${from + 1}–${to + 1}`;
    this.contextValue = ArchiveContext.Page;
  }
}

export class SegmentNode extends ArchiveNode {
  constructor(
    readonly parent: RunNode | PageNode,
    name: string,
  ) {
    super(name, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/${name}`;
    this.iconPath = new vscode.ThemeIcon('file-binary');
    this.contextValue = ArchiveContext.Segment;
  }
}

export class HistoryNode extends ArchiveNode {
  constructor(
    readonly parent: LocationNode,
    h: ArchiveScan['histories'][number],
  ) {
    super(h.file, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/history/${h.file}`;
    const last = h.switches?.at(-1);
    this.description = h.error ? h.error : last ? `timeline ${h.tli} from ${last.parentTli} at ${last.switchLsn}` : `timeline ${h.tli}`;
    this.iconPath = new vscode.ThemeIcon(h.error ? 'warning' : 'history');
    this.contextValue = ArchiveContext.History;
  }
}

export class BackupsNode extends ArchiveNode {
  constructor(
    readonly parent: LocationNode,
    readonly backups: BackupWindow[],
  ) {
    super('base backups', vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/backups`;
    this.description = String(backups.length);
    this.iconPath = new vscode.ThemeIcon('package');
    this.contextValue = ArchiveContext.Backups;
  }
}

export class BackupNode extends ArchiveNode {
  constructor(
    readonly parent: BackupsNode,
    b: BackupWindow,
    index: number,
  ) {
    super(b.label || b.file || `backup ${index + 1}`, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/${index}`;
    this.description = b.walAfterStop ? `recoverable ${pointText(b.from)} – ${pointText(b.to)}` : 'no archived WAL after its end: only the backup itself can be restored';
    this.tooltip = `${b.origin === 'archive' ? b.file : 'made by this extension'}\nfrom ${b.from.lsn} (${b.from.exact ? 'exact' : 'estimate'}: ${b.from.source})\nto ${b.to.lsn} (${b.to.exact ? 'exact' : 'estimate'}: ${b.to.source})`;
    this.iconPath = new vscode.ThemeIcon(b.walAfterStop ? 'package' : 'warning');
    this.contextValue = ArchiveContext.Backup;
  }
}

/** The base backups this extension made (their records), and the restore points it created. */
export class BaseBackupFolderNode extends ArchiveNode {
  readonly parent = undefined;
  constructor(
    readonly folder: string,
    readonly catalog: BaseBackupCatalog,
    readonly restorePoints: RecordedRestorePoint[],
  ) {
    super('Base backups', vscode.TreeItemCollapsibleState.Expanded);
    this.id = `basebackups/${folder}`;
    this.description = `${catalog.backups.length} in ${folder}`;
    this.iconPath = new vscode.ThemeIcon('package');
    this.tooltip = folder;
    this.contextValue = 'baseBackupFolder';
  }
}

export class BaseBackupRecordNode extends ArchiveNode implements Targeted {
  constructor(
    readonly parent: BaseBackupFolderNode,
    readonly entry: BaseBackupEntry,
  ) {
    const r = entry.record;
    super(r.name, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/${r.name}`;
    const v = r.verification.status;
    this.description = entry.missing ? 'its folder is gone' : baseBackupDescription(r);
    this.tooltip = `${r.profile} (${r.host}:${r.port}), PostgreSQL ${r.serverVersion}, finished ${formatWhen(r.stopTime)}\nWAL ${r.startLsn} – ${r.stopLsn} on timeline ${r.timeline}\n${r.verification.tool}: ${v}${r.verification.message ? ` — ${r.verification.message}` : ''}`;
    this.iconPath = entry.missing || v === 'failed' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon(v === 'passed' ? 'pass' : 'package');
    this.resourceUri = vscode.Uri.file(entry.path);
    this.contextValue = 'baseBackup';
  }
  get target(): NodeTarget {
    return { kind: 'baseBackup', path: this.entry.path };
  }
}

export class RestorePointsNode extends ArchiveNode {
  constructor(
    readonly parent: BaseBackupFolderNode,
    readonly points: RecordedRestorePoint[],
  ) {
    super('restore points', vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/restore-points`;
    this.description = String(points.length);
    this.iconPath = new vscode.ThemeIcon('pin');
    this.contextValue = 'restorePoints';
  }
}

export class RestorePointNode extends ArchiveNode {
  constructor(
    readonly parent: RestorePointsNode,
    p: RecordedRestorePoint,
    index: number,
  ) {
    super(p.name, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/${index}`;
    this.description = restorePointDescription(p);
    this.tooltip = `restore point "${p.name}" on ${p.profile}: ${p.lsn} on timeline ${p.timeline}, in ${p.walFile}`;
    this.iconPath = new vscode.ThemeIcon('pin');
    this.contextValue = 'restorePoint';
  }
}
