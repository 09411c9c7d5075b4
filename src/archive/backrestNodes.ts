// The WAL Archive view's pgBackRest rows: a stanza → its status, window, backup chains (full → diff →
// incr), the archive's timelines where the repository is a posix folder, and its problems.
import * as vscode from 'vscode';
import type { BackrestRepository, BackrestOverview, BackupChain, RepositoryProblem, BackrestArchiveScan } from '../core/backrest';
import { formatBytes, formatWhen, plural } from '../core/platform';
import type { BackupWindow, RecoverableWindow } from '../core/wal';
import type { NodeTarget, Targeted } from '../targets';
import { TreeNode as ArchiveNode } from '../treeNode';
import { type Clock, pointText, problemHeadline } from './labels';

export const enum RepositoryContext {
  Repository = 'backrestStanza',
  Status = 'backrestStatus',
  Backup = 'backrestBackup',
  Archive = 'backrestArchive',
  Problem = 'backrestProblem',
}

const passed = () => new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
const failed = () => new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
const warned = () => new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));

export class RepositoryNode extends ArchiveNode implements Targeted {
  readonly parent = undefined;
  overview?: Promise<BackrestOverview>;
  constructor(readonly repository: BackrestRepository) {
    super(`stanza ${repository.stanza}`, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `backrest/${repository.config ?? ''}/${repository.stanza}`;
    this.iconPath = new vscode.ThemeIcon('server-environment');
    this.description = ['pgBackRest', repository.connection].filter(Boolean).join(' · ');
    this.tooltip = `pgBackRest stanza ${repository.stanza}${repository.connection ? ` of connection ${repository.connection}` : ''}\nconfig: ${repository.config ?? "pgBackRest's default"}`;
    this.contextValue = RepositoryContext.Repository;
  }
  get target(): NodeTarget {
    return { kind: 'repository', stanza: this.repository.stanza, ...(this.repository.config ? { config: this.repository.config } : {}) };
  }
}

/** The stanza's status as pgBackRest reports it, with the databases and archive ranges in the tooltip. */
export class StatusNode extends ArchiveNode {
  constructor(
    readonly parent: RepositoryNode,
    o: BackrestOverview,
    clock: Clock = {},
  ) {
    const s = o.info.status;
    const w = o.window;
    super(s.code === 0 ? `${plural(o.info.backups.length, 'backup')} · ${o.info.db.map((d) => `PostgreSQL ${d.version}`).at(-1) ?? ''}` : s.message, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/status`;
    this.description = s.code === 0 ? windowText(w, clock) : `status ${s.code} (${s.meaning})`;
    this.iconPath = s.code !== 0 ? failed() : !(w.earliest && w.latest) ? warned() : passed();
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`status **${s.message}** (code ${s.code})${s.backupLockHeld ? ', a backup or expire is running' : ''} · cipher ${o.info.cipher}  \n`);
    for (const d of o.info.db) tip.appendMarkdown(`database ${d.id}: PostgreSQL ${d.version}, system id ${d.systemId.toString()}  \n`);
    for (const a of o.info.archives) tip.appendMarkdown(`WAL archive ${a.id}: ${a.min && a.max ? `${a.min} – ${a.max}` : 'empty'}  \n`);
    if (w.earliest && w.latest) {
      tip.appendMarkdown(`earliest recoverable: ${pointText(w.earliest, clock, true)} (${w.earliest.source})  \n`);
      tip.appendMarkdown(`latest recoverable: ${pointText(w.latest, clock, true)} (${w.latest.exact ? 'exact' : 'estimated'}: ${w.latest.source})`);
    }
    this.tooltip = tip;
    this.contextValue = RepositoryContext.Status;
  }
}

function windowText(w: RecoverableWindow, clock: Clock): string {
  return w.earliest && w.latest ? `recoverable ${pointText(w.earliest, clock)} – ${pointText(w.latest, clock)}` : (w.note ?? 'nothing recoverable yet');
}

/** One backup, its dependents below it: a full holds its diffs and incrs, an incr the next incr. */
export class BackrestBackupNode extends ArchiveNode {
  constructor(
    readonly parent: RepositoryNode | BackrestBackupNode,
    readonly chain: BackupChain,
    window: BackupWindow | undefined,
    clock: Clock = {},
  ) {
    const b = chain.backup;
    super(b.label, chain.dependents.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    // The count of dependents is in the id: a backup that gains its first one is a new row to VS Code,
    // which then opens it as asked (it keeps a known row's state, collapsed for one that had no children).
    this.id = `${(parent instanceof RepositoryNode ? parent : parent.repository).id}/backup/${b.label}/${chain.dependents.length}`;
    const recoverable = window && window.walAfterStop ? `recoverable ${pointText(window.from, clock)} – ${pointText(window.to, clock)}` : 'no WAL archived after it';
    this.description = `${b.type} · ${formatWhen(b.stopTime, clock)} · ${formatBytes(b.size)} (${formatBytes(b.repositoryDelta)} in repo) · ${recoverable}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${b.type}** backup ${b.label}${b.prior ? `, on ${b.prior}` : ''}  \n`);
    tip.appendMarkdown(`started ${formatWhen(b.startTime, { ...clock, seconds: true })}, stopped ${formatWhen(b.stopTime, { ...clock, seconds: true })}  \n`);
    if (b.walStart && b.walStop) tip.appendMarkdown(`WAL ${b.walStart} – ${b.walStop}  \n`);
    if (b.lsnStart && b.lsnStop) tip.appendMarkdown(`LSN ${b.lsnStart} – ${b.lsnStop}  \n`);
    tip.appendMarkdown(`database ${formatBytes(b.size)}, copied ${formatBytes(b.delta)}; in the repository ${b.repositorySize !== undefined ? formatBytes(b.repositorySize) : '?'}, this backup ${formatBytes(b.repositoryDelta)}  \n`);
    if (b.references.length) tip.appendMarkdown(`uses files of ${b.references.join(', ')}  \n`);
    tip.appendMarkdown(`page checksums: ${b.error === undefined ? 'not recorded' : b.error ? '**errors found**' : 'no errors'}  \n`);
    if (window?.walAfterStop) tip.appendMarkdown(`recoverable to ${pointText(window.to, clock, true)} (${window.to.exact ? 'exact' : 'estimated'}: ${window.to.source})  \n`);
    if (b.annotations) tip.appendMarkdown(Object.entries(b.annotations).map(([k, v]) => `${k}: ${v}`).join('  \n'));
    this.tooltip = tip;
    this.iconPath = b.error ? warned() : new vscode.ThemeIcon(b.type === 'full' ? 'package' : b.type === 'diff' ? 'diff' : 'add');
    this.contextValue = `${RepositoryContext.Backup}.${b.type}`;
  }
  get repository(): RepositoryNode {
    return this.parent instanceof RepositoryNode ? this.parent : this.parent.repository;
  }
}

/** One archive id's folder, as our scan read it: segments, size, timelines. */
export class BackrestArchiveNode extends ArchiveNode {
  constructor(
    readonly parent: RepositoryNode,
    scan: BackrestArchiveScan,
  ) {
    super(`WAL ${scan.archiveId}`, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/archive/${scan.archiveId}`;
    const gaps = scan.problems.filter((p) => p.kind === 'gap').length;
    const timelines = scan.timelines.map((t) => `${t.tli}: ${t.runs.length === 1 ? '1 run' : `${t.runs.length} runs`}`).join(', ');
    this.description = `${scan.segments.toLocaleString('en-US')} segments · ${formatBytes(scan.bytes)} · ${gaps ? plural(gaps, 'gap') : 'no gaps'}${timelines ? ` · timeline ${timelines}` : ''}`;
    this.tooltip = `${scan.dir}\n${scan.timelines.map((t) => t.runs.map((r) => `timeline ${t.tli}: ${r.first} – ${r.last} (${r.count})`).join('\n')).join('\n')}`;
    this.iconPath = gaps ? failed() : new vscode.ThemeIcon('archive');
    this.resourceUri = vscode.Uri.file(scan.dir);
    this.contextValue = RepositoryContext.Archive;
  }
}

export class RepositoryProblemNode extends ArchiveNode {
  constructor(
    readonly parent: RepositoryNode,
    problem: RepositoryProblem,
    index: number,
  ) {
    super(problemHeadline(problem.message), vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/problem/${index}`;
    this.tooltip = problem.message;
    this.iconPath = problem.severity === 'error' ? failed() : warned();
    this.contextValue = `${RepositoryContext.Problem}.${problem.severity}`;
  }
}

/** The rows under a stanza, in the order a person reads them: status, errors, chains, archive, the rest. */
export function repositoryChildren(node: RepositoryNode, o: BackrestOverview, clock: Clock = {}): ArchiveNode[] {
  const windows = new Map(o.window.backups.map((w) => [w.label, w]));
  const problems = o.problems.map((p, i) => new RepositoryProblemNode(node, p, i));
  const chains = o.chains.map((c) => new BackrestBackupNode(node, c, windows.get(c.backup.label), clock));
  return [
    new StatusNode(node, o, clock),
    ...problems.filter((p) => p.contextValue?.endsWith('.error')),
    ...chains,
    ...(o.archive ?? []).map((s) => new BackrestArchiveNode(node, s)),
    ...problems.filter((p) => !p.contextValue?.endsWith('.error')),
  ];
}

/** The backups taken on a backup, with their windows. */
export function dependentNodes(node: BackrestBackupNode, o: BackrestOverview, clock: Clock = {}): ArchiveNode[] {
  const windows = new Map(o.window.backups.map((w) => [w.label, w]));
  return node.chain.dependents.map((c) => new BackrestBackupNode(node, c, windows.get(c.backup.label), clock));
}
