// The Connections view: profiles, and below each the live server's databases, schemas and tables.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, errorMessage } from '../core/platform/errors';
import { getServerInfo, listDatabases, listSchemas, listTables, withClient } from '../core/postgres/server';
import * as path from 'node:path';
import { archiveFolderFromCommand } from '../core/wal/locations';
import { archiveLocations } from '../archive/locations';
import {
  ArchiveSuggestionNode,
  ConnectionsNode,
  DatabaseNode,
  ErrorNode,
  ProblemNode,
  ProfileNode,
  SchemaNode,
  TableNode,
} from './nodes';

export class ConnectionsProvider implements vscode.TreeDataProvider<ConnectionsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConnectionsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.subscription = ctx.onDidChangeProfiles(() => this.changed.fire(undefined));
  }

  /** Reloads profiles and forgets every cached server answer. */
  refresh(): void {
    this.ctx.invalidateProfiles();
  }

  /** Re-lists one node's children (after a restore or a dump, say). */
  refreshNode(node: ConnectionsNode): void {
    if (node instanceof ProfileNode) node.children = undefined;
    this.changed.fire(node);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  getTreeItem(node: ConnectionsNode): vscode.TreeItem {
    return node;
  }

  getParent(node: ConnectionsNode): ConnectionsNode | undefined {
    return node.parent;
  }

  async getChildren(node?: ConnectionsNode): Promise<ConnectionsNode[]> {
    if (!node) return this.roots();
    if (node instanceof ProfileNode) {
      // Cached per node so that the description update below does not reconnect.
      node.children ??= this.profileChildren(node);
      return node.children;
    }
    if (node instanceof DatabaseNode) {
      return this.listing(node, node.database.name, async (c) =>
        (await listSchemas(c)).map((s) => new SchemaNode(node, s)),
      );
    }
    if (node instanceof SchemaNode) {
      return this.listing(node.parent, node.parent.database.name, async (c) =>
        (await listTables(c, node.schema.name)).map((t) => new TableNode(node, t)),
        node,
      );
    }
    return [];
  }

  private async roots(): Promise<ConnectionsNode[]> {
    const loaded = await this.ctx.profiles();
    const nodes: ConnectionsNode[] = [];
    for (const profile of loaded.profiles) {
      nodes.push(new ProfileNode(profile, await this.ctx.passwords.has(profile.name, await this.ctx.serverOf(profile))));
    }
    loaded.problems.forEach((p, i) => nodes.push(new ProblemNode(p, i)));
    for (const p of loaded.problems) this.ctx.log.warn(`${p.file ?? p.source.label}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    return nodes;
  }

  private async profileChildren(node: ProfileNode): Promise<ConnectionsNode[]> {
    const nodes = await this.listing(node, undefined, async (c) => {
      const server = await getServerInfo(c);
      const databases = await listDatabases(c);
      node.describe(server);
      const nodes: ConnectionsNode[] = databases.map((d) => new DatabaseNode(node, d));
      const folder = server.archiveMode !== 'off' ? archiveFolderFromCommand(server.archiveCommand) : undefined;
      if (folder && !(await archiveLocations(this.ctx)).locations.some((l) => path.resolve(l.path) === path.resolve(folder))) {
        nodes.push(new ArchiveSuggestionNode(node, folder));
      }
      return nodes;
    });
    if (nodes[0] instanceof ErrorNode) node.describeFailure(nodes[0].kind);
    this.changed.fire(node); // show the version and archiving state (or the failure) in the description
    return nodes;
  }

  /**
   * Runs one listing on a client of the node's profile. A failure becomes one error child with the
   * server's message and a fix, logged once: no pop-ups, and the other profiles keep working.
   */
  private async listing(
    under: ProfileNode | DatabaseNode,
    database: string | undefined,
    list: (c: Parameters<Parameters<typeof withClient>[2]>[0]) => Promise<ConnectionsNode[]>,
    errorParent: ConnectionsNode = under,
  ): Promise<ConnectionsNode[]> {
    const profileNode = under instanceof ProfileNode ? under : under.parent;
    try {
      const conn = await this.ctx.connection(profileNode.profile);
      return await withClient(conn.params, { password: conn.password, database }, list);
    } catch (e) {
      const message = errorMessage(e);
      this.ctx.log.warn(`${profileNode.profile.name}: ${message}`);
      return [new ErrorNode(errorParent, message, { fix: fixFor(e, profileNode), ...(e instanceof PgbrError ? { kind: e.kind } : {}) })];
    }
  }
}

function fixFor(e: unknown, node: ProfileNode): vscode.Command {
  const kind = e instanceof PgbrError ? e.kind : undefined;
  if (kind === 'auth') return { title: 'Set password…', command: 'pgBackup.setPassword', arguments: [node] };
  if (kind === 'config' || kind === 'connection') {
    if (node.profile.source.kind === 'yaml' || node.profile.source.kind === 'setting') {
      return { title: 'Edit connection', command: 'pgBackup.editConnection', arguments: [node] };
    }
  }
  return { title: 'Retry', command: 'pgBackup.refreshConnections', arguments: [] };
}
