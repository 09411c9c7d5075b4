// The Recover Table panel's script: pick the moment, recover on the side, preview and apply, the report.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeRadio, vsCodeRadioGroup, vsCodeTextField } from '@vscode/webview-ui-toolkit';
import type { FromUndo, ToUndo, UndoComparisonView, UndoMode, UndoMomentView, UndoStep } from '../protocol';
import { isToUndo } from '../guards';
import './undo.css';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeRadio(), vsCodeRadioGroup(), vsCodeTextField());

interface VsCodeApi {
  postMessage(message: FromUndo): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

type Input = HTMLElement & { value: string; disabled?: boolean };
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const section = (step: UndoStep) => document.querySelector<HTMLElement>(`section[data-step="${step}"]`) as HTMLElement;
const box = (step: UndoStep, cls: 'busy' | 'status') => section(step).querySelector<HTMLElement>(`.${cls}`) as HTMLElement;

let picked: string | undefined;
let momentKind: UndoMomentView['kind'] | undefined;
let previewed: UndoMode | undefined;
let expiresAt = 0;
let countdown: ReturnType<typeof setInterval> | undefined;

function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function unlock(step: UndoStep, open: boolean): void {
  section(step).classList.toggle('locked', !open);
}

function say(step: UndoStep, text: string, ok: boolean): void {
  box(step, 'busy').replaceChildren();
  const b = box(step, 'status');
  b.textContent = text;
  b.className = `status ${ok ? 'ok' : 'bad'}`;
}

function clear(step: UndoStep): void {
  box(step, 'busy').replaceChildren();
  box(step, 'status').replaceChildren();
  box(step, 'status').className = 'status';
}

function mode(): UndoMode {
  return ($<Input>('mode').value || 'new-table') as UndoMode;
}

function showMoments(view: UndoMomentView): void {
  momentKind = view.kind;
  picked = undefined;
  const list = $('moments');
  list.replaceChildren();
  const notes = section('moment').querySelector('.notes') as HTMLElement;
  notes.replaceChildren(...view.notes.map((n) => el('p', n, 'hint')));
  if (view.kind === 'dump') {
    list.append(el('p', `No WAL to go back through: ${view.why}`, 'hint'));
    if (view.dump) {
      const row = el('div', `From the newest dump: ${view.dump.message}.`, 'tx picked');
      list.append(row);
      picked = 'dump';
      $('picked').textContent = `from ${view.dump.name}`;
      unlock('recover', true);
    } else unlock('recover', false);
    return;
  }
  list.append(el('p', `From the WAL archive ${view.archive} (${view.segments}).`, 'hint'));
  if (view.transactions.length === 0) list.append(el('p', 'No transaction changed the table in this window: widen it.', 'hint'));
  const table = el('table', undefined, 'transactions');
  const head = el('tr');
  for (const h of ['xid', 'ended', 'inserted', 'updated', 'deleted', '']) head.append(el('th', h));
  table.append(head);
  for (const t of view.transactions) {
    const tr = el('tr', undefined, `tx${t.pickable ? '' : ' unpickable'}`);
    tr.dataset.xid = t.xid;
    tr.title = t.label;
    for (const c of [t.xid, t.atText, t.inserted.toLocaleString('en-US'), t.updated.toLocaleString('en-US'), t.deleted.toLocaleString('en-US')]) tr.append(el('td', c));
    tr.append(el('td', t.pickable ? 'go back to just before it' : t.outcome === 'aborted' ? 'rolled back' : 'not ended'));
    if (t.pickable) {
      tr.addEventListener('click', () => {
        for (const r of table.querySelectorAll('tr.picked')) r.classList.remove('picked');
        tr.classList.add('picked');
        picked = t.xid;
        $('picked').textContent = t.label;
        unlock('recover', true);
      });
    }
    table.append(tr);
  }
  list.append(table);
  unlock('recover', false);
}

function samples(title: string, items: string[], total: number): HTMLElement[] {
  if (items.length === 0) return [];
  return [el('h4', `${title}${total > items.length ? ` (${items.length} of ${total.toLocaleString('en-US')})` : ''}`), el('pre', items.join('\n'))];
}

function showComparison(v: UndoComparisonView): void {
  const out = $('comparison');
  const counts = el('table', undefined, 'counts');
  for (const [k, n] of [['rows then', v.pastRows], ['rows now', v.liveRows], ['missing now', v.missing], ['differ', v.differ], ['added since', v.added]] as const) {
    const tr = el('tr');
    tr.dataset.count = k;
    tr.append(el('td', k), el('td', n.toLocaleString('en-US'), 'n'));
    counts.append(tr);
  }
  out.replaceChildren(
    el('p', `From ${v.source}; compared ${v.by}.`),
    counts,
    ...(v.costMessage ? [el('p', v.costMessage, 'hint')] : []),
    ...samples('Missing now', v.samples.missing, v.missing),
    ...samples('Differ (then → now)', v.samples.differ.map((d) => `then ${d.then}\nnow  ${d.now}`), v.differ),
    ...samples('Added since', v.samples.added, v.added),
    el('p', v.durationText, 'hint'),
  );
  $('newTable').textContent = v.newTable;
  expiresAt = Date.parse(v.expiresAt);
  startCountdown(v.holdMinutes);
  unlock('bring', true);
}

function startCountdown(minutes: number): void {
  if (countdown) clearInterval(countdown);
  const tick = () => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    $('countdown').textContent = `The scratch server is kept up ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} more (${minutes} min after the last step), then stopped and removed.`;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

function stopCountdown(): void {
  if (countdown) clearInterval(countdown);
  countdown = undefined;
  $('countdown').textContent = '';
}

function post(m: FromUndo): void {
  vscode.postMessage(m);
}

$('list').addEventListener('click', () => {
  clear('moment');
  post({ type: 'list', from: $<Input>('from').value, to: $<Input>('to').value });
});
$('recover').addEventListener('click', () => {
  if (!picked) return;
  clear('recover');
  $('comparison').replaceChildren();
  unlock('bring', false);
  post(momentKind === 'dump' ? { type: 'recover' } : { type: 'recover', xid: picked });
});
$('cancel').addEventListener('click', () => post({ type: 'cancel' }));
$('discard').addEventListener('click', () => post({ type: 'discard' }));
$('preview').addEventListener('click', () => {
  clear('bring');
  post({ type: 'preview', mode: mode() });
});
$('apply').addEventListener('click', () => post({ type: 'apply', mode: mode() }));
$('mode').addEventListener('change', () => {
  // A preview is of one way: choosing another asks for its own.
  $<Input>('apply').disabled = previewed !== mode();
});
$('openTable').addEventListener('click', () => post({ type: 'openTable' }));
$('copyReport').addEventListener('click', () => post({ type: 'copyReport' }));

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data;
  if (!isToUndo(m)) return;
  receive(m);
});

function receive(m: ToUndo): void {
  switch (m.type) {
    case 'init':
      $('where').textContent = `Database ${m.database} of ${m.connection}. Nothing in the live database changes until you apply; every way of bringing the table back is previewed first, then done in one transaction.`;
      for (const [id, value] of [['from', m.from], ['to', m.to]] as const) {
        const f = $<Input>(id);
        f.value = value;
        f.setAttribute('value', value);
      }
      return;
    case 'busy': {
      const b = box(m.step, 'busy');
      b.textContent = m.message;
      $('cancel').hidden = !(m.step === 'recover' && m.cancellable);
      return;
    }
    case 'moment':
      clear('moment');
      showMoments(m.view);
      return;
    case 'comparison':
      $('cancel').hidden = true;
      say('recover', '✓ Recovered on the side and compared.', true);
      showComparison(m.view);
      return;
    case 'preview':
      previewed = m.view.mode;
      expiresAt = Date.parse(m.view.expiresAt);
      $<Input>('apply').disabled = previewed !== mode();
      say('bring', `Dry run of ${m.view.mode}: rolled back, nothing changed.`, true);
      $('preview-result').replaceChildren(el('pre', m.view.lines.join('\n')), ...(m.view.loses ? [el('p', m.view.loses, 'warning')] : []));
      return;
    case 'report':
      stopCountdown();
      say('bring', `✓ ${m.view.mode} applied in one transaction.`, true);
      unlock('bring', false);
      unlock('report', true);
      clear('report');
      $('report').replaceChildren(el('pre', m.view.lines.join('\n')));
      $('openTable').hidden = !m.view.newTable;
      $<Input>('copyReport').disabled = false;
      section('report').scrollIntoView({ block: 'start' });
      return;
    case 'discarded':
      stopCountdown();
      unlock('bring', false);
      previewed = undefined;
      $<Input>('apply').disabled = true;
      say('recover', m.message, false);
      return;
    case 'done':
      say(section('report').classList.contains('locked') ? 'bring' : 'report', m.message, true);
      return;
    case 'error':
      if (m.step === 'recover') $('cancel').hidden = true;
      say(m.step, `✗ ${m.message}`, false);
      return;
  }
}

post({ type: 'ready' });
