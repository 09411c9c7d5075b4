// OnCalendar expressions: what is read and what is refused with a reason, and the next runs as systemd starts them (the tables are systemd-analyze's).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRuns, parseCalendar, type CalendarSpec } from '../../src/core/plans/calendar';

function spec(expression: string): CalendarSpec {
  const parsed = parseCalendar(expression);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.spec;
}

function runs(expression: string, zone: string, from: string, count = 5): string[] {
  return nextRuns(spec(expression), zone, new Date(from), count).map((d) => d.toISOString().replace('.000', ''));
}

function problem(expression: string): string {
  const parsed = parseCalendar(expression);
  assert.ok('problem' in parsed, `${expression} should be refused`);
  return parsed.problem;
}

test('shorthands, weekdays, dates and times are read as systemd reads them', () => {
  const weekly = spec('weekly');
  assert.deepEqual([weekly.weekdays, weekly.hours, weekly.minutes, weekly.seconds], [[{ from: 1 }], [{ from: 0 }], [{ from: 0 }], [{ from: 0 }]]);
  const s = spec('mon..wed,Fri *-*-1..7 3:4');
  assert.deepEqual(s.weekdays, [{ from: 1, to: 3 }, { from: 5 }]);
  assert.deepEqual(s.days, [{ from: 1, to: 7 }]);
  assert.deepEqual([s.years, s.months], ['*', '*']);
  assert.deepEqual([s.hours, s.minutes, s.seconds], [[{ from: 3 }], [{ from: 4 }], [{ from: 0 }]]);
  const r = spec('2027-01,07-01 0/6:00/15:30');
  assert.deepEqual(r.years, [{ from: 2027 }]);
  assert.deepEqual(r.months, [{ from: 1 }, { from: 7 }]);
  assert.deepEqual(r.hours, [{ from: 0, step: 6 }]);
  assert.deepEqual(r.minutes, [{ from: 0, step: 15 }]);
  assert.deepEqual(r.seconds, [{ from: 30 }]);
  assert.deepEqual(spec('Sunday 12-25').days, [{ from: 25 }]);
  assert.equal(spec('Daily').expression, 'Daily');
});

test('what systemd refuses, or pgbr cannot compute, is refused with what to write', () => {
  assert.equal(problem(''), 'schedule "" is empty: write a systemd calendar expression such as daily or "*-*-* 02:30:00"');
  assert.equal(problem('*-*-* 24:00'), 'schedule "*-*-* 24:00" has the hour 24, outside 0..23');
  assert.equal(problem('*-13-01'), 'schedule "*-13-01" has the month 13, outside 1..12');
  assert.equal(problem('*-*-* */2:00'), 'schedule "*-*-* */2:00" has "*/2", which systemd does not accept: write 0/2 (from 0, every 2)');
  assert.equal(problem('*-02~01'), 'schedule "*-02~01" counts days from the end of the month (~), which pgbr cannot compute run times for: name the days instead');
  assert.equal(problem('*-*-* 00:00:00.5'), 'schedule "*-*-* 00:00:00.5" has fractions of a second, which backups do not need: write whole seconds');
  assert.equal(problem('Fri..Mon'), 'schedule "Fri..Mon" has the weekday range "Fri..Mon" running backwards: weeks start on Monday, so write it as two parts, like Sat..Sun,Mon');
  assert.equal(problem('Funday'), 'schedule "Funday" has "Funday", which is not a weekday: write Mon, Tue, … Sun, ranges like Mon..Fri and lists like Mon,Wed');
  assert.equal(problem('*-*-7..1'), 'schedule "*-*-7..1" has the range "7..1" running backwards: write the smaller day first');
  assert.equal(problem('*-*-* 0/0:00'), 'schedule "*-*-* 0/0:00" repeats every 0 in "0/0": give a repetition of at least 1');
  assert.equal(problem('daily UTC'), 'schedule "daily UTC" names the time zone "UTC": remove it and write it as the plan\'s timezone: instead');
  assert.equal(problem('02:30 *-*-*'), 'schedule "02:30 *-*-*" has "*-*-*" where systemd expects weekdays, then a date (*-*-*), then a time (02:30:00): see man systemd.time');
  assert.equal(problem('*-*-* 2:x'), 'schedule "*-*-* 2:x" has the minute "x", which is not a number, a range like 1..7, a repetition like 0/15 or a list of them');
});

test('spring forward in Europe/Berlin: a fixed time that does not exist that day is skipped', () => {
  // 2027-03-28 has no 02:00-02:59 in Berlin.
  assert.deepEqual(runs('*-*-* 02:30:00', 'Europe/Berlin', '2027-03-27T12:00:00Z'), [
    '2027-03-29T00:30:00Z', '2027-03-30T00:30:00Z', '2027-03-31T00:30:00Z',
    '2027-04-01T00:30:00Z', '2027-04-02T00:30:00Z',
  ]);
  assert.deepEqual(runs('*-*-* 02,03:30:00', 'Europe/Berlin', '2027-03-27T23:00:00Z'), [
    '2027-03-28T01:30:00Z', '2027-03-29T00:30:00Z', '2027-03-29T01:30:00Z',
    '2027-03-30T00:30:00Z', '2027-03-30T01:30:00Z',
  ]);
});

test('fall back in Europe/Berlin: a time that occurs twice runs once, at its first occurrence', () => {
  assert.deepEqual(runs('*-*-* 02:30:00', 'Europe/Berlin', '2027-10-30T12:00:00Z'), [
    '2027-10-31T00:30:00Z', '2027-11-01T01:30:00Z', '2027-11-02T01:30:00Z',
    '2027-11-03T01:30:00Z', '2027-11-04T01:30:00Z',
  ]);
  // Hourly: 02:30 CEST (00:30Z) runs, 02:30 CET (01:30Z) does not.
  assert.deepEqual(runs('*-*-* *:30:00', 'Europe/Berlin', '2027-10-30T23:00:00Z'), [
    '2027-10-30T23:30:00Z', '2027-10-31T00:30:00Z', '2027-10-31T02:30:00Z',
    '2027-10-31T03:30:00Z', '2027-10-31T04:30:00Z',
  ]);
});

test('across a year end: weekdays, days that some months lack, yearly and monthly', () => {
  assert.deepEqual(runs('Mon..Fri 02:00', 'Europe/Berlin', '2027-12-30T12:00:00Z'), [
    '2027-12-31T01:00:00Z', '2028-01-03T01:00:00Z', '2028-01-04T01:00:00Z',
    '2028-01-05T01:00:00Z', '2028-01-06T01:00:00Z',
  ]);
  assert.deepEqual(runs('*-*-31 12:00', 'Asia/Tokyo', '2027-12-30T12:00:00Z'), [
    '2027-12-31T03:00:00Z', '2028-01-31T03:00:00Z', '2028-03-31T03:00:00Z',
    '2028-05-31T03:00:00Z', '2028-07-31T03:00:00Z',
  ]);
  assert.deepEqual(runs('yearly', 'America/New_York', '2027-06-01T00:00:00Z', 3), ['2028-01-01T05:00:00Z', '2029-01-01T05:00:00Z', '2030-01-01T05:00:00Z']);
  assert.deepEqual(runs('monthly', 'UTC', '2027-12-15T00:00:00Z', 3), ['2028-01-01T00:00:00Z', '2028-02-01T00:00:00Z', '2028-03-01T00:00:00Z']);
  // Midnight on New Year's Day in the first zone to reach it.
  assert.deepEqual(runs('*-01-01 00:00', 'Pacific/Kiritimati', '2027-12-31T00:00:00Z', 2), ['2027-12-31T10:00:00Z', '2028-12-31T10:00:00Z']);
});

test('weekday and day of month must both match; a run exactly at the start is not counted; a schedule that ends stops', () => {
  assert.deepEqual(runs('Sat *-*-1..7 03:00', 'Europe/Berlin', '2027-03-27T23:00:00Z', 3), ['2027-04-03T01:00:00Z', '2027-05-01T01:00:00Z', '2027-06-05T01:00:00Z']);
  assert.deepEqual(runs('daily', 'UTC', '2027-05-01T00:00:00Z', 2), ['2027-05-02T00:00:00Z', '2027-05-03T00:00:00Z']);
  assert.deepEqual(runs('2027-05-01..02 12:00', 'UTC', '2027-04-30T00:00:00Z'), ['2027-05-01T12:00:00Z', '2027-05-02T12:00:00Z']);
  assert.deepEqual(runs('*-02-30', 'UTC', '2027-01-01T00:00:00Z'), []);
});
