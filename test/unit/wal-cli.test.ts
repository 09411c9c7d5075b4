// `pgbr wal-check` as cron and a monitoring probe see it: exit codes, the problems listed, one JSON document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { main, type Io } from '../../src/cli/pgbr';
import { parseSegmentSizeOption } from '../../src/cli/walCommands';
import { segmentName } from '../../src/core/wal/names';
import { formatLocal } from '../../src/core/platform/when';

const SEG = 16 * 1024 * 1024;
let root: string;
let clean: string;
let broken: string;

function write(dir: string, name: string, content: number | string): void {
  const fd = openSync(path.join(dir, name), 'w');
  if (typeof content === 'string') writeSync(fd, content);
  else ftruncateSync(fd, content);
  closeSync(fd);
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-walcli-'));
  clean = path.join(root, 'clean');
  broken = path.join(root, 'broken');
  for (const dir of [clean, broken]) {
    await fs.mkdir(dir);
    for (let n = 1; n <= 12; n++) write(dir, segmentName(1, n, SEG), SEG);
    write(
      dir,
      '000000010000000000000002.00000028.backup',
      'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)\n' +
        'CHECKPOINT LOCATION: 0/2000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2026-11-22 07:00:01 UTC\n' +
        'LABEL: nightly\nSTART TIMELINE: 1\nSTOP TIME: 2026-11-22 07:00:05 UTC\nSTOP TIMELINE: 1\n',
    );
  }
  await fs.rm(path.join(broken, segmentName(1, 7, SEG)));
  write(broken, segmentName(1, 9, SEG), 4096);
  write(broken, 'core.1234', 'x');
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), env: {} };
  const code = await main(args, io);
  return { code, out, err };
}

test('a clean archive: exit 0, the window printed', async () => {
  const r = await run('wal-check', clean);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /12 segments .* on 1 timeline, 16 MiB segments \(detected\)/);
  // Shown in the machine's zone with its age; the wall time is what formatLocal gives for the segment's time.
  const earliest = formatLocal(new Date('2026-11-22T07:00:05Z'), { seconds: true }).replace(/[+.]/g, '\\$&');
  assert.match(r.out, new RegExp(`earliest\\s+${earliest} · \\d+ (days|months?|years?) ago \\(exact\\), 0/2000100 on timeline 1`));
  assert.match(r.out, /latest\s+.* \(estimate\), 0\/D000000 on timeline 1: time 00000001000000000000000C was archived/);
  assert.match(r.out, /No problems\./);
  assert.equal(r.err, '');
});

test('a broken archive: exit 1, every problem on its own line', async () => {
  const r = await run('wal-check', broken, '--segment-size', '16MB');
  assert.equal(r.code, 1);
  assert.match(r.out, /Problems: 2 errors, 1 warning/);
  assert.match(r.out, /\n {2}error {4}segment 000000010000000000000007 is missing on timeline 1: PITR past 0\/7000000 on timeline 1 is impossible from any base backup that ends before it\n/);
  assert.match(r.out, /\n {2}error {4}segment 000000010000000000000009 is 4096 bytes instead of 16777216 \(16 MiB\)/);
  assert.match(r.out, /\n {2}warning {2}core\.1234 is not a WAL segment/);
  assert.match(r.out, /16 MiB segments\n/, 'a given size is not called detected');
});

test('--json is one document with the problems and the window', async () => {
  const r = await run('wal-check', broken, '--json');
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out) as { problems: { kind: string; severity: string }[]; window: { earliest: { time: string; exact: boolean } } };
  assert.deepEqual(
    doc.problems.map((p) => [p.severity, p.kind]),
    [
      ['error', 'gap'],
      ['error', 'wrong-size'],
      ['warning', 'stray'],
    ],
  );
  assert.deepEqual(doc.window.earliest.time, '2026-11-22T07:00:05.000Z');
  assert.equal(doc.window.earliest.exact, true);
  const ok = await run('wal-check', clean, '--json');
  assert.equal(ok.code, 0);
  assert.deepEqual((JSON.parse(ok.out) as { problems: unknown[] }).problems, []);
});

test('a folder that is not there, and a bad --segment-size, are usage errors (exit 2)', async () => {
  const missing = await run('wal-check', path.join(root, 'nowhere'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read the WAL archive .*nowhere: it does not exist/);
  const json = await run('wal-check', path.join(root, 'nowhere'), '--json');
  assert.equal(json.code, 2);
  assert.equal((JSON.parse(json.out) as { error: { kind: string } }).error.kind, 'io');
  const bad = await run('wal-check', clean, '--segment-size', '3000000');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /power of two from 1MB to 1GB/);
});

test('--segment-size takes bytes or what SHOW wal_segment_size prints', () => {
  assert.equal(parseSegmentSizeOption('16777216'), SEG);
  assert.equal(parseSegmentSizeOption('16MB'), SEG);
  assert.equal(parseSegmentSizeOption('1GB'), 1024 ** 3);
  assert.equal(parseSegmentSizeOption('64 MB'), 64 * 1024 * 1024);
  for (const bad of ['16', '16XB', '-16MB', '', '2GB']) assert.throws(() => parseSegmentSizeOption(bad), bad);
});

test('an empty folder, or one with no WAL segment in it, exits 1 saying there is no WAL there', async () => {
  const empty = path.join(root, 'empty');
  const notWal = path.join(root, 'not-wal');
  await fs.mkdir(empty);
  await fs.mkdir(notWal);
  write(notWal, 'notes.txt', 'hello');
  write(notWal, '000000010000000000000002.00000028.backup', 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n');
  for (const [dir, others] of [
    [empty, ''],
    [notWal, ' \\(only 2 other files\\)'],
  ] as const) {
    const r = await run('wal-check', dir);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, new RegExp(`error +there is no WAL segment in this folder${others}: recovery has nothing to replay`));
    const json = await run('wal-check', dir, '--json');
    assert.equal(json.code, 1);
    assert.ok((JSON.parse(json.out) as { problems: { kind: string; severity: string }[] }).problems.some((p) => p.kind === 'no-wal' && p.severity === 'error'));
  }
});
