// The Health view's script: lays out what the extension sends; a connection picker and a refresh button.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDivider, vsCodeDropdown, vsCodeOption, vsCodeTag } from '@vscode/webview-ui-toolkit';
import type { FromWebview, HealthModel, HealthWebviewState, ToHealthWebview } from '../protocol';
import './health.css';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeDivider(), vsCodeTag());

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): HealthWebviewState | undefined;
  setState(state: HealthWebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: HealthWebviewState = vscode.getState() ?? {};

const picker = byId('connection') as HTMLSelectElement;
const refresh = byId('refresh');
const body = byId('body');
const polled = byId('polled');

picker.addEventListener('change', () => {
  state = { ...state, selected: picker.value };
  vscode.setState(state);
  post({ type: 'selectConnection', name: picker.value });
});
refresh.addEventListener('click', () => post({ type: 'refresh' }));

window.addEventListener('message', (event: MessageEvent<ToHealthWebview>) => show(event.data));
if (state.last) show(state.last);
post({ type: 'ready' });

function show(message: ToHealthWebview): void {
  switch (message.type) {
    case 'connections': {
      picker.replaceChildren(...message.names.map((n) => option(n, n === message.selected)));
      if (message.selected) picker.value = message.selected;
      polled.textContent = `polled every ${message.pollSeconds} s while visible`;
      return;
    }
    case 'loading':
      setBody(el('p', { class: 'muted' }, `Reading ${message.connection}…`));
      break;
    case 'error':
      setBody(el('div', { class: 'banner failing' }, el('strong', {}, `${message.connection}: `), message.message));
      break;
    case 'empty':
      setBody(el('p', { class: 'muted' }, message.message));
      break;
    case 'health':
      setBody(...renderHealth(message.model));
      break;
  }
  state = { ...state, last: message };
  vscode.setState(state);
}

function renderHealth(m: HealthModel): Node[] {
  const nothingToRecover = m.overall === 'ok' && m.missing !== undefined;
  const label = nothingToRecover ? 'Archiving OK, nothing to recover from' : { ok: 'Archiving OK', lagging: 'Archiving lagging', failing: 'Archiving failing', unknown: 'Unknown' }[m.overall];
  return [
    // Not green while no recovery is possible: the warning colour of "lagging".
    el('div', { class: `banner ${nothingToRecover ? 'lagging' : m.overall}` }, el('strong', {}, label), el('span', {}, ` — ${m.headline}`)),
    el('p', { class: 'muted' }, `${m.connection}, read ${new Date(m.polledAt).toLocaleTimeString()}`),
    section('Checklist', checklist(m)),
    section('Recovery objectives', table(['', 'achieved', 'target', ''], m.objectives.map((o) => [o.name, o.achieved, o.target, statusTag(o.status)]))),
    section('WAL archived per hour (24 h)', chart(m), el('p', { class: 'muted' }, m.chartNote)),
    section('Archiver (pg_stat_archiver)', pairs(m.archiver)),
    section('Archive lag', pairs(m.lag)),
    section('Settings', pairs(m.settings)),
  ];
}

function checklist(m: HealthModel): Node {
  const list = el('ul', { class: 'checklist' });
  for (const item of m.checklist) {
    list.append(
      el(
        'li',
        { class: item.status },
        statusTag(item.status),
        el('span', { class: 'title' }, item.title),
        el('div', { class: 'detail' }, item.detail),
        ...(item.fix && item.status !== 'pass' ? [el('div', { class: 'fix' }, `Fix: ${item.fix}`)] : []),
      ),
    );
  }
  return list;
}

/** Bars of archived segments per hour, with failures stacked in the error colour. */
function chart(m: HealthModel): Node {
  const width = 288;
  const height = 64;
  const max = Math.max(1, ...m.chart.map((c) => c.archived + c.failed));
  const bar = width / Math.max(1, m.chart.length);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `WAL segments archived per hour, peak ${max}`);
  m.chart.forEach((c, i) => {
    const archivedH = (c.archived / max) * (height - 2);
    const failedH = (c.failed / max) * (height - 2);
    svg.append(rect(i * bar + 1, height - archivedH, bar - 2, archivedH, 'archived', `${c.hour}: ${c.archived} archived`));
    if (c.failed > 0) svg.append(rect(i * bar + 1, height - archivedH - failedH, bar - 2, failedH, 'failed', `${c.hour}: ${c.failed} failed`));
  });
  return svg;
}

function rect(x: number, y: number, w: number, h: number, cls: string, title: string): SVGRectElement {
  const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of Object.entries({ x, y, width: Math.max(0, w), height: Math.max(0, h) })) r.setAttribute(k, String(v));
  r.setAttribute('class', cls);
  const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
  t.textContent = title;
  r.append(t);
  return r;
}

function pairs(rows: { name: string; value: string; emphasis?: 'bad' | 'good' }[]): Node {
  return table(['', ''], rows.map((r) => [r.name, el('span', { class: r.emphasis ?? '' }, r.value)]));
}

function table(head: string[], rows: (string | Node)[][]): Node {
  const t = el('table', {});
  if (head.some((h) => h)) t.append(el('tr', {}, ...head.map((h) => el('th', {}, h))));
  for (const row of rows) t.append(el('tr', {}, ...row.map((cell) => el('td', {}, cell))));
  return t;
}

function statusTag(status: string): Node {
  return el('vscode-tag', { class: `status ${status}` }, status === 'none' ? 'no target' : status.toUpperCase());
}

function section(title: string, ...content: Node[]): Node {
  return el('section', {}, el('h3', {}, title), ...content);
}

function option(name: string, selected: boolean): Node {
  const o = el('vscode-option', { value: name }, name);
  if (selected) o.setAttribute('selected', '');
  return o;
}

function setBody(...nodes: Node[]): void {
  body.replaceChildren(...nodes);
}

function el(tag: string, attrs: Record<string, string>, ...children: (string | Node)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the Health view`);
  return e;
}

function post(message: FromWebview): void {
  vscode.postMessage(message);
}
