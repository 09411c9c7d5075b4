// Runtime checks of the messages both sides receive: a webview or an extension of another version (or a
// page script that has no business posting) cannot make either side act on a message of the wrong shape.
import type { FromHealth, FromPitr, FromUndo, PitrForm, ToHealth, ToPitr, ToUndo } from './protocol';

type Shape = Record<string, 'string' | 'number' | 'boolean' | 'object' | 'array' | readonly string[]>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The message's `type` is known and each listed field has its kind (or is one of the listed words). */
function matches(message: unknown, shapes: Record<string, Shape>): boolean {
  if (!isObject(message) || typeof message.type !== 'string' || !Object.hasOwn(shapes, message.type)) return false;
  const shape = shapes[message.type] as Shape;
  return Object.entries(shape).every(([field, kind]) => {
    const value = message[field];
    if (Array.isArray(kind)) return typeof value === 'string' && kind.includes(value);
    if (kind === 'array') return Array.isArray(value);
    return kind === 'object' ? isObject(value) : typeof value === kind;
  });
}

const STEPS = ['backup', 'source', 'target', 'dataDir'] as const;
const BROWSE_FIELDS = ['baseBackup', 'archive', 'dataDir'] as const;
const FORM_STRINGS: (keyof PitrForm)[] = ['baseBackup', 'stanza', 'backrestSet', 'dbInclude', 'archive', 'customTemplate', 'targetTime', 'targetZone', 'targetLsn', 'targetXid', 'targetName', 'timeline', 'dataDir', 'archiveCommand'];

/** A form as the PITR page posts it: every text field a string, every choice one of its words. */
function isForm(v: unknown): v is PitrForm {
  return (
    isObject(v) &&
    FORM_STRINGS.every((k) => typeof v[k] === 'string') &&
    typeof v.inclusive === 'boolean' &&
    typeof v.delta === 'boolean' &&
    ['baseBackup', 'backrest'].includes(v.source as string) &&
    ['copy', 'custom'].includes(v.restoreKind as string) &&
    ['latest', 'immediate', 'time', 'lsn', 'xid', 'name'].includes(v.targetKind as string) &&
    ['pause', 'promote', 'shutdown'].includes(v.action as string) &&
    ['off', 'keep'].includes(v.archiving as string)
  );
}

export function isFromHealth(m: unknown): m is FromHealth {
  return matches(m, { ready: {}, refresh: {}, selectConnection: { name: 'string' } });
}

export function isToHealth(m: unknown): m is ToHealth {
  return matches(m, {
    connections: { names: 'array', pollSeconds: 'number' },
    loading: { connection: 'string' },
    health: { model: 'object' },
    error: { connection: 'string', message: 'string' },
    empty: { message: 'string' },
  });
}

export function isFromPitr(m: unknown): m is FromPitr {
  if (!matches(m, { ready: {}, validate: { step: STEPS, form: 'object' }, browse: { field: BROWSE_FIELDS }, apply: { form: 'object' }, copyText: { form: 'object' }, drill: { form: 'object' } })) {
    return false;
  }
  const form = (m as { form?: unknown }).form;
  return form === undefined || isForm(form);
}

export function isToPitr(m: unknown): m is ToPitr {
  return matches(m, {
    init: { choices: 'object', defaults: 'object' },
    validation: { step: STEPS, ok: 'boolean', message: 'string' },
    browsed: { field: BROWSE_FIELDS, path: 'string' },
    preview: { settings: 'array', changes: 'array', warnings: 'array' },
    done: { message: 'string' },
    busy: { message: 'string' },
    drillReport: { report: 'object' },
    error: { message: 'string' },
  });
}

const UNDO_MODES = ['new-table', 'missing-rows', 'replace'] as const;
const UNDO_STEPS = ['moment', 'recover', 'bring', 'report'] as const;

export function isFromUndo(m: unknown): m is FromUndo {
  if (
    !matches(m, {
      ready: {},
      list: { from: 'string', to: 'string' },
      recover: {},
      cancel: {},
      discard: {},
      preview: { mode: UNDO_MODES },
      apply: { mode: UNDO_MODES },
      openTable: {},
      copyReport: {},
    })
  ) {
    return false;
  }
  // recover names a transaction id by its digits, or none (the newest dump); nothing else reaches the drill.
  const xid = (m as { type: string; xid?: unknown }).xid;
  return (m as { type: string }).type !== 'recover' || xid === undefined || (typeof xid === 'string' && /^\d{1,10}$/.test(xid));
}

export function isToUndo(m: unknown): m is ToUndo {
  return matches(m, {
    init: { table: 'string', database: 'string', connection: 'string', from: 'string', to: 'string' },
    busy: { step: UNDO_STEPS, message: 'string', cancellable: 'boolean' },
    moment: { view: 'object' },
    comparison: { view: 'object' },
    preview: { view: 'object' },
    report: { view: 'object' },
    discarded: { message: 'string' },
    done: { message: 'string' },
    error: { step: UNDO_STEPS, message: 'string' },
  });
}
