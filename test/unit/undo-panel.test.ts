// The Recover Table panel without an editor: its messages checked on both sides, and the host's steps — the
// transaction list, the scratch server held (bounded) between the comparison and the apply, and released on every path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ToUndo } from '../../webview/protocol';
import { isFromUndo, isToUndo } from '../../webview/guards';
import { type MomentList, parseWindowEnd, RecoverTableFlow, type UndoBackend } from '../../src/undo/flow';
import { DISCARDED, PastHold } from '../../src/undo/hold';
import { changesText, inWindow, transactionView, windowText } from '../../src/undo/text';
import { PgbrError } from '../../src/core/platform';
import type { BringBackReport, Comparison, PastServer, PastSource, TableTransaction } from '../../src/core/undo';

const SERVER: PastServer = { socketDir: '/s', port: 5999, user: 'postgres', database: 'shop', source: 'base backup b1 with WAL to just before xid 745' };
const at = (iso: string) => new Date(iso);
const tx = (xid: number, o: Partial<TableTransaction>): TableTransaction => ({ xid, inserted: 0, updated: 0, deleted: 0, firstLsn: '0/1', outcome: 'committed', ...o });

test('the webview may ask only for what the protocol has, with a transaction id of digits', () => {
  assert.ok(isFromUndo({ type: 'ready' }));
  assert.ok(isFromUndo({ type: 'list', from: '2026-12-01 00:00', to: '2026-12-02 00:00' }));
  assert.ok(isFromUndo({ type: 'recover', xid: '745' }));
  assert.ok(isFromUndo({ type: 'recover' }));
  assert.ok(isFromUndo({ type: 'apply', mode: 'missing-rows' }));
  assert.ok(!isFromUndo({ type: 'recover', xid: '745; DROP TABLE x' }));
  assert.ok(!isFromUndo({ type: 'recover', xid: 745 }));
  assert.ok(!isFromUndo({ type: 'apply', mode: 'truncate' }));
  assert.ok(!isFromUndo({ type: 'list', from: '2026-12-01' }));
  assert.ok(!isFromUndo({ type: 'drill' }));
  assert.ok(!isFromUndo(null));
  assert.ok(isToUndo({ type: 'busy', step: 'recover', message: 'x', cancellable: true }));
  assert.ok(!isToUndo({ type: 'busy', step: 'elsewhere', message: 'x', cancellable: true }));
  assert.ok(!isToUndo({ type: 'comparison' }));
});

test('a transaction reads "just before xid N — deleted 1,204 rows at …"; only a committed one can be picked', () => {
  const v = transactionView(tx(745, { deleted: 1204, at: at('2026-12-01T15:47:03Z') }), 'UTC');
  assert.equal(v.label, 'just before xid 745 — deleted 1,204 rows at 2026-12-01 15:47:03 UTC');
  assert.ok(v.pickable);
  assert.equal(changesText({ inserted: 3, updated: 1, deleted: 0 }), 'inserted 3 rows and updated 1 row');
  assert.equal(changesText({ inserted: 0, updated: 0, deleted: 0 }), 'changed no rows');
  assert.ok(!transactionView(tx(746, { outcome: 'aborted', at: at('2026-12-01T15:48:00Z') }), 'UTC').pickable);
  assert.match(transactionView(tx(747, { outcome: 'in-progress' }), 'UTC').label, /still running when the WAL read ends/);
});

test('the window keeps commits on both of its ends and drops those just outside, newest first', () => {
  const from = at('2026-12-01T00:00:00Z');
  const to = at('2026-12-02T00:00:00Z');
  const list = [tx(1, { at: at('2026-11-30T23:59:59Z') }), tx(2, { at: from }), tx(3, { at: at('2026-12-01T12:00:00Z') }), tx(4, { at: to }), tx(5, { at: at('2026-12-02T00:00:01Z') })];
  assert.deepEqual(inWindow(list, from, to).map((t) => t.xid), [4, 3, 2]);
});

test('the window ends are typed in the panel zone or with one of their own; a wrong one says how to write it', () => {
  assert.equal(parseWindowEnd('2026-12-01 15:00', 'Europe/Berlin', 'From').toISOString(), '2026-12-01T14:00:00.000Z');
  assert.equal(parseWindowEnd('2026-12-01 15:00:00 UTC', 'Europe/Berlin', 'To').toISOString(), '2026-12-01T15:00:00.000Z');
  assert.equal(windowText(at('2026-12-01T14:00:00Z'), 'Europe/Berlin'), '2026-12-01 15:00:00 Europe/Berlin');
  assert.equal(parseWindowEnd(windowText(at('2026-07-01T10:20:30Z'), 'America/New_York'), 'UTC', 'From').toISOString(), '2026-07-01T10:20:30.000Z');
  assert.throws(() => parseWindowEnd('yesterday', 'UTC', 'From'), /^PgbrError: From: "yesterday" is not a date and time/);
});

/** A past source like the drill: the server is "up" while the read runs, and each start and stop is recorded. */
function fakeSource(events: string[], fail?: Error): PastSource {
  return async <T>(read: (s: PastServer) => Promise<T>): Promise<T> => {
    events.push('up');
    try {
      if (fail) throw fail;
      return await read(SERVER);
    } finally {
      events.push('removed');
    }
  };
}

function manualTimer() {
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    timers,
    setTimer: (fn: () => void, ms: number) => {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
    fire: () => timers.filter((t) => !t.cancelled).at(-1)?.fn(),
  };
}

test('the hold keeps the server up until released, restarts its timeout after each use, and stops it when that runs out', async () => {
  const events: string[] = [];
  const timer = manualTimer();
  let expired = 0;
  const hold = new PastHold({ holdMs: 900_000, onExpired: () => expired++, setTimer: timer.setTimer, clock: () => 1_000 });
  assert.equal(await hold.start(fakeSource(events), async (s) => s.port), 5999);
  assert.deepEqual(events, ['up']);
  assert.equal(hold.expiresAt, 901_000);
  assert.equal(await hold.use(async (s) => s.database), 'shop');
  assert.equal(timer.timers.filter((t) => !t.cancelled).length, 1, 'one timeout running after a use');
  timer.fire();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['up', 'removed']);
  assert.equal(expired, 1);
  await assert.rejects(hold.use(async () => 1), (e: unknown) => e instanceof PgbrError && e.message === DISCARDED);
});

test('a timeout during a step waits for the step, then stops the server', async () => {
  const events: string[] = [];
  const timer = manualTimer();
  const hold = new PastHold({ holdMs: 1000, onExpired: () => events.push('expired'), setTimer: timer.setTimer });
  await hold.start(fakeSource(events), async () => undefined);
  const fireTimer = timer.timers[0];
  let finish!: () => void;
  const step = hold.use(() => new Promise<void>((r) => (finish = r)));
  fireTimer?.fn();
  assert.deepEqual(events, ['up']);
  finish();
  await step;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['up', 'removed', 'expired']);
});

test('a recovery that fails rejects the start and leaves nothing up', async () => {
  const events: string[] = [];
  const hold = new PastHold({ holdMs: 1000, onExpired: () => undefined, setTimer: manualTimer().setTimer });
  await assert.rejects(hold.start(fakeSource(events, new PgbrError('tool-failed', 'the base backup could not be recovered')), async () => 1), /could not be recovered/);
  assert.deepEqual(events, ['up', 'removed']);
  assert.equal(hold.up, false);
});

const COMPARISON: Comparison & { source: string } = {
  pastRows: 1204,
  liveRows: 0,
  missing: 1204,
  differ: 0,
  added: 0,
  by: 'primary key',
  key: ['id'],
  samples: { missing: ['(1,Ann)'], differ: [], added: [] },
  source: SERVER.source,
};

function report(mode: BringBackReport['mode'], dryRun: boolean): BringBackReport {
  return {
    mode,
    table: 'public.orders',
    source: SERVER.source,
    dryRun,
    counts: { pastRows: 1204, liveRows: 0, missing: 1204, differ: 0, added: 3, inserted: 1204, updated: 0, deleted: mode === 'replace' ? 3 : 0 },
    lock: 'SHARE ROW EXCLUSIVE on public.orders',
    sequenceFixes: [],
    fkProblems: [],
    durations: { stageMs: 10, compareMs: 5, applyMs: 20 },
    notes: [],
  };
}

function harness(opts: { moments?: MomentList; confirm?: boolean } = {}) {
  const events: string[] = [];
  const posted: ToUndo[] = [];
  const calls: string[] = [];
  const timer = manualTimer();
  let t = 0;
  const backend: UndoBackend = {
    connection: 'prod',
    database: 'shop',
    table: { schema: 'public', name: 'orders' },
    listMoments: () =>
      Promise.resolve(
        opts.moments ?? {
          kind: 'wal',
          archive: '/wal',
          from: '000000010000000000000001',
          to: '000000010000000000000003',
          transactions: [tx(740, { inserted: 1204, at: at('2026-12-01T15:00:00Z') }), tx(745, { deleted: 1204, at: at('2026-12-01T15:47:03Z') }), tx(746, { outcome: 'aborted', deleted: 2, at: at('2026-12-01T15:50:00Z') })],
          rewrites: [],
          walStartsAt: at('2026-12-01T14:00:00Z'),
        },
      ),
    pastFor: (pick) => {
      calls.push(`pastFor ${'xid' in pick ? `${pick.xid} ${pick.endedAt.toISOString()}` : 'dump'}`);
      return Promise.resolve({ source: fakeSource(events), target: 'just before xid 745', asOf: at('2026-12-01T15:47:03Z') });
    },
    compare: () => {
      t += 2000;
      return Promise.resolve(COMPARISON);
    },
    bringBack: (_p, o) => {
      calls.push(`bringBack ${o.mode} dryRun=${o.dryRun} confirm=${o.confirm}`);
      t += 500;
      return Promise.resolve({ ...report(o.mode, o.dryRun), ...(o.mode === 'new-table' ? { newTable: 'public.orders_as_of_20261201_154703' } : {}) });
    },
    confirm: (message) => {
      calls.push(`confirm ${message}`);
      return Promise.resolve(opts.confirm ?? true);
    },
    openTable: (name) => {
      calls.push(`open ${name}`);
      return Promise.resolve();
    },
    copy: (text) => {
      calls.push(`copy ${text.split('\n')[0] ?? ''}`);
      return Promise.resolve();
    },
    log: () => undefined,
  };
  const flow = new RecoverTableFlow(backend, (m) => posted.push(m), { holdMs: 900_000, clock: () => at('2026-12-02T08:00:00Z'), now: () => t, timeZone: 'UTC', setTimer: timer.setTimer });
  const last = <K extends ToUndo['type']>(type: K) => posted.filter((m): m is Extract<ToUndo, { type: K }> => m.type === type).at(-1);
  return { flow, backend, events, posted, calls, timer, last };
}

test('the flow: the last 24 h by default, the delete listed, recovered on the side and held, missing rows previewed, applied, reported; the server removed', async () => {
  const h = harness();
  await h.flow.receive({ type: 'ready' });
  const init = h.last('init');
  assert.deepEqual([init?.from, init?.to, init?.table], ['2026-12-01 08:00:00 UTC', '2026-12-02 08:00:00 UTC', 'public.orders']);
  await h.flow.receive({ type: 'list', from: init?.from ?? '', to: init?.to ?? '' });
  const moment = h.last('moment')?.view;
  assert.equal(moment?.kind, 'wal');
  const rows = moment?.kind === 'wal' ? moment.transactions : [];
  assert.deepEqual(rows.map((r) => [r.xid, r.pickable]), [['746', false], ['745', true], ['740', true]]);
  assert.equal(rows[1]?.label, 'just before xid 745 — deleted 1,204 rows at 2026-12-01 15:47:03 UTC');
  assert.deepEqual(moment?.notes, ["The WAL archive reaches back only to 2026-12-01 14:00:00 UTC, after the window's start: what changed the table before then is not listed (a dump taken earlier may still hold it)."]);

  await h.flow.receive({ type: 'recover', xid: '746' });
  assert.match(h.last('error')?.message ?? '', /xid 746 was rolled back, so it changed nothing to undo: pick a committed one/);
  await h.flow.receive({ type: 'recover', xid: '745' });
  assert.deepEqual(h.calls, ['pastFor 745 2026-12-01T15:47:03.000Z']);
  const cmp = h.last('comparison')?.view;
  assert.deepEqual([cmp?.missing, cmp?.pastRows, cmp?.newTable, cmp?.holdMinutes], [1204, 1204, 'public.orders_as_of_20261201_154703', 15]);
  assert.equal(cmp?.expiresAt, '2026-12-02T08:15:00.000Z');
  assert.deepEqual(h.events, ['up'], 'the scratch server is held while the comparison is read');

  await h.flow.receive({ type: 'apply', mode: 'missing-rows' });
  assert.match(h.last('error')?.message ?? '', /^Preview missing-rows first/);
  await h.flow.receive({ type: 'preview', mode: 'missing-rows' });
  assert.match(h.last('preview')?.view.lines.join('\n') ?? '', /1,204 rows would be brought back/);
  assert.equal(h.last('preview')?.view.expiresAt, '2026-12-02T08:15:00.000Z', 'the timeout starts again after the preview');
  await h.flow.receive({ type: 'apply', mode: 'missing-rows' });
  assert.deepEqual(h.calls.slice(1), ['bringBack missing-rows dryRun=true confirm=false', 'bringBack missing-rows dryRun=false confirm=false']);
  assert.deepEqual(h.events, ['up', 'removed'], 'applied: the scratch server is stopped and removed');
  const lines = h.last('report')?.view.lines ?? [];
  assert.match(lines[0] ?? '', /^public\.orders as it was just before xid 745, from base backup b1 with WAL to just before xid 745\.$/);
  assert.equal(lines[1], 'WAL replayed from the archive /wal (the transaction list read 000000010000000000000001 – 000000010000000000000003).');
  assert.ok(lines.some((l) => /1,204 rows were brought back/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^Recovery time \(RTO evidence\): 3\.0 s of work — scratch server up with the past table 0\.0 s, comparing 2\.0 s, previewing 0\.5 s, applying 0\.5 s/.test(l)), lines.join('\n'));
  await h.flow.receive({ type: 'copyReport' });
  assert.match(h.calls.at(-1) ?? '', /^copy public\.orders as it was just before xid 745/);
  await h.flow.receive({ type: 'preview', mode: 'replace' });
  assert.match(h.last('error')?.message ?? '', /no scratch server with the past table up now/);
});

test('replace asks first, naming what is lost with its counts; declined, nothing is applied and the server stays up', async () => {
  const h = harness({ confirm: false });
  await h.flow.receive({ type: 'list', from: '2026-12-01 00:00 UTC', to: '2026-12-02 00:00 UTC' });
  await h.flow.receive({ type: 'recover', xid: '745' });
  await h.flow.receive({ type: 'preview', mode: 'replace' });
  assert.match(h.last('preview')?.view.loses ?? '', /loses 3 rows added since, and brings back 1,204 rows missing now/);
  await h.flow.receive({ type: 'apply', mode: 'replace' });
  assert.match(h.calls.find((c) => c.startsWith('confirm')) ?? '', /^confirm Replacing public\.orders with its past version loses 3 rows added since/);
  assert.ok(!h.calls.includes('bringBack replace dryRun=false confirm=true'));
  assert.equal(h.last('done')?.message, 'Nothing was changed: replacing was not confirmed.');
  assert.deepEqual(h.events, ['up']);
  await h.flow.dispose();
  assert.deepEqual(h.events, ['up', 'removed'], 'closing the panel removes the server');
});

test('discard and the timeout stop the held server and say so; a new recovery first removes the old one', async () => {
  const h = harness();
  // The window starts where the WAL does: nothing is said to be missing.
  await h.flow.receive({ type: 'list', from: '2026-12-01 14:00:00 UTC', to: '2026-12-02 00:00 UTC' });
  const view = h.last('moment')?.view;
  assert.deepEqual(view?.kind === 'wal' ? view.notes : undefined, []);
  await h.flow.receive({ type: 'recover', xid: '745' });
  await h.flow.receive({ type: 'recover', xid: '740' });
  assert.deepEqual(h.events, ['up', 'removed', 'up']);
  await h.flow.receive({ type: 'discard' });
  assert.deepEqual(h.events, ['up', 'removed', 'up', 'removed']);
  assert.match(h.last('discarded')?.message ?? '', /^Discarded: the scratch server was stopped and its folder removed/);
  await h.flow.receive({ type: 'recover', xid: '745' });
  h.timer.fire();
  await new Promise((r) => setImmediate(r));
  assert.equal(h.events.at(-1), 'removed');
  assert.match(h.last('discarded')?.message ?? '', /stopped and removed after 15 minutes with nothing done on it/);
});

test('without WAL the newest dump with the table is offered with what is lost', async () => {
  const found = { dump: { name: 'shop.dump', path: '/d/shop.dump', time: at('2026-12-01T03:00:00Z') }, takenAt: at('2026-12-01T03:00:00Z'), lostMs: 1, message: 'the newest dump with public.orders is shop.dump of 2026-12-01 03:00:00 UTC: changes after it are lost (5 h before now)' };
  const h = harness({ moments: { kind: 'dump', why: 'no WAL archive is known for prod.', found: found as never, skipped: [] } });
  await h.flow.receive({ type: 'list', from: '2026-12-01 00:00 UTC', to: '2026-12-02 00:00 UTC' });
  const v = h.last('moment')?.view;
  assert.equal(v?.kind === 'dump' ? v.dump?.message : undefined, found.message);
  await h.flow.receive({ type: 'recover' });
  assert.deepEqual(h.calls, ['pastFor dump']);
});

test('new table: applied, the report offers to open it; Cancel during a recovery aborts it and says nothing changed', async () => {
  const h = harness();
  await h.flow.receive({ type: 'list', from: '2026-12-01 00:00 UTC', to: '2026-12-02 00:00 UTC' });
  await h.flow.receive({ type: 'openTable' });
  assert.match(h.last('error')?.message ?? '', /^No new table was made in this panel/);
  await h.flow.receive({ type: 'recover', xid: '745' });
  await h.flow.receive({ type: 'preview', mode: 'new-table' });
  await h.flow.receive({ type: 'apply', mode: 'new-table' });
  assert.equal(h.last('report')?.view.newTable, 'public.orders_as_of_20261201_154703');
  await h.flow.receive({ type: 'openTable' });
  assert.equal(h.calls.at(-1), 'open public.orders_as_of_20261201_154703');

  // A recovery that waits until it is aborted, as the drill does with its signal.
  const events: string[] = [];
  const posted: ToUndo[] = [];
  const slow: UndoBackend = {
    ...h.backend,
    pastFor: (_pick, signal) =>
      Promise.resolve({
        target: 'just before xid 745',
        asOf: at('2026-12-01T15:47:03Z'),
        source: async <T>(): Promise<T> => {
          events.push('up');
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          events.push('removed');
          throw new PgbrError('cancelled', 'the recovery was cancelled.');
        },
      }),
  };
  const flow = new RecoverTableFlow(slow, (m) => posted.push(m), { timeZone: 'UTC', setTimer: manualTimer().setTimer });
  await flow.receive({ type: 'list', from: '2026-12-01 00:00 UTC', to: '2026-12-02 00:00 UTC' });
  const recovering = flow.receive({ type: 'recover', xid: '745' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['up']);
  await flow.receive({ type: 'cancel' });
  await recovering;
  assert.deepEqual(events, ['up', 'removed']);
  assert.deepEqual(posted.at(-1), { type: 'error', step: 'recover', message: 'Cancelled: the scratch server was stopped and removed, nothing changed.' });
});
