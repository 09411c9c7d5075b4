// The Connections view: profiles, and below each the live server's databases, schemas and tables.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, errorMessage } from '../core/platform';
import { getServerInfo, listDatabases, listSchemas, listTables, withClient } from '../core/postgres';
import * as path from 'node:path';
import { archiveFolderFromCommand } from '../core/wal';
import { backrestFromCommand } from '../core/backrest';
import { archiveLocations } from '../places';
import {
  ArchiveSuggestionNode, RepositorySuggestionNode,
  ConnectionsNode,
  DatabaseNode,
  ErrorNode,
  ProblemNode,
  ProfileNode,
  SchemaNode,
  TableNode,
} from './nodes';
import { adviceFor } from './failureToast';
import { FIX, FIX_COMMAND, type FixAction } from './failureAdvice';

export class ConnectionsProvider implements vscode.TreeDataProvider<ConnectionsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConnectionsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  /** The profile rows shown now, by name: what a change on a server refreshes. */
  private readonly shown = new Map<string, ProfileNode>();

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [
      ctx.onDidChangeProfiles(() => this.changed.fire(undefined)),
      // A backup read a database, a restore wrote or created one: its sizes, tables and the list of databases move.
      ctx.servers.onDidChangeDatabases((c) => this.refreshProfile(c.profile)),
      // A command found the server refusing (or accepting again): the row says so without waiting for a refresh.
      ctx.servers.onDidChangeConnectionState((s) => {
        const node = this.shown.get(s.profile);
        if (node?.children && node.failed !== !s.ok) this.refreshProfile(s.profile);
      }),
    ];
  }

  /** Reloads profiles and re-reads every server: databases, sizes, schemas and tables. */
  refresh(): void {
    for (const node of this.shown.values()) node.children = undefined;
    this.ctx.invalidateProfiles();
  }

  /** Re-reads one connection: its databases with their sizes, and below them what is expanded. */
  refreshProfile(name: string): void {
    const node = this.shown.get(name);
    if (node) this.refreshNode(node);
  }

  /** Re-lists one node's children (after a restore or a dump, say). */
  refreshNode(node: ConnectionsNode): void {
    if (node instanceof ProfileNode) node.children = undefined;
    this.changed.fire(node);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
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
    this.shown.clear();
    for (const profile of loaded.profiles) {
      const node = new ProfileNode(profile, await this.ctx.passwords.has(profile.name, await this.ctx.serverOf(profile)));
      this.shown.set(profile.name, node);
      nodes.push(node);
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
      const stanza = server.archiveMode !== 'off' ? backrestFromCommand(server.archiveCommand) : undefined;
      if (stanza && !((await this.ctx.profiles()).config?.repositories ?? []).some((r) => r.stanza === stanza.stanza)) nodes.push(new RepositorySuggestionNode(node, stanza));
      return nodes;
    });
    const failure = nodes[0] instanceof ErrorNode ? nodes[0] : undefined;
    node.failed = failure !== undefined;
    if (failure) node.describeFailure(failure.kind);
    this.ctx.servers.connectionState(failure ? { profile: node.profile.name, ok: false, kind: failure.kind, message: typeof failure.label === 'string' ? failure.label : '' } : { profile: node.profile.name, ok: true });
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
      const advice = await adviceFor(this.ctx, profileNode.profile, e);
      this.ctx.log.warn(`${profileNode.profile.name}: ${errorMessage(e)}`);
      // A row fits what happened in a few words ("…: what to do" is cut off); the whole advice is its tooltip.
      const fix = fixFor(advice.actions[0], profileNode);
      const message = advice.short ? advice.message : errorMessage(e);
      const row = new ErrorNode(errorParent, advice.short ?? message.split(': ')[0] ?? message, { fix, ...(e instanceof PgbrError ? { kind: e.kind } : {}) });
      row.tooltip = `${message}\n\nClick: ${fix.title}`;
      return [row];
    }
  }
}

/** The row's click: the likely fix, which retries by refreshing the view (a refresh button sits on the row too). */
function fixFor(action: FixAction | undefined, node: ProfileNode): vscode.Command {
  const retry = { title: 'Retry', command: 'pgBackup.refreshConnections', arguments: [] };
  if (action === undefined || action === FIX.retry) return retry;
  if (action === FIX.edit && node.profile.source.kind !== 'yaml' && node.profile.source.kind !== 'setting') return retry;
  return { title: action, command: FIX_COMMAND[action], arguments: [node] };
}
