// What every tree view's nodes share: a parent for reveal, and the one error row a failed listing shows.
import * as vscode from 'vscode';
import type { PgbrErrorKind } from './core/platform';

export abstract class TreeNode extends vscode.TreeItem {
  abstract readonly parent: TreeNode | undefined;
}

/** The row shown when a level cannot be listed: what went wrong and, where there is one, the fix on click. */
export class ErrorNode extends TreeNode {
  constructor(
    readonly parent: TreeNode | undefined,
    message: string,
    opts: { fix?: vscode.Command; kind?: PgbrErrorKind; index?: number } = {},
  ) {
    super(message, vscode.TreeItemCollapsibleState.None);
    this.kind = opts.kind;
    this.id = `${parent?.id ?? ''}/error/${opts.index ?? 0}`;
    this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    this.tooltip = opts.fix ? `${message}\n\nClick: ${opts.fix.title}` : message;
    this.description = opts.fix?.title;
    this.command = opts.fix;
    // Matched by `viewItem =~ /^error/` in package.json in every view.
    this.contextValue = 'error';
  }
  readonly kind?: PgbrErrorKind;
}
