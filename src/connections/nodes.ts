// Node kinds of the Connections tree: profile → database → schema → table, plus error and problem nodes.
import * as vscode from 'vscode';
import type { ConnectionProfile, ProfileProblem } from '../core/profiles';
import type { DatabaseInfo, SchemaInfo, TableInfo, ServerInfo } from '../core/postgres';
import { formatBytes, type PgbrErrorKind, plural } from '../core/platform';
import { TreeNode as ConnectionsNode } from '../treeNode';
import { archivingBlock } from '../core/health';
import type { NodeTarget, Targeted } from '../targets';

/** contextValue prefixes, matched by regex in package.json `when` clauses. */
export const enum ConnectionsContext {
  Profile = 'profile',
  Database = 'database',
  Schema = 'schema',
  Table = 'table',
  Problem = 'problem',
}

/** Every node of this view; the error row is the shared one. */
export { TreeNode as ConnectionsNode, ErrorNode } from '../treeNode';

export class ProfileNode extends ConnectionsNode implements Targeted {
  readonly parent = undefined;
  /** Filled once the profile was expanded: the children are kept so a re-render does not reconnect. */
  children?: Promise<ConnectionsNode[]>;
  server?: ServerInfo;
  /** Whether the last listing failed: a failure reported elsewhere refreshes the row only when it is news. */
  failed = false;

  constructor(
    readonly profile: ConnectionProfile,
    readonly hasStoredPassword: boolean,
  ) {
    super(profile.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `profile/${profile.name}`;
    this.iconPath = new vscode.ThemeIcon('database');
    const editable = profile.source.kind === 'yaml' || profile.source.kind === 'setting';
    this.contextValue = [ConnectionsContext.Profile, editable ? 'editable' : 'readonly', hasStoredPassword ? 'storedPassword' : '']
      .filter(Boolean)
      .join('.');
    this.describe();
  }

  get target(): NodeTarget {
    return { kind: 'connection', profile: this.profile };
  }

  /** After a failed connection: the source, and in a word what went wrong (the error child says the rest). */
  describeFailure(kind: PgbrErrorKind | undefined): void {
    this.description = `${this.profile.source.label} · ${(kind && FAILURE_TEXT[kind]) ?? 'error'}`;
  }

  /** Shows the server's version and archiving state once known, and the profile's source always. */
  describe(server?: ServerInfo): void {
    this.server = server;
    const where = this.profile.source.label;
    this.description = server
      ? `PostgreSQL ${server.version} · ${archivingText(server)}`
      : where;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${this.profile.name}**  \nfrom ${where}`);
    if (server) {
      tooltip.appendMarkdown(
        `  \nPostgreSQL ${server.version}, wal_level ${server.walLevel}, archive_mode ${server.archiveMode}`,
      );
    }
    if (this.hasStoredPassword) tooltip.appendMarkdown('  \npassword stored in VS Code');
    this.tooltip = tooltip;
  }
}

const FAILURE_TEXT: Partial<Record<PgbrErrorKind, string>> = {
  auth: 'password needed or wrong',
  connection: 'unreachable',
  config: 'invalid settings',
};

function archivingText(server: ServerInfo): string {
  return archivingBlock(server)?.short ?? 'archiving on';
}

export class DatabaseNode extends ConnectionsNode implements Targeted {
  constructor(
    readonly parent: ProfileNode,
    readonly database: DatabaseInfo,
  ) {
    super(database.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${parent.id}/db/${database.name}`;
    this.iconPath = new vscode.ThemeIcon('database');
    this.description = database.sizeBytes === null ? 'no CONNECT privilege' : formatBytes(database.sizeBytes);
    this.contextValue = ConnectionsContext.Database;
  }
  get profile(): ConnectionProfile {
    return this.parent.profile;
  }
  get target(): NodeTarget {
    return { kind: 'database', profile: this.profile, database: this.database.name };
  }
}

export class SchemaNode extends ConnectionsNode {
  constructor(
    readonly parent: DatabaseNode,
    readonly schema: SchemaInfo,
  ) {
    super(schema.name, schema.tableCount > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/schema/${schema.name}`;
    this.iconPath = new vscode.ThemeIcon('symbol-namespace');
    this.description = `${schema.tableCount} table${schema.tableCount === 1 ? '' : 's'}`;
    this.contextValue = ConnectionsContext.Schema;
  }
}

export class TableNode extends ConnectionsNode implements Targeted {
  constructor(
    readonly parent: SchemaNode,
    readonly table: TableInfo,
  ) {
    super(table.name, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/table/${table.name}`;
    this.iconPath = new vscode.ThemeIcon(table.kind === 'matview' ? 'eye' : 'table');
    const rows = table.estimatedRows === null ? 'not analysed' : `~${plural(table.estimatedRows, 'row')}`;
    this.description = `${formatBytes(table.sizeBytes)} · ${rows}`;
    this.tooltip = `${table.schema}.${table.name} (${table.kind})\n${this.description}`;
    this.contextValue = ConnectionsContext.Table;
  }
  get target(): NodeTarget {
    const database = this.parent.parent;
    return { kind: 'table', profile: database.profile, database: database.database.name, table: { schema: this.table.schema, name: this.table.name } };
  }
}

const ARCHIVE_SUGGESTION_LABEL = 'Add its WAL archive';

/** The archive folder a server's archive_command copies into, not yet shown in the WAL Archive view. */
export class ArchiveSuggestionNode extends ConnectionsNode {
  constructor(
    readonly parent: ProfileNode,
    folder: string,
  ) {
    // A short label that fits the row; the folder beside it, and the whole sentence in the tooltip.
    super(ARCHIVE_SUGGESTION_LABEL, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/archive-suggestion`;
    this.description = folder;
    this.tooltip = `This server's archive_command copies WAL into ${folder}. Click to add it to the WAL Archive view (kept in pgbackup.yaml), which shows its timelines, gaps and the recoverable window.`;
    this.iconPath = new vscode.ThemeIcon('lightbulb');
    this.contextValue = 'archiveSuggestion';
    this.command = { title: 'Add WAL archive folder', command: 'pgBackup.addArchive', arguments: [folder, parent.profile.name] };
  }
}

/** A server that archives through pgBackRest into a stanza pgbackup.yaml does not list yet. */
export class RepositorySuggestionNode extends ConnectionsNode {
  constructor(
    readonly parent: ProfileNode,
    repository: { stanza: string; config?: string },
  ) {
    super('Add its pgBackRest stanza', vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}/repository-suggestion`;
    this.description = `${repository.stanza}${repository.config ? ` · ${repository.config}` : ''}`;
    this.tooltip = `This server's archive_command pushes WAL with pgBackRest into stanza ${repository.stanza}. Click to add it under repositories: in pgbackup.yaml: the WAL Archive view then shows its backups and window, and Health its newest backup.`;
    this.iconPath = new vscode.ThemeIcon('lightbulb');
    this.contextValue = 'repositorySuggestion';
    this.command = { title: 'Add pgBackRest stanza', command: 'pgBackup.addRepository', arguments: [repository, parent.profile.name] };
  }
}

/** A profile entry that could not be read (bad YAML, unknown key): click opens the file at the line. */
export class ProblemNode extends ConnectionsNode {
  readonly parent = undefined;
  constructor(problem: ProfileProblem, index: number) {
    const where = problem.file ? `${shortName(problem.file)}${problem.line ? `:${problem.line}` : ''}` : problem.source.label;
    super(problem.message, vscode.TreeItemCollapsibleState.None);
    this.id = `problem/${index}/${where}`;
    this.description = where;
    this.tooltip = `${where}: ${problem.message}`;
    this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    this.contextValue = ConnectionsContext.Problem;
    if (problem.file) {
      const line = Math.max(0, (problem.line ?? 1) - 1);
      const column = Math.max(0, (problem.column ?? 1) - 1);
      this.command = {
        title: 'Open the file at this line',
        command: 'vscode.open',
        arguments: [vscode.Uri.file(problem.file), { selection: new vscode.Range(line, column, line, column) }],
      };
    }
  }
}

function shortName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
