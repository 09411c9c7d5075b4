// A cancellable progress notification whose Cancel button aborts the work through an AbortSignal.
import * as vscode from 'vscode';

export type ProgressReporter = vscode.Progress<{ message?: string; increment?: number }>;

export function withCancellableProgress<T>(title: string, task: (progress: ProgressReporter, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      return await task(progress, abort.signal);
    } finally {
      cancel.dispose();
    }
  });
}

/** Reports a fraction as the increments VS Code's progress wants (it adds them up). */
export function percentReporter(progress: ProgressReporter): (message: string, done: number, total: number) => void {
  let shown = 0;
  return (message, done, total) => {
    const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
    progress.report({ message, increment: Math.max(0, percent - shown) });
    shown = Math.max(shown, percent);
  };
}
