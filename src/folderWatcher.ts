// Watches a set of folders (inside the workspace or not) and reports a burst of changes once.
import * as vscode from 'vscode';

export class FolderWatcher implements vscode.Disposable {
  private watchers: vscode.Disposable[] = [];
  private watched = '';
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly onChange: () => void,
    private readonly debounceMs: number,
  ) {}

  /** Watches exactly these folders' direct entries; the same list again changes nothing. */
  watch(folders: readonly string[]): void {
    const key = folders.join('\n');
    if (key === this.watched) return;
    this.watched = key;
    for (const w of this.watchers) w.dispose();
    this.watchers = folders.flatMap((folder) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '*'));
      const later = (): void => {
        clearTimeout(this.timer);
        this.timer = setTimeout(this.onChange, this.debounceMs);
      };
      return [watcher, watcher.onDidCreate(later), watcher.onDidDelete(later), watcher.onDidChange(later)];
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.dispose();
  }
}
