// Tool discovery: version parsing, picking a tool for a server, the search order per platform,
// and discovery against fake installs and this machine's real PostgreSQL.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import { PgbrError } from '../../src/core/platform/errors';
import {
  TOOL_NAMES,
  chooseTool,
  discoverTools,
  type FoundTool,
  type ToolInventory,
  type ToolName,
} from '../../src/core/platform/tools';
import { candidateDirectories, settingDirs } from '../../src/core/platform/toolDirs';
import { parseToolVersion } from '../../src/core/platform/toolVersion';

test('parseToolVersion reads what real tools print', () => {
  const cases: [string, string, number][] = [
    ['pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n', '15.18', 15],
    ['pg_dump (PostgreSQL) 16beta1\n', '16beta1', 16],
    ['pg_dump (PostgreSQL) 9.6.24\n', '9.6.24', 9.6],
    ['pg_dump (PostgreSQL) 17.0\n', '17.0', 17],
    ['psql (PostgreSQL) 14.5 (Homebrew)\n', '14.5', 14],
    ['pg_restore (PostgreSQL) 12.19 (Ubuntu 12.19-1.pgdg22.04+1)\n', '12.19', 12],
    ['pg_dump (PostgreSQL) 13.4 (Ubuntu 13.4-4.pgdg20.04+1)', '13.4', 13],
    ['pg_dump (PostgreSQL) 18devel\n', '18devel', 18],
    ['pg_dump (PostgreSQL) 17rc1\n', '17rc1', 17],
    ['pg_basebackup (PostgreSQL) 16.2\r\n', '16.2', 16],
    ['pg_dumpall (PostgreSQL) 10.23\n', '10.23', 10],
    ['pg_dump (PostgreSQL) 8.4.22\n', '8.4.22', 8.4],
    ['pg_dump (PostgreSQL) 9.5beta2\n', '9.5beta2', 9.5],
    ['PostgreSQL 15.18 (Debian 15.18-0+deb12u1)\n', '15.18', 15],
  ];
  for (const [output, version, major] of cases) {
    assert.deepEqual(parseToolVersion(output), { version, major }, output);
  }
  for (const output of ['', 'sh: 1: pg_dump: not found', "pg_dump: unrecognized option '--versio'", 'Error: You must install at least one postgresql-client-<version> package']) {
    assert.equal(parseToolVersion(output), undefined, output);
  }
});

function tool(name: ToolName, major: number, minor = 1): FoundTool {
  return { name, path: `/pg${major}/bin/${name}`, version: `${major}.${minor}`, major };
}

function inventory(...installs: [number, ToolName[]][]): ToolInventory {
  return {
    installs: installs.map(([major, names]) => ({
      major,
      binDir: `/pg${major}/bin`,
      via: 'PATH',
      tools: Object.fromEntries(names.map((n) => [n, tool(n, major)])),
    })),
    problems: [],
  };
}

test('chooseTool picks the lowest installed major that is at least the server', () => {
  const inv = inventory([14, ['pg_dump']], [15, ['pg_dump', 'pg_restore']], [17, ['pg_dump']]);
  assert.equal(chooseTool(inv, 'pg_dump', 15).major, 15);
  assert.equal(chooseTool(inv, 'pg_dump', 16).major, 17);
  assert.equal(chooseTool(inv, 'pg_dump', 12).major, 14);
  assert.equal(chooseTool(inv, 'pg_restore', 9.6).major, 15);
  assert.equal(chooseTool(inventory([9.6, ['pg_dump']]), 'pg_dump', 9.6).version, '9.6.1');
});

test('chooseTool says which version to install when every tool is older than the server', () => {
  const inv = inventory([14, ['pg_dump', 'pg_restore', 'pg_basebackup']], [15, ['pg_dump', 'pg_restore']]);
  const expectError = (name: ToolName, serverMajor: number, message: string) =>
    assert.throws(
      () => chooseTool(inv, name, serverMajor),
      (e: unknown) => e instanceof PgbrError && e.kind === 'tool-version' && e.message === message,
    );
  expectError('pg_dump', 17, 'pg_dump 15 cannot dump a PostgreSQL 17 server: install the version 17 client tools or set pgBackup.binPath');
  expectError('pg_restore', 16, 'pg_restore 15 cannot restore into a PostgreSQL 16 server: install the version 16 client tools or set pgBackup.binPath');
  expectError('pg_basebackup', 15, 'pg_basebackup 14 cannot back up a PostgreSQL 15 server: install the version 15 client tools or set pgBackup.binPath');
});

test('chooseTool says how to install a tool that is missing', () => {
  assert.throws(
    () => chooseTool(inventory([15, ['pg_dump']]), 'pg_restore', 16),
    (e: unknown) =>
      e instanceof PgbrError &&
      e.kind === 'tool-missing' &&
      e.message === 'pg_restore is not installed: install the PostgreSQL client tools (e.g. postgresql-client-16) or set pgBackup.binPath',
  );
  assert.throws(() => chooseTool({ installs: [], problems: [] }, 'pg_dump', 15), /pg_dump is not installed/);
});

test('settingDirs and candidateDirectories on Linux: the setting (home expanded); the search: PATH, pg_config, then the distribution folders', () => {
  assert.deepEqual(settingDirs('~/pg/bin', '/home/ann', posix), [{ dir: '/home/ann/pg/bin', via: 'setting pgBackup.binPath' }]);
  const dirs = candidateDirectories({
    env: { PATH: '/usr/local/bin:/usr/bin::/usr/bin' },
    platform: 'linux',
    homedir: '/home/ann',
    pgConfigBinDir: '/usr/lib/postgresql/16/bin',
  });
  assert.deepEqual(dirs, [
    { dir: '/usr/local/bin', via: 'PATH' },
    { dir: '/usr/bin', via: 'PATH' },
    { dir: '/usr/lib/postgresql/16/bin', via: 'pg_config --bindir' },
    { dir: '/usr/lib/postgresql/*/bin', via: '/usr/lib/postgresql/*' },
    { dir: '/usr/pgsql-*/bin', via: '/usr/pgsql-*' },
    { dir: '/usr/local/pgsql/bin', via: '/usr/local/pgsql' },
  ]);
});

test('settingDirs takes a per-major binPath object in major order; the search without PATH starts at the distribution folders', () => {
  assert.deepEqual(settingDirs({ '17': '/opt/pg17/bin', '9.6': '/opt/pg96/bin', '16': '' }, '/root', posix), [
    { dir: '/opt/pg96/bin', via: 'setting pgBackup.binPath', expectedMajor: 9.6 },
    { dir: '/opt/pg17/bin', via: 'setting pgBackup.binPath', expectedMajor: 17 },
  ]);
  assert.equal(candidateDirectories({ env: {}, platform: 'linux', homedir: '/root' })[0]?.via, '/usr/lib/postgresql/*');
});

test('candidateDirectories on macOS: Homebrew kegs, the libpq keg, Postgres.app and the EDB installer', () => {
  const dirs = candidateDirectories({ env: { PATH: '/usr/bin' }, platform: 'darwin', homedir: '/Users/ann' });
  assert.deepEqual(
    dirs.map((d) => `${d.via}: ${d.dir}`),
    [
      'PATH: /usr/bin',
      'Homebrew: /opt/homebrew/opt/postgresql@*/bin',
      'Homebrew: /usr/local/opt/postgresql@*/bin',
      'Homebrew: /opt/homebrew/opt/libpq/bin',
      'Homebrew: /usr/local/opt/libpq/bin',
      'Homebrew: /opt/homebrew/bin',
      'Postgres.app: /Applications/Postgres.app/Contents/Versions/*/bin',
      'Postgres.app: /Users/ann/Applications/Postgres.app/Contents/Versions/*/bin',
      'EDB installer: /Library/PostgreSQL/*/bin',
    ],
  );
});

test('settingDirs and candidateDirectories on Windows: the setting; Path in any case, quoted entries, Program Files once each', () => {
  assert.deepEqual(settingDirs('D:\\pg\\16\\bin', 'C:\\Users\\ann', win32), [{ dir: 'D:\\pg\\16\\bin', via: 'setting pgBackup.binPath' }]);
  const dirs = candidateDirectories({
    env: {
      Path: 'C:\\Windows\\system32;"C:\\Program Files\\PostgreSQL\\16\\bin";',
      ProgramFiles: 'C:\\Program Files',
      ProgramW6432: 'C:\\Program Files',
      'ProgramFiles(x86)': 'C:\\Program Files (x86)',
    },
    platform: 'win32',
    homedir: 'C:\\Users\\ann',
  });
  assert.deepEqual(dirs, [
    { dir: 'C:\\Windows\\system32', via: 'PATH' },
    { dir: 'C:\\Program Files\\PostgreSQL\\16\\bin', via: 'PATH' },
    { dir: 'C:\\Program Files\\PostgreSQL\\*\\bin', via: 'Program Files' },
    { dir: 'C:\\Program Files (x86)\\PostgreSQL\\*\\bin', via: 'Program Files' },
  ]);
});

/** A fake client tool: a shell script that prints what the real one would for `--version`. */
async function fakeTool(dir: string, name: string, body: string, mode = 0o755): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, mode);
  return file;
}

async function fakeInstall(dir: string, version: string, names: readonly string[] = TOOL_NAMES): Promise<void> {
  for (const name of names) await fakeTool(dir, name, `echo "${name} (PostgreSQL) ${version}"`);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pgbr-tools-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const fakeOptions = { env: {}, platform: 'linux' as const, homedir: '/nonexistent-home' };

test('discovery finds every tool in the binPath folder and reads versions by running them', async () => {
  await withTempDir(async (root) => {
    const bin = join(root, 'pg16', 'bin');
    await fakeInstall(bin, '16.4');
    const inv = await discoverTools({ ...fakeOptions, binPath: bin, candidateDirs: [] });
    assert.deepEqual(inv.problems, []);
    assert.equal(inv.installs.length, 1);
    const install = inv.installs[0]!;
    assert.deepEqual([install.major, install.binDir, install.via], [16, bin, 'setting pgBackup.binPath']);
    assert.deepEqual(Object.keys(install.tools).sort(), [...TOOL_NAMES].sort());
    assert.deepEqual(install.tools.pg_dump, { name: 'pg_dump', path: join(bin, 'pg_dump'), version: '16.4', major: 16 });
  });
});

test('a binPath folder is the only place looked in: the other installs are neither searched nor run', async () => {
  await withTempDir(async (root) => {
    const named = join(root, 'pg15', 'bin');
    await fakeInstall(named, '15.8', ['pg_dump', 'pg_restore']);
    const other = join(root, 'pg17', 'bin');
    const ran = join(root, 'pg17-ran');
    await fakeTool(other, 'pg_dump', `touch "${ran}"; echo "pg_dump (PostgreSQL) 17.2"`);
    const search = [{ dir: other, via: 'PATH' }];
    const inv = await discoverTools({ ...fakeOptions, binPath: named, candidateDirs: search });
    assert.deepEqual(inv.installs.map((i) => [i.major, i.binDir]), [[15, named]]);
    assert.deepEqual(inv.namedDirs, [named]);
    assert.equal(await stat(ran).then(() => true, () => false), false, 'a tool outside the named folder was run');
    // A PostgreSQL 17 server: the way out is the setting, since nothing else was looked at.
    assert.throws(
      () => chooseTool(inv, 'pg_dump', 17),
      (e: unknown) =>
        e instanceof PgbrError &&
        e.kind === 'tool-version' &&
        e.message === `pg_dump 15 in ${named} (pgBackup.binPath) cannot dump a PostgreSQL 17 server: point pgBackup.binPath at the version 17 client tools, or clear it to search PATH and the standard locations`,
    );
    assert.throws(
      () => chooseTool(inv, 'psql', 15),
      (e: unknown) =>
        e instanceof PgbrError &&
        e.kind === 'tool-missing' &&
        e.message === `psql is not in ${named} (pgBackup.binPath): point the setting at the folder of the PostgreSQL 15 client tools, or clear it to search PATH and the standard locations`,
    );
    // Without the setting, the same search finds the other install and runs it.
    const searched = await discoverTools({ ...fakeOptions, candidateDirs: search });
    assert.deepEqual(searched.installs.map((i) => [i.major, i.binDir]), [[17, other]]);
    assert.equal(searched.namedDirs, undefined);
    assert.equal(await stat(ran).then(() => true, () => false), true);
  });
});

test('discovery trusts the version a tool prints, not the folder name, and sorts installs by major', async () => {
  await withTempDir(async (root) => {
    await fakeInstall(join(root, 'versions', '17', 'bin'), '14.11', ['pg_dump']);
    await fakeInstall(join(root, 'versions', '12', 'bin'), '12.20', ['pg_dump']);
    await fakeInstall(join(root, 'other'), '13.2', ['psql']);
    const inv = await discoverTools({
      ...fakeOptions,
      candidateDirs: [
        { dir: join(root, 'other'), via: 'PATH' },
        { dir: join(root, 'versions', '*', 'bin'), via: 'test install' },
      ],
    });
    assert.deepEqual(
      inv.installs.map((i) => [i.major, i.binDir, i.via]),
      [
        [12, join(root, 'versions', '12', 'bin'), 'test install'],
        [13, join(root, 'other'), 'PATH'],
        [14, join(root, 'versions', '17', 'bin'), 'test install'],
      ],
    );
  });
});

test('discovery prefers the versioned folder over a wrapper or symlink for the same major', async () => {
  await withTempDir(async (root) => {
    const versioned = join(root, 'lib', '15', 'bin');
    await fakeInstall(versioned, '15.8', ['pg_dump', 'pg_restore']);
    // Like Debian's /usr/bin: links to one wrapper script that runs the newest installed version.
    const wrapper = await fakeTool(join(root, 'share'), 'pg_wrapper', 'echo "$(basename "$0") (PostgreSQL) 15.8"');
    const usrBin = join(root, 'usr-bin');
    await mkdir(usrBin);
    for (const name of ['pg_dump', 'pg_restore', 'pg_dumpall']) await symlink(wrapper, join(usrBin, name));
    // A second path to the same folder, like a PATH entry through a symlinked directory: it is found
    // first, so it names the install, but the tools are counted once.
    const current = join(root, 'current');
    await symlink(versioned, current);

    const inv = await discoverTools({
      ...fakeOptions,
      candidateDirs: [
        { dir: usrBin, via: 'PATH' },
        { dir: current, via: 'PATH' },
        { dir: join(root, 'lib', '*', 'bin'), via: 'distribution' },
      ],
    });
    assert.deepEqual(inv.problems, []);
    assert.deepEqual(
      inv.installs.map((i) => [i.major, i.binDir, Object.keys(i.tools).sort().join(',')]),
      [
        // The wrapper stays only for the tool the versioned folder lacks.
        [15, usrBin, 'pg_dumpall'],
        [15, current, 'pg_dump,pg_restore'],
      ],
    );
  });
});

test('discovery reports a binPath folder that does not exist, is empty, or is mapped to the wrong major', async () => {
  await withTempDir(async (root) => {
    const bin16 = join(root, 'pg16');
    await fakeInstall(bin16, '16.4', ['pg_dump']);
    const empty = join(root, 'empty');
    await mkdir(empty);
    const missing = join(root, 'missing');
    const inv = await discoverTools({ ...fakeOptions, binPath: { '15': bin16, '16': missing, '17': empty }, candidateDirs: [] });
    assert.deepEqual(inv.problems, [
      `${missing} in pgBackup.binPath does not exist: fix the setting or install the tools there`,
      `${empty} in pgBackup.binPath holds none of pg_dump, pg_restore, pg_dumpall, pg_basebackup, psql, pg_verifybackup: point the setting at the PostgreSQL bin folder`,
      `pgBackup.binPath maps 15 to ${bin16}, but the tools there are PostgreSQL 16: fix the setting's key`,
    ]);
    // The tool is still usable: the key was wrong, not the folder.
    assert.equal(inv.installs[0]?.tools.pg_dump?.major, 16);
  });
});

test('discovery skips files that are not executables and reports tools that fail or hang', async () => {
  await withTempDir(async (root) => {
    const bin = join(root, 'bin');
    await fakeTool(bin, 'pg_dump', 'echo "pg_dump (PostgreSQL) 16.1"', 0o644);
    await mkdir(join(bin, 'psql'));
    const broken = await fakeTool(bin, 'pg_restore', 'echo "error while loading shared libraries: libpq.so.5" >&2; exit 127');
    const hanging = await fakeTool(bin, 'pg_basebackup', 'sleep 30');
    const chatty = await fakeTool(bin, 'pg_dumpall', 'echo "hello"');
    const started = Date.now();
    const inv = await discoverTools({ ...fakeOptions, candidateDirs: [{ dir: bin, via: 'PATH' }], versionTimeoutMs: 300 });
    assert.ok(Date.now() - started < 20_000, 'a hanging tool (30 s) held discovery up');
    assert.deepEqual(inv.installs, []);
    assert.deepEqual(inv.problems, [
      `${broken} --version failed: pg_restore exited with code 127: error while loading shared libraries: libpq.so.5`,
      `${chatty} --version printed no PostgreSQL version: hello`,
      `${hanging} --version failed: it did not answer within 0.3 s`,
    ]);
  });
});

test("discovery finds this machine's PostgreSQL 15 client tools", async (t) => {
  const debianBin = '/usr/lib/postgresql/15/bin';
  if (!(await access(debianBin).then(() => true, () => false))) {
    t.skip(`${debianBin} does not exist: PostgreSQL 15 client tools are not installed here`);
    return;
  }
  const inv = await discoverTools({ env: process.env, platform: process.platform, homedir: homedir() });
  const install = inv.installs.find((i) => i.binDir === debianBin);
  assert.ok(install, `no install found in ${debianBin}: ${JSON.stringify(inv)}`);
  assert.equal(install.major, 15);
  assert.match(install.tools.pg_dump?.version ?? '', /^15\.\d+$/);
  assert.ok(install.tools.pg_restore && install.tools.pg_basebackup && install.tools.psql);
  // Debian's /usr/bin/pg_dump is pg_wrapper: the versioned folder wins for major 15.
  assert.ok(!inv.installs.some((i) => i.major === 15 && i.binDir === '/usr/bin' && i.tools.pg_dump), JSON.stringify(inv.installs));
  assert.equal(chooseTool(inv, 'pg_dump', 15).path, `${debianBin}/pg_dump`);
});
