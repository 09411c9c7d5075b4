import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatStamp, formatWhen } from '../../src/core/platform/when';

const now = new Date('2026-11-24T18:22:00Z');
const berlin = { now, timeZone: 'Europe/Berlin' };

test('today, with the zone and the age', () => {
  assert.equal(formatWhen(new Date('2026-11-24T18:19:00Z'), berlin), 'today 19:19 UTC+1 · 3 min ago');
});

test('yesterday, a weekday within the week, a date within the year, a date with its year', () => {
  assert.equal(formatWhen(new Date('2026-11-23T22:10:00Z'), berlin), 'yesterday 23:10 UTC+1 · 20 h ago');
  assert.equal(formatWhen(new Date('2026-11-20T07:00:00Z'), berlin), 'Fri 20 Nov 08:00 UTC+1 · 4 days ago');
  assert.equal(formatWhen(new Date('2026-07-01T07:00:00Z'), berlin), '1 Jul 09:00 UTC+2 · 4 months ago');
  assert.equal(formatWhen(new Date('2025-03-03T08:00:00Z'), { now, timeZone: 'UTC' }), '3 Mar 2025 08:00 UTC · 1 year ago');
});

test('"today" is the day where the time is shown, not in UTC', () => {
  // 23:30 UTC on the 24th is already the 25th in Tokyo.
  const late = new Date('2026-11-24T23:30:00Z');
  assert.equal(formatWhen(new Date('2026-11-24T14:00:00Z'), { now: late, timeZone: 'Asia/Tokyo' }), 'yesterday 23:00 UTC+9 · 9 h ago');
  assert.equal(formatWhen(new Date('2026-11-24T14:00:00Z'), { now: late, timeZone: 'Asia/Kolkata', seconds: true }), 'yesterday 19:30:00 UTC+5:30 · 9 h ago');
});

test('seconds when asked, no age when asked, never ISO or milliseconds', () => {
  const t = new Date('2026-11-24T18:19:05.123Z');
  assert.equal(formatWhen(t, { ...berlin, seconds: true, noAge: true }), 'today 19:19:05 UTC+1');
  assert.doesNotMatch(formatWhen(t, berlin), /T\d|\.\d{3}|Z\b/);
  assert.equal(formatWhen('2026-11-24T18:19:05Z', berlin), 'today 19:19 UTC+1 · 2 min ago');
  assert.equal(formatWhen('not a date', berlin), 'an unknown time');
});

test('ages round down and say so for times ahead of the clock', () => {
  assert.equal(formatAge(new Date(now.getTime() - 59_000), now), 'just now');
  assert.equal(formatAge(new Date(now.getTime() - 61_000), now), '1 min ago');
  assert.equal(formatAge(new Date(now.getTime() - 86_400_000), now), '1 day ago');
  assert.equal(formatAge(new Date(now.getTime() + 5 * 60_000), now), 'in 5 min');
  assert.equal(formatWhen(new Date('2026-11-25T08:00:00Z'), berlin), 'tomorrow 09:00 UTC+1 · in 13 h');
});

test('a stamp for saved text: the full date, seconds and zone, nothing relative', () => {
  assert.equal(formatStamp(new Date('2026-11-24T18:19:05.123Z'), { timeZone: 'Europe/Berlin' }), '2026-11-24 19:19:05 UTC+1');
  assert.equal(formatStamp('2026-07-01T00:30:00Z', { timeZone: 'America/St_Johns' }), '2026-06-30 22:00:00 UTC-2:30');
  assert.equal(formatStamp('2026-07-01T00:30:00Z', { timeZone: 'UTC' }), '2026-07-01 00:30:00 UTC');
});
