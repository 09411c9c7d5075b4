// The reaper's one registry of cleanups: run newest first when the process exits or is stopped, one
// exit and one signal listener however many runs, the first Ctrl-C cancels and the second ends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { abortOnSignals, atExit, removeIfKilled } from '../../src/core/platform/reaper';
import { runTool } from '../../src/core/platform/runner';

const REAPER = JSON.stringify(path.resolve(__dirname, '../../src/core/platform/reaper.ts'));
const HOOKED = ['exit', 'SIGINT', 'SIGTERM'] as const;
const listeners = () => HOOKED.map((event) => process.listenerCount(event));

interface Child {
  /** Resolves with the next line the child prints. */
  line(): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

/** A node process running `body` with the reaper loaded as `r` and `say(text)` writing a line synchronously. */
function child(body: string): Child {
  const script = `const r = require(${REAPER}); const say = (t) => require('node:fs').writeSync(1, t + '\\n');\n${body}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const waiting: ((line: string) => void)[] = [];
  let seen = 0;
  const flush = () => {
    const lines = out.split('\n').slice(0, -1);
    while (waiting.length > 0 && seen < lines.length) waiting.shift()?.(lines[seen++] as string);
  };
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    flush();
  });
  return {
    line: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        flush();
      }),
    kill: (signal) => proc.kill(signal),
    ended: new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, out }))),
  };
}

/** Runs `body` in a child kept alive by a timer, and sends `signal` once the child has set up. */
async function signalledWhenReady(body: string, signal: NodeJS.Signals): Promise<Child> {
  const c = child(`${body}\nsay('ready');\nsetInterval(() => {}, 1000);`);
  assert.equal(await c.line(), 'ready');
  c.kill(signal);
  return c;
}

test('runs, cancellable commands and recorded paths leave the listener count as they found it, with one of each while they last', async () => {
  const before = listeners();
  const during: number[][] = [];
  for (let i = 0; i < 5; i++) {
    const r = await runTool({
      file: process.execPath,
      args: ['-e', 'console.log("running")'],
      onStdoutLine: () => during.push(listeners()),
    });
    assert.equal(r.status, 'succeeded');
    const interrupt = abortOnSignals();
    const forget = removeIfKilled(path.join(__dirname, 'never-made'));
    during.push(listeners());
    forget();
    interrupt.dispose();
  }
  assert.deepEqual(listeners(), before, 'no listener may stay behind');
  assert.equal(during.length, 10);
  for (const counts of during) {
    assert.deepEqual(counts, before.map((n) => n + 1), 'one exit and one signal listener while something is registered, however many runs there were');
  }
});

test('on exit the cleanups still registered run newest first; one taken off does not run', { skip: process.platform === 'win32' }, async () => {
  const c = child(`
    r.atExit(() => say('first'));
    const forget = r.atExit(() => say('forgotten'));
    r.atExit(() => { throw new Error('a broken cleanup'); });
    r.atExit(() => say('last'));
    forget();
    process.exit(3);
  `);
  const r = await c.ended;
  assert.equal(r.code, 3);
  assert.equal(r.out, 'last\nfirst\n');
});

test('a signal with nothing to cancel runs the cleanups and ends the process by that signal', { skip: process.platform === 'win32' }, async () => {
  const c = await signalledWhenReady(`r.atExit(() => say('cleaned'));`, 'SIGTERM');
  const r = await c.ended;
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(r.out, 'ready\ncleaned\n');
});

test('the first Ctrl-C cancels the command and the process goes on; a second one ends it after the cleanups', { skip: process.platform === 'win32' }, async () => {
  const c = await signalledWhenReady(
    `const interrupt = r.abortOnSignals();
    r.atExit(() => say('cleaned'));
    interrupt.signal.addEventListener('abort', () => say('aborted'));`,
    'SIGINT',
  );
  assert.equal(await c.line(), 'aborted');
  c.kill('SIGINT');
  const r = await c.ended;
  assert.equal(r.signal, 'SIGINT');
  assert.equal(r.out, 'ready\naborted\ncleaned\n');
});

test('a cancelled command that finishes ends normally, its cleanups taken off by their owners', { skip: process.platform === 'win32' }, async () => {
  const c = await signalledWhenReady(
    `const interrupt = r.abortOnSignals();
    const forget = r.atExit(() => say('cleaned'));
    interrupt.signal.addEventListener('abort', () => {
      forget();
      interrupt.dispose();
      say('stopped');
      process.exit(130);
    });`,
    'SIGTERM',
  );
  const r = await c.ended;
  assert.equal(r.code, 130);
  assert.equal(r.out, 'ready\nstopped\n');
});

test('where another listener owns a signal, it decides; the cleanups run when it exits', { skip: process.platform === 'win32' }, async () => {
  const c = await signalledWhenReady(
    `process.on('SIGTERM', () => { say('theirs'); setTimeout(() => process.exit(4), 50); });
    r.atExit(() => say('cleaned'));`,
    'SIGTERM',
  );
  const r = await c.ended;
  assert.equal(r.code, 4);
  assert.equal(r.out, 'ready\ntheirs\ncleaned\n');
});

test('atExit hands back a function that is safe to call twice', () => {
  const before = listeners();
  const forget = atExit(() => assert.fail('must not run'));
  forget();
  forget();
  assert.deepEqual(listeners(), before);
});
