// Node kinds of the Dumps tree: folder → dump → its contents (schemas → tables, and object groups).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type CatalogEntry, verificationState, uncheckedForeignKeys, type CompactTocTree, type TocEntry, type TocTree, type ViewedToc } from '../core/logical';
import { formatBytes, printable, plural, formatAge, formatWhen } from '../core/platform';
import { describeCopies } from '../core/offsite';
import { TreeNode as DumpsNode } from '../treeNode';
import type { NodeTarget, Targeted } from '../targets';

/** contextValue prefixes, matched by regex in package.json `when` clauses. */
export const enum DumpsContext {
  Folder = 'dumpFolder',
  Dump = 'dump',
  Partials = 'partials',
  Running = 'runningDumps',
  Schema = 'dumpSchema',
  Table = 'dumpTable',
  Group = 'dumpGroup',
  Object = 'dumpObject',
}

export { TreeNode as DumpsNode } from '../treeNode';

export class DumpFolderNode extends DumpsNode {
  readonly parent = undefined;
  constructor(
    readonly folder: string,
    workspaceFolder: string | undefined,
  ) {
    const shown = workspaceFolder && folder.startsWith(workspaceFolder + path.sep) ? path.relative(workspaceFolder, folder) : folder;
    super(shown, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `folder/${folder}`;
    this.resourceUri = vscode.Uri.file(folder);
    this.iconPath = vscode.ThemeIcon.Folder;
    this.tooltip = folder;
    this.contextValue = DumpsContext.Folder;
  }
}

export class DumpNode extends DumpsNode implements Targeted {
  /** The dump's schemas and relations, from its TOC index or read once per node (a refresh makes new nodes). */
  tree?: Promise<ViewedToc>;
  /** Every entry of its TOC, read only when a group of objects is opened (the index keeps names, not entries). */
  entries?: Promise<TocTree>;

  constructor(
    readonly parent: DumpFolderNode,
    readonly entry: CatalogEntry,
    now: Date,
  ) {
    super(entry.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `dump/${entry.path}`;
    this.resourceUri = vscode.Uri.file(entry.path);
    const m = entry.manifest;
    const database = m?.kind === 'globals' ? 'globals' : m?.database;
    this.description = [formatBytes(entry.sizeBytes), formatAge(entry.time, now), database].filter(Boolean).join(' · ');
    const state = verificationState(entry);
    if (state === 'damaged') this.description = `DAMAGED · ${this.description}`;
    const copies = describeCopies(m, (iso) => formatAge(new Date(iso), now));
    if (copies.badge) this.description = `${this.description} · ${copies.badge}`;
    this.iconPath =
      state === 'damaged'
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('testing.iconFailed'))
        : state === 'verified'
        ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
        : state === 'failed'
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
          : new vscode.ThemeIcon('circle-large-outline');
    // `.age` / `.gpg`: the row's menu offers the decryption identity.
    this.contextValue = `${DumpsContext.Dump}.${entry.format}${m?.kind === 'globals' ? '.globals' : ''}${entry.encryption ? `.${entry.encryption}` : ''}`;
    this.tooltip = tooltipFor(entry, copies.lines);
  }
  get target(): NodeTarget {
    return { kind: 'dump', path: this.entry.path };
  }
}

function tooltipFor(entry: CatalogEntry, copies: readonly string[]): vscode.MarkdownString {
  const t = new vscode.MarkdownString(undefined, true);
  const m = entry.manifest;
  if (entry.damage) t.appendMarkdown(`**damaged**: ${escapeMarkdown(entry.damage)}  \n`);
  t.appendMarkdown(`**${entry.name}** (${entry.format}${entry.gzip ? ', gzip' : ''}, ${formatBytes(entry.sizeBytes)})  \n`);
  if (m) {
    t.appendMarkdown(`${m.kind === 'globals' ? 'roles and tablespaces' : `database \`${m.database}\``} on ${m.host}:${m.port} (profile ${m.profile})  \n`);
    t.appendMarkdown(`PostgreSQL ${m.serverVersion}, ${m.tool} ${m.toolVersion}  \n`);
    t.appendMarkdown(`taken ${formatWhen(m.startedAt)} in ${(m.durationMs / 1000).toFixed(1)} s`);
    if (m.rowCounts.length) t.appendMarkdown(`, ${plural(m.rowCounts.length, 'table')}, ${plural(m.rowCounts.reduce((s, r) => s + r.rows, 0), 'row')}`);
    t.appendMarkdown('  \n');
  } else {
    t.appendMarkdown(entry.manifestError ? `${entry.manifestError}  \n` : 'no manifest: not made by this extension, contents read from the dump itself  \n');
  }
  const v = m?.verification;
  t.appendMarkdown(
    !v
      ? 'never verified: run **Verify** to prove it restores'
      : `${v.status === 'passed' ? 'verified' : '**verification failed**'} ${formatWhen(v.at)} into ${v.target}${v?.message ? `: ${v.message}` : ''}`,
  );
  // A pass that could not check every key says so, as its report does.
  const unchecked = v?.status === 'passed' ? uncheckedForeignKeys(v.foreignKeysLeftOut ?? []) : undefined;
  if (unchecked) t.appendMarkdown(`  \n${escapeMarkdown(printable(unchecked))}`);
  for (const line of copies) t.appendMarkdown(`  \n${escapeMarkdown(printable(line))}`);
  return t;
}

const escapeMarkdown = (text: string) => text.replace(/[\\`*_[\]<>]/g, '\\$&');

/** Leftovers of dumps that did not finish; clicking offers to delete them. */
export class PartialsNode extends DumpsNode implements Targeted {
  constructor(
    readonly parent: DumpFolderNode,
    readonly paths: string[],
    totalBytes: number,
  ) {
    super(`${paths.length} unfinished dump${paths.length === 1 ? '' : 's'} (.partial)`, vscode.TreeItemCollapsibleState.None);
    this.id = `partials/${parent.folder}`;
    this.description = `${formatBytes(totalBytes)} · click to clean up`;
    this.tooltip = `Left behind by dumps that failed or were cancelled (no running pgbr or editor is writing them):\n${paths.map((p) => path.basename(p)).join('\n')}`;
    this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    this.contextValue = DumpsContext.Partials;
    this.command = { title: 'Clean up', command: 'pgBackup.cleanPartials', arguments: [this] };
  }
  get target(): NodeTarget {
    return { kind: 'partials', paths: this.paths };
  }
}

/** Dumps being written right now, by this editor or another pgbr: not leftovers, nothing to click. */
export class RunningDumpsNode extends DumpsNode {
  constructor(
    readonly parent: DumpFolderNode,
    readonly paths: string[],
    totalBytes: number,
  ) {
    super(`${paths.length} dump${paths.length === 1 ? '' : 's'} being written`, vscode.TreeItemCollapsibleState.None);
    this.id = `running/${parent.folder}`;
    this.description = `${formatBytes(totalBytes)} so far`;
    this.tooltip = `Being written by a running pgbr or editor:\n${paths.map((p) => path.basename(p)).join('\n')}`;
    this.iconPath = new vscode.ThemeIcon('loading~spin');
    this.contextValue = DumpsContext.Running;
  }
}

/** A schema as the TOC index keeps it: names, kinds and whether rows are in the dump. */
export type DumpSchema = CompactTocTree['schemas'][number];
export type DumpTable = DumpSchema['tables'][number];
/** The groups of objects under a schema, named as the tree shows them. */
export type SchemaGroup = 'functions' | 'sequences' | 'indexes' | 'constraints' | 'others';

export class DumpSchemaNode extends DumpsNode {
  constructor(
    readonly parent: DumpNode,
    readonly schema: DumpSchema,
  ) {
    super(printable(schema.name), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/schema/${schema.name}`;
    this.iconPath = new vscode.ThemeIcon('symbol-namespace');
    const n = schema.tables.length;
    this.description = `${n} table${n === 1 ? '' : 's'}`;
    this.contextValue = DumpsContext.Schema;
  }
}

export class DumpTableNode extends DumpsNode implements Targeted {
  constructor(
    readonly parent: DumpSchemaNode,
    readonly table: DumpTable & { schema: string },
    rows: number | undefined,
  ) {
    super(printable(table.name), vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/table/${table.kind}/${table.name}`;
    this.iconPath = new vscode.ThemeIcon(table.kind === 'table' ? 'table' : table.kind === 'view' ? 'eye' : 'symbol-class');
    const data = table.hasData ? (rows === undefined ? 'data' : plural(rows, 'row')) : table.kind === 'view' ? 'view' : 'schema only';
    this.description = table.kind === 'table' ? data : `${table.kind}${table.hasData ? ' · data' : ''}`;
    this.tooltip = `${printable(table.schema)}.${printable(table.name)} (${table.kind}) — ${table.hasData ? 'the dump holds its rows' : 'definition only, no rows in this dump'}`;
    this.contextValue = `${DumpsContext.Table}.${table.kind.replace(' ', '-')}${table.hasData ? '.data' : ''}`;
  }
  get dump(): DumpNode {
    return this.parent.parent;
  }
  get target(): NodeTarget {
    return { kind: 'dumpTable', dumpPath: this.dump.entry.path, table: { schema: this.table.schema, name: this.table.name } };
  }
}

/** A group of objects: its entries are read from the dump's TOC when it is opened. */
export class DumpGroupNode extends DumpsNode {
  constructor(
    readonly parent: DumpSchemaNode | DumpNode,
    readonly group: SchemaGroup | 'other objects',
    count: number,
  ) {
    super(group, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/group/${group}`;
    this.description = String(count);
    this.iconPath = new vscode.ThemeIcon('folder-library');
    this.contextValue = DumpsContext.Group;
  }
}

export class DumpObjectNode extends DumpsNode {
  constructor(
    readonly parent: DumpGroupNode,
    readonly entry: TocEntry,
    index: number,
  ) {
    super(printable(entry.name), vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/${entry.dumpId ?? index}`;
    this.description = entry.table ? `${entry.desc.toLowerCase()} on ${printable(entry.table)}` : entry.desc.toLowerCase();
    this.tooltip = printable(entry.rawLine);
    this.contextValue = DumpsContext.Object;
  }
}

