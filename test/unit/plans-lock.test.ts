// One run per plan: the lock names its holder, a dead holder's lock is taken over by exactly one taker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquirePlanLock, alreadyRunning, EX_TEMPFAIL, lockPath, type LockHolder } from '../../src/core/plans/lock';
import { processStartTicks } from '../../src/core/platform/reaper';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-lock-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let serial = 0;
const freshPlan = () => ({ name: 'nightly', folder: path.join(dir, `plan-${++serial}`) });
const LOCK_TS = JSON.stringify(path.resolve(__dirname, '../../src/core/plans/lock.ts'));

/** A pid that was used and is free now: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function holder(extra: Partial<LockHolder>): LockHolder {
  return { plan: 'nightly', pid: deadPid(), host: os.hostname(), startedAt: '2026-12-02T02:30:01.000Z', nonce: 'n', ...extra };
}

async function writeLock(plan: { name: string; folder: string }, content: string): Promise<void> {
  await fs.mkdir(plan.folder, { recursive: true });
  await fs.writeFile(lockPath(plan), content);
}

const readHolder = async (plan: { name: string; folder: string }) => JSON.parse(await fs.readFile(lockPath(plan), 'utf8')) as LockHolder;

test('the lock is taken once: a second taker learns who holds it; released, it can be taken again', async () => {
  const plan = freshPlan();
  const first = await acquirePlanLock(plan, new Date('2026-12-02T02:30:01Z'));
  assert.ok(first.acquired);
  assert.equal(first.lock.file, path.join(plan.folder, '.pgbr-nightly.lock'));
  const onDisk = await readHolder(plan);
  assert.deepEqual(onDisk, first.lock.holder);
  assert.equal(onDisk.pid, process.pid);
  assert.equal(onDisk.startedAt, '2026-12-02T02:30:01.000Z');

  const second = await acquirePlanLock(plan);
  assert.equal(second.acquired, false);
  assert.equal(second.acquired ? undefined : second.holder?.pid, process.pid);

  await first.lock.release();
  await first.lock.release();
  await assert.rejects(fs.stat(lockPath(plan)), { code: 'ENOENT' });
  const third = await acquirePlanLock(plan);
  assert.ok(third.acquired);
  await third.lock.release();
});

test('the message for a plan that is running says who runs it since when, and exits 75', () => {
  const now = new Date('2026-12-02T02:33:30Z');
  const file = '/srv/pg/dumps/.pgbr-nightly.lock';
  const here = alreadyRunning('nightly', { file, holder: holder({ pid: 1234 }) }, { now, timeZone: 'UTC' });
  assert.equal(here.exitCode, EX_TEMPFAIL);
  assert.equal(EX_TEMPFAIL, 75);
  assert.equal(
    here.message,
    'plan nightly is already running (pid 1234 since 2026-12-02 02:30:01 UTC, 3 min ago); nothing was done. Wait for that run to end, or stop process 1234 if it hangs.',
  );
  const elsewhere = alreadyRunning('nightly', { file, holder: holder({ pid: 1234, host: 'db2.example' }) }, { now, timeZone: 'Europe/Berlin' });
  assert.match(elsewhere.message, /^plan nightly is already running \(pid 1234 on db2\.example since 2026-12-02 03:30:01 UTC\+1, 3 min ago\); nothing was done\./);
  const unknown = alreadyRunning('nightly', { file });
  assert.equal(unknown.exitCode, 75);
  assert.equal(unknown.message, `plan nightly is locked by ${file}, whose holder cannot be read; nothing was done. Remove that file if no run of the plan is going on.`);
});

test('a lock whose holder is gone, or whose pid now belongs to another process, or that cannot be read, is taken over', async () => {
  const cases: [string, string][] = [[ 'dead pid', JSON.stringify(holder({})) ], [ 'garbage', 'not json at all' ], [ 'empty', '' ]];
  const ticks = processStartTicks(process.pid);
  if (ticks !== undefined) cases.push(['reused pid', JSON.stringify(holder({ pid: process.pid, startTicks: ticks - 1 }))]);
  for (const [what, content] of cases) {
    const plan = freshPlan();
    await writeLock(plan, content);
    const attempt = await acquirePlanLock(plan);
    assert.ok(attempt.acquired, what);
    assert.equal((await readHolder(plan)).nonce, attempt.lock.holder.nonce, what);
    await attempt.lock.release();
    assert.deepEqual(await fs.readdir(plan.folder), [], `${what}: no marker or temp file is left`);
  }
});

test('a live holder keeps its lock, and so does another machine’s, whose processes cannot be seen from here', async () => {
  for (const content of [holder({ pid: process.pid }), holder({ host: 'db2.example' })]) {
    const plan = freshPlan();
    await writeLock(plan, JSON.stringify(content));
    const attempt = await acquirePlanLock(plan);
    assert.equal(attempt.acquired, false);
    assert.deepEqual(attempt.acquired ? undefined : attempt.holder, content);
    assert.deepEqual(await readHolder(plan), content, 'the lock is untouched');
  }
});

test('releasing never removes a lock another run took over', async () => {
  const plan = freshPlan();
  const attempt = await acquirePlanLock(plan);
  assert.ok(attempt.acquired);
  const successor = JSON.stringify(holder({ pid: 4242, nonce: 'successor' }));
  await fs.writeFile(lockPath(plan), successor);
  await attempt.lock.release();
  assert.equal(await fs.readFile(lockPath(plan), 'utf8'), successor);
});

function lockScript(body: string): string {
  return `const { acquirePlanLock } = require(${LOCK_TS});\n${body}`;
}

test('a process that exits without releasing leaves no lock; one that is killed leaves one the next run takes over', { skip: process.platform === 'win32' }, async () => {
  const plan = freshPlan();
  const exits = spawnSync(process.execPath, ['--import', 'tsx', '-e', lockScript(`acquirePlanLock(${JSON.stringify(plan)}).then((a) => { if (!a.acquired) process.exit(3); process.exit(0); });`)]);
  assert.equal(exits.status, 0, exits.stderr.toString());
  await assert.rejects(fs.stat(lockPath(plan)), { code: 'ENOENT' });

  const killed = spawn(process.execPath, ['--import', 'tsx', '-e', lockScript(`acquirePlanLock(${JSON.stringify(plan)}).then(() => { process.stdout.write('held\\n'); setInterval(() => {}, 1000); });`)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => killed.stdout.once('data', resolve));
  const busy = await acquirePlanLock(plan);
  assert.equal(busy.acquired ? undefined : busy.holder?.pid, killed.pid);
  killed.kill('SIGKILL');
  await new Promise((resolve) => killed.once('exit', resolve));
  assert.equal((await readHolder(plan)).pid, killed.pid, 'a killed holder leaves its lock');
  const next = await acquirePlanLock(plan);
  assert.ok(next.acquired);
  await next.lock.release();
});

interface RaceReport {
  pid: number;
  acquired: boolean;
  holder?: number;
}

/** Takers that each try the lock of the folder named on a `go` line, all at the same moment, and keep what they win. */
async function startTakers(n: number): Promise<{ race(folder: string): Promise<RaceReport[]>; stop(): Promise<void> }> {
  const script = lockScript(`
    const lines = require('node:readline').createInterface({ input: process.stdin });
    lines.on('line', async (folder) => {
      const a = await acquirePlanLock({ name: 'nightly', folder });
      process.stdout.write(JSON.stringify({ pid: process.pid, acquired: a.acquired, holder: a.acquired ? process.pid : a.holder?.pid }) + '\\n');
    });
    lines.on('close', () => process.exit(0));
    process.stdout.write('ready\\n');
  `);
  const children: ChildProcessWithoutNullStreams[] = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', '-e', script]));
  const outputs = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
  const nextLine = async (i: number): Promise<string> => String((await outputs[i]?.next())?.value);
  await Promise.all(children.map((_, i) => nextLine(i)));
  return {
    async race(folder) {
      for (const c of children) c.stdin.write(`${folder}\n`);
      return Promise.all(children.map(async (_, i) => JSON.parse(await nextLine(i)) as RaceReport));
    },
    async stop() {
      for (const c of children) c.stdin.end();
      await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', resolve)))));
    },
  };
}

test('takers racing for a free, a stale, or a half taken-over lock: exactly one wins, and the others name it', { skip: process.platform === 'win32', timeout: 120_000 }, async () => {
  const takers = await startTakers(6);
  try {
    for (let round = 0; round < 12; round++) {
      const plan = freshPlan();
      await fs.mkdir(plan.folder, { recursive: true });
      const kind = round % 3;
      const stale = JSON.stringify(holder({ nonce: `stale-${round}` }));
      if (kind >= 1) await writeLock(plan, stale);
      if (kind === 2) {
        // A taker that died in the middle of its takeover left its marker.
        const { createHash } = await import('node:crypto');
        const marker = `${lockPath(plan)}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
        await fs.writeFile(marker, JSON.stringify(holder({ nonce: `dead-taker-${round}` })));
      }
      const reports = await takers.race(plan.folder);
      const winners = reports.filter((r) => r.acquired);
      assert.equal(winners.length, 1, `round ${round} (${['free', 'stale', 'stale with a dead taker'][kind]}): ${JSON.stringify(reports)}`);
      const winner = winners[0]?.pid;
      for (const r of reports) assert.equal(r.holder, winner, `round ${round}: every taker names the winner`);
      assert.equal((await readHolder(plan)).pid, winner);
      assert.deepEqual(await fs.readdir(plan.folder), ['.pgbr-nightly.lock'], 'no marker or temp file is left');
    }
  } finally {
    await takers.stop();
  }
});
