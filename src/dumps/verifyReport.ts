// The verify report, saved beside the dump as `<dump>.verify.md` and shown read-only from that file.
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { verifyReportPathFor } from '../core/logical';

export const VERIFY_REPORT_SCHEME = 'pgbackup-verify';

/** Reads the saved report: nothing to save on close, and a new verification of the same dump updates the open tab. */
export class VerifyReportProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  /** The read-only document of a dump's report; shown as "<dump>.verify.md". */
  static uriFor(dumpPath: string): vscode.Uri {
    return vscode.Uri.from({ scheme: VERIFY_REPORT_SCHEME, path: verifyReportPathFor(dumpPath) });
  }

  /** A report was (re)written: an open tab shows the new text. */
  reportWritten(dumpPath: string): void {
    this.changed.fire(VerifyReportProvider.uriFor(dumpPath));
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    return fs.readFile(uri.fsPath, 'utf8').catch(
      (e: NodeJS.ErrnoException) => `# No verify report\n\n${uri.fsPath} cannot be read (${e.code ?? e.message}): verify the dump again to write it.\n`,
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}
