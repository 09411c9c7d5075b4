// Tool discovery keeps each binary's --version answer while the binary is the same file, and learns
// pg_config's bindir from where it lives when pg_dump is there: fewer processes on every command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverTools, TOOL_NAMES } from '../../src/core/platform/tools';
import { cacheFolder } from '../../src/core/platform/toolVersionCache';

/** A fake tool that notes each run in `log` and prints `version`. */
async function countingTool(dir: string, name: string, version: string, log: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\necho "${name} $*" >> "${log}"\necho "${name} (PostgreSQL) ${version}"\n`);
  await chmod(file, 0o755);
}

async function runs(log: string): Promise<string[]> {
  return (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pgbr-toolcache-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const options = { env: {}, platform: 'linux' as const, homedir: '/nonexistent-home' };

test('a second discovery runs no --version; a changed binary is asked again; a damaged cache file is only slower', async () => {
  await withTempDir(async (root) => {
    const bin = join(root, 'bin');
    const log = join(root, 'runs.log');
    const cacheFile = join(root, 'cache', 'tool-versions.json');
    for (const name of TOOL_NAMES) await countingTool(bin, name, '16.4', log);
    const discover = () => discoverTools({ ...options, candidateDirs: [{ dir: bin, via: 'PATH' }], versionCacheFile: cacheFile });

    const first = await discover();
    assert.equal((await runs(log)).length, TOOL_NAMES.length);
    const second = await discover();
    assert.deepEqual(second, first);
    assert.equal((await runs(log)).length, TOOL_NAMES.length, 'no tool was run the second time');

    // An upgrade in place: same path, new file contents.
    await countingTool(bin, 'pg_dump', '16.5', log);
    const upgraded = await discover();
    assert.equal(upgraded.installs[0]?.tools.pg_dump?.version, '16.5');
    assert.deepEqual((await runs(log)).slice(TOOL_NAMES.length), ['pg_dump --version']);
    // Only mtime put back: the change time still tells.
    await utimes(join(bin, 'pg_restore'), new Date(0), new Date(0));
    await discover();
    assert.deepEqual((await runs(log)).slice(TOOL_NAMES.length + 1), ['pg_restore --version']);

    await writeFile(cacheFile, '{"version":1,"tools":{"x":');
    const afterDamage = await discover();
    assert.equal(afterDamage.installs[0]?.tools.pg_dump?.version, '16.5');
    assert.equal((await runs(log)).length, TOOL_NAMES.length + 2 + TOOL_NAMES.length);
    assert.equal((JSON.parse(await readFile(cacheFile, 'utf8')) as { version: number }).version, 1, 'the cache was written anew');
  });
});

test('a tool that printed no version is not cached, and asked again next time', async () => {
  await withTempDir(async (root) => {
    const bin = join(root, 'bin');
    const log = join(root, 'runs.log');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'pg_dump'), `#!/bin/sh\necho run >> "${log}"\necho "not a version"\n`);
    await chmod(join(bin, 'pg_dump'), 0o755);
    const discover = () => discoverTools({ ...options, candidateDirs: [{ dir: bin, via: 'PATH' }], versionCacheFile: join(root, 'c.json') });
    assert.match((await discover()).problems.join('\n'), /printed no PostgreSQL version/);
    await discover();
    assert.equal((await runs(log)).length, 2);
  });
});

test('pg_config beside pg_dump gives its folder without being run, also through a link from a folder not on PATH', async () => {
  await withTempDir(async (root) => {
    const real = join(root, 'opt', 'pg', 'bin');
    const linkDir = join(root, 'links');
    const log = join(root, 'runs.log');
    for (const name of [...TOOL_NAMES, 'pg_config']) await countingTool(real, name, '14.9', log);
    await mkdir(linkDir, { recursive: true });
    await symlink(join(real, 'pg_config'), join(linkDir, 'pg_config'));
    const inv = await discoverTools({ ...options, env: { PATH: linkDir } });
    const install = inv.installs.find((i) => i.binDir === real);
    assert.ok(install, `${real} was found: ${JSON.stringify(inv.installs.map((i) => i.binDir))}`);
    assert.equal(install.major, 14);
    assert.ok(!(await runs(log)).some((l) => l.startsWith('pg_config')), 'pg_config was not run');
  });
});

test('the cache folder follows XDG_CACHE_HOME, else ~/.cache; a relative or missing place is none', () => {
  assert.equal(cacheFolder({ XDG_CACHE_HOME: '/var/cache/me' }, '/home/u'), '/var/cache/me/pgbr');
  assert.equal(cacheFolder({}, '/home/u'), '/home/u/.cache/pgbr');
  assert.equal(cacheFolder({ XDG_CACHE_HOME: 'rel' }, '/home/u'), undefined);
  assert.equal(cacheFolder({}, ''), undefined);
});
