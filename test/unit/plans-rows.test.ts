// The Plans view's words for a plan: its last and next run, its tooltip with duration, size and error, its keep rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backrestRetentionTable, failedRunWarning, keepRulesText, lastRunLines, planDescription, planTooltip, retentionSummary, retentionTable, type PlanFacts } from '../../src/plans/rows';
import type { BackrestBackup } from '../../src/core/backrest/info';
import type { JournalRecord } from '../../src/core/plans';

const now = new Date('2026-03-10T12:00:00Z');

function record(over: Partial<JournalRecord>): JournalRecord {
  return {
    v: 1, plan: 'nightly', runId: 'r1', host: 'h', pid: 1,
    startedAt: '2026-03-10T03:00:00Z', endedAt: '2026-03-10T03:02:05Z', outcome: 'succeeded',
    ...over,
  };
}

const plan = (over: Partial<PlanFacts> = {}): PlanFacts => ({
  name: 'nightly', schedule: 'daily', timezone: 'UTC', nextRuns: [new Date('2026-03-11T00:00:00Z')], ...over,
});

test('a plan never run says so, with its next run in its zone', () => {
  assert.equal(planDescription(plan(), now), 'never run · next tomorrow 00:00 UTC');
});

test('a plan that ran says the outcome and when, in the plan\'s zone', () => {
  const d = planDescription(plan({ timezone: 'Europe/Berlin', lastRun: record({}) }), now);
  assert.equal(d, 'succeeded today 04:02 UTC+1 · 8 h ago · next tomorrow 01:00 UTC+1');
});

test('a schedule with no time ahead says there is no next run', () => {
  assert.match(planDescription(plan({ nextRuns: [] }), now), /· no next run$/);
});

test('the tooltip gives the duration, the size and the error of the last run', () => {
  const tip = planTooltip(plan({ lastRun: record({ outcome: 'failed', backup: { path: '/b/x.dump', bytes: 2048, seconds: 100 }, error: { message: 'disk full' } }) }), now);
  assert.match(tip, /^Plan nightly: daily \(UTC\)\n/);
  assert.match(tip, /Last run failed today 03:02 UTC · 8 h ago, took 2 min/);
  assert.match(tip, /Backup \/b\/x\.dump \(2\.0 kB\)/);
  assert.match(tip, /Error: disk full/);
});

test('no journal record yet points at Run Now', () => {
  assert.deepEqual(lastRunLines(undefined, now, 'UTC'), ['No run in the journal yet: Run Now takes the first backup.']);
});

test('keep rules list the ones that keep something; none says nothing is removed', () => {
  assert.equal(keepRulesText({ daily: 7, weekly: 0, within: { text: '2d', seconds: 172800 } }), 'daily 7, within 2d');
  assert.equal(keepRulesText(undefined), 'no keep rules: nothing is removed');
  assert.equal(keepRulesText({ daily: 0 }), 'no keep rules: nothing is removed');
});

test('the retention preview lists each kept backup with its reasons and each removed one, and says nothing was removed', () => {
  const text = retentionTable({
    plan: 'nightly',
    keep: [{ path: '/b/nightly-2.dump', time: '2026-03-10T03:00:00Z', reasons: ['daily #1', 'last #1'] }],
    remove: [{ path: '/b/nightly-1.dump', time: '2026-03-01T03:00:00Z' }],
    skipped: ['nightly-0.dump has no manifest'],
  });
  assert.match(text, /Nothing has been removed/);
  assert.match(text, /\| keep \| 2026-03-10T03:00:00Z \| nightly-2\.dump \| daily #1, last #1 \|/);
  assert.match(text, /\| remove \| 2026-03-01T03:00:00Z \| nightly-1\.dump \| not kept by any rule \|/);
  assert.match(text, /Note: nightly-0\.dump has no manifest/);
});

test('a plan with no backups yet says so instead of an empty table', () => {
  const text = retentionTable({ plan: 'nightly', keep: [], remove: [], skipped: [] });
  assert.match(text, /Plan nightly has no backups yet\./);
  assert.doesNotMatch(text, /\| Started \|/);
});

test('the installed schedule joins the row once it is known, and the tooltip says where it is', () => {
  const installed = { installed: [{ scheduler: 'systemd' as const, where: 'system' as const, location: '/etc/systemd/system/pgbr-nightly.timer', active: 'active', enabled: 'enabled', current: true }], problems: [] };
  assert.equal(planDescription(plan({ installed }), now), 'never run · next tomorrow 00:00 UTC · systemd timer · active');
  assert.match(planTooltip(plan({ installed }), now), /\nSchedule: systemd timer · active \(\/etc\/systemd\/system\/pgbr-nightly\.timer\)$/);
  assert.equal(planDescription(plan({ installed: { installed: [], problems: [] } }), now), 'never run · next tomorrow 00:00 UTC · not scheduled');
  assert.match(planTooltip(plan({ installed: { installed: [], problems: [] } }), now), /\nSchedule: not installed \(Install Schedule… shows the units or crontab lines first\)$/);
  const unknown = { installed: [], problems: ['crontab -l did not answer within 2 s'] };
  assert.equal(planDescription(plan({ installed: unknown }), now), 'never run · next tomorrow 00:00 UTC · schedule unknown');
  assert.match(planTooltip(plan({ installed: unknown }), now), /\nSchedule: crontab -l did not answer within 2 s$/);
});

test('the retention summary counts what the preview keeps and removes, and the archive files of a WAL clean-up', () => {
  const keep = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/d/${i}.dump`, time: '2026-03-01T00:00:00.000Z', reasons: ['daily 1'] }));
  assert.equal(retentionSummary({ plan: 'nightly', keep: keep(9), remove: keep(2), skipped: [] }), 'keeps 9 · would remove 2');
  assert.equal(retentionSummary({ plan: 'nightly', keep: keep(1), remove: [], skipped: [] }), 'keeps 1 · would remove 0');
  assert.equal(retentionSummary({ plan: 'nightly', keep: [], remove: [], skipped: [] }), 'no backups yet');
  const wal = { archive: '/a', remove: ['x', 'y', 'z'], segments: 3, bytes: 3, before: {}, after: {} };
  assert.equal(retentionSummary({ plan: 'base', keep: keep(2), remove: keep(1), skipped: [], wal }), 'keeps 2 · would remove 1 and 3 archive files');
});

test('the failed-run warning names the plan, when it failed in its zone, the host, and only the error\'s first line', () => {
  const failed = record({ outcome: 'failed', host: 'db1', error: { message: 'pg_dump: error: connection to server failed\nHINT: is the server running?' } });
  assert.equal(failedRunWarning(failed, now, 'UTC'), 'Plan nightly failed today 03:02 UTC · 8 h ago (started on db1): pg_dump: error: connection to server failed');
  assert.match(failedRunWarning(record({ outcome: 'failed' }), now, 'UTC'), /: no error was recorded$/);
});

test("a pgbackrest plan's retention preview lists each backup kept with its reasons or expired, and says when there are no rules", () => {
  const backup = (label: string, type: 'full' | 'diff' | 'incr', iso: string) => ({ label, type, startTime: new Date(iso) }) as BackrestBackup;
  const full1 = backup('20261101-030000F', 'full', '2026-11-01T03:00:00Z');
  const full2 = backup('20261108-030000F', 'full', '2026-11-08T03:00:00Z');
  const diff = backup('20261108-030000F_20261109-030000D', 'diff', '2026-11-09T03:00:00Z');
  const text = backrestRetentionTable('repo', 'main', 3, { keep: [{ backup: diff, reasons: ['last 1'] }, { backup: full2, reasons: ['needed by 20261108-030000F_20261109-030000D'] }], expire: [full1] });
  assert.match(text, /^# Retention preview of plan repo \(pgBackRest stanza main\)$/m);
  assert.match(text, /^\| keep \| .* \| 20261108-030000F_20261109-030000D \(diff\) \| last 1 \|$/m);
  assert.match(text, /^\| keep \| .* \| 20261108-030000F \(full\) \| needed by 20261108-030000F_20261109-030000D \|$/m);
  assert.match(text, /^\| expire \| .* \| 20261101-030000F \(full\) \| not kept by any rule \|$/m);
  assert.match(backrestRetentionTable('repo', 'main', 3, undefined), /has no keep: rules, so its runs expire nothing \(3 backups in the stanza\)/);
});
