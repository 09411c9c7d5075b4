// The checklist's offsite item: it passes only on a copy of each plan's newest backup verified within the plan's period, and otherwise says which plan and how old its last verified copy is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOffsite, offsiteHealth } from '../../src/core/health/offsite';
import type { PlanHealth } from '../../src/core/health/plans';
import type { CheckItem } from '../../src/core/health/snapshot';
import type { CatalogEntry } from '../../src/core/logical/catalog';
import type { OffsiteCopy } from '../../src/core/logical/manifest';

const now = new Date('2027-03-10T12:00:00Z');
const item = (status: CheckItem['status'], detail: string, fix?: string): CheckItem => ({ id: 'offsite', title: 'offsite', status, detail, ...(fix ? { fix } : {}) });
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
const T = ':s3:bucket/pg';

function dump(name: string, plan: string, time: Date, offsite?: OffsiteCopy[]): CatalogEntry {
  return { path: `/srv/dumps/${name}`, name, format: 'custom', gzip: false, sizeBytes: 1, time, manifest: { plan, ...(offsite ? { offsite } : {}) } as never };
}
const verifiedAt = (d: Date, extra: Partial<OffsiteCopy> = {}): OffsiteCopy[] => [{ target: T, sha256: {}, copiedAt: d.toISOString(), verifiedAt: d.toISOString(), ...extra }];
const plan = (dumps: CatalogEntry[], periodSeconds = 86400, targets = [T]): PlanHealth => ({ name: 'nightly', keepRules: true, periodSeconds, offsite: offsiteHealth('nightly', targets, dumps) });

test('passes when the newest backup has a copy verified within the period, and at the period itself', () => {
  for (const age of [1, 24]) {
    const r = checkOffsite([plan([dump('b.dump', 'nightly', hoursAgo(age), verifiedAt(hoursAgo(age))), dump('a.dump', 'nightly', hoursAgo(48))])], {}, now, item);
    assert.equal(r.status, 'pass', `${age} h`);
    assert.match(r.detail, new RegExp(`plan nightly at ${T.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  }
});

test('fails one second past the period, naming the plan, the backup and the age', () => {
  const at = new Date(now.getTime() - 86401_000);
  const r = checkOffsite([plan([dump('b.dump', 'nightly', at, verifiedAt(at))])], {}, now, item);
  assert.equal(r.status, 'fail');
  assert.equal(r.detail, "plan nightly: the copy of its newest backup, b.dump, at :s3:bucket/pg was last verified 1 day ago, longer than the plan's period of 1 day.");
  assert.match(r.fix ?? '', /pgbr run nightly/);
});

test('fails when the newest backup has no verified copy, saying how old the last verified copy of an older one is', () => {
  const r = checkOffsite([plan([dump('c.dump', 'nightly', hoursAgo(2)), dump('b.dump', 'nightly', hoursAgo(50), verifiedAt(hoursAgo(49)))])], {}, now, item);
  assert.equal(r.status, 'fail');
  assert.match(r.detail, /^plan nightly: its newest backup, c\.dump, has no verified copy at :s3:bucket\/pg; the last verified copy there is 2 days 1 h old\.$/);
  assert.match(r.fix ?? '', /pgbr offsite verify \/srv\/dumps\/c\.dump --to :s3:bucket\/pg/);
});

test('a verify that found the copy different after it verified counts as no verified copy', () => {
  const copy = verifiedAt(hoursAgo(3), { failedAt: hoursAgo(1).toISOString(), failure: 'x' });
  const r = checkOffsite([plan([dump('b.dump', 'nightly', hoursAgo(4), copy)])], {}, now, item);
  assert.equal(r.status, 'fail');
  assert.match(r.detail, /no copy there was ever verified/);
});

test('a copy verified at another target, or a dump of another plan, does not count', () => {
  const other = [{ target: 'backup:pg', sha256: {}, verifiedAt: hoursAgo(1).toISOString() }];
  assert.equal(checkOffsite([plan([dump('b.dump', 'nightly', hoursAgo(1), other)])], {}, now, item).status, 'fail');
  const r = checkOffsite([plan([dump('x.dump', 'weekly', hoursAgo(1), verifiedAt(hoursAgo(1)))])], {}, now, item);
  assert.equal(r.status, 'fail');
  assert.match(r.detail, /plan nightly copies to :s3:bucket\/pg but has no backup yet/);
});

test('every target of every plan is judged: one failing target fails the item and the rest are counted', () => {
  const dumps = [dump('b.dump', 'nightly', hoursAgo(1), verifiedAt(hoursAgo(1)))];
  const r = checkOffsite([plan(dumps, 86400, [T, 'backup:pg', '/srv/copies'])], {}, now, item);
  assert.equal(r.status, 'fail');
  assert.match(r.detail, /at backup:pg; no copy there was ever verified\. \(1 other target too\)$/);
});

test('without a plan that copies offsite, a declaration only warns, and so does nothing at all', () => {
  const none: PlanHealth = { name: 'nightly', keepRules: false };
  const declared = checkOffsite([none], { offsite: { target: 's3://bucket/pg' } }, now, item);
  assert.equal(declared.status, 'warn');
  assert.match(declared.detail, /declared \(s3:\/\/bucket\/pg\), but no plan copies its backups there/);
  assert.equal(checkOffsite(undefined, {}, now, item).status, 'warn');
});
