// The run journal: whole lines appended by concurrent runs, read from the end, damaged lines skipped and said.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendRecord, journalPath, journalSummary, readJournal, MAX_ERROR_CHARS, type JournalRecord, type RunOutcome } from '../../src/core/plans/journal';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-journal-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let serial = 0;
async function freshFile(): Promise<string> {
  const folder = path.join(dir, `plan-${++serial}`);
  await fs.mkdir(folder);
  return journalPath({ name: 'nightly', folder });
}

const BASE = Date.UTC(2025, 2, 30, 0, 30);
function record(n: number, outcome: RunOutcome = 'succeeded', extra: Partial<JournalRecord> = {}): JournalRecord {
  return {
    v: 1,
    plan: 'nightly',
    runId: `run-${n}`,
    host: 'db1',
    pid: 1000 + n,
    startedAt: new Date(BASE + n * 3_600_000).toISOString(),
    endedAt: new Date(BASE + n * 3_600_000 + 90_000).toISOString(),
    outcome,
    backup: { path: `/srv/pg/dumps/app-${n}.dump`, bytes: 1234 * n, seconds: 12.5 },
    ...extra,
  };
}

const ids = (records: JournalRecord[]) => records.map((r) => r.runId);

test('the journal is a hidden JSON Lines file beside the plan’s backups', () => {
  assert.equal(journalPath({ name: 'nightly', folder: '/srv/pg/dumps' }), path.join('/srv/pg/dumps', '.pgbr-nightly.journal.jsonl'));
  assert.throws(() => journalPath({ name: '../x', folder: '/srv/pg/dumps' }), /cannot name a file/);
});

test('records come back newest first, as many as asked for; a missing journal has none', async () => {
  const file = await freshFile();
  assert.deepEqual(await readJournal(file), { records: [], problems: [], bytesRead: 0 });
  for (let n = 1; n <= 5; n++) await appendRecord(file, record(n));
  const text = await fs.readFile(file, 'utf8');
  assert.equal(text.split('\n').length, 6, 'one line per record and a final newline');
  assert.deepEqual(ids((await readJournal(file)).records), ['run-5', 'run-4', 'run-3', 'run-2', 'run-1']);
  assert.deepEqual(ids((await readJournal(file, { last: 2 })).records), ['run-5', 'run-4']);
  assert.deepEqual(ids((await readJournal(file, { last: 2, match: (r) => r.pid % 2 === 1 })).records), ['run-5', 'run-3']);
  assert.deepEqual((await readJournal(file, { last: 1 })).records[0], record(5));
});

test('a torn last line is skipped and reported, and the next record starts on a line of its own', async () => {
  const file = await freshFile();
  await appendRecord(file, record(1));
  await appendRecord(file, record(2));
  const whole = JSON.stringify(record(3));
  await fs.appendFile(file, whole.slice(0, 40)); // a writer killed in the middle of its line
  const torn = await readJournal(file);
  assert.deepEqual(ids(torn.records), ['run-2', 'run-1']);
  assert.equal(torn.problems.length, 1);
  assert.match(torn.problems[0] as string, /last line of .* is incomplete .*skipped/);

  await appendRecord(file, record(4));
  const after = await readJournal(file);
  assert.deepEqual(ids(after.records), ['run-4', 'run-2', 'run-1']);
  const offset = Buffer.byteLength(`${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n`);
  assert.deepEqual(after.problems, [`The line at byte ${offset} of ${file} is not a run record (damaged or cut short): it was skipped.`]);
});

test('lines that are not records are skipped: bad JSON, a wrong shape, an unknown outcome, empty lines', async () => {
  const file = await freshFile();
  const lines = [
    JSON.stringify(record(1)),
    '{"plan": "nightly"',
    JSON.stringify({ ...record(2), outcome: 'exploded' }),
    JSON.stringify({ ...record(3), startedAt: 'yesterday' }),
    '',
    '[]',
    JSON.stringify(record(4)),
  ];
  await fs.writeFile(file, `${lines.join('\n')}\n`);
  const read = await readJournal(file);
  assert.deepEqual(ids(read.records), ['run-4', 'run-1']);
  assert.equal(read.problems.length, 4);
});

test('an error message is cut so a record stays a short line', async () => {
  const file = await freshFile();
  await appendRecord(file, record(1, 'failed', { error: { message: 'x'.repeat(50_000) } }));
  const [back] = (await readJournal(file)).records;
  assert.equal(back?.error?.message.length, MAX_ERROR_CHARS + 1);
  assert.ok((await fs.stat(file)).size < 4096);
});

test('the last run and the last success are found reading only the end of a large journal', async () => {
  const file = await freshFile();
  const lines: string[] = [];
  for (let n = 0; n < 20_000; n++) lines.push(JSON.stringify(record(n, n === 19_950 ? 'succeeded' : n > 19_950 ? 'failed' : 'succeeded')));
  lines.push(JSON.stringify(record(20_000, 'skipped')));
  await fs.writeFile(file, `${lines.join('\n')}\n`);
  const size = (await fs.stat(file)).size;
  assert.ok(size > 4_000_000, `a journal of ${size} bytes`);

  const summary = await journalSummary(file);
  assert.equal(summary.lastRun?.runId, 'run-19999', 'a skipped run is not the last run');
  assert.equal(summary.lastSuccess?.runId, 'run-19950');
  assert.deepEqual(summary.problems, []);
  assert.ok(summary.bytesRead <= 64 * 1024, `read ${summary.bytesRead} bytes`);

  const noPrune = await journalSummary(file, { prunes: true });
  assert.equal(noPrune.lastPrune, undefined, 'no run pruned');
  await appendRecord(file, record(20_001, 'succeeded', { retention: { kept: 3, removed: ['/a'], errors: ['cannot remove /b'] } }));
  await appendRecord(file, record(20_002, 'succeeded', { retention: { kept: 3, removed: ['/c'], errors: [] } }));
  await appendRecord(file, record(20_003, 'succeeded'));
  const pruned = await journalSummary(file, { prunes: true });
  assert.equal(pruned.lastPrune?.runId, 'run-20002', 'the newest prune without an error');
  assert.equal(pruned.lastRun?.runId, 'run-20003');

  const first = await readJournal(file, { last: 1, match: (r) => r.runId === 'run-0' });
  assert.equal(first.records[0]?.runId, 'run-0', 'and the whole file when the record is at its start');
  assert.equal(first.bytesRead, (await fs.stat(file)).size);
});

test('a line longer than a read chunk is read whole, before and after it', async () => {
  const file = await freshFile();
  const removed = Array.from({ length: 10_000 }, (_, i) => `/srv/pg/dumps/app-${i}.dump`);
  await appendRecord(file, record(1));
  await appendRecord(file, record(2, 'succeeded', { retention: { kept: 7, removed, errors: [] } }));
  await appendRecord(file, record(3));
  assert.ok((await fs.stat(file)).size > 3 * 64 * 1024);
  const read = await readJournal(file);
  assert.deepEqual(ids(read.records), ['run-3', 'run-2', 'run-1']);
  assert.deepEqual(read.records[1]?.retention?.removed, removed);
  assert.deepEqual(read.problems, []);
});

test('several processes appending at once leave every line whole', { timeout: 120_000 }, async () => {
  const file = await freshFile();
  const writers = 6;
  const each = 150;
  const script = `
    const { appendRecord } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/plans/journal.ts'))});
    const [file, writer, each] = process.argv.slice(1);
    process.stdin.once('data', async () => {
      for (let n = 0; n < Number(each); n++) {
        // Every fifth line is past 4 KiB (PIPE_BUF): still one write of a whole line.
        const removed = n % 5 === 0 ? Array.from({ length: 200 }, (_, i) => '/srv/pg/dumps/app-' + i + '.dump') : [];
        await appendRecord(file, {
          v: 1, plan: 'nightly', runId: writer + '-' + n, host: 'db1', pid: process.pid,
          startedAt: '2025-03-30T00:30:00.000Z', endedAt: '2025-03-30T00:31:00.000Z', outcome: 'succeeded',
          retention: { kept: n, removed, errors: [] },
        });
      }
      process.exit(0);
    });
    process.stdout.write('ready\\n');
  `;
  const children = Array.from({ length: writers }, (_, w) =>
    spawn(process.execPath, ['--import', 'tsx', '-e', script, file, `w${w}`, String(each)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  await Promise.all(children.map((c) => new Promise((resolve) => c.stdout.once('data', resolve))));
  for (const c of children) c.stdin.write('go\n'); // all start together
  const codes = await Promise.all(children.map((c) => new Promise<number | null>((resolve) => c.once('exit', resolve))));
  assert.deepEqual(codes, Array(writers).fill(0));

  const read = await readJournal(file);
  assert.deepEqual(read.problems, []);
  assert.equal(read.records.length, writers * each);
  for (let w = 0; w < writers; w++) {
    const mine = read.records.filter((r) => r.runId.startsWith(`w${w}-`)).reverse();
    assert.deepEqual(mine.map((r) => r.runId), Array.from({ length: each }, (_, n) => `w${w}-${n}`), `writer ${w}'s lines in its order`);
  }
  const long = read.records.filter((r) => (r.retention?.removed.length ?? 0) === 200);
  assert.equal(long.length, writers * (each / 5));
  const text = await fs.readFile(file, 'utf8');
  assert.ok(text.split('\n').some((l) => Buffer.byteLength(l) > 4096), 'lines past 4 KiB were written');
});

/** Rewrites the file in place until its change time has moved: the kernel keeps times in steps of a few milliseconds. */
async function rewriteInPlace(file: string, text: string): Promise<void> {
  const before = (await fs.stat(file)).ctimeMs;
  for (let i = 0; i < 200; i++) {
    await fs.writeFile(file, text);
    if ((await fs.stat(file)).ctimeMs !== before) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the change time of ${file} did not move`);
}

test('a summary asked again of an unchanged journal is not read again; an appended, rewritten, replaced or removed journal is read afresh', async () => {
  const file = await freshFile();
  const settled = { now: () => Number.MAX_SAFE_INTEGER };
  await appendRecord(file, record(1));
  await appendRecord(file, record(2, 'failed'));

  const first = await journalSummary(file, settled);
  assert.ok(first.bytesRead > 0);
  const again = await journalSummary(file, settled);
  assert.equal(again.bytesRead, 0, 'unchanged: answered from the last read');
  assert.deepEqual([again.lastRun?.runId, again.lastSuccess?.runId], ['run-2', 'run-1']);
  // The other question is kept apart.
  assert.ok((await journalSummary(file, { ...settled, prunes: true })).bytesRead > 0);

  await appendRecord(file, record(3, 'succeeded', { retention: { kept: 2, removed: ['/a'], errors: [] } }));
  const appended = await journalSummary(file, { ...settled, prunes: true });
  assert.deepEqual([appended.lastRun?.runId, appended.lastPrune?.runId, appended.bytesRead > 0], ['run-3', 'run-3', true]);

  // The same size, the modification time put back as it was (cp -p, rsync -t): the change time still tells.
  const mtime = new Date(Date.UTC(2025, 0, 1)); // whole seconds, so it can be put back exactly
  await fs.utimes(file, mtime, mtime);
  assert.equal((await journalSummary(file, { ...settled, prunes: true })).lastRun?.runId, 'run-3');
  assert.equal((await journalSummary(file, { ...settled, prunes: true })).bytesRead, 0);
  const text = await fs.readFile(file, 'utf8');
  const before = await fs.stat(file);
  await rewriteInPlace(file, text.replace('"run-3"', '"run-9"'));
  await fs.utimes(file, mtime, mtime);
  const after = await fs.stat(file);
  assert.deepEqual([after.ino, after.size, after.mtimeMs], [before.ino, before.size, before.mtimeMs], 'only the change time differs');
  assert.equal((await journalSummary(file, { ...settled, prunes: true })).lastRun?.runId, 'run-9');

  // Another file renamed over it, with the same size and times: another inode.
  const other = `${file}.new`;
  await fs.writeFile(other, text.replace('"run-3"', '"run-7"'));
  await fs.utimes(other, mtime, mtime);
  await fs.rename(other, file);
  assert.equal((await journalSummary(file, { ...settled, prunes: true })).lastRun?.runId, 'run-7');

  await fs.rm(file);
  const gone = await journalSummary(file, { ...settled, prunes: true });
  assert.deepEqual([gone.lastRun, gone.lastPrune, gone.problems], [undefined, undefined, []]);
  await appendRecord(file, record(4));
  assert.equal((await journalSummary(file, settled)).lastRun?.runId, 'run-4', 'a journal made again is read');
});

test('a journal changed within the last two seconds is read again each time: a second change could leave its times as they were', async () => {
  const file = await freshFile();
  await appendRecord(file, record(1));
  const { ctimeMs, mtimeMs } = await fs.stat(file);
  const changed = Math.max(ctimeMs, mtimeMs);
  const justAfter = { now: () => changed + 1500 };
  assert.ok((await journalSummary(file, justAfter)).bytesRead > 0);
  assert.ok((await journalSummary(file, justAfter)).bytesRead > 0, 'not kept: too recent');
  const later = { now: () => changed + 2500 };
  assert.ok((await journalSummary(file, later)).bytesRead > 0);
  assert.equal((await journalSummary(file, later)).bytesRead, 0, 'kept once settled');
});
