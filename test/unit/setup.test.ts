// What `npm test` and `npm run demo` install first, decided from what was found on the machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  REQUIREMENTS,
  parseOsRelease,
  planSetup,
  staleDependencies,
  type Check,
  type Lockfile,
  type Probe,
} from '../../scripts/setup-plan.mjs';

const DEBIAN = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n');

function allFound(): Record<Check, boolean> {
  return Object.fromEntries(REQUIREMENTS.map((r) => [r.check, true])) as Record<Check, boolean>;
}

function machine(over: Partial<Probe> = {}): Probe {
  return {
    goal: 'test',
    platform: 'linux',
    os: DEBIAN,
    hasAptGet: true,
    isRoot: true,
    found: allFound(),
    desktopCode: false,
    codeServer: { version: '4.139.1', cached: true },
    dependencies: { state: 'current', stale: [] },
    ...over,
  };
}

function lacking(...checks: Check[]): Record<Check, boolean> {
  const found = allFound();
  for (const c of checks) found[c] = false;
  return found;
}

test('nothing missing: nothing to do, for the tests and for the demo', () => {
  assert.deepEqual(planSetup(machine()), { steps: [], notes: [] });
  assert.deepEqual(planSetup(machine({ goal: 'demo' })), { steps: [], notes: [] });
});

test('a fresh clone as root on Debian: the packages, then npm ci, then code-server', () => {
  const plan = planSetup(
    machine({
      found: lacking('postgres', 'chromium', 'libkrb5-dev', 'gpg', 'make', 'g++'),
      dependencies: { state: 'missing', stale: [] },
      codeServer: { version: '4.139.1', cached: false },
    }),
  );
  assert.equal(plan.stop, undefined);
  assert.deepEqual(plan.steps, [
    { kind: 'apt', packages: ['postgresql', 'chromium', 'libkrb5-dev', 'gnupg', 'build-essential'] },
    { kind: 'npm-ci', reason: 'not installed' },
    { kind: 'code-server', version: '4.139.1' },
  ]);
});

test('every package .ci/run installed is still installed for the tests', () => {
  const all = (Object.keys(allFound()) as Check[]);
  const plan = planSetup(machine({ found: lacking(...all) }));
  assert.deepEqual(plan.steps[0], {
    kind: 'apt',
    packages: ['postgresql', 'chromium', 'libkrb5-dev', 'systemd', 'rclone', 'age', 'gnupg', 'pgbackrest', 'build-essential', 'python3'],
  });
});

test('not root on Debian: one sudo apt-get command is printed and setup stops before anything else', () => {
  const plan = planSetup(
    machine({ isRoot: false, found: lacking('postgres', 'rclone'), dependencies: { state: 'missing', stale: [] } }),
  );
  assert.deepEqual(plan.steps, []);
  assert.equal(plan.command, 'sudo apt-get install -y --no-install-recommends postgresql rclone');
  assert.match(plan.stop ?? '', /^npm test needs PostgreSQL server \(pg_ctl, postgres\) and rclone \(offsite copies\), which this machine lacks, and installing them needs root\. Run:\n {2}sudo apt-get install -y --no-install-recommends postgresql rclone\nthen run it again\.$/);
});

test('Ubuntu counts as Debian; a derivative is known by ID_LIKE', () => {
  const ubuntu = parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04 LTS"\n');
  const mint = parseOsRelease("ID=linuxmint\nID_LIKE='ubuntu debian'\n");
  for (const os of [ubuntu, mint]) {
    assert.deepEqual(planSetup(machine({ os, found: lacking('age') })).steps, [{ kind: 'apt', packages: ['age'] }]);
  }
  assert.deepEqual(mint.idLike, ['ubuntu', 'debian']);
});

test('another system, or Debian without apt-get: a sentence naming what is missing, no command, root or not', () => {
  const fedora = parseOsRelease('ID=fedora\nPRETTY_NAME="Fedora Linux 40"\n');
  for (const probe of [
    machine({ os: fedora, hasAptGet: false, found: lacking('postgres', 'pgbackrest') }),
    machine({ os: fedora, hasAptGet: false, isRoot: false, found: lacking('postgres', 'pgbackrest') }),
  ]) {
    const plan = planSetup(probe);
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.command, undefined);
    assert.match(plan.stop ?? '', /npm test needs PostgreSQL server \(pg_ctl, postgres\) and pgBackRest, which this machine lacks\./);
    assert.match(plan.stop ?? '', /this is Fedora Linux 40: install them with its package manager \(Debian's names: postgresql, pgbackrest\)/);
  }
  const mac = planSetup(machine({ os: undefined, platform: 'darwin', hasAptGet: false, found: lacking('chromium') }));
  assert.match(mac.stop ?? '', /this is darwin:/);
  assert.match(planSetup(machine({ hasAptGet: false, found: lacking('age') })).stop ?? '', /this is Debian GNU\/Linux 12/);
});

test('the demo needs the server only, and the build tools only when it is about to build code-server', () => {
  const tools = lacking('chromium', 'rclone', 'pgbackrest', 'libkrb5-dev', 'g++');
  assert.deepEqual(planSetup(machine({ goal: 'demo', found: tools })).steps, []);
  assert.deepEqual(planSetup(machine({ goal: 'demo', found: lacking('postgres', 'rclone') })).steps, [
    { kind: 'apt', packages: ['postgresql'] },
  ]);
  assert.deepEqual(planSetup(machine({ goal: 'demo', found: tools, codeServer: { version: '4.139.1', cached: false } })).steps, [
    { kind: 'apt', packages: ['libkrb5-dev', 'build-essential'] },
    { kind: 'code-server', version: '4.139.1' },
  ]);
  assert.match(planSetup(machine({ goal: 'demo', isRoot: false, found: lacking('postgres') })).stop ?? '', /^npm run demo needs/);
});

test('a demo that opens desktop VS Code builds no code-server; the tests always need it', () => {
  const uncached = { version: '4.140.0', cached: false };
  assert.deepEqual(planSetup(machine({ goal: 'demo', desktopCode: true, codeServer: uncached })).steps, []);
  assert.deepEqual(planSetup(machine({ goal: 'test', desktopCode: true, codeServer: uncached })).steps, [
    { kind: 'code-server', version: '4.140.0' },
  ]);
});

test('dependencies out of date with the lock: npm ci, naming the first few', () => {
  const stale = ['esbuild', 'tsx', 'pg', 'yaml', 'execa'];
  assert.deepEqual(planSetup(machine({ dependencies: { state: 'stale', stale } })).steps, [
    { kind: 'npm-ci', reason: 'out of date with package-lock.json (esbuild, tsx, pg and 2 more)' },
  ]);
});

test('node_modules that links elsewhere is never reinstalled through the link: a note, and setup goes on', () => {
  const plan = planSetup(
    machine({ dependencies: { state: 'stale', stale: ['pg'], linkTarget: '/elsewhere/node_modules' }, codeServer: { version: '1', cached: false } }),
  );
  assert.deepEqual(plan.steps, [{ kind: 'code-server', version: '1' }]);
  assert.deepEqual(plan.notes, [
    'node_modules links to /elsewhere/node_modules, whose packages are out of date with package-lock.json (pg); not reinstalling them through the link: run npm ci there.',
  ]);
});

test('staleDependencies: the same lock is current; a changed version, a new or removed package is not', () => {
  const lock: Lockfile = {
    packages: {
      '': { version: '0.1.0' },
      'node_modules/pg': { version: '8.23.1', integrity: 'sha512-a' },
      'node_modules/@esbuild/darwin-arm64': { version: '0.28.2', integrity: 'sha512-b', optional: true },
      'node_modules/execa/node_modules/is-stream': { version: '4.0.1', integrity: 'sha512-c' },
    },
  };
  // npm's own record: no root entry, and no optional packages built for other systems.
  const installed: Lockfile = {
    packages: {
      'node_modules/pg': { version: '8.23.1', integrity: 'sha512-a' },
      'node_modules/execa/node_modules/is-stream': { version: '4.0.1', integrity: 'sha512-c' },
    },
  };
  assert.deepEqual(staleDependencies(lock, installed), []);
  const bumped = structuredClone(lock);
  bumped.packages!['node_modules/pg'] = { version: '8.24.0', integrity: 'sha512-z' };
  assert.deepEqual(staleDependencies(bumped, installed), ['pg']);
  const added = structuredClone(lock);
  added.packages!['node_modules/croner'] = { version: '11.0.1', integrity: 'sha512-d' };
  assert.deepEqual(staleDependencies(added, installed), ['croner']);
  const removed = structuredClone(lock);
  delete removed.packages!['node_modules/execa/node_modules/is-stream'];
  assert.deepEqual(staleDependencies(removed, installed), ['is-stream']);
  assert.deepEqual(staleDependencies(lock, {}), ['pg', 'is-stream']);
});
