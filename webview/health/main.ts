// The Health view's script: renders what the extension sends after the ready handshake.
import type { FromWebview, ToHealthWebview } from '../protocol';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root');

function render(message: ToHealthWebview): void {
  if (!root) return;
  root.replaceChildren();
  const title = document.createElement('h3');
  title.textContent = message.title;
  const text = document.createElement('p');
  text.textContent = message.text;
  root.append(title, text);
}

const saved = vscode.getState() as ToHealthWebview | undefined;
if (saved) render(saved);

window.addEventListener('message', (event: MessageEvent<ToHealthWebview>) => {
  if (event.data.type === 'show') {
    render(event.data);
    vscode.setState(event.data);
  }
});
vscode.postMessage({ type: 'ready' });
