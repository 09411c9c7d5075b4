// The process runner against real child processes: outcomes, streaming, cancellation and secret handling.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { formatCommandLine, libpqEnv, runTool } from '../../src/core/platform/runner';
import type { Logger } from '../../src/core/platform/log';

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (m: string | Error) => lines.push(typeof m === 'string' ? m : m.message);
  return { lines, trace: add, debug: add, info: add, warn: add, error: add };
}

/** Running, as opposed to gone or a zombie: an orphan's zombie lingers where PID 1 does not reap. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Field 3, after the parenthesised command name, is the state letter.
  return stat === undefined || !/\)\s+Z\s/.test(stat);
}

test('a successful run keeps stdout when asked and logs the command and duration', async () => {
  const logger = memoryLogger();
  const result = await runTool({ file: 'sh', args: ['-c', 'echo hello; echo world'], collectStdout: true, logger });
  assert.equal(result.status, 'succeeded');
  assert.equal(result.stdout, 'hello\nworld\n');
  assert.match(logger.lines[0] ?? '', /^Running sh -c 'echo hello; echo world'$/);
  assert.match(logger.lines.at(-1) ?? '', /^sh finished in \d+\.\d\d s$/);
});

test('stdout is not kept unless asked, but is still streamed', async () => {
  const seen: string[] = [];
  const result = await runTool({ file: 'sh', args: ['-c', 'echo one'], onStdoutLine: (l) => seen.push(l) });
  assert.equal(result.status, 'succeeded');
  assert.equal(result.stdout, '');
  assert.deepEqual(seen, ['one']);
});

test('lines are streamed one by one, with CRLF endings and an unterminated last line', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const script = `process.stdout.write('a\\r\\nb\\n'); process.stdout.write('par'); setTimeout(() => { process.stdout.write('tial'); process.stderr.write('e1\\ne2'); }, 50);`;
  const result = await runTool({
    file: process.execPath,
    args: ['-e', script],
    onStdoutLine: (l) => out.push(l),
    onStderrLine: (l) => err.push(l),
  });
  assert.equal(result.status, 'succeeded');
  assert.deepEqual(out, ['a', 'b', 'partial']);
  assert.deepEqual(err, ['e1', 'e2']);
  assert.deepEqual(result.stderrTail, ['e1', 'e2']);
});

test('a throwing line handler does not break the run', async () => {
  const logger = memoryLogger();
  const result = await runTool({
    file: 'sh',
    args: ['-c', 'echo x; echo y'],
    onStdoutLine: () => {
      throw new Error('parser bug');
    },
    logger,
  });
  assert.equal(result.status, 'succeeded');
  assert.equal(logger.lines.filter((l) => l.includes('parser bug')).length, 1);
});

test('a non-zero exit is a failed result with the exit code, the last 20 stderr lines and a message', async () => {
  const logger = memoryLogger();
  const result = await runTool({
    file: 'sh',
    args: ['-c', 'for i in $(seq 1 25); do echo "line $i" >&2; done; echo "pg_dump: error: boom" >&2; exit 3'],
    logger,
  });
  assert.equal(result.status, 'failed');
  if (result.status !== 'failed') return;
  assert.equal(result.exitCode, 3);
  assert.equal(result.stderrTail.length, 20);
  assert.equal(result.stderrTail[0], 'line 7');
  assert.equal(result.stderrTail.at(-1), 'pg_dump: error: boom');
  assert.equal(result.message, 'sh exited with code 3: pg_dump: error: boom');
  assert.match(logger.lines.at(-1) ?? '', /^sh failed \(exit 3\) in \d+\.\d\d s/);
});

test('aborting kills a long-running process and its children quickly and reports cancelled', async () => {
  const controller = new AbortController();
  const pids: number[] = [];
  const logger = memoryLogger();
  const started = Date.now();
  const run = runTool({
    file: 'sh',
    // The background sleep stands for pg_dump -j workers: it must die with the leader.
    args: ['-c', 'sleep 30 & echo $!; sleep 30; wait'],
    signal: controller.signal,
    onStdoutLine: (l) => {
      pids.push(Number(l));
      controller.abort();
    },
    logger,
  });
  const result = await run;
  assert.equal(result.status, 'cancelled');
  // The child sleeps 30 s: anything well short of that means the cancel worked, however loaded the machine.
  assert.ok(Date.now() - started < 20_000, 'cancellation waited for the process to end by itself');
  assert.equal(pids.length, 1);
  // The group kill is asynchronous; give the orphan a moment to die.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await isRunning(pids[0] ?? 0), false, 'the child of the cancelled process is still running');
  assert.match(logger.lines.at(-1) ?? '', /^sh cancelled after \d+\.\d\d s$/);
});

test('a process that ignores SIGTERM is killed after the grace period', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const result = await runTool({
    file: 'sh',
    args: ['-c', 'trap "" TERM; echo ready; sleep 30'],
    signal: controller.signal,
    forceKillAfterMs: 300,
    onStdoutLine: () => controller.abort(),
  });
  assert.equal(result.status, 'cancelled');
  assert.ok(Date.now() - started < 20_000, 'the force kill did not happen: the process ran its 30 s');
});

test('an already aborted signal never starts the process', async () => {
  const controller = new AbortController();
  controller.abort();
  const result = await runTool({ file: 'sh', args: ['-c', 'exit 0'], signal: controller.signal });
  assert.equal(result.status, 'cancelled');
});

test('a missing executable is a failed result that says what to do', async () => {
  const result = await runTool({ file: '/nonexistent/bin/pg_dump', args: ['--version'] });
  assert.equal(result.status, 'failed');
  if (result.status !== 'failed') return;
  assert.equal(result.exitCode, null);
  assert.equal(
    result.message,
    'pg_dump was not found at /nonexistent/bin/pg_dump: install the PostgreSQL client tools or set pgBackup.binPath',
  );
});

test('the password reaches the child only through a private 0600 passfile that is removed afterwards', async () => {
  const password = 'S3cret:with\\odd chars';
  const logger = memoryLogger();
  const script = [
    "const fs = require('fs'); const path = require('path');",
    'const f = process.env.PGPASSFILE;',
    'console.log(JSON.stringify({',
    '  file: f,',
    '  fileMode: (fs.statSync(f).mode & 0o777).toString(8),',
    '  dirMode: (fs.statSync(path.dirname(f)).mode & 0o777).toString(8),',
    "  content: fs.readFileSync(f, 'utf8'),",
    '  argv: process.argv,',
    '  pgpassword: process.env.PGPASSWORD ?? null,',
    '  user: process.env.PGUSER, port: process.env.PGPORT, timeout: process.env.PGCONNECT_TIMEOUT,',
    '}));',
  ].join('\n');
  const previous = process.env.PGPASSWORD;
  process.env.PGPASSWORD = 'inherited-password';
  try {
    const result = await runTool({
      file: process.execPath,
      args: ['-e', script],
      password,
      connection: { user: 'alice', port: 5433, options: { connect_timeout: '7' } },
      collectStdout: true,
      logger,
    });
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    const seen = JSON.parse(result.stdout) as {
      file: string;
      fileMode: string;
      dirMode: string;
      content: string;
      argv: string[];
      pgpassword: string | null;
      user: string;
      port: string;
      timeout: string;
    };
    assert.equal(seen.fileMode, '600');
    assert.equal(seen.dirMode, '700');
    assert.equal(seen.content, '*:*:*:*:S3cret\\:with\\\\odd chars\n');
    assert.equal(seen.pgpassword, null, 'an inherited PGPASSWORD must not reach the child');
    assert.ok(!seen.argv.some((a) => a.includes('S3cret')), 'the password is in argv');
    assert.deepEqual([seen.user, seen.port, seen.timeout], ['alice', '5433', '7']);
    await assert.rejects(access(seen.file), 'the passfile outlived the run');
    await assert.rejects(access(seen.file.replace(/[/\\][^/\\]+$/, '')), 'the passfile folder outlived the run');
    assert.ok(!logger.lines.some((l) => l.includes('S3cret') || l.includes('inherited-password')), 'a log line holds the password');
  } finally {
    if (previous === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = previous;
  }
});

test('the passfile is removed when the run fails or is cancelled', async () => {
  const failed = await runTool({
    file: 'sh',
    args: ['-c', 'echo "$PGPASSFILE"; exit 1'],
    password: 'pw',
    collectStdout: true,
  });
  assert.equal(failed.status, 'failed');
  await assert.rejects(access(failed.stdout.trim()));

  const controller = new AbortController();
  let passfile = '';
  const cancelled = await runTool({
    file: 'sh',
    args: ['-c', 'echo "$PGPASSFILE"; sleep 30'],
    password: 'pw',
    signal: controller.signal,
    onStdoutLine: (l) => {
      passfile = l;
      controller.abort();
    },
  });
  assert.equal(cancelled.status, 'cancelled');
  assert.notEqual(passfile, '');
  await assert.rejects(access(passfile));
});

test('an inherited PGPASSWORD is left alone when no password is given', async () => {
  const result = await runTool({
    file: 'sh',
    args: ['-c', 'printf %s "$PGPASSWORD"'],
    env: { PGPASSWORD: 'from-env' },
    collectStdout: true,
  });
  assert.equal(result.stdout, 'from-env');
});

test('a tool that does not connect gets no PGPASSWORD from the environment; one that connects keeps it', async () => {
  const previous = process.env.PGPASSWORD;
  process.env.PGPASSWORD = 'inherited-password';
  try {
    const probe = { file: 'sh', args: ['-c', 'printf %s "${PGPASSWORD-unset}"'], collectStdout: true };
    assert.equal((await runTool(probe)).stdout, 'unset', 'pg_restore --list, --version probes and the like are given no secret');
    assert.equal((await runTool({ ...probe, connection: { host: 'db' } })).stdout, 'inherited-password');
  } finally {
    if (previous === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = previous;
  }
});

test('the passfile lives in the run folder, which a killed run leaves to its watcher and the next sweep', async () => {
  const r = await runTool({ file: 'sh', args: ['-c', 'echo "$PGPASSFILE"'], password: 'pw', collectStdout: true });
  assert.match(r.stdout.trim(), /[/\\]pgbr-run-\d+-[0-9a-f]{8}[/\\]pass-[^/\\]+[/\\]pgpass$/);
});

test('stdin is fed when given and empty otherwise, so a prompt cannot hang', async () => {
  const fed = await runTool({ file: 'sh', args: ['-c', 'cat'], stdin: 'line in\n', collectStdout: true });
  assert.equal(fed.stdout, 'line in\n');
  const none = await runTool({ file: 'sh', args: ['-c', 'cat; echo done'], collectStdout: true });
  assert.equal(none.stdout, 'done\n');
});

test('libpqEnv maps profile fields and libpq keywords, never a password', () => {
  assert.deepEqual(
    libpqEnv({
      host: '/tmp/sock',
      port: 5432,
      user: 'u',
      database: 'd b',
      sslmode: 'require',
      options: { connect_timeout: '5', application_name: 'pgbr', password: 'nope', keepalives: '1' },
    }),
    {
      PGHOST: '/tmp/sock',
      PGPORT: '5432',
      PGUSER: 'u',
      PGDATABASE: 'd b',
      PGSSLMODE: 'require',
      PGCONNECT_TIMEOUT: '5',
      PGAPPNAME: 'pgbr',
    },
  );
  assert.deepEqual(libpqEnv({}), {});
});

test('formatCommandLine quotes what a shell would split or expand', () => {
  assert.equal(
    formatCommandLine('/usr/lib/postgresql/16/bin/pg_dump', ['--format=custom', '-f', 'my dump.pgdump', "it's", '', '--table=public.*', '$HOME']),
    `/usr/lib/postgresql/16/bin/pg_dump --format=custom -f 'my dump.pgdump' "it's" '' '--table=public.*' '$HOME'`,
  );
});

test('a stdout given a stdio buffer delivers the same bytes, and a missing tool still fails as itself', async () => {
  const chunks: Buffer[] = [];
  const consumeStdout = async (out: NodeJS.ReadableStream) => {
    for await (const c of out) chunks.push(c as Buffer);
  };
  const result = await runTool({ file: '/usr/bin/seq', args: ['1', '200000'], consumeStdout, stdoutBufferBytes: 1 << 20 });
  assert.equal(result.status, 'succeeded');
  const expected = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('');
  assert.equal(Buffer.concat(chunks).toString('latin1'), expected);

  const missing = await runTool({ file: '/nonexistent/bin/pg_dump', args: ['--version'], consumeStdout, stdoutBufferBytes: 1 << 20 });
  assert.equal(missing.status, 'failed');
  if (missing.status === 'failed') assert.match(missing.message, /^pg_dump was not found at \/nonexistent\/bin\/pg_dump/);
});
