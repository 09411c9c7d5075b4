// The Dumps view. Listing dumps arrives with logical backups; until then the view shows its welcome text.
import type * as vscode from 'vscode';

export class DumpsProvider implements vscode.TreeDataProvider<never> {
  getTreeItem(node: never): vscode.TreeItem {
    return node;
  }
  getChildren(): never[] {
    return [];
  }
}
