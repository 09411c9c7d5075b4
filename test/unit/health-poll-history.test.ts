// Poll history in a file, the same for pgbr status --state and the Health view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPollHistory, withPoll, writePollHistory } from '../../src/core/health/pollHistory';

const now = new Date('2026-11-24T12:00:00Z');
const poll = (hoursAgo: number, failedCount: number) => ({ at: new Date(now.getTime() - hoursAgo * 3_600_000).toISOString(), failedCount, statsReset: null });

test('written and read back for the same server; another server or a broken file starts over with a note', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-polls-'));
  try {
    const file = path.join(dir, 'prod.json');
    const notes: string[] = [];
    assert.deepEqual(await readPollHistory(file, 'app@db:5432/app', notes), [], 'no file yet: no polls');
    assert.deepEqual(notes, [], 'a missing file is not worth a note');
    await writePollHistory(file, 'app@db:5432/app', [poll(2, 1), poll(1, 3)], notes);
    assert.deepEqual(await readPollHistory(file, 'app@db:5432/app', notes), [poll(2, 1), poll(1, 3)]);
    assert.equal((JSON.parse(await fs.readFile(file, 'utf8')) as { stateVersion: number }).stateVersion, 1);
    assert.deepEqual(await readPollHistory(file, 'app@other:5432/app', notes), []);
    assert.match(notes.pop() ?? '', /is of app@db:5432\/app: starting over for app@other:5432\/app/);
    await fs.writeFile(file, '{ not json');
    assert.deepEqual(await readPollHistory(file, 'app@db:5432/app', notes), []);
    assert.match(notes.pop() ?? '', /cannot be used .*: it is replaced/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a new poll joins the history; polls older than 48 hours leave it', () => {
  const kept = withPoll([poll(50, 1), poll(47, 2)], poll(0, 4), now);
  assert.deepEqual(kept, [poll(47, 2), poll(0, 4)]);
});
