// The PITR generator's script: four steps, each checked by the extension before the next opens; preview, write, copy, drill.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import { EMPTY_PITR_FORM, type FromPitr, type PitrChoices, type PitrDrillReport, type PitrForm, type PitrStep, type PitrWebviewState, type ToPitr } from '../protocol';
import './pitr.css';
import { isToPitr } from '../guards';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeDivider(), vsCodeDropdown(), vsCodeOption(), vsCodeTextField());

interface VsCodeApi {
  postMessage(message: FromPitr): void;
  getState(): PitrWebviewState | undefined;
  setState(state: PitrWebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const STEPS: PitrStep[] = ['backup', 'source', 'target', 'dataDir'];
const saved = vscode.getState();
// A state saved before a field existed gets that field's default.
const state: PitrWebviewState = saved ? { ...saved, form: { ...EMPTY_PITR_FORM, ...saved.form } } : { form: { ...EMPTY_PITR_FORM }, passed: [] };
type Field = keyof PitrForm;
type Input = HTMLElement & { value: string; checked?: boolean };

/** Inputs are bound by their `data-field` attribute; a change re-opens its step and every later one. */
function bind(): void {
  for (const el of document.querySelectorAll<Input>('[data-field]')) {
    const field = el.dataset.field as Field;
    const update = (): void => {
      const isFlag = typeof EMPTY_PITR_FORM[field] === 'boolean';
      const value = isFlag ? !!el.checked : el.value;
      if (state.form[field] === value) return;
      (state.form as unknown as Record<string, unknown>)[field] = value;
      invalidateFrom(stepOf(el));
      render();
    };
    el.addEventListener('change', update);
    el.addEventListener('input', update);
  }
}

/** Puts the form's values into the inputs (after a reload, or when the extension fills one). */
function showForm(): void {
  for (const el of document.querySelectorAll<Input>('[data-field]')) {
    const value = state.form[el.dataset.field as Field];
    if (typeof value === 'boolean') {
      el.checked = value;
      el.toggleAttribute('checked', value);
    } else {
      el.value = value;
      el.setAttribute('value', value);
    }
  }
}

function stepOf(el: HTMLElement): PitrStep {
  return (el.closest<HTMLElement>('section[data-step]')?.dataset.step ?? 'backup') as PitrStep;
}

function invalidateFrom(step: PitrStep): void {
  const i = STEPS.indexOf(step);
  state.passed = state.passed.filter((s) => STEPS.indexOf(s) < i);
  for (const s of STEPS.slice(i)) {
    clearFieldErrors(s);
    const box = document.querySelector<HTMLElement>(`section[data-step="${s}"] .status`);
    if (box && !box.classList.contains('bad')) box.replaceChildren();
  }
  save();
}

function save(): void {
  vscode.setState(state);
}

function post(m: FromPitr): void {
  vscode.postMessage(m);
}

/** Shows the steps passed and the first open one; target fields follow the target kind. */
function render(): void {
  let open = true;
  for (const step of STEPS) {
    const section = document.querySelector<HTMLElement>(`section[data-step="${step}"]`);
    if (!section) continue;
    section.classList.toggle('locked', !open);
    section.classList.toggle('passed', state.passed.includes(step));
    if (!state.passed.includes(step)) open = false;
  }
  for (const el of document.querySelectorAll<HTMLElement>('[data-target]')) {
    el.hidden = !(el.dataset.target ?? '').split(' ').includes(state.form.targetKind);
  }
  for (const el of document.querySelectorAll<HTMLElement>('[data-restore]')) el.hidden = el.dataset.restore !== state.form.restoreKind;
  for (const el of document.querySelectorAll<HTMLElement>('[data-source]')) el.hidden = el.dataset.source !== state.form.source;
  for (const el of document.querySelectorAll<HTMLElement>('[data-archiving]')) el.hidden = el.dataset.archiving !== state.form.archiving;
  const done = state.passed.length === STEPS.length;
  document.getElementById('apply')?.toggleAttribute('disabled', !done);
  document.getElementById('drill')?.toggleAttribute('disabled', !state.passed.includes('target'));
  document.getElementById('copy')?.toggleAttribute('disabled', !state.passed.includes('target'));
}

/** A step's verdict under it; one about a single input is shown beside that input instead, and the old verdict goes. */
function status(step: PitrStep, ok: boolean, message: string, details: string[], field?: Field): void {
  const box = document.querySelector<HTMLElement>(`section[data-step="${step}"] .status`);
  if (!box) return;
  clearFieldErrors(step);
  const input = field ? document.querySelector<HTMLElement>(`section[data-step="${step}"] [data-field="${field}"]`) : null;
  if (!ok && input) {
    box.className = 'status';
    box.replaceChildren();
    const error = text('div', `✗ ${message}`, 'field-error');
    error.setAttribute('role', 'alert');
    error.dataset.errorFor = field;
    (input.closest('.row') ?? input).after(error);
  } else {
    box.className = `status ${ok ? 'ok' : 'bad'}`;
    box.replaceChildren(text('div', `${ok ? '✓' : '✗'} ${message}`), ...details.map((d) => text('div', d, 'detail')));
  }
  if (ok && !state.passed.includes(step)) state.passed.push(step);
  if (!ok) state.passed = state.passed.filter((s) => STEPS.indexOf(s) < STEPS.indexOf(step));
  save();
  render();
}

/** Removes the messages shown beside the inputs of a step. */
function clearFieldErrors(step: PitrStep): void {
  for (const e of document.querySelectorAll(`section[data-step="${step}"] .field-error`)) e.remove();
}

function fillChoices(c: PitrChoices): void {
  pickList('baseBackupPick', 'baseBackup', c.baseBackups.map((b) => [b.path, `${b.label} — ${b.detail}`]));
  pickList('stanzaPick', 'stanza', c.stanzas.map((s) => [s.stanza, s.label]));
  pickList('archivePick', 'archive', c.archives.map((a) => [a.path, a.label]));
  pickList('restorePointPick', 'targetName', c.restorePoints.map((p) => [p.name, `${p.name} — ${p.detail}`]));
  pickList('zonePick', 'targetZone', c.zones.map((z) => [z, z]));
  document.getElementById('templates')?.replaceChildren(
    ...c.templates.map((t) => {
      const b = document.createElement('vscode-button');
      b.setAttribute('appearance', 'secondary');
      b.textContent = `Use ${t.label}`;
      b.addEventListener('click', () => {
        state.form.restoreKind = 'custom';
        state.form.customTemplate = t.template;
        invalidateFrom('source');
        showForm();
        render();
      });
      return b;
    }),
  );
}

/** A dropdown of known values that fills a field of its step. */
function pickList(id: string, field: Field, values: [string, string][]): void {
  const pick = document.getElementById(id) as Input | null;
  if (!pick) return;
  const first = document.createElement('vscode-option');
  first.textContent = values.length ? 'Pick…' : 'none known';
  first.setAttribute('value', '');
  pick.replaceChildren(
    first,
    ...values.map(([value, label]) => {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', value);
      o.textContent = label;
      return o;
    }),
  );
  pick.addEventListener('change', () => {
    if (!pick.value || state.form[field] === pick.value) return;
    (state.form as unknown as Record<string, unknown>)[field] = pick.value;
    invalidateFrom(stepOf(pick));
    showForm();
    render();
  });
}

function preview(m: Extract<ToPitr, { type: 'preview' }>): void {
  document.getElementById('preview')?.replaceChildren(
    text('h4', 'Settings for postgresql.auto.conf'),
    text('pre', m.settings.join('\n')),
    text('h4', 'Every change, before anything is written'),
    ...m.changes.map((c) => {
      const item = document.createElement('div');
      item.className = 'change';
      item.append(text('div', `${c.action}: ${c.file}`, 'file'), text('div', c.detail, 'detail'));
      if (c.after !== undefined) item.append(text('pre', diff(c.before, c.after)));
      return item;
    }),
    ...m.warnings.map((w) => text('div', `⚠ ${w}`, 'warning')),
  );
}

/** Lines removed and added between a file's before and after. */
function diff(before: string | undefined, after: string): string {
  const old = new Set((before ?? '').split('\n'));
  const next = new Set(after.split('\n'));
  const removed = [...old].filter((l) => l && !next.has(l)).map((l) => `- ${l}`);
  const added = [...next].filter((l) => l && !old.has(l)).map((l) => `+ ${l}`);
  // A new empty file (recovery.signal) is a change, not "no change".
  return [...removed, ...added].join('\n') || (before === undefined ? '(empty file)' : '(no change)');
}

function drillReport(r: PitrDrillReport): void {
  const box = document.getElementById('drill-report');
  if (!box) return;
  box.className = `report ${r.status}`;
  const title = { reached: 'Drill: recovery reached its target', 'ended-early': 'Drill: recovery ENDED EARLY', failed: 'Drill FAILED' }[r.status];
  const table = document.createElement('table');
  const rows: [string, string][] = [
    ['recovered LSN', r.recoveredLsn ?? '–'],
    ['last commit replayed', r.recoveredTime ?? '–'],
    ['timeline', r.timeline === undefined ? '–' : String(r.timeline)],
    ['took', r.durationText],
    ...r.tables.map((t): [string, string] => [t.name, t.rows]),
  ];
  for (const [k, v] of rows) {
    const tr = document.createElement('tr');
    tr.append(text('td', k), text('td', v));
    table.append(tr);
  }
  // The message quotes the stop line when recovery reached it: once is enough.
  const stopLine = r.stopLine && !r.message.includes(r.stopLine) ? [text('pre', r.stopLine)] : [];
  box.replaceChildren(text('h4', title), text('div', r.message), ...stopLine, table);
  if (r.status !== 'reached') box.append(text('h4', 'Server log (end)'), text('pre', r.logTail.join('\n')));
}

function text(tag: string, content: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = content;
  if (cls) e.className = cls;
  return e;
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isToPitr(event.data)) return;
  const m = event.data;
  const busy = document.getElementById('busy');
  if (busy && m.type !== 'busy') busy.textContent = '';
  switch (m.type) {
    case 'init': {
      const kept = Object.fromEntries(Object.entries(state.form).filter(([, v]) => v !== ''));
      state.form = { ...EMPTY_PITR_FORM, ...m.defaults, ...kept };
      fillChoices(m.choices);
      showForm();
      render();
      save();
      return;
    }
    case 'validation':
      status(m.step, m.ok, m.message, m.details, m.field);
      return;
    case 'browsed':
      state.form[m.field] = m.path;
      invalidateFrom(m.field === 'baseBackup' ? 'backup' : m.field === 'archive' ? 'source' : 'dataDir');
      showForm();
      render();
      return;
    case 'preview':
      preview(m);
      return;
    case 'busy':
      if (busy) busy.textContent = m.message;
      return;
    case 'done':
      document.getElementById('result')?.replaceChildren(text('div', `✓ ${m.message}`, 'ok'));
      return;
    case 'error':
      document.getElementById('result')?.replaceChildren(text('div', `✗ ${m.message}`, 'bad'));
      return;
    case 'drillReport':
      drillReport(m.report);
      return;
  }
});

for (const step of STEPS) {
  document.querySelector(`section[data-step="${step}"] .check`)?.addEventListener('click', () => post({ type: 'validate', step, form: state.form }));
}
for (const field of ['baseBackup', 'archive', 'dataDir'] as const) {
  document.querySelector(`[data-browse="${field}"]`)?.addEventListener('click', () => post({ type: 'browse', field }));
}
document.getElementById('apply')?.addEventListener('click', () => post({ type: 'apply', form: state.form }));
document.getElementById('copy')?.addEventListener('click', () => post({ type: 'copyText', form: state.form }));
document.getElementById('drill')?.addEventListener('click', () => post({ type: 'drill', form: state.form }));
bind();
showForm();
render();
post({ type: 'ready' });
