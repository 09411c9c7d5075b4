// Recovery target times: explicit zones, offsets, daylight-saving gaps and overlaps, and how a time is shown back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTime, formatTargetTime, parseTargetTime } from '../../src/core/pitr/time';

test('an IANA zone is resolved to the offset in force on that date', () => {
  const winter = parseTargetTime('2026-11-22 14:30 Europe/Berlin');
  assert.equal(formatTargetTime(winter), '2026-11-22 14:30:00+01');
  assert.equal(new Date(winter.epochMs).toISOString(), '2026-11-22T13:30:00.000Z');
  const summer = parseTargetTime('2026-07-01T14:30:00 Europe/Berlin');
  assert.equal(formatTargetTime(summer), '2026-07-01 14:30:00+02');
});

test('offsets, Z and UTC are taken as given, fractional seconds kept to the microsecond', () => {
  assert.equal(formatTargetTime(parseTargetTime('2026-11-22T14:30:00.123456+05:30')), '2026-11-22 14:30:00.123456+05:30');
  assert.equal(formatTargetTime(parseTargetTime('2026-11-22 14:30:05Z')), '2026-11-22 14:30:05+00');
  assert.equal(formatTargetTime(parseTargetTime('2026-11-22 14:30 UTC')), '2026-11-22 14:30:00+00');
  const t = parseTargetTime('2026-11-22 14:30:00.1234-03');
  assert.equal(new Date(t.epochMs).toISOString(), '2026-11-22T17:30:00.123Z');
  assert.equal(t.extraMicros, 400);
});

test('the zone option applies only when the text names none', () => {
  assert.equal(formatTargetTime(parseTargetTime('2026-11-22 14:30', 'America/New_York')), '2026-11-22 14:30:00-05');
  assert.equal(formatTargetTime(parseTargetTime('2026-11-22 14:30+01', 'America/New_York')), '2026-11-22 14:30:00+01');
});

test('a time without a zone, an unknown zone, or an impossible date is refused with what to do', () => {
  assert.throws(() => parseTargetTime('2026-11-22 14:30'), /has no time zone: add one/);
  assert.throws(() => parseTargetTime('2026-11-22 14:30 Mars/Olympus'), /not a time zone this system knows/);
  assert.throws(() => parseTargetTime('2026-02-30 14:30Z'), /not a real date/);
  assert.throws(() => parseTargetTime('yesterday at noon'), /is not a recovery target time/);
});

test('daylight saving: a skipped local time and a repeated one are refused, not guessed', () => {
  // Europe/Berlin: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00.
  assert.throws(() => parseTargetTime('2026-03-29 02:30 Europe/Berlin'), /does not exist in Europe\/Berlin.*daylight saving/);
  assert.throws(() => parseTargetTime('2026-10-25 02:30 Europe/Berlin'), /happens twice in Europe\/Berlin.*2026-10-25 02:30\+02 or 2026-10-25 02:30\+01/);
  // Either side of the changes is fine.
  assert.equal(formatTargetTime(parseTargetTime('2026-03-29 03:30 Europe/Berlin')), '2026-03-29 03:30:00+02');
  assert.equal(formatTargetTime(parseTargetTime('2026-10-25 03:30 Europe/Berlin')), '2026-10-25 03:30:00+01');
  // The explicit offset settles the repeated hour.
  assert.equal(new Date(parseTargetTime('2026-10-25 02:30+01').epochMs).toISOString(), '2026-10-25T01:30:00.000Z');
});

test('a time given in one zone is shown in UTC and in the server zone, across a DST difference', () => {
  // 2026-03-20: New York is already on summer time (-04), Berlin not yet (+01).
  const d = describeTime(parseTargetTime('2026-03-20 14:30 Europe/Berlin'), 'America/New_York');
  assert.equal(d.utc, '2026-03-20 13:30:00 UTC');
  assert.equal(d.server, '2026-03-20 09:30:00-04 (America/New_York)');
  assert.equal(d.given, '2026-03-20 14:30:00+01 (Europe/Berlin)');
  const india = describeTime(parseTargetTime('2026-11-22T00:10:00.5Z'), 'Asia/Kolkata');
  assert.equal(india.server, '2026-11-22 05:40:00.5+05:30 (Asia/Kolkata)');
  assert.equal(describeTime(parseTargetTime('2026-11-22T00:10:00Z'), 'Not/AZone').server, undefined);
});
