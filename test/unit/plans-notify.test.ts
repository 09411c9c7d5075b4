// Notifications of a plan's run: a webhook against a real local HTTP server, a program fed the JSON on stdin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { notificationDocument, notificationDue, notifiedField, notifyRun, type NotifyOptions } from '../../src/core/plans/notify';
import type { JournalRecord } from '../../src/core/plans/journal';
import { memoryLogger } from '../../src/core/platform/log';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-notify-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const failedRun: JournalRecord = {
  v: 1,
  plan: 'nightly',
  runId: '7d0c6f5e-run',
  host: 'db1',
  pid: 4321,
  startedAt: '2026-12-02T02:30:00.000Z',
  endedAt: '2026-12-02T02:31:10.000Z',
  outcome: 'failed',
  backup: { path: '/srv/pg/dumps/app.dump', bytes: 2048, seconds: 70 },
  retention: { kept: 3, removed: ['/srv/pg/dumps/old-1.dump', '/srv/pg/dumps/old-2.dump'], errors: [] },
  error: { message: 'connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: No such file or directory' },
  notified: { ok: true },
};
const succeededRun: JournalRecord = { ...failedRun, outcome: 'succeeded', error: undefined };

const expectedDocument = {
  plan: 'nightly',
  runId: '7d0c6f5e-run',
  outcome: 'failed',
  host: 'db1',
  startedAt: '2026-12-02T02:30:00.000Z',
  endedAt: '2026-12-02T02:31:10.000Z',
  backup: { path: '/srv/pg/dumps/app.dump', bytes: 2048, seconds: 70 },
  retention: { kept: 3, removed: 2, errors: [] },
  error: 'connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: No such file or directory',
};

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/** A local server that answers each request with the next of `answers` (a status, or 'hang' for no answer at all). */
async function hookServer(answers: (number | 'hang')[]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
      const answer = answers.shift() ?? 200;
      if (answer !== 'hang') res.writeHead(answer).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const fast = (lines: string[] = []): NotifyOptions => ({ trusted: true, retryDelayMs: 10, logger: memoryLogger(lines) });

test('the document is the run without the journal’s bookkeeping; only what is due is sent', () => {
  assert.deepEqual(notificationDocument(failedRun), expectedDocument);
  assert.equal(notificationDue(undefined, 'failed'), false);
  assert.equal(notificationDue({ on: 'always' }, 'failed'), false, 'nowhere to send it');
  assert.equal(notificationDue({ webhook: 'https://hooks.example/pg' }, 'failed'), true, 'on: failure by default');
  assert.equal(notificationDue({ webhook: 'https://hooks.example/pg' }, 'succeeded'), false);
  assert.equal(notificationDue({ webhook: 'https://hooks.example/pg' }, 'skipped'), false);
  assert.equal(notificationDue({ webhook: 'https://hooks.example/pg', on: 'always' }, 'succeeded'), true);
});

test('a webhook that answers 500 is tried once more, and the retry delivers the same JSON', async () => {
  const hook = await hookServer([500, 204]);
  try {
    const result = await notifyRun({ webhook: `${hook.url}/pg` }, failedRun, fast());
    assert.equal(result.webhook?.ok, true);
    assert.equal(result.webhook?.attempts, 2);
    assert.equal(hook.received.length, 2);
    for (const r of hook.received) {
      assert.equal(r.method, 'POST');
      assert.equal(r.url, '/pg');
      assert.equal(r.contentType, 'application/json');
      assert.deepEqual(JSON.parse(r.body), expectedDocument);
    }
    assert.deepEqual(notifiedField(result), { ok: true });
  } finally {
    await hook.close();
  }
});

test('a webhook that never answers is recorded as a timeout, in bounded time, with the token kept out of logs and journal', async () => {
  const hook = await hookServer(['hang', 'hang']);
  const lines: string[] = [];
  try {
    const url = `${hook.url}/hooks/T0KEN-s3cret?key=s3cret`;
    const started = performance.now();
    const result = await notifyRun({ webhook: url, on: 'always' }, succeededRun, { ...fast(lines), timeoutMs: 2000 });
    const seconds = (performance.now() - started) / 1000;
    // Two tries of 2 s each, and a margin a loaded machine cannot break: bounded, not timed.
    assert.ok(seconds < 30, `returned after ${seconds} s`);
    assert.equal(hook.received.length, 2);
    assert.equal(result.webhook?.ok, false);
    assert.equal(result.webhook?.attempts, 2);
    assert.equal(result.webhook?.error, `webhook ${hook.url} did not answer within 2 s`);
    const field = notifiedField(result);
    assert.deepEqual(field, { ok: false, error: `webhook ${hook.url} did not answer within 2 s` });
    assert.ok(lines.length > 0);
    assert.ok(!JSON.stringify([lines, result]).includes('s3cret'), JSON.stringify(lines));
  } finally {
    await hook.close();
  }
});

test('a webhook that cannot be reached, refuses for good (404), or is not a URL: said without the token, not retried when it cannot help', async () => {
  const gone = await hookServer([]);
  const goneUrl = gone.url;
  await gone.close();
  const lines: string[] = [];
  const refused = await notifyRun({ webhook: `${goneUrl}/hooks/s3cret` }, failedRun, fast(lines));
  assert.equal(refused.webhook?.attempts, 2);
  assert.match(refused.webhook?.error ?? '', new RegExp(`^webhook ${goneUrl} could not be reached \\(.*ECONNREFUSED.*\\): check notify\\.webhook and this machine.s network$`));
  assert.ok(!JSON.stringify([lines, refused]).includes('s3cret'));

  const hook = await hookServer([404]);
  try {
    const notFound = await notifyRun({ webhook: `${hook.url}/hooks/s3cret` }, failedRun, fast());
    assert.deepEqual({ ...notFound.webhook, seconds: 0 }, { ok: false, attempts: 1, seconds: 0, error: `webhook ${hook.url} answered 404 Not Found` });
    assert.equal(hook.received.length, 1);
  } finally {
    await hook.close();
  }

  const bad = await notifyRun({ webhook: 'ftp://hooks.example/pg' }, failedRun, fast());
  assert.equal(bad.webhook?.error, 'notify.webhook is not an http:// or https:// URL: correct it in pgbackup.yaml');
});

test('a successful run is not told with on: failure, and is with on: always', async () => {
  const hook = await hookServer([]);
  try {
    const quiet = await notifyRun({ webhook: hook.url }, succeededRun, fast());
    assert.deepEqual(quiet, { skipped: 'not due' });
    assert.equal(notifiedField(quiet), undefined, 'the journal records nothing when nothing was due');
    assert.equal(hook.received.length, 0);
    assert.deepEqual(await notifyRun(undefined, failedRun, fast()), { skipped: 'not configured' });
    const told = await notifyRun({ webhook: hook.url, on: 'always' }, succeededRun, fast());
    assert.equal(told.webhook?.ok, true);
    assert.equal((JSON.parse(hook.received[0]?.body ?? '{}') as { outcome?: string }).outcome, 'succeeded');
  } finally {
    await hook.close();
  }
});

/** A program that writes its stdin to the file named by its first argument. */
const stdinToFile = (file: string) => ({
  program: process.execPath,
  args: ['-e', 'require("node:fs").writeFileSync(process.argv[1], require("node:fs").readFileSync(0))', file],
});

test('notify.command gets the same JSON on stdin, at the same time as the webhook', async () => {
  const file = path.join(dir, 'told.json');
  const hook = await hookServer([200]);
  try {
    const result = await notifyRun({ webhook: hook.url, command: stdinToFile(file) }, failedRun, fast());
    assert.equal(result.command?.ok, true, result.command?.error);
    assert.equal(result.webhook?.ok, true);
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), expectedDocument);
    assert.equal(await fs.readFile(file, 'utf8'), hook.received[0]?.body);
  } finally {
    await hook.close();
  }
});

test('a command that hangs is stopped at the timeout; one that fails or is missing is said; none throws', async () => {
  const started = performance.now();
  const hung = await notifyRun({ command: { program: process.execPath, args: ['-e', 'setTimeout(() => {}, 60_000)'] } }, failedRun, { ...fast(), timeoutMs: 300 });
  assert.ok((performance.now() - started) / 1000 < 30);
  assert.equal(hung.command?.error, `notify.command ${process.execPath} did not finish within 0.3 s and was stopped`);

  const failing = await notifyRun({ command: { program: process.execPath, args: ['-e', 'process.exit(3)'] } }, failedRun, fast());
  assert.equal(failing.command?.ok, false);
  assert.match(failing.command?.error ?? '', /^notify\.command failed: .*exited with code 3/);

  const missing = await notifyRun({ command: { program: path.join(dir, 'no-such-program') } }, failedRun, fast());
  assert.equal(missing.command?.error, `notify.command ${path.join(dir, 'no-such-program')} could not be started: check the program named in pgbackup.yaml (an absolute path, executable)`);
  assert.deepEqual(notifiedField(missing), { ok: false, error: missing.command?.error });
});

test('in an untrusted workspace neither the webhook nor the command is used', async () => {
  const file = path.join(dir, 'untrusted.json');
  const hook = await hookServer([]);
  const lines: string[] = [];
  try {
    const result = await notifyRun({ webhook: hook.url, command: stdinToFile(file), on: 'always' }, failedRun, { trusted: false, logger: memoryLogger(lines) });
    assert.deepEqual(result, { skipped: 'untrusted' });
    assert.deepEqual(notifiedField(result), { ok: false, error: 'not sent: the folder is not trusted' });
    assert.equal(hook.received.length, 0);
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
    assert.match(lines.join('\n'), /not notified because this folder is not trusted: trust the folder/);
  } finally {
    await hook.close();
  }
});
