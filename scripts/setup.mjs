// First step of `npm test` and `npm run demo`: installs what this machine lacks (Debian packages when
// run as root, the npm dependencies, the end-to-end tests' code-server) and nothing that is already there.
// Node standard library only: it runs before node_modules exists. What to do is decided in setup-plan.mjs.
//   node scripts/setup.mjs test|demo [--dry-run]   (--dry-run prints what was found and what would be done)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUIREMENTS, parseOsRelease, planSetup, staleDependencies } from './setup-plan.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CODE_SERVER_SCRIPT = path.join(ROOT, 'test', 'e2e', 'setup-code-server.sh');

/** @param {string} file */
function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** @param {string} name */
function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && isExecutable(path.join(dir, name)));
}

/** pg_ctl and postgres where the integration tests look for them (test/integration/cluster.ts), or on PATH. */
function hasPostgresServer() {
  const both = (/** @type {string} */ dir) => isExecutable(path.join(dir, 'pg_ctl')) && isExecutable(path.join(dir, 'postgres'));
  if (process.env.PGBR_TEST_PG_BIN) return both(process.env.PGBR_TEST_PG_BIN);
  const base = '/usr/lib/postgresql';
  const majors = fs.existsSync(base) ? fs.readdirSync(base) : [];
  return majors.some((v) => both(path.join(base, v, 'bin'))) || (onPath('pg_ctl') && onPath('postgres'));
}

function hasKerberosHeaders() {
  if (!onPath('dpkg-query')) return onPath('krb5-config');
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'libkrb5-dev'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** The version and cache folder setup-code-server.sh installs into, read from the script so the two agree. */
function codeServerCache() {
  const script = fs.readFileSync(CODE_SERVER_SCRIPT, 'utf8');
  const version = process.env.CS_VERSION || /CS_VERSION="\$\{CS_VERSION:-([^}"]+)\}"/.exec(script)?.[1];
  if (!version) throw new Error(`${path.relative(ROOT, CODE_SERVER_SCRIPT)} names no default CS_VERSION`);
  const root = process.env.PGBR_E2E_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'pg-backup-e2e');
  // CS_DIR and NODE24 name an install made elsewhere; the e2e harness then skips the script too.
  const cached = Boolean(process.env.CS_DIR && process.env.NODE24) || fs.existsSync(path.join(root, `code-server-${version}`, '.complete'));
  return { version, cached, root };
}

/**
 * @param {string} file
 * @returns {import('./setup-plan.d.mts').Lockfile}
 */
function readLockfile(file) {
  /** @type {unknown} */
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  return typeof parsed === 'object' && parsed !== null ? parsed : {};
}

/** @returns {import('./setup-plan.d.mts').Probe['dependencies']} */
function dependencies() {
  const modules = path.join(ROOT, 'node_modules');
  let linkTarget;
  try {
    if (fs.lstatSync(modules).isSymbolicLink()) linkTarget = fs.realpathSync(modules);
  } catch {
    return { state: 'missing', stale: [] };
  }
  let installed;
  try {
    installed = readLockfile(path.join(modules, '.package-lock.json'));
  } catch {
    return { state: 'missing', stale: [], ...(linkTarget ? { linkTarget } : {}) };
  }
  const stale = staleDependencies(readLockfile(path.join(ROOT, 'package-lock.json')), installed);
  return { state: stale.length > 0 ? 'stale' : 'current', stale, ...(linkTarget ? { linkTarget } : {}) };
}

/** @param {import('./setup-plan.d.mts').SetupGoal} goal */
function probe(goal) {
  /** @type {Record<string, boolean>} */
  const found = {};
  for (const { check } of REQUIREMENTS) {
    if (check === 'postgres') found[check] = hasPostgresServer();
    else if (check === 'chromium') found[check] = isExecutable(process.env.CHROMIUM ?? '/usr/bin/chromium'); // as test/e2e/harness.ts finds it
    else if (check === 'libkrb5-dev') found[check] = hasKerberosHeaders();
    else found[check] = onPath(check);
  }
  let osRelease;
  try {
    osRelease = parseOsRelease(fs.readFileSync('/etc/os-release', 'utf8'));
  } catch {
    osRelease = undefined;
  }
  const codeServer = codeServerCache();
  return {
    probe: /** @type {import('./setup-plan.d.mts').Probe} */ ({
      goal,
      platform: process.platform,
      os: osRelease,
      hasAptGet: onPath('apt-get'),
      isRoot: process.getuid?.() === 0,
      found,
      desktopCode: process.env.PGBR_DEMO_WEB !== '1' && onPath('code'),
      codeServer: { version: codeServer.version, cached: codeServer.cached },
      dependencies: dependencies(),
    }),
    codeServerRoot: codeServer.root,
  };
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnSyncOptions} [options]
 */
function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (r.status !== 0) {
    const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    fail(`${command} ${args.join(' ')} failed (${how}); its output is above. Fix what it reports, then run this again.`);
  }
}

/** @param {string} message */
function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

function main() {
  const args = process.argv.slice(2);
  const goal = args.find((a) => !a.startsWith('--'));
  if (goal !== 'test' && goal !== 'demo') fail('usage: node scripts/setup.mjs test|demo [--dry-run]');
  const started = process.hrtime.bigint();
  const { probe: found, codeServerRoot } = probe(goal);
  const plan = planSetup(found);
  if (args.includes('--dry-run')) {
    console.log(JSON.stringify({ probe: found, plan, ms: Number(process.hrtime.bigint() - started) / 1e6 }, null, 2));
    return;
  }
  for (const note of plan.notes) console.error(`setup: ${note}`);
  if (plan.stop) fail(plan.stop);
  for (const step of plan.steps) {
    if (step.kind === 'apt') {
      console.error(`setup: installing Debian packages: ${step.packages.join(' ')}`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update', '-q'], { env });
      run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...step.packages], { env });
    } else if (step.kind === 'npm-ci') {
      console.error(`setup: npm dependencies ${step.reason}: running npm ci`);
      // Under `npm test` the npm that started us is the one to use.
      const npmCli = process.env.npm_execpath;
      if (npmCli?.endsWith('.js')) run(process.execPath, [npmCli, 'ci', '--no-audit', '--no-fund']);
      else run('npm', ['ci', '--no-audit', '--no-fund']);
    } else {
      console.error(`setup: installing code-server ${step.version} for VS Code into ${codeServerRoot} (a few minutes, once)`);
      // The script prints shell exports on stdout, which only the e2e harness reads.
      run('bash', [CODE_SERVER_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }
}

main();
