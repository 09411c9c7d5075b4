// The Health view's script: lays out what the extension sends; a connection picker and a refresh button.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDivider, vsCodeDropdown, vsCodeOption, vsCodeTag } from '@vscode/webview-ui-toolkit';
import type { FromHealth, HealthModel, HealthWebviewState, ToHealth } from '../protocol';
import './health.css';
import { isToHealth } from '../guards';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeDivider(), vsCodeTag());

interface VsCodeApi {
  postMessage(message: FromHealth): void;
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

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isToHealth(event.data)) show(event.data);
});
// Where the reader was, kept across the view being hidden and shown again (which reloads it).
let scrollTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('scroll', () => {
  clearTimeout(scrollTimer);
  scrollTimer = setTimeout(() => {
    state = { ...state, scrollY: window.scrollY };
    vscode.setState(state);
  }, 200);
});
if (state.last) {
  show(state.last);
  window.scrollTo(0, state.scrollY ?? 0);
}
post({ type: 'ready' });

function show(message: ToHealth): void {
  switch (message.type) {
    case 'connections': {
      picker.replaceChildren(...message.names.map((n) => option(n, n === message.selected)));
      if (message.selected) picker.value = message.selected;
      polled.textContent = `polled every ${message.pollSeconds} s while visible`;
      return;
    }
    case 'loading':
      // A poll of the connection shown: its numbers stay in place until the new ones come.
      if (state.last?.type === 'health' && state.last.model.connection === message.connection) {
        body.classList.add('reading');
        return;
      }
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
    el('p', { class: 'muted' }, `${m.connection}, read ${m.polledText}`),
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

/**
 * Bars of archived segments per hour, failures stacked on top in the error colour, on a scale from 0 to a
 * round number with its middle marked; hour labels every 6 hours, the right edge is now. HTML rather than
 * an SVG scaled to the width, so the labels keep the font size of the rest of the view.
 */
function chart(m: HealthModel): Node {
  const max = Math.max(1, m.chartMax);
  const half = max % 2 === 0;
  const total = m.chart.reduce((n, c) => n + c.archived, 0);
  const failed = m.chart.reduce((n, c) => n + c.failed, 0);
  const plot = el('div', { class: 'plot' }, el('div', { class: 'grid top' }), ...(half ? [el('div', { class: 'grid mid' })] : []));
  for (const c of m.chart) {
    const slot = el('div', { class: 'slot', title: `${c.hour}: ${c.archived} archived${c.failed ? `, ${c.failed} failed` : ''}` });
    for (const [cls, n] of [['failed', c.failed], ['archived', c.archived]] as const) {
      if (n === 0) continue;
      const bar = el('div', { class: `bar ${cls}` });
      bar.style.height = `${(n / max) * 100}%`;
      slot.append(bar);
    }
    plot.append(slot);
  }
  const yAxis = el('div', { class: 'y-axis' }, el('span', { class: 'top' }, String(max)), ...(half ? [el('span', { class: 'mid' }, String(max / 2))] : []), el('span', { class: 'zero' }, '0'));
  const xAxis = el('div', { class: 'x-axis' });
  const slots = Math.max(1, m.chart.length);
  m.chart.forEach((c, i) => {
    if (i % 6 !== 0) return;
    const label = el('span', { class: i === 0 ? 'first' : '' }, c.hour);
    label.style.left = `${(i / slots) * 100}%`;
    xAxis.append(label);
  });
  xAxis.append(el('span', { class: 'now' }, 'now'));
  const label = `WAL segments archived per hour over 24 hours: ${total} archived, ${failed} failed, scale 0 to ${max}`;
  return el('div', { class: 'chart', role: 'img', 'aria-label': label }, el('div', { class: 'unit' }, 'segments per hour'), yAxis, plot, xAxis);
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

/** PASS, WARN and FAIL as coloured tags; an objective without a target as plain words, since there is nothing to judge. */
function statusTag(status: string): Node {
  if (status === 'none') return el('span', { class: 'status none' }, 'no target');
  return el('vscode-tag', { class: `status ${status}` }, status.toUpperCase());
}

function section(title: string, ...content: Node[]): Node {
  return el('section', {}, el('h3', {}, title), ...content);
}

function option(name: string, selected: boolean): Node {
  const o = el('vscode-option', { value: name }, name);
  if (selected) o.setAttribute('selected', '');
  return o;
}

/** Replaces what the view shows, keeping the reader's place: a poll re-renders everything every few seconds. */
function setBody(...nodes: Node[]): void {
  const y = window.scrollY;
  body.classList.remove('reading');
  body.replaceChildren(...nodes);
  window.scrollTo(0, y);
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

function post(message: FromHealth): void {
  vscode.postMessage(message);
}
