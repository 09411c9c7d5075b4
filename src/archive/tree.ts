// The WAL Archive view. Archive browsing arrives with its feature; until then the view shows its welcome text.
import type * as vscode from 'vscode';

export class WalArchiveProvider implements vscode.TreeDataProvider<never> {
  getTreeItem(node: never): vscode.TreeItem {
    return node;
  }
  getChildren(): never[] {
    return [];
  }
}
