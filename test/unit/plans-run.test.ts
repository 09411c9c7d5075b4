// A run's own decisions: when `daily` and `weekly` verification is due in the plan's zone, and how `notify:` becomes the notifier's settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notifySettings, type PlanToRun } from '../../src/core/plans/run';
import { verificationDue } from '../../src/core/plans/take';

const at = (iso: string): Date => new Date(iso);

test('verify always and never do not look at the history', () => {
  const now = at('2026-03-11T12:00:00Z');
  assert.equal(verificationDue({ verify: 'always', timezone: 'UTC' }, now, [now]), true);
  assert.equal(verificationDue({ verify: 'never', timezone: 'UTC' }, now, []), false);
});

test('verify daily: due on the first run of each local day in the plan\'s zone, on each side of midnight', () => {
  const berlin = { verify: 'daily' as const, timezone: 'Europe/Berlin' };
  // 22:59:59Z is 23:59:59 in Berlin (CET, +1): the next second is another local day.
  assert.equal(verificationDue(berlin, at('2026-03-10T23:00:00Z'), [at('2026-03-10T22:59:59Z')]), true);
  assert.equal(verificationDue(berlin, at('2026-03-10T22:59:59Z'), [at('2026-03-10T00:00:00Z')]), false);
  assert.equal(verificationDue(berlin, at('2026-03-11T22:59:59Z'), [at('2026-03-10T23:00:00Z')]), false);
  // The same instants in UTC fall on other days.
  assert.equal(verificationDue({ ...berlin, timezone: 'UTC' }, at('2026-03-10T23:00:00Z'), [at('2026-03-10T22:59:59Z')]), false);
  assert.equal(verificationDue(berlin, at('2026-03-11T12:00:00Z'), []), true);
  // Summer time: 22:00Z is midnight in Berlin (CEST, +2).
  assert.equal(verificationDue(berlin, at('2026-07-01T22:00:00Z'), [at('2026-07-01T21:59:59Z')]), true);
  assert.equal(verificationDue(berlin, at('2026-07-01T21:59:59Z'), [at('2026-07-01T00:00:00Z')]), false);
});

test('verify weekly: ISO weeks, Monday first, across a year end', () => {
  const weekly = { verify: 'weekly' as const, timezone: 'UTC' };
  // Sunday 2026-12-27 and Monday 2026-12-28 are in different weeks.
  assert.equal(verificationDue(weekly, at('2026-12-28T00:00:00Z'), [at('2026-12-27T23:59:59Z')]), true);
  // Monday 2026-12-28 .. Sunday 2027-01-03 is one ISO week (53 of 2026).
  assert.equal(verificationDue(weekly, at('2027-01-03T23:59:59Z'), [at('2026-12-28T00:00:00Z')]), false);
  assert.equal(verificationDue(weekly, at('2027-01-04T00:00:00Z'), [at('2027-01-03T23:59:59Z')]), true);
  // In Auckland (+13 in January) Monday begins at 11:00Z on Sunday.
  const auckland = { ...weekly, timezone: 'Pacific/Auckland' };
  assert.equal(verificationDue(auckland, at('2027-01-03T11:00:00Z'), [at('2027-01-03T10:59:59Z')]), true);
  assert.equal(verificationDue(auckland, at('2027-01-03T10:59:59Z'), [at('2026-12-27T11:00:00Z')]), false);
});

test('notify: a command list becomes a program and its arguments; no notify is none', () => {
  const plan = (notify?: PlanToRun['notify']): PlanToRun => ({
    name: 'n', connection: 'c', backup: 'dump', folder: '/f', schedule: 'daily', timezone: 'UTC', verify: 'never', ...(notify ? { notify } : {}),
  });
  assert.equal(notifySettings(plan()), undefined);
  assert.deepEqual(notifySettings(plan({ on: 'always', command: ['/usr/bin/logger', '-t', 'pgbr'] })), { on: 'always', command: { program: '/usr/bin/logger', args: ['-t', 'pgbr'] } });
  assert.deepEqual(notifySettings(plan({ on: 'failure', webhook: 'https://hooks.example/pg' })), { on: 'failure', webhook: 'https://hooks.example/pg' });
});
