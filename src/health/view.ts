// The Health side-panel webview: for now it says what it will show; archiver health arrives with its feature.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { FromWebview, ToHealthWebview } from '../../webview/protocol';

export class HealthViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'pgBackup.health';

  constructor(private readonly extensionUri: vscode.Uri) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [distUri] };
    const nonce = randomBytes(16).toString('base64');
    const script = view.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'health.js'));
    view.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">body{color:var(--vscode-foreground);font-family:var(--vscode-font-family);font-size:var(--vscode-font-size)}h3{font-weight:600;margin:.6em 0}p{color:var(--vscode-descriptionForeground)}</style>
</head><body><div id="root"></div><script nonce="${nonce}" src="${script.toString()}"></script></body></html>`;
    view.webview.onDidReceiveMessage((message: FromWebview) => {
      if (message.type !== 'ready') return;
      const welcome: ToHealthWebview = {
        type: 'show',
        title: 'Archiver health',
        text:
          'This view will show, for the selected connection, the WAL archiver status from pg_stat_archiver, ' +
          'archive lag and the age of the last archive, RPO achieved against your targets, and a pass/warn/fail checklist. ' +
          'It is not available in this version yet.',
      };
      void view.webview.postMessage(welcome);
    });
  }
}
