// `npm run package:cli` for real: the tarball installs offline into a fresh prefix, and the installed
// pgbr runs with nothing but that prefix, Node.js and the system's folders on PATH, outside the repository.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { version } from '../../package.json';

const REPO = path.resolve(__dirname, '../..');
let root: string;
let prefix: string;
let work: string;
let env: NodeJS.ProcessEnv;

before(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'pgbr-package-')));
  prefix = path.join(root, 'prefix');
  work = path.join(root, 'work');
  mkdirSync(work);
  mkdirSync(path.join(root, 'home'));
  const packed = spawnSync('npm', ['run', '--silent', 'package:cli'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(packed.status, 0, packed.stderr);
  const tgz = path.join(REPO, packed.stdout.trim().split('\n').pop() ?? '');
  assert.equal(path.basename(tgz), `pgbr-${version}.tgz`);
  // A fresh npm cache and --offline: nothing can come from a registry, and nothing needs to.
  const install = spawnSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tgz], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_cache: path.join(root, 'npm-cache') },
  });
  assert.equal(install.status, 0, install.stderr);
  env = { PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'), HOME: path.join(root, 'home'), LANG: 'C' };
});

after(() => rmSync(root, { recursive: true, force: true }));

function pgbr(args: string[], options: { file?: string } = {}) {
  const [file, argv] = options.file ? [process.execPath, [options.file, ...args]] : [path.join(prefix, 'bin', 'pgbr'), args];
  const r = spawnSync(file, argv, { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the installed package is pgbr.js, its package.json, README and LICENSE: no dependencies came with it', () => {
  const installed = path.join(prefix, 'lib', 'node_modules', 'pgbr');
  assert.deepEqual(readdirSync(installed).sort(), ['LICENSE', 'README.md', 'package.json', 'pgbr.js']);
  assert.equal(realpathSync(path.join(prefix, 'bin', 'pgbr')), path.join(installed, 'pgbr.js'));
});

test('pgbr --version names the version and the commit it was built from', () => {
  const r = pgbr(['--version']);
  assert.equal(r.code, 0, r.stderr);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  assert.match(r.stdout, new RegExp(`^pgbr ${version.replaceAll('.', '\\.')} \\(commit ${commit}(-dirty)?\\)\\n$`));
  // The same file copied alone runs the same.
  const alone = path.join(root, 'alone', 'pgbr.js');
  mkdirSync(path.dirname(alone));
  copyFileSync(path.join(prefix, 'lib', 'node_modules', 'pgbr', 'pgbr.js'), alone);
  assert.equal(pgbr(['--version'], { file: alone }).stdout, r.stdout);
});

test('pgbr tools --json finds the PostgreSQL 15 client tools of this machine', () => {
  const r = pgbr(['tools', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { installs: { major: number; tools: Record<string, { version: string; path: string }> }[] };
  const pg15 = doc.installs.find((i) => i.major === 15);
  assert.match(pg15?.tools.pg_dump?.version ?? '', /^15\.\d+/);
  assert.ok(existsSync(pg15?.tools.pg_restore?.path ?? ''));
});

test('pgbr doctor --json without a workspace config: tools and scheduling checked, no plans configured', () => {
  const r = pgbr(['doctor', '--json']);
  const doc = JSON.parse(r.stdout) as { findings: { check: string; status: string; message: string; fix?: string }[] };
  assert.equal(r.code, doc.findings.some((f) => f.status === 'fail') ? 1 : 0, r.stderr);
  assert.deepEqual(doc.findings.find((f) => f.check === 'tools')?.status, 'ok');
  assert.ok(doc.findings.some((f) => f.check === 'scheduler'));
  const plans = doc.findings.find((f) => f.check === 'plans');
  assert.equal(plans?.status, 'warn');
  assert.equal(plans?.message, `No plans are configured in ${work}: only the tools and scheduling were checked.`);
});

test('a schedule written by the installed pgbr runs it by its real path, with this Node.js', () => {
  const workspace = path.join(root, 'shop');
  mkdirSync(workspace);
  writeFileSync(path.join(workspace, 'pgbackup.yaml'), 'connections:\n  - { name: prod, uri: "postgresql://app@db.example.com/app" }\nplans:\n  - { name: nightly, connection: prod, backup: globals, schedule: daily }\n');
  const r = pgbr(['schedule', 'nightly', '--cron', '--print', '--user', '--json', '--workspace', workspace]);
  assert.equal(r.code, 0, r.stderr);
  const script = path.join(prefix, 'lib', 'node_modules', 'pgbr', 'pgbr.js');
  assert.ok(r.stdout.includes(`${realpathSync(process.execPath)} ${script} run nightly --workspace ${workspace}`), r.stdout);
});
