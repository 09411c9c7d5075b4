// The Dumps view: each dump folder → its dumps, newest first → each dump's table of contents.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { FolderWatcher } from '../folderWatcher';
import { ErrorNode } from '../treeNode';
import { errorMessage, type ToolInventory } from '../core/platform';
import { tocIndexPlace, listDumps, groupToc, readToc, type Toc, type TocEntry, type TocTree, viewedToc } from '../core/logical';
import { dumpFolders } from '../places';
import { SET_IDENTITY_TITLE } from './identityChoice';
import { onSettingChange } from '../settings';
import {
  DumpFolderNode,
  DumpGroupNode,
  DumpNode,
  DumpObjectNode,
  DumpSchemaNode,
  DumpTableNode,
  PartialsNode,
  RunningDumpsNode,
  type DumpsNode,
  type SchemaGroup,
} from './nodes';

const REFRESH_DEBOUNCE_MS = 300;

export class DumpsProvider implements vscode.TreeDataProvider<DumpsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DumpsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watcher = new FolderWatcher(() => this.refresh(), REFRESH_DEBOUNCE_MS);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [
      ctx.onDidChangeDumps(() => this.refresh()),
      ctx.onDidChangeProfiles(() => this.refresh()), // pgbackup.yaml may name other dump folders
      onSettingChange(['dumpFolders'], () => this.refresh()),
      ctx.identity.onDidChange(() => this.refresh()),
    ];
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    for (const d of [this.watcher, ...this.subscriptions]) d.dispose();
    this.changed.dispose();
  }

  getTreeItem(node: DumpsNode): vscode.TreeItem {
    return node;
  }

  getParent(node: DumpsNode): DumpsNode | undefined {
    return node.parent;
  }

  async getChildren(node?: DumpsNode): Promise<DumpsNode[]> {
    try {
      if (!node) return await this.folders();
      if (node instanceof DumpFolderNode) return await this.dumps(node);
      if (node instanceof DumpNode) return await this.contents(node);
      if (node instanceof DumpSchemaNode) return this.schemaChildren(node);
      if (node instanceof DumpGroupNode) return (await this.groupEntries(node)).map((e, i) => new DumpObjectNode(node, e, i));
    } catch (e) {
      this.ctx.log.warn(errorMessage(e));
      return [new ErrorNode(node, errorMessage(e))];
    }
    return [];
  }

  private async folders(): Promise<DumpsNode[]> {
    const folders = await dumpFolders(this.ctx);
    this.watcher.watch(folders);
    // An empty default folder shows the welcome text instead of an empty folder node.
    const catalogs = await Promise.all(folders.map((f) => listDumps(f, this.ctx.catalogIndex)));
    if (catalogs.every((c) => c.dumps.length === 0 && c.partials.length === 0)) return [];
    return folders.map((f) => new DumpFolderNode(f, this.ctx.workspaceFolder));
  }

  private async dumps(node: DumpFolderNode): Promise<DumpsNode[]> {
    const catalog = await listDumps(node.folder, this.ctx.catalogIndex);
    const now = new Date();
    const nodes: DumpsNode[] = catalog.dumps.map((d) => new DumpNode(node, d, now));
    const running = catalog.partials.filter((p) => p.running);
    const left = catalog.partials.filter((p) => !p.running);
    if (running.length > 0) nodes.push(new RunningDumpsNode(node, running.map((p) => p.path), running.reduce((s, p) => s + p.sizeBytes, 0)));
    if (left.length > 0) nodes.push(new PartialsNode(node, left.map((p) => p.path), left.reduce((s, p) => s + p.sizeBytes, 0)));
    return nodes;
  }

  private async contents(node: DumpNode): Promise<DumpsNode[]> {
    const encryption = node.entry.encryption;
    // age needs a key the editor may not have yet: the row that asks for it, and the dump expands once it is set.
    if (encryption === 'age' && !(await this.ctx.identity.has())) return [new IdentityNode(node, `encrypted with age: set a decryption identity to see its tables`)];
    // Schemas and relations from the TOC index (kept by pgbr and this extension as they dump), else the TOC read and indexed.
    node.tree ??= (async () => {
      const viewed = await viewedToc(node.entry.path, () => this.readEntries(node), {
        format: node.entry.format,
        encrypted: encryption !== undefined,
        place: tocIndexPlace(process.env),
      });
      if (viewed.grouped) node.entries ??= Promise.resolve(viewed.grouped);
      return viewed;
    })();
    let tree: Awaited<typeof node.tree>;
    try {
      tree = await node.tree;
    } catch (e) {
      if (encryption !== 'age') throw e;
      // A wrong key or an unreadable identity file: the core's one line, and the way to give another identity.
      this.ctx.log.warn(errorMessage(e));
      return [new IdentityNode(node, errorMessage(e))];
    }
    const nodes: DumpsNode[] = [];
    // Damage first: the contents below are what the table of contents claims, not what can be restored.
    const damage = tree.damage ?? node.entry.damage;
    if (damage) nodes.push(new ErrorNode(node, damage));
    nodes.push(...tree.tree.schemas.map((s) => new DumpSchemaNode(node, s)));
    if (tree.tree.global.length > 0) nodes.push(new DumpGroupNode(node, 'other objects', tree.tree.global.length));
    return nodes;
  }

  /** The dump's TOC, every entry: what the index does not keep (dump ids, list lines). */
  private async readEntries(node: DumpNode): Promise<Toc> {
    return readToc(node.entry.path, { pgRestore: newestTool(await this.ctx.tools()), decryption: await this.ctx.identity.decryption(), logger: this.ctx.log });
  }

  /** A group's entries, from the TOC read once per dump node when its first group is opened. */
  private async groupEntries(node: DumpGroupNode): Promise<TocEntry[]> {
    const dump = node.parent instanceof DumpNode ? node.parent : node.parent.parent;
    dump.entries ??= this.readEntries(dump).then((toc) => groupToc(toc.entries));
    let grouped: TocTree;
    try {
      grouped = await dump.entries;
    } catch (e) {
      dump.entries = undefined; // a key set since, or a dump fixed: the next opening reads again
      throw e;
    }
    if (node.parent instanceof DumpNode || node.group === 'other objects') return grouped.global;
    const schemaName = node.parent.schema.name;
    const schema = grouped.schemas.find((s) => s.name === schemaName);
    return schema?.[node.group] ?? [];
  }

  private schemaChildren(node: DumpSchemaNode): DumpsNode[] {
    const s = node.schema;
    const counts = new Map(node.parent.entry.manifest?.rowCounts.map((r) => [`${r.schema}\0${r.table}`, r.rows]) ?? []);
    const nodes: DumpsNode[] = s.tables.map((t) => new DumpTableNode(node, { ...t, schema: s.name }, counts.get(`${s.name}\0${t.name}`)));
    const groups: [SchemaGroup, readonly unknown[]][] = [
      ['functions', s.functions],
      ['sequences', s.sequences],
      ['indexes', s.indexes],
      ['constraints', s.constraints],
      ['others', s.others],
    ];
    for (const [label, entries] of groups) if (entries.length > 0) nodes.push(new DumpGroupNode(node, label, entries.length));
    return nodes;
  }

}

/** A row that says why an age-encrypted dump cannot be opened; a click runs Set Decryption Identity…. */
class IdentityNode extends ErrorNode {
  constructor(parent: DumpNode, message: string) {
    super(parent, message, { fix: { command: 'pgBackup.setDecryptionIdentity', title: SET_IDENTITY_TITLE } });
    this.iconPath = new vscode.ThemeIcon('key');
  }
}

/** The newest pg_restore reads every older archive format. */
export function newestTool(inventory: ToolInventory, name: 'pg_restore' = 'pg_restore'): string | undefined {
  for (const install of [...inventory.installs].reverse()) {
    const tool = install.tools[name];
    if (tool) return tool.path;
  }
  return undefined;
}
