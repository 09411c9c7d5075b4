// When the editor warns about a failed scheduled run: the newest record failed, nobody here was told yet, and this editor's own Run Now did not write it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureToWarn, rememberRun, runKey } from '../../src/core/plans/warnings';
import type { JournalRecord } from '../../src/core/plans/journal';

const record = (over: Partial<JournalRecord> = {}): JournalRecord => ({
  v: 1, plan: 'nightly', runId: 'r1', host: 'db1', pid: 4242,
  startedAt: '2026-03-10T02:30:00.000Z', endedAt: '2026-03-10T02:31:00.000Z', outcome: 'failed', error: { message: 'connection refused' },
  ...over,
});
const self = { host: 'laptop', pid: 77 };
const nobody = { warned: new Set<string>(), self };

test('a failed newest run nobody was warned about is warned about', () => {
  const r = record();
  assert.equal(failureToWarn(r, nobody), r);
});

test('no record, a success or a skipped run is no warning', () => {
  assert.equal(failureToWarn(undefined, nobody), undefined);
  assert.equal(failureToWarn(record({ outcome: 'succeeded' }), nobody), undefined);
  assert.equal(failureToWarn(record({ outcome: 'skipped' }), nobody), undefined);
});

test('once per failed record: its key remembered means no second warning, and another failure of the same plan warns again', () => {
  const first = record();
  const warned = new Set(rememberRun([], runKey(first)));
  assert.equal(failureToWarn(first, { warned, self }), undefined);
  const next = record({ runId: 'r2', startedAt: '2026-03-11T02:30:00.000Z' });
  assert.equal(failureToWarn(next, { warned, self }), next);
  // The same start time of another plan is another run.
  const other = record({ plan: 'weekly' });
  assert.equal(failureToWarn(other, { warned, self }), other);
});

test("a record this editor's own process wrote (its Run Now) is not warned about; the same pid on another host is", () => {
  assert.equal(failureToWarn(record({ host: 'laptop', pid: 77 }), nobody), undefined);
  const elsewhere = record({ host: 'db1', pid: 77 });
  assert.equal(failureToWarn(elsewhere, nobody), elsewhere);
});

test('the key names the plan, the start and the run; the remembered list keeps the newest, without repeats', () => {
  assert.equal(runKey(record()), 'nightly@2026-03-10T02:30:00.000Z#r1');
  assert.deepEqual(rememberRun(['a', 'b', 'c'], 'b'), ['a', 'c', 'b']);
  assert.deepEqual(rememberRun(['a', 'b', 'c'], 'd', 3), ['b', 'c', 'd']);
});
