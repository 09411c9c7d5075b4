// What happened on a server, told to the views that show it: databases changed, a connection failed or worked again.
import * as vscode from 'vscode';
import type { PgbrErrorKind } from '../core/platform';

/** A backup read, or a restore wrote or created, a database of this connection. */
export interface DatabaseChange {
  profile: string;
  /** The database concerned; a restore into a new database names the new one. */
  database?: string;
}

/** A connection of this profile failed (kind and message as the user was told), or worked (`ok`). */
export type ConnectionState = { profile: string; ok: true } | { profile: string; ok: false; kind: PgbrErrorKind | undefined; message: string };

export class ServerEvents implements vscode.Disposable {
  private readonly databases = new vscode.EventEmitter<DatabaseChange>();
  private readonly states = new vscode.EventEmitter<ConnectionState>();
  /** Fires after a command read or wrote a database: the Connections view re-reads that connection. */
  readonly onDidChangeDatabases = this.databases.event;
  /** Fires when a connection failed or worked: the status bar shows a refused password at once. */
  readonly onDidChangeConnectionState = this.states.event;

  databasesChanged(change: DatabaseChange): void {
    this.databases.fire(change);
  }

  connectionState(state: ConnectionState): void {
    this.states.fire(state);
  }

  dispose(): void {
    this.databases.dispose();
    this.states.dispose();
  }
}
