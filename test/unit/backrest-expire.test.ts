// Our GFS rules over a stanza's backups: what stays and why, a kept diff or incr keeping the backups it is built on, the rest expired newest first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previewExpire } from '../../src/core/backrest/expire';
import type { BackrestBackup } from '../../src/core/backrest/info';
import { keepRulesFrom, parseKeepWithin } from '../../src/cli/backrestKeep';

function backup(label: string, type: BackrestBackup['type'], iso: string, references: string[] = []): BackrestBackup {
  const start = new Date(iso);
  return {
    label, type, references, ...(references.length ? { prior: references.at(-1) } : {}),
    startTime: start, stopTime: new Date(start.getTime() + 60_000), size: 1, delta: 1, repositoryDelta: 1, dbId: 1, repoKey: 1, backrestVersion: '2.45',
  };
}

// Two weeks: a full with a diff and an incr on it, then a full with an incr.
const F1 = backup('20260105-010000F', 'full', '2026-01-05T01:00:00Z');
const D1 = backup('20260105-010000F_20260106-010000D', 'diff', '2026-01-06T01:00:00Z', [F1.label]);
const I1 = backup('20260105-010000F_20260107-010000I', 'incr', '2026-01-07T01:00:00Z', [F1.label, D1.label]);
const F2 = backup('20260112-010000F', 'full', '2026-01-12T01:00:00Z');
const I2 = backup('20260112-010000F_20260113-010000I', 'incr', '2026-01-13T01:00:00Z', [F2.label]);
const ALL = [F1, D1, I1, F2, I2];
const view = (p: ReturnType<typeof previewExpire>) => ({ keep: p.keep.map((k) => [k.backup.label, k.reasons.join('; ')]), expire: p.expire.map((b) => b.label) });

test('last 1 keeps the newest incr and the full it is built on; the older chain goes, newest first', () => {
  assert.deepEqual(view(previewExpire(ALL, { last: 1 }, 'UTC')), {
    keep: [
      [I2.label, 'last 1; newest'],
      [F2.label, `needed by ${I2.label}`],
    ],
    expire: [I1.label, D1.label, F1.label],
  });
});

test('weekly 2 keeps the newest backup of each ISO week with its whole chain, so nothing of the first week goes', () => {
  assert.deepEqual(view(previewExpire(ALL, { weekly: 2 }, 'UTC')), {
    keep: [
      [I2.label, 'weekly 1; newest'],
      [F2.label, `needed by ${I2.label}`],
      [I1.label, 'weekly 2'],
      [D1.label, `needed by ${I1.label}`],
      [F1.label, `needed by ${I1.label}`],
    ],
    expire: [],
  });
});

test('the zone decides the day: 23:30 and 00:30 UTC are two days in UTC but one evening in New York', () => {
  const x = backup('20260112-233000F', 'full', '2026-01-12T23:30:00Z');
  const y = backup('20260113-003000F', 'full', '2026-01-13T00:30:00Z');
  const set = [F1, x, y];
  assert.deepEqual(view(previewExpire(set, { daily: 2 }, 'UTC')), { keep: [[y.label, 'daily 1; newest'], [x.label, 'daily 2']], expire: [F1.label] });
  assert.deepEqual(view(previewExpire(set, { daily: 2 }, 'America/New_York')), { keep: [[y.label, 'daily 1; newest'], [F1.label, 'daily 2']], expire: [x.label] });
});

test('the CLI keep options: at least one rule, whole counts, within as plans write it', () => {
  assert.deepEqual(keepRulesFrom({ keepDaily: 7, keepWeekly: 0 }), { daily: 7 });
  assert.throws(() => keepRulesFrom({ keepLast: 0 }), /give at least one keep rule/);
  assert.deepEqual(parseKeepWithin('2d'), { text: '2d', seconds: 172800 });
  assert.throws(() => parseKeepWithin('2 days'), /one of h, d, w, m, y/);
});
