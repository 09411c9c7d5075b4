// GFS retention over random histories (fixed seed): what must hold for any history, any rules and any zone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRetention } from '../../src/core/retention/gfs';
import { parseWithin, type KeepRules, type RetentionCandidate } from '../../src/core/retention/rules';

/** mulberry32: a small seeded generator, so a failure is the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Pacific/Kiritimati', 'Asia/Kathmandu', 'Australia/Lord_Howe'];
const WITHIN = ['6h', '2d', '1w', '1m'];

function randomHistory(next: () => number): RetentionCandidate[] {
  const count = Math.floor(next() * 120);
  const start = Date.UTC(2025, 9, 20);
  const out: RetentionCandidate[] = [];
  let t = start;
  for (let i = 0; i < count; i++) {
    // Mostly hours apart, sometimes the same instant (a tie), sometimes weeks apart.
    const r = next();
    t += r < 0.05 ? 0 : r < 0.9 ? Math.floor(next() * 30 * 3_600_000) : Math.floor(next() * 60 * 86_400_000);
    out.push({ path: `/backups/b${String(i).padStart(3, '0')}`, startedAt: new Date(t), verified: next() < 0.2 });
  }
  // The caller's order is not the time order.
  return out.sort(() => next() - 0.5);
}

function randomRules(next: () => number): KeepRules {
  const rules: KeepRules = {};
  const pick = (): number | undefined => (next() < 0.5 ? undefined : Math.floor(next() * 6));
  for (const key of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const n = pick();
    if (n !== undefined) rules[key] = n;
  }
  if (next() < 0.3) {
    const text = WITHIN[Math.floor(next() * WITHIN.length)] as string;
    rules.within = { text, seconds: parseWithin(text) as number };
  }
  return rules;
}

const newestOf = (list: readonly RetentionCandidate[]): RetentionCandidate | undefined =>
  [...list].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.path < b.path ? 1 : -1))[0];

test('for 2,000 random histories: the newest and newest verified are kept, keep and remove split the candidates, and a second prune removes nothing', () => {
  const next = random(20261202);
  for (let round = 0; round < 2000; round++) {
    const history = randomHistory(next);
    const rules = randomRules(next);
    const zone = ZONES[Math.floor(next() * ZONES.length)] as string;
    const where = `round ${round}, ${history.length} backups, ${zone}, rules ${JSON.stringify(rules)}`;
    const plan = planRetention(history, rules, zone);
    const kept = plan.keep.map((k) => k.candidate);

    const newest = newestOf(history);
    if (newest) assert.ok(kept.includes(newest), `the newest backup is removed: ${where}`);
    const newestVerified = newestOf(history.filter((c) => c.verified));
    if (newestVerified) assert.ok(kept.includes(newestVerified), `the newest verified backup is removed: ${where}`);

    const all = new Set([...kept, ...plan.remove]);
    assert.equal(all.size, history.length, `keep and remove overlap or lose a backup: ${where}`);
    for (const c of history) assert.ok(all.has(c), `${c.path} is neither kept nor removed: ${where}`);
    for (const k of plan.keep) assert.ok(k.reasons.length > 0, `${k.candidate.path} is kept without a reason: ${where}`);

    const again = planRetention(kept, rules, zone);
    assert.deepEqual(again.remove.map((c) => c.path), [], `a second prune removes more: ${where}`);
  }
});
