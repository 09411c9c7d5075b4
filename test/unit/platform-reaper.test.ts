// The run folder and its watcher, and the sweep of dead runs: what a killed process started or wrote goes with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeLeftovers, parseScratchComment, scratchComment, sweepDeadRuns } from '../../src/core/platform/leftovers';
import { findPartials } from '../../src/core/platform/partials';
import { ownerAlive, processStartTicks } from '../../src/core/platform/reaper';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-reaper-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const exists = (p: string) => fs.stat(p).then(() => true, () => false);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pid that was used and is free now: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('a killed process takes its tools and its unfinished work with it (the watcher)', { skip: process.platform === 'win32' }, async () => {
  const tmp = path.join(dir, 'watched');
  await fs.mkdir(tmp);
  const partial = path.join(dir, 'work.dump.partial');
  await fs.writeFile(partial, 'half a dump');
  const script = `
    const { spawn } = require('node:child_process');
    const r = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/platform/reaper.ts'))});
    const tool = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    r.guardProcessGroup(tool.pid);
    r.removeIfKilled(${JSON.stringify(partial)});
    require('node:fs').writeFileSync(require('node:path').join(r.runFolder(), 'pass-x'), 'secret');
    process.stdout.write(JSON.stringify({ tool: tool.pid, folder: r.runFolder() }) + '\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<{ tool: number; folder: string }>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { tool: number; folder: string })));
  assert.ok(alive(info.tool));
  assert.ok(await exists(info.folder));
  child.kill('SIGKILL');
  await waitFor('the tool to be killed', () => !alive(info.tool));
  await waitFor('the partial to go', async () => !(await exists(partial)));
  await waitFor('the run folder to go', async () => !(await exists(info.folder)));
});

test('the sweep clears the run folder of a dead owner, passfiles and recorded paths included, and leaves a live one', async () => {
  const tmp = path.join(dir, 'swept');
  await fs.mkdir(tmp);
  const make = async (name: string, owner: object, recorded: string) => {
    const run = path.join(tmp, name);
    await fs.mkdir(path.join(run, 'groups'), { recursive: true });
    await fs.mkdir(path.join(run, 'remove'));
    await fs.mkdir(path.join(run, 'pass-abc'));
    await fs.writeFile(path.join(run, 'pass-abc', 'pgpass'), '*:*:*:*:secret');
    await fs.writeFile(path.join(run, 'owner.json'), JSON.stringify(owner));
    await fs.writeFile(recorded, 'x');
    await fs.writeFile(path.join(run, 'remove', '1'), recorded);
    return run;
  };
  const dead = await make('pgbr-run-1-aaaa', { pid: deadPid(), host: os.hostname(), createdAt: '2026-11-22T00:00:00Z' }, path.join(dir, 'dead.partial'));
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const live = await make('pgbr-run-2-bbbb', { pid: sleeper.pid, host: os.hostname(), createdAt: '2026-11-22T00:00:00Z', ...(processStartTicks(sleeper.pid as number) !== undefined ? { startTicks: processStartTicks(sleeper.pid as number) } : {}) }, path.join(dir, 'live.partial'));
    const other = await make('pgbr-run-3-cccc', { pid: deadPid(), host: 'another-machine', createdAt: '2026-11-22T00:00:00Z' }, path.join(dir, 'other.partial'));
    const result = sweepDeadRuns(tmp);
    assert.deepEqual(result, { removed: [dead], problems: [] });
    assert.equal(await exists(dead), false);
    assert.equal(await exists(path.join(dir, 'dead.partial')), false);
    assert.equal(await exists(live), true);
    assert.equal(await exists(path.join(dir, 'live.partial')), true);
    assert.equal(await exists(other), true, "another machine's run is not judged from here");
  } finally {
    sleeper.kill();
  }
});

test('a reused pid is not mistaken for the owner: the start time must match too', { skip: process.platform !== 'linux' }, () => {
  const ticks = processStartTicks(process.pid) as number;
  assert.equal(ownerAlive({ pid: process.pid, host: os.hostname(), createdAt: '', startTicks: ticks }), true);
  assert.equal(ownerAlive({ pid: process.pid, host: os.hostname(), createdAt: '', startTicks: ticks - 1 }), false);
  assert.equal(ownerAlive({ pid: deadPid(), host: os.hostname(), createdAt: '' }), false);
});

test('legacy passfile folders older than an hour go; fresh ones and folders with other files stay', async () => {
  const tmp = path.join(dir, 'legacy');
  await fs.mkdir(tmp);
  const at = new Date('2026-11-22T12:00:00Z');
  const old = new Date(at.getTime() - 2 * 3600_000);
  for (const [name, files, time] of [
    ['pgbr-AbC123', ['pgpass'], old],
    ['pgbr-Fresh1', ['pgpass'], at],
    ['pgbr-Other1', ['pgpass', 'notes'], old],
  ] as const) {
    await fs.mkdir(path.join(tmp, name));
    for (const f of files) await fs.writeFile(path.join(tmp, name, f), 'x');
    await fs.utimes(path.join(tmp, name), time, time);
  }
  const result = sweepDeadRuns(tmp, () => at);
  assert.deepEqual(result.removed, [path.join(tmp, 'pgbr-AbC123')]);
  assert.deepEqual((await fs.readdir(tmp)).sort(), ['pgbr-Fresh1', 'pgbr-Other1']);
});

test('scratch database comments name their owner; others are unknown', () => {
  const comment = scratchComment(new Date('2026-11-22T10:00:00Z'));
  const owner = parseScratchComment(comment);
  assert.equal(owner?.pid, process.pid);
  assert.equal(owner?.host, os.hostname());
  assert.equal(owner?.createdAt, '2026-11-22T10:00:00.000Z');
  assert.equal(parseScratchComment('made by hand'), undefined);
  assert.equal(parseScratchComment(null), undefined);
});

test('partials no live run claims are reported with their size and the command that removes them', async () => {
  const folder = path.join(dir, 'partials');
  await fs.mkdir(folder);
  await fs.writeFile(path.join(folder, 'a.dump.partial'), Buffer.alloc(3 * 1024 * 1024));
  await fs.writeFile(path.join(folder, 'b.dump'), 'done');
  const found = await findPartials([folder]);
  assert.deepEqual(found.map((p) => [path.basename(p.path), p.sizeBytes]), [['a.dump.partial', 3 * 1024 * 1024]]);
  assert.deepEqual(describeLeftovers({ partials: found }), [
    `1 unfinished backup (.partial, 3.0 MB) in ${folder} no running pgbr is writing: remove them with \`pgbr leftovers --remove-partials\`.`,
  ]);
  assert.deepEqual(describeLeftovers({}), []);
});
