// The "Recover Table As It Was" panel: one per table, its steps driven by RecoverTableFlow; closing it stops
// and removes the scratch server the flow may hold.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { ToUndo } from '../../webview/protocol';
import { isFromUndo } from '../../webview/guards';
import { formatQualifiedName } from '../core/postgres';
import { editorBackend, type TableRef } from './backend';
import { RecoverTableFlow } from './flow';

export class RecoverTablePanel implements vscode.Disposable {
  static readonly viewType = 'pgBackup.recoverTable';
  /** The open panels, by table: a second right-click on the same table shows its panel again. */
  static readonly open = new Map<string, RecoverTablePanel>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly flow: RecoverTableFlow;
  private disposed = false;

  static show(ctx: Ctx, ref: TableRef): RecoverTablePanel {
    const key = `${ref.connection}/${ref.database}/${formatQualifiedName(ref.table)}`;
    const existing = RecoverTablePanel.open.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RecoverTablePanel.viewType, `Recover ${formatQualifiedName(ref.table)}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview')],
    });
    const created = new RecoverTablePanel(ctx, panel, ref, key);
    RecoverTablePanel.open.set(key, created);
    return created;
  }

  private constructor(
    private readonly ctx: Ctx,
    readonly panel: vscode.WebviewPanel,
    ref: TableRef,
    private readonly key: string,
  ) {
    // A step that ends after the panel closed (a cancelled recovery) has nobody to tell.
    this.flow = new RecoverTableFlow(editorBackend(ctx, ref), (m: ToUndo) => (this.disposed ? false : panel.webview.postMessage(m)));
    panel.webview.html = this.html(formatQualifiedName(ref.table));
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (isFromUndo(m)) void this.flow.receive(m);
        else this.ctx.log.warn('Recover table: a message from the panel that is not in its protocol was ignored');
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private html(table: string): string {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'dist', 'webview');
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'undo.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'undo.css'));
    const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    // The toolkit's components set inline styles (vscode-webview-ui-toolkit#545): styles may be inline, scripts only with the nonce.
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'unsafe-inline'; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Recover ${esc(table)}</title></head><body>
<h2>Recover <span id="table">${esc(table)}</span> as it was</h2>
<p class="intro" id="where"></p>
<section data-step="moment"><h3>1. The moment to go back to</h3>
  <div class="row"><vscode-text-field id="from">From</vscode-text-field><vscode-text-field id="to">To</vscode-text-field><vscode-button id="list">List transactions</vscode-button></div>
  <div class="busy"></div><div class="status"></div><div id="moments"></div><div class="notes"></div></section>
<section data-step="recover" class="locked"><h3>2. Recover on the side</h3>
  <p class="hint">The table is recovered on a scratch server (the live one is not touched), then compared with the live table. The scratch server is stopped and removed when you apply, discard, close this panel, or leave it unused for the time shown.</p>
  <div class="row"><vscode-button id="recover">Recover on the side</vscode-button><vscode-button id="cancel" appearance="secondary" hidden>Cancel</vscode-button><span id="picked"></span></div>
  <div class="busy"></div><div class="status"></div><div id="comparison"></div></section>
<section data-step="bring" class="locked"><h3>3. Bring it back</h3>
  <div class="row"><vscode-radio-group id="mode" orientation="vertical">
    <vscode-radio value="new-table" checked>As a new table beside it: <span id="newTable"></span> (nothing in the live table changes)</vscode-radio>
    <vscode-radio value="missing-rows">Missing rows only: insert the rows whose key is gone now</vscode-radio>
    <vscode-radio value="replace">Replace the table's contents with the past version (loses what changed since)</vscode-radio>
  </vscode-radio-group></div>
  <div class="row"><vscode-button id="preview">Preview (dry run)</vscode-button><vscode-button id="apply" disabled>Apply</vscode-button><vscode-button id="discard" appearance="secondary">Discard the scratch server</vscode-button><span id="countdown"></span></div>
  <div class="busy"></div><div class="status"></div><div id="preview-result"></div></section>
<section data-step="report" class="locked"><h3>4. Report</h3>
  <div class="busy"></div><div class="status"></div><div id="report"></div>
  <div class="row"><vscode-button id="openTable" hidden>Open the new table</vscode-button><vscode-button id="copyReport" appearance="secondary" disabled>Copy the report</vscode-button></div></section>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body></html>`;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (RecoverTablePanel.open.get(this.key) === this) RecoverTablePanel.open.delete(this.key);
    // Closing the panel discards: the scratch server is stopped and its folder removed.
    void this.flow.dispose().catch((e: unknown) => this.ctx.log.warn(`Recover table: stopping the scratch server: ${String(e)}`));
    for (const d of this.disposables) d.dispose();
  }
}
