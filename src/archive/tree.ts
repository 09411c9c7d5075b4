// The WAL Archive view: each archive location → its summary and window, problems, timelines → runs → segments.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { FolderWatcher } from '../folderWatcher';
import { ErrorNode } from '../treeNode';
import { errorMessage } from '../core/platform';
import { scanArchive, type ArchiveScan, parseWalFileName, segmentName, segmentNumber, type KnownBaseBackup } from '../core/wal';
import { archiveLocations, baseBackupFolder } from '../places';
import { listBaseBackups, toKnownBaseBackup, readRestorePoints, restorePointsFileFor } from '../core/physical';
import { onSettingChange } from '../settings';
import { backrestOverview, type BackrestOverview } from '../core/backrest';
import { healthPolicy } from '../core/health';
import { TRUST_HINT } from '../core/profiles';
import { BackrestBackupNode, dependentNodes, RepositoryNode, repositoryChildren } from './backrestNodes';
import {
  BaseBackupFolderNode,
  BaseBackupRecordNode,
  RestorePointNode,
  RestorePointsNode,
  BackupNode,
  BackupsNode,
  HistoryNode,
  LocationNode,
  PageNode,
  ProblemNode,
  RunNode,
  ScanningNode,
  SEGMENTS_PER_PAGE,
  SegmentNode,
  SummaryNode,
  TimelineNode,
  type ArchiveNode,
} from './nodes';

const REFRESH_DEBOUNCE_MS = 1000;
/** How long the view waits for a scan before it shows a scanning row (or the previous scan). */
const SCAN_WAIT_MS = 200;

export class WalArchiveProvider implements vscode.TreeDataProvider<ArchiveNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ArchiveNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watcher = new FolderWatcher(() => this.refresh(), REFRESH_DEBOUNCE_MS);
  private readonly subscriptions: vscode.Disposable[];
  /** The last scan of each location, for the Health view's chart and the status bar. */
  readonly scans = new Map<string, ArchiveScan>();

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [
      ctx.onDidChangeProfiles(() => this.refresh()),
      ctx.onDidChangeBaseBackups(() => this.refresh()),
      onSettingChange(['archives', 'baseBackupFolder'], () => this.refresh()),
    ];
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    for (const d of [this.watcher, ...this.subscriptions]) d.dispose();
    this.changed.dispose();
  }

  getTreeItem(node: ArchiveNode): vscode.TreeItem {
    return node;
  }

  getParent(node: ArchiveNode): ArchiveNode | undefined {
    return node.parent;
  }

  async getChildren(node?: ArchiveNode): Promise<ArchiveNode[]> {
    try {
      if (!node) return await this.roots();
      if (node instanceof LocationNode) return await this.locationChildren(node);
      if (node instanceof RepositoryNode) return await this.repositoryChildren(node);
      if (node instanceof BackrestBackupNode) return dependentNodes(node, await (node.repository.overview as Promise<BackrestOverview>));
      if (node instanceof TimelineNode) return node.timeline.runs.map((r, i) => new RunNode(node, r, i));
      if (node instanceof RunNode) return this.runChildren(node);
      if (node instanceof PageNode) return this.segments(node, node.parent, node.from, node.to);
      if (node instanceof BackupsNode) return node.backups.map((b, i) => new BackupNode(node, b, i));
      if (node instanceof BaseBackupFolderNode) {
        const kids: ArchiveNode[] = node.catalog.backups.map((b) => new BaseBackupRecordNode(node, b));
        if (node.restorePoints.length > 0) kids.push(new RestorePointsNode(node, node.restorePoints));
        kids.push(...node.catalog.problems.map((p, i) => new ErrorNode(node, p, { index: i })));
        return kids;
      }
      if (node instanceof RestorePointsNode) return node.points.map((p, i) => new RestorePointNode(node, p, i));
    } catch (e) {
      this.ctx.log.warn(errorMessage(e));
      return [new ErrorNode(node, errorMessage(e))];
    }
    return [];
  }

  private async roots(): Promise<ArchiveNode[]> {
    const { locations, problems } = await archiveLocations(this.ctx);
    const folder = await baseBackupFolder(this.ctx);
    this.watcher.watch([...locations.map((l) => l.path), folder]);
    for (const p of problems) this.ctx.log.warn(p);
    const repositories = (await this.ctx.profiles()).config?.repositories ?? [];
    const nodes: ArchiveNode[] = [
      ...locations.map((l) => new LocationNode(l)),
      ...repositories.map((r) => new RepositoryNode(r)),
      ...problems.map((p, i) => new ErrorNode(undefined, p, { index: i })),
    ];
    const catalog = await listBaseBackups(folder);
    const points = await readRestorePoints(restorePointsFileFor(folder)).catch(() => []);
    if (catalog.backups.length > 0 || points.length > 0) nodes.push(new BaseBackupFolderNode(folder, catalog, points));
    return nodes;
  }

  /**
   * A location's children come from its scan. A refresh shows the previous scan at once and
   * re-renders when the new one is done; a first scan that takes longer than a moment shows a
   * "scanning" row meanwhile, so a large archive never holds up the view.
   */
  private async locationChildren(node: LocationNode): Promise<ArchiveNode[]> {
    const started = performance.now();
    if (!node.scan) {
      node.scan = this.knownBaseBackups(node.location.connection).then((knownBaseBackups) =>
        scanArchive(node.location.path, { segmentSize: node.location.segmentSize, knownBaseBackups }),
      );
      const fresh = node.scan.then((scan) => {
        this.ctx.log.debug(`scanned ${node.location.path}: ${scan.totals.files} files in ${(performance.now() - started).toFixed(0)} ms`);
        return scan;
      });
      const previous = this.scans.get(node.location.path);
      const quick = await Promise.race([fresh, new Promise<undefined>((r) => setTimeout(() => r(undefined), SCAN_WAIT_MS))]);
      if (!quick) {
        // Re-render this location once the scan is in; failures show as its error child then.
        void fresh.then(
          () => this.changed.fire(node),
          () => this.changed.fire(node),
        );
        if (!previous) return [new ScanningNode(node)];
        return this.renderScan(node, previous);
      }
    }
    const scan = await node.scan;
    this.scans.set(node.location.path, scan);
    return this.renderScan(node, scan);
  }

  /**
   * A stanza's rows, from `pgbackrest info` and, for a posix repository, our scan of its archive. An
   * untrusted folder's repository with its own config file is not read: that file could make
   * pgBackRest start a program (cmd-ssh).
   */
  private async repositoryChildren(node: RepositoryNode): Promise<ArchiveNode[]> {
    if (!this.ctx.trusted && node.repository.config !== undefined) {
      return [new ErrorNode(node, `pgBackRest is not run with ${node.repository.config}, named by this folder's pgbackup.yaml, because the folder is not trusted: ${TRUST_HINT}.`)];
    }
    const rpoSeconds = healthPolicy((await this.ctx.profiles()).config).rpoSeconds;
    const { stanza, config } = node.repository;
    node.overview ??= backrestOverview({ stanza, ...(config ? { config } : {}) }, { logger: this.ctx.log, ...(rpoSeconds !== undefined ? { rpoSeconds } : {}) });
    try {
      return repositoryChildren(node, await node.overview);
    } catch (e) {
      // The next expand or refresh asks again.
      node.overview = undefined;
      throw e;
    }
  }

  private renderScan(node: LocationNode, scan: ArchiveScan): ArchiveNode[] {
    const problems = scan.problems.map((p, i) => new ProblemNode(node, p, i));
    const nodes: ArchiveNode[] = [new SummaryNode(node, scan), ...problems.filter((p) => /\.error$/.test(p.contextValue ?? '')), ...scan.timelines.map((t) => new TimelineNode(node, t, scan.segmentSize))];
    if (scan.window.backups.length > 0) nodes.push(new BackupsNode(node, scan.window.backups));
    nodes.push(...scan.histories.map((h) => new HistoryNode(node, h)));
    nodes.push(...problems.filter((p) => !/\.error$/.test(p.contextValue ?? '')));
    return nodes;
  }

  /** The base backups this extension made, of the location's connection (all, when it names none). */
  private async knownBaseBackups(connection: string | undefined): Promise<KnownBaseBackup[]> {
    const catalog = await listBaseBackups(await baseBackupFolder(this.ctx));
    return catalog.backups.filter((b) => !b.missing && (!connection || b.record.profile === connection)).map((b) => toKnownBaseBackup(b.record));
  }

  private runChildren(node: RunNode): ArchiveNode[] {
    const count = node.run.count;
    if (count <= SEGMENTS_PER_PAGE) return this.segments(node, node, 0, count - 1);
    const first = this.firstSegno(node);
    const tli = node.parent.timeline.tli;
    const size = node.parent.segmentSize;
    const pages: ArchiveNode[] = [];
    for (let from = 0; from < count; from += SEGMENTS_PER_PAGE) {
      const to = Math.min(count, from + SEGMENTS_PER_PAGE) - 1;
      pages.push(new PageNode(node, from, to, segmentName(tli, first + from, size), segmentName(tli, first + to, size)));
    }
    return pages;
  }

  private segments(parent: RunNode | PageNode, run: RunNode, from: number, to: number): ArchiveNode[] {
    const first = this.firstSegno(run);
    const tli = run.parent.timeline.tli;
    const size = run.parent.segmentSize;
    const nodes: ArchiveNode[] = [];
    for (let i = from; i <= to; i++) nodes.push(new SegmentNode(parent, segmentName(tli, first + i, size)));
    return nodes;
  }

  private firstSegno(run: RunNode): number {
    const name = parseWalFileName(run.run.first);
    const segno = name && name.kind === 'segment' ? segmentNumber(name.log, name.seg, run.parent.segmentSize) : undefined;
    if (segno === undefined) throw new Error(`${run.run.first} is not a segment name at this segment size`);
    return segno;
  }

}
