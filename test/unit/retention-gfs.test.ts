// GFS retention against hand-computed tables: borg prune 1.2's rules, in the plan's time zone, with the safety rules on top.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRetention } from '../../src/core/retention/gfs';
import { parseWithin, type KeepRules, type RetentionCandidate } from '../../src/core/retention/rules';
import { civilDate, isTimeZone, zoneClock } from '../../src/core/platform/zones';

const backup = (path: string, iso: string, verified = false): RetentionCandidate => ({ path, startedAt: new Date(iso), verified });

/** `{ path: reasons }` for what is kept, and the paths removed, both newest first. */
function outcome(candidates: RetentionCandidate[], rules: KeepRules, zone = 'UTC'): { keep: Record<string, string[]>; remove: string[] } {
  const plan = planRetention(candidates, rules, zone);
  return {
    keep: Object.fromEntries(plan.keep.map((k) => [k.candidate.path, k.reasons])),
    remove: plan.remove.map((c) => c.path),
  };
}

const within = (text: string): KeepRules['within'] => ({ text, seconds: parseWithin(text) as number });

test('daily keeps the newest backup of each of the N newest days', () => {
  const history = [
    backup('d5-20', '2026-11-05T20:00:00Z'),
    backup('d5-08', '2026-11-05T08:00:00Z'),
    backup('d4-20', '2026-11-04T20:00:00Z'),
    backup('d4-08', '2026-11-04T08:00:00Z'),
    backup('d3-20', '2026-11-03T20:00:00Z'),
    backup('d2-20', '2026-11-02T20:00:00Z'),
  ];
  assert.deepEqual(outcome(history, { daily: 3 }), {
    keep: { 'd5-20': ['daily 1', 'newest'], 'd4-20': ['daily 2'], 'd3-20': ['daily 3'] },
    remove: ['d5-08', 'd4-08', 'd2-20'],
  });
});

test('fewer periods than the count: the oldest backup is kept too, once', () => {
  const history = [
    backup('d3', '2026-11-03T20:00:00Z'),
    backup('d2', '2026-11-02T20:00:00Z'),
    backup('d1-20', '2026-11-01T20:00:00Z'),
    backup('d1-08', '2026-11-01T08:00:00Z'),
  ];
  assert.deepEqual(outcome(history, { daily: 7, weekly: 4 }), {
    keep: { d3: ['daily 1', 'newest'], d2: ['daily 2'], 'd1-20': ['daily 3'], 'd1-08': ['oldest (daily)'] },
    remove: [],
  });
  // The walk reached its count: no oldest.
  assert.deepEqual(outcome(history, { daily: 3 }).remove, ['d1-08']);
});

test('a backup kept by an earlier rule uses up its period but not the count', () => {
  const history = [
    backup('d3-20', '2026-11-03T20:00:00Z'),
    backup('d3-08', '2026-11-03T08:00:00Z'),
    backup('d2-20', '2026-11-02T20:00:00Z'),
    backup('d1-20', '2026-11-01T20:00:00Z'),
    backup('d0-20', '2026-10-31T20:00:00Z'),
  ];
  assert.deepEqual(outcome(history, { last: 1, daily: 2 }), {
    keep: { 'd3-20': ['last 1', 'newest'], 'd2-20': ['daily 1'], 'd1-20': ['daily 2'] },
    remove: ['d3-08', 'd0-20'],
  });
  // last 2 keeps both of day 3; daily then starts counting at day 2.
  assert.deepEqual(outcome(history, { last: 2, daily: 1 }).keep, { 'd3-20': ['last 1', 'newest'], 'd3-08': ['last 2'], 'd2-20': ['daily 1'] });
});

test('every rule in order: last, hourly, daily, weekly, monthly, yearly', () => {
  const history = [
    backup('a', '2026-11-24T10:30:00Z'),
    backup('b', '2026-11-24T10:10:00Z'),
    backup('c', '2026-11-24T09:30:00Z'),
    backup('d', '2026-11-23T09:30:00Z'),
    backup('e', '2026-11-16T09:30:00Z'), // the week before (Monday)
    backup('f', '2026-10-30T09:30:00Z'),
    backup('g', '2025-06-01T09:30:00Z'),
    backup('h', '2025-05-01T09:30:00Z'),
  ];
  assert.deepEqual(outcome(history, { last: 1, hourly: 1, daily: 1, weekly: 1, monthly: 1, yearly: 1 }), {
    keep: { a: ['last 1', 'newest'], c: ['hourly 1'], d: ['daily 1'], e: ['weekly 1'], f: ['monthly 1'], g: ['yearly 1'] },
    remove: ['b', 'h'],
  });
});

test('two backups that started at the same instant are ordered by path, whatever order they come in', () => {
  const same = '2026-11-24T02:30:00Z';
  const forward = [backup('/d/app_1.dump', same), backup('/d/app_2.dump', same), backup('/d/app_0.dump', '2026-11-23T02:30:00Z')];
  for (const history of [forward, [...forward].reverse()]) {
    assert.deepEqual(outcome(history, { last: 1 }), { keep: { '/d/app_2.dump': ['last 1', 'newest'] }, remove: ['/d/app_1.dump', '/d/app_0.dump'] });
    assert.deepEqual(outcome(history, { daily: 2 }).keep, { '/d/app_2.dump': ['daily 1', 'newest'], '/d/app_0.dump': ['daily 2'] });
  }
});

test('days are the plan zone\'s days: Europe/Berlin across the spring and autumn changes', () => {
  const history = [
    // 2026-10-25: clocks go back at 01:00 UTC (03:00 CEST → 02:00 CET); the day has 25 hours.
    backup('oct26-0030', '2026-10-25T23:30:00Z'), // 00:30 CET on the 26th
    backup('oct25-2330', '2026-10-25T22:30:00Z'), // 23:30 CET on the 25th
    backup('oct25-0030', '2026-10-24T22:30:00Z'), // 00:30 CEST on the 25th
    backup('oct24-2330', '2026-10-24T21:30:00Z'), // 23:30 CEST on the 24th
    // 2026-03-29: clocks go forward at 01:00 UTC (02:00 CET → 03:00 CEST); the day has 23 hours.
    backup('mar30-0030', '2026-03-29T22:30:00Z'), // 00:30 CEST on the 30th
    backup('mar29-2330', '2026-03-29T21:30:00Z'), // 23:30 CEST on the 29th
    backup('mar29-0030', '2026-03-28T23:30:00Z'), // 00:30 CET on the 29th
    backup('mar28-2330', '2026-03-28T22:30:00Z'), // 23:30 CET on the 28th
  ];
  assert.deepEqual(outcome(history, { daily: 6 }, 'Europe/Berlin'), {
    keep: {
      'oct26-0030': ['daily 1', 'newest'],
      'oct25-2330': ['daily 2'],
      'oct24-2330': ['daily 3'],
      'mar30-0030': ['daily 4'],
      'mar29-2330': ['daily 5'],
      'mar28-2330': ['daily 6'],
    },
    remove: ['oct25-0030', 'mar29-0030'],
  });
  // The same instants in UTC fall on other days: the zone is what decides.
  // (four UTC days for a count of six: the oldest is kept as well).
  assert.deepEqual(outcome(history, { daily: 6 }, 'UTC').remove, ['oct25-2330', 'oct24-2330', 'mar29-2330']);
});

test('hours are real hours: the repeated autumn hour is two periods, in Berlin and in New York', () => {
  const berlin = [
    backup('cet-0230', '2026-10-25T01:30:00Z'), // 02:30 CET, the second 02:30 of the night
    backup('cest-0245', '2026-10-25T00:45:00Z'), // 02:45 CEST
    backup('cest-0230', '2026-10-25T00:30:00Z'), // 02:30 CEST
    backup('cest-0130', '2026-10-24T23:30:00Z'), // 01:30 CEST
  ];
  assert.deepEqual(outcome(berlin, { hourly: 3 }, 'Europe/Berlin'), {
    keep: { 'cet-0230': ['hourly 1', 'newest'], 'cest-0245': ['hourly 2'], 'cest-0130': ['hourly 3'] },
    remove: ['cest-0230'],
  });
  const newYork = [
    backup('est-0130', '2026-11-01T06:30:00Z'), // 01:30 EST, after clocks went back at 06:00 UTC
    backup('edt-0130', '2026-11-01T05:30:00Z'), // 01:30 EDT
    backup('edt-0010', '2026-11-01T04:10:00Z'), // 00:10 EDT on the 1st
    backup('edt-2350', '2026-11-01T03:50:00Z'), // 23:50 EDT on Oct 31
    // Spring: 02:00 EST does not exist on 2026-03-08; 01:59 EST is followed by 03:00 EDT.
    backup('edt-0310', '2026-03-08T07:10:00Z'), // 03:10 EDT
    backup('est-0150', '2026-03-08T06:50:00Z'), // 01:50 EST
  ];
  assert.deepEqual(outcome(newYork, { hourly: 6 }, 'America/New_York').remove, []);
  assert.deepEqual(outcome(newYork, { daily: 3 }, 'America/New_York'), {
    keep: { 'est-0130': ['daily 1', 'newest'], 'edt-2350': ['daily 2'], 'edt-0310': ['daily 3'] },
    remove: ['edt-0130', 'edt-0010', 'est-0150'],
  });
});

test('ISO weeks run Monday to Sunday across a year end: 2026-12-28 to 2027-01-03 is one week', () => {
  const days = ['2026-12-24', '2026-12-26', '2026-12-27', '2026-12-28', '2026-12-31', '2027-01-01', '2027-01-03', '2027-01-04', '2027-01-06'];
  const history = days.map((d) => backup(d, `${d}T12:00:00Z`)).reverse();
  assert.deepEqual(outcome(history, { weekly: 3 }), {
    keep: { '2027-01-06': ['weekly 1', 'newest'], '2027-01-03': ['weekly 2'], '2026-12-27': ['weekly 3'] },
    remove: ['2027-01-04', '2027-01-01', '2026-12-31', '2026-12-28', '2026-12-26', '2026-12-24'],
  });
  assert.deepEqual(Object.keys(outcome(history, { monthly: 2 }).keep), ['2027-01-06', '2026-12-31']);
  assert.deepEqual(Object.keys(outcome(history, { yearly: 2 }).keep), ['2027-01-06', '2026-12-31']);
  // A Sunday night in UTC is already Monday in Auckland (UTC+13 in summer): a week of its own there.
  const sunday = [backup('mon-akl', '2027-01-03T11:30:00Z'), backup('sun', '2027-01-03T09:00:00Z'), backup('sat', '2027-01-02T09:00:00Z')];
  assert.deepEqual(Object.keys(outcome(sunday, { weekly: 2 }, 'Pacific/Auckland').keep), ['mon-akl', 'sun']);
  assert.deepEqual(outcome(sunday, { weekly: 2 }, 'UTC').keep, { 'mon-akl': ['weekly 1', 'newest'], sat: ['oldest (weekly)'] });
});

test('zones far from UTC: a year begins earlier in Kiritimati, an hour at :15 in Kathmandu', () => {
  const newYear = [backup('2027-local', '2026-12-31T10:30:00Z'), backup('2026-local', '2026-12-31T09:30:00Z'), backup('2025', '2025-12-31T09:00:00Z')];
  assert.deepEqual(outcome(newYear, { yearly: 2 }, 'Pacific/Kiritimati'), { keep: { '2027-local': ['yearly 1', 'newest'], '2026-local': ['yearly 2'] }, remove: ['2025'] });
  assert.deepEqual(outcome(newYear, { yearly: 2 }, 'UTC'), { keep: { '2027-local': ['yearly 1', 'newest'], '2025': ['yearly 2'] }, remove: ['2026-local'] });
  const kathmandu = [backup('0605', '2026-06-01T00:20:00Z'), backup('0555', '2026-06-01T00:10:00Z'), backup('0545', '2026-06-01T00:00:00Z')];
  // UTC+5:45: 05:45 and 05:55 share the local hour 05, 06:05 is the next one.
  assert.deepEqual(outcome(kathmandu, { hourly: 2 }, 'Asia/Kathmandu'), { keep: { '0605': ['hourly 1', 'newest'], '0555': ['hourly 2'] }, remove: ['0545'] });
});

test('within keeps what started after the newest backup minus the interval, and the counts go on after it', () => {
  const history = [
    backup('t', '2026-11-24T02:30:00Z'),
    backup('t-1d', '2026-11-23T02:30:00Z'),
    backup('t-2d+1ms', '2026-11-22T02:30:00.001Z'),
    backup('t-2d', '2026-11-22T02:30:00Z'),
    backup('t-3d', '2026-11-21T02:30:00Z'),
    backup('t-4d', '2026-11-20T02:30:00Z'),
  ];
  assert.deepEqual(outcome(history, { within: within('2d') }), {
    keep: { t: ['within 2d', 'newest'], 't-1d': ['within 2d'], 't-2d+1ms': ['within 2d'] },
    remove: ['t-2d', 't-3d', 't-4d'],
  });
  // Kept by within, the newest does not count for last: last 1 keeps the next one.
  assert.deepEqual(outcome(history, { within: within('36h'), last: 1, daily: 1 }).keep, {
    t: ['within 36h', 'newest'],
    't-1d': ['within 36h'],
    't-2d+1ms': ['last 1'],
    't-3d': ['daily 1'],
  });
});

test('the newest and the newest verified backup are kept whatever the rules say', () => {
  const history = [
    backup('new', '2026-11-24T02:30:00Z'),
    backup('mid', '2026-11-23T02:30:00Z', true),
    backup('old', '2026-11-22T02:30:00Z', true),
    backup('older', '2026-10-01T02:30:00Z'),
  ];
  assert.deepEqual(outcome(history, { monthly: 1 }), { keep: { new: ['monthly 1', 'newest'], mid: ['newest verified'] }, remove: ['old', 'older'] });
  const verifiedNewest = history.map((c, i) => ({ ...c, verified: i === 0 }));
  assert.deepEqual(outcome(verifiedNewest, { last: 1 }).keep, { new: ['last 1', 'newest', 'newest verified'] });
});

test('a plan without keep rules removes nothing; no backups, nothing to decide', () => {
  const history = [backup('a', '2026-11-24T02:30:00Z'), backup('b', '2026-11-23T02:30:00Z', true)];
  assert.deepEqual(outcome(history, {}), { keep: { a: ['no keep rules', 'newest'], b: ['no keep rules', 'newest verified'] }, remove: [] });
  assert.deepEqual(outcome(history, { daily: 0, last: 0 }).remove, []);
  assert.deepEqual(planRetention([], { daily: 7 }, 'Europe/Berlin'), { keep: [], remove: [] });
});

test('a zone Intl does not know is refused whatever the rules, before anything is decided', () => {
  assert.throws(() => planRetention([backup('a', '2026-11-24T02:30:00Z')], { last: 1 }, 'Europe/Atlantis'), RangeError);
});

test('the zone clock agrees with Intl through two years of zones with odd rules, and to the second at a change', () => {
  const intlLocal = (zone: string): ((ms: number) => string) => {
    const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    return (ms) => {
      const m = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/.exec(f.format(ms)) as RegExpExecArray;
      return `${m[3]}-${m[1]}-${m[2]}T${m[4]}:${m[5]}:${m[6]}`;
    };
  };
  const clockLocal = (zone: string): ((ms: number) => string) => {
    const clock = zoneClock(zone);
    return (ms) => new Date(ms + clock.offsetMinutes(ms) * 60_000).toISOString().slice(0, 19);
  };
  // Lord Howe moves by 30 minutes, Casablanca stops its summer time for Ramadan, Chatham is UTC+12:45.
  for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Africa/Casablanca', 'Pacific/Chatham']) {
    const [intl, clock] = [intlLocal(zone), clockLocal(zone)];
    for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2028, 0, 1); ms += 47 * 60_000 + 7) {
      if (intl(ms) !== clock(ms)) assert.fail(`${zone} at ${new Date(ms).toISOString()}: Intl says ${intl(ms)}, the clock ${clock(ms)}`);
    }
  }
  // Each side of each change: Berlin's and New York's in 2026.
  for (const [zone, iso] of [['Europe/Berlin', '2026-03-29T01:00:00Z'], ['Europe/Berlin', '2026-10-25T01:00:00Z'], ['America/New_York', '2026-03-08T07:00:00Z'], ['America/New_York', '2026-11-01T06:00:00Z']] as const) {
    const [intl, clock] = [intlLocal(zone), clockLocal(zone)];
    for (const ms of [Date.parse(iso) - 1000, Date.parse(iso) - 1, Date.parse(iso), Date.parse(iso) + 999]) assert.equal(clock(ms), intl(ms), `${zone} at ${new Date(ms).toISOString()}`);
  }
  assert.equal(isTimeZone('Europe/Berlin'), true);
  assert.equal(isTimeZone('Mars/Olympus_Mons'), false);
});

test('calendar dates from day numbers, leap years and centuries included', () => {
  for (const iso of ['1970-01-01', '1969-12-31', '2000-02-29', '2100-03-01', '2024-12-31', '2027-01-01', '1900-02-28']) {
    const days = Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
    assert.deepEqual(civilDate(days), { year: Number(iso.slice(0, 4)), month: Number(iso.slice(5, 7)) }, iso);
  }
});
