// The Health side-panel webview: archiver status, lag, RPO/RTO and a checklist for the chosen connection.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { FromHealth, ToHealth } from '../../webview/protocol';
import type { HealthMonitor } from './monitor';
import { isFromHealth } from '../../webview/guards';

export class HealthViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'pgBackup.health';
  private view?: vscode.WebviewView;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly shown = new vscode.EventEmitter<void>();
  /** Fires each time the view becomes visible (the walkthrough's Health step). */
  readonly onDidShow = this.shown.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly monitor: HealthMonitor,
  ) {
    this.disposables.push(this.shown, monitor.onDidUpdate((message) => void this.post(message)));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [distUri] };
    const nonce = randomBytes(16).toString('base64');
    const script = view.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'health.js'));
    const style = view.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'health.css'));
    const csp = view.webview.cspSource;
    // The toolkit's components set inline styles (vscode-webview-ui-toolkit#545): styles may be inline, scripts only with the nonce.
    view.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${csp} 'unsafe-inline'; font-src ${csp}; img-src ${csp} data:; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
</head><body>
<header><vscode-dropdown id="connection" aria-label="Connection"></vscode-dropdown><vscode-button id="refresh" appearance="icon" aria-label="Refresh">⟳</vscode-button></header>
<div id="polled" class="muted"></div>
<main id="body"><p class="muted">Pick a connection to see its WAL archiving health.</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body></html>`;
    this.disposables.push(
      view.webview.onDidReceiveMessage((message: unknown) => {
        // Only the shapes the protocol names are acted on.
        if (isFromHealth(message)) void this.receive(message);
      }),
      view.onDidChangeVisibility(() => this.visibility(view.visible)),
      view.onDidDispose(() => {
        this.view = undefined;
        this.monitor.setViewVisible(false);
      }),
    );
    this.visibility(view.visible);
  }

  private visibility(visible: boolean): void {
    this.monitor.setViewVisible(visible);
    if (visible) this.shown.fire();
  }

  /** Shows the view (from the status bar item or a command). */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${HealthViewProvider.viewId}.focus`);
  }

  private async receive(message: FromHealth): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.post(await this.monitor.connectionsMessage());
        if (this.monitor.last) await this.post(this.monitor.last);
        else await this.monitor.pollNow();
        return;
      case 'selectConnection':
        await this.monitor.select(message.name);
        return;
      case 'refresh':
        await this.monitor.pollNow();
        return;
    }
  }

  private async post(message: ToHealth): Promise<void> {
    await this.view?.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
