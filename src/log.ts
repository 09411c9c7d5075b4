// The extension's one log: a LogOutputChannel named "PG Backup", exposed to the core as a Logger.
import * as vscode from 'vscode';
import type { Logger } from './core/platform';

export class Log implements Logger, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('PG Backup', { log: true });
  }

  trace(message: string): void {
    this.channel.trace(message);
  }
  debug(message: string): void {
    this.channel.debug(message);
  }
  info(message: string): void {
    this.channel.info(message);
  }
  warn(message: string): void {
    this.channel.warn(message);
  }
  error(message: string | Error): void {
    // Log the stack for unexpected errors; PgbrErrors are expected outcomes and log as their message.
    if (message instanceof Error && message.name !== 'PgbrError') this.channel.error(message.stack ?? message.message);
    else this.channel.error(message instanceof Error ? message.message : message);
  }
  show(): void {
    this.channel.show(true);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
