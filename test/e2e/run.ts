// End-to-end run: a real PostgreSQL, the extension in a real VS Code (code-server, or the desktop build), and UI checks.
// Usage: `npm run test:e2e` (builds first) or `npx tsx test/e2e/run.ts` after `node esbuild.mjs`.
//   PGBR_E2E_HOST=code-server|electron   which VS Code runs the extension-host suite (default code-server)
//   PGBR_E2E_PHASE_TIMEOUT_MS            limit per phase (default 180000)
//   PGBR_E2E_VERBOSE=1                   echo the workbench's whole log, not just the tests' output
//   PGBR_E2E_KEEP=1                      keep the workspace and code-server folders for a post-mortem
//   PGBR_E2E_PARTS=suite,ui,untrusted    run only these parts (default all): the extension-host suite,
//                                        the UI checks, the suite in an untrusted folder
//   PGBR_E2E_UI=plans,dumps              run only these UI scenarios (default all): connections, treeFreshness,
//                                        wrongPassword, dumps, palette, options, health, pitr, recoverTable, plans, encrypted, backrest,
//                                        walkthrough, packaged
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { format } from 'node:util';
import type { Browser } from 'playwright-core';
import { createSampleDatabase, startCluster, type Cluster } from '../integration/cluster';
import {
  PeakMemory,
  REPO_ROOT,
  ensureCodeServer,
  freePort,
  launchBrowser,
  makeTempDir,
  startCodeServer,
  UNTRUSTED_SETTINGS,
  workbenchUrl,
  type CodeServer,
} from './harness';
import { runConnectionsUi } from './ui/connections.ui';
import { runBackrestUi } from './ui/backrest.ui';
import { runDumpsUi } from './ui/dumps.ui';
import { runEncryptedUi } from './ui/encrypted.ui';
import { runHealthUi } from './ui/health.ui';
import { runOptionsUi } from './ui/options.ui';
import { runPaletteUi } from './ui/palette.ui';
import { runPitrUi } from './ui/pitr.ui';
import { runRecoverTableUi } from './ui/recoverTable.ui';
import { runPlansUi } from './ui/plans.ui';
import { runUntrustedUi } from './ui/untrusted.ui';
import { runTreeFreshnessUi } from './ui/treeFreshness.ui';
import { runWrongPasswordUi } from './ui/wrongPassword.ui';
import { runWalkthroughUi } from './ui/walkthrough.ui';
import { runPackagedUi } from './ui/packaged.ui';

/** The extension-host suite: the tests, or another bundle of dist/test/e2e by name (PGBR_E2E_SUITE=views-bench, the views benchmark). */
const SUITE = path.join(REPO_ROOT, 'dist', 'test', 'e2e', `${suiteName(process.env.PGBR_E2E_SUITE)}.js`);
const UNTRUSTED_SUITE = path.join(REPO_ROOT, 'dist', 'test', 'e2e', 'untrusted.js');
const PARTS = ['suite', 'ui', 'untrusted'] as const;
type Part = (typeof PARTS)[number];
const OUTPUT = path.join(REPO_ROOT, 'test-output');
const PHASE_TIMEOUT_MS = Number(process.env.PGBR_E2E_PHASE_TIMEOUT_MS ?? 180_000);
/** Every workbench log line, unfiltered, with its level. */
const VERBOSE = process.env.PGBR_E2E_VERBOSE === '1';
const START_LINE = /^E2E-START\s*$/;
const RESULT_LINE = /^E2E-RESULT (\{.*\})\s*$/m;

type Host = 'code-server' | 'electron';

interface Counts {
  passed: number;
  failed: number;
}

const started = Date.now();
const log = (line: string): void => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

/** Teardown steps, run last-in first-out whatever happened. */
const teardown: { name: string; run: () => Promise<unknown> }[] = [];
let tearingDown: Promise<void> | undefined;

function tearDown(): Promise<void> {
  tearingDown ??= (async () => {
    for (let step = teardown.pop(); step; step = teardown.pop()) {
      await step.run().catch((e: unknown) => log(`teardown of ${step?.name} failed: ${String(e)}`));
    }
  })();
  return tearingDown;
}

// code-server runs in its own process group: a Ctrl-C must take it down with us.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (tearingDown) return;
    log(`${signal}: tearing down`);
    void tearDown().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const total: Counts = { passed: 0, failed: 0 };
  const memory = new PeakMemory();
  memory.watch(process.pid); // this runner and its children: code-server and Chromium
  // An interrupted run must not leave the previous run's counts behind.
  await fs.rm(path.join(OUTPUT, 'e2e-results.json'), { force: true });
  try {
    const host = parseHost(process.env.PGBR_E2E_HOST);
    const parts = parseParts(process.env.PGBR_E2E_PARTS);
    await fs.access(SUITE).catch(() => {
      throw new Error(`${path.relative(REPO_ROOT, SUITE)} is missing: build first (node esbuild.mjs)`);
    });
    const { cluster, workspace, env } = await prepareWorkspace(memory);
    log(`PostgreSQL ${env.PGBR_E2E_SERVER_MAJOR} on port ${cluster.port}, workspace ${workspace}`);

    if (host === 'electron') {
      if (parts.has('untrusted')) log('the untrusted-folder suite needs code-server: skipped on the electron host');
      add(total, await phase('extension-host suite (VS Code desktop)', () => runSuiteInElectron(workspace, env)));
      log('UI checks need code-server and Chromium: skipped on the electron host');
    } else {
      const install = await ensureCodeServer();
      const work = await makeTempDir('pgbr-e2e-cs-');
      teardown.push({ name: 'code-server folder', run: () => removeUnlessKept(work) });
      const server = await startCodeServer({ install, folder: workspace, work });
      teardown.push({ name: 'code-server', run: () => server.stop() });
      log(`code-server on ${server.authority}`);
      const browser = await launchBrowser(work);
      teardown.push({ name: 'Chromium', run: () => browser.close() });

      if (parts.has('suite')) {
        add(total, await phase('extension-host suite (code-server)', (signal) => runSuiteInCodeServer(browser, server, SUITE, workspace, env, signal)));
      }
      if (parts.has('untrusted')) {
        add(total, await phase('extension-host suite and UI checks in an untrusted folder (code-server, Workspace Trust on)', (signal) =>
          runUntrustedSuite(browser, install, env, signal)));
      }
      const ui = {
        browser,
        authority: server.authority,
        workspace,
        extensionDevelopmentPath: REPO_ROOT,
        env,
        screenshotDir: path.join(OUTPUT, 'screenshots'),
        log,
      };
      if (!parts.has('ui')) return finish(total, memory);
      const scenarios = parseScenarios(process.env.PGBR_E2E_UI);
      if (scenarios.has('connections')) add(total, await phase('UI checks: Connections (code-server + Chromium)', (signal) => runConnectionsUi({ ...ui, signal })));
      if (scenarios.has('treeFreshness')) add(total, await phase('UI checks: the Connections tree after a backup, a restore and Refresh (code-server + Chromium)', (signal) => runTreeFreshnessUi({ ...ui, cluster, signal })));
      if (scenarios.has('wrongPassword')) add(total, await phase('UI checks: a wrong stored password, its toast, its fixes and the status bar (code-server + Chromium)', (signal) => runWrongPasswordUi({ ...ui, cluster, signal })));
      if (scenarios.has('dumps')) add(total, await phase('UI checks: Dumps, back up and restore a table (code-server + Chromium)', (signal) => runDumpsUi({ ...ui, signal })));
      if (scenarios.has('palette')) add(total, await phase('UI checks: dump commands from the palette, no dead ends (code-server + Chromium)', (signal) => runPaletteUi({ ...ui, cluster, signal })));
      if (scenarios.has('options')) add(total, await phase('UI checks: backup and restore options, the command shown first (code-server + Chromium)', (signal) => runOptionsUi({ ...ui, cluster, signal })));
      if (scenarios.has('health')) add(total, await phase('UI checks: WAL Archive and Health, a gap and failing archiving (code-server + Chromium)', (signal) => runHealthUi({ ...ui, cluster, signal })));
      if (scenarios.has('pitr')) add(total, await phase('UI checks: Point-in-time recovery, preview and drill (code-server + Chromium)', (signal) => runPitrUi({ ...ui, cluster, signal })));
      if (scenarios.has('recoverTable')) add(total, await phase('UI checks: Recover Table As It Was…, a DELETE without WHERE undone (code-server + Chromium)', (signal) => runRecoverTableUi({ ...ui, cluster, signal })));
      if (scenarios.has('plans')) add(total, await phase('UI checks: Plans, Run Now, a failed scheduled run, Install Schedule… (code-server + Chromium)', (signal) => runPlansUi({ ...ui, signal })));
      if (scenarios.has('encrypted')) add(total, await phase('UI checks: an encrypted dump offsite, its identity, a table restored from it (code-server + Chromium)', (signal) => runEncryptedUi({ ...ui, cluster, signal })));
      if (scenarios.has('walkthrough')) add(total, await phase('UI checks: the Get Started walkthrough, a first dump ticks its step (code-server + Chromium)', (signal) => runWalkthroughUi({ ...ui, signal })));
      if (scenarios.has('packaged')) add(total, await phase('UI checks: the extension as the .vsix ships it, its icon, Health webview and walkthrough media (code-server + Chromium)', (signal) => runPackagedUi({ ...ui, signal })));
      if (scenarios.has('backrest')) add(total, await phase('UI checks: a pgBackRest stanza in the WAL Archive view, a backup from its menu (code-server + Chromium)', (signal) => runBackrestUi({ ...ui, signal })));
    }
  } catch (e) {
    total.failed++;
    log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  return finish(total, memory);
}

async function finish(total: Counts, memory: PeakMemory): Promise<number> {
  await tearDown();
  memory.stop();
  await fs.mkdir(OUTPUT, { recursive: true });
  await fs.writeFile(path.join(OUTPUT, 'e2e-results.json'), `${JSON.stringify(total)}\n`);
  log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s, peak memory (PSS) ${memory.summary}`);
  console.log(`e2e: ${total.passed} passed, ${total.failed} failed`);
  return total.failed > 0 || total.passed === 0 ? 1 : 0;
}

/** A cluster with the sample database, and a workspace whose pgbackup.yaml has a live and a dead profile. */
async function prepareWorkspace(memory: PeakMemory): Promise<{ cluster: Cluster; workspace: string; env: Record<string, string> }> {
  const cluster = await startCluster();
  teardown.push({ name: 'PostgreSQL', run: () => cluster.stop() });
  memory.watch(await postmasterPid(cluster));
  await createSampleDatabase(cluster);
  // Statistics as autovacuum would have gathered them on a live server, so tables show row estimates.
  await cluster.sql('ANALYZE', 'shop');
  const major = String(Math.floor(Number(await cluster.sql('SHOW server_version_num')) / 10_000));

  const workspace = await makeTempDir('pgbr-e2e-ws-');
  teardown.push({ name: 'workspace', run: () => removeUnlessKept(workspace) });
  const deadPort = await freePort();
  const profile = (name: string, port: number): string =>
    `  - name: ${name}\n    host: 127.0.0.1\n    port: ${port}\n    user: ${cluster.appUser}\n    database: shop\n`;
  // Plans first: suites append connections at the end of the file. nightly backs up shop (Run Now in the Plans scenario);
  // weekly-down backs up the dead server, and its failed scheduled run is planted by that scenario.
  const plans = path.join(workspace, 'plan-backups');
  const plan = (name: string, connection: string, what: string, schedule: string): string =>
    `  - name: ${name}\n    connection: ${connection}\n${what}    folder: ${plans}\n    schedule: "${schedule}"\n    timezone: UTC\n    keep: { last: 3 }\n    verify: never\n`;
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    `plans:\n${plan('nightly', 'e2e', '    backup: dump\n    database: shop\n', '*-*-* 02:30:00')}${plan('weekly-down', 'down', '    backup: globals\n', 'Sun 03:00')}` +
      `connections:\n${profile('e2e', cluster.port)}${profile('down', deadPort)}`,
  );

  // Outside the workspace folder, so the password never shows in the explorer.
  const secrets = await makeTempDir('pgbr-e2e-pass-');
  teardown.push({ name: 'pgpass folder', run: () => fs.rm(secrets, { recursive: true, force: true }) });
  const pgpass = path.join(secrets, 'pgpass');
  await fs.writeFile(pgpass, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${pgpassEscape(cluster.appPassword)}\n`, { mode: 0o600 });

  // Where Install Schedule… writes: never the real unit folder, systemctl or crontab (the variables are pgbr's own, see the README).
  const scheduling = await makeTempDir('pgbr-e2e-schedule-');
  teardown.push({ name: 'schedule folder', run: () => removeUnlessKept(scheduling) });
  await fs.mkdir(path.join(scheduling, 'bin'));
  await fs.writeFile(path.join(scheduling, 'bin', 'systemctl'), RECORDING_SYSTEMCTL, { mode: 0o755 });
  await fs.writeFile(path.join(scheduling, 'bin', 'crontab'), FILE_CRONTAB, { mode: 0o755 });

  const env = {
    PGPASSFILE: pgpass,
    PGBR_SYSTEMD_DIR: path.join(scheduling, 'units'),
    PGBR_SYSTEMCTL: path.join(scheduling, 'bin', 'systemctl'),
    PGBR_CRONTAB: path.join(scheduling, 'bin', 'crontab'),
    PGBR_CRON_DIR: path.join(scheduling, 'cron.d'),
    PGBR_E2E_PLAN_FOLDER: plans,
    PGBR_E2E_SERVER_MAJOR: major,
    PGBR_E2E_PORT: String(cluster.port),
    PGBR_E2E_ARCHIVE_DIR: cluster.archiveDir,
    // The throwaway cluster's app password: the profile suite stores it through "Set password".
    PGBR_E2E_APP_PASSWORD: cluster.appPassword,
    // Read back by the desktop host, whose console the runner does not see.
    PGBR_E2E_RESULT_FILE: path.join(secrets, 'result.json'),
    // What a benchmark suite measures (bench/views.ts): its folders, handed through to the extension host.
    ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('PGBR_BENCH_') && e[1] !== undefined)),
  };
  return { cluster, workspace, env };
}

/** Records each call in `<itself>.calls`; a timer is active and enabled once `enable --now` ran while its file was in the unit folder. */
const RECORDING_SYSTEMCTL = `#!/bin/sh
echo "$*" >> "$0.calls"
unit="\${*##* }"
case "$*" in
  *"enable --now "*) [ -f "$PGBR_SYSTEMD_DIR/$unit" ] || { echo "Failed to enable unit: Unit file $unit does not exist." >&2; exit 1; } ;;
  *is-active*) if [ -f "$PGBR_SYSTEMD_DIR/$unit" ] && grep -q "enable --now $unit" "$0.calls"; then echo active; else echo inactive; exit 3; fi ;;
  *is-enabled*) if [ -f "$PGBR_SYSTEMD_DIR/$unit" ] && grep -q "enable --now $unit" "$0.calls"; then echo enabled; else echo disabled; exit 1; fi ;;
esac
exit 0
`;

/** A crontab kept in `<itself>.txt`, answering as crontab does when there is none. */
const FILE_CRONTAB = `#!/bin/sh
case "$1" in
  -l) [ -f "$0.txt" ] && exec cat "$0.txt"; echo "no crontab for $(id -un)" >&2; exit 1 ;;
  -) cat > "$0.txt" ;;
esac
`;

/**
 * The untrusted-folder suite, in a code-server of its own that enforces Workspace Trust. Its folder
 * has a pgbackup.yaml and a .vscode/settings.json whose pgBackup.binPath names a planted pg_dump that
 * records being run; nothing ever trusted the folder, so VS Code opens it in Restricted Mode.
 */
async function runUntrustedSuite(
  browser: Browser,
  install: Awaited<ReturnType<typeof ensureCodeServer>>,
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<Counts> {
  const workspace = await makeTempDir('pgbr-e2e-untrusted-ws-');
  const planted = await makeTempDir('pgbr-e2e-planted-');
  const work = await makeTempDir('pgbr-e2e-cs-untrusted-');
  try {
    const pgDump = path.join(planted, 'pg_dump');
    await fs.writeFile(pgDump, `#!/bin/sh\ntouch "${path.join(planted, 'ran')}"\necho "pg_dump (PostgreSQL) 99.0"\n`, { mode: 0o755 });
    await fs.mkdir(path.join(workspace, '.vscode'));
    await fs.writeFile(path.join(workspace, '.vscode', 'settings.json'), `${JSON.stringify({ 'pgBackup.binPath': planted }, null, 2)}\n`);
    await fs.writeFile(
      path.join(workspace, 'pgbackup.yaml'),
      `plans:\n  - name: untrusted-nightly\n    connection: e2e\n    backup: globals\n    folder: ${path.join(workspace, 'plan-backups')}\n    schedule: daily\n` +
        `connections:\n  - name: e2e\n    host: 127.0.0.1\n    port: ${env.PGBR_E2E_PORT}\n    database: shop\n` +
        `offsite: { target: s3://bucket/pg, command: "touch ${path.join(planted, 'offsite-ran')}" }\n`,
    );
    const server = await startCodeServer({ install, folder: workspace, work, settings: UNTRUSTED_SETTINGS, workspaceTrust: true });
    try {
      const suiteEnv = { ...env, PGBR_E2E_PLANTED_BIN: planted };
      const counts = await runSuiteInCodeServer(browser, server, UNTRUSTED_SUITE, workspace, suiteEnv, signal);
      const ui = await runUntrustedUi({
        browser,
        authority: server.authority,
        workspace,
        extensionDevelopmentPath: REPO_ROOT,
        env: suiteEnv,
        screenshotDir: path.join(OUTPUT, 'screenshots'),
        log,
        signal,
      });
      return { passed: counts.passed + ui.passed, failed: counts.failed + ui.failed };
    } finally {
      await server.stop();
    }
  } finally {
    for (const dir of [workspace, planted, work]) await removeUnlessKept(dir);
  }
}

/** Loads a suite through the workbench URL's payload and follows its log until run() settles. */
async function runSuiteInCodeServer(
  browser: Browser,
  server: CodeServer,
  suite: string,
  workspace: string,
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<Counts> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  signal.addEventListener('abort', () => void context.close().catch(() => undefined));
  try {
    const page = await context.newPage();
    let counts: Counts | undefined;
    let echo = false; // between the suite's E2E-START and E2E-RESULT lines
    // The workbench hands every log line of the extension host (mocha's reporter included) to codeAutomationLog,
    // and calls codeAutomationExit with 0 when run() resolved, 1 when it rejected or did not load.
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => (exited = resolve));
    page.on('crash', () => exited(-1));
    page.on('close', () => exited(-1));
    await page.exposeFunction('codeAutomationExit', (code: number) => exited(code));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      const line = format(...(Array.isArray(args) ? (args as unknown[]) : [args]));
      const result = RESULT_LINE.exec(line);
      if (VERBOSE) process.stdout.write(`<${type}> ${line}\n`);
      else if (echo && !result && !isWorkbenchNoise(line)) process.stdout.write(`${line.replace(/\s+$/, '')}\n`);
      if (START_LINE.test(line)) echo = true;
      if (result?.[1]) {
        counts = parseCounts(result[1]);
        echo = false;
      }
    });
    await page.goto(workbenchUrl(server.authority, { folder: workspace, extensionDevelopmentPath: REPO_ROOT, extensionTestsPath: suite, env }));
    const code = await exit;
    return settle(code, counts ?? (await readCountsFile(env)));
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** The same suite in the desktop VS Code that @vscode/test-electron downloads (needs network access). */
async function runSuiteInElectron(workspace: string, env: Record<string, string>): Promise<Counts> {
  const { runTests } = await import('@vscode/test-electron');
  let code: number;
  try {
    code = await runTests({
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: SUITE,
      extensionTestsEnv: env,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (e) {
    log(String(e));
    code = 1;
  }
  return settle(code, await readCountsFile(env));
}

/** A suite that crashed, hung or did not report counts is a failure, never an empty success. */
function settle(exitCode: number, counts: Counts | undefined): Counts {
  if (!counts) {
    log(`the suite reported no E2E-RESULT line (exit code ${exitCode}): it did not load or crashed`);
    return { passed: 0, failed: 1 };
  }
  if (exitCode !== 0 && counts.failed === 0) {
    log(`the suite exited with ${exitCode} although no test failed`);
    return { passed: counts.passed, failed: 1 };
  }
  return counts;
}

/**
 * Runs one phase with a time limit; an error or timeout counts as one failure. On timeout the phase is
 * told to abort (it closes its page), and gets a moment to finish so its output does not run into the next.
 */
async function phase(name: string, body: (signal: AbortSignal) => Promise<Counts>): Promise<Counts> {
  log(`${name}: start`);
  const t0 = Date.now();
  const abort = new AbortController();
  const running = body(abort.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${PHASE_TIMEOUT_MS / 1000} s`)), PHASE_TIMEOUT_MS);
  });
  try {
    const counts = await Promise.race([running, timeout]);
    log(`${name}: ${counts.passed} passed, ${counts.failed} failed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return counts;
  } catch (e) {
    abort.abort();
    await Promise.race([running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))]);
    log(`${name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return { passed: 0, failed: 1 };
  } finally {
    clearTimeout(timer);
  }
}

/** The workbench's own chatter that can interleave with the tests' output (the gallery is offline here). */
function isWorkbenchNoise(line: string): boolean {
  return /^(getaddrinfo|\[[\w:-]+\] )|ENOTFOUND open-vsx|Creating a socket|connection token/.test(line);
}

function parseCounts(json: string): Counts | undefined {
  try {
    const v = JSON.parse(json) as Partial<Counts>;
    if (typeof v.passed === 'number' && typeof v.failed === 'number') return { passed: v.passed, failed: v.failed };
  } catch {
    // A malformed line is reported as "no counts".
  }
  return undefined;
}

async function readCountsFile(env: Record<string, string>): Promise<Counts | undefined> {
  const file = env.PGBR_E2E_RESULT_FILE;
  return file ? parseCounts(await fs.readFile(file, 'utf8').catch(() => '')) : undefined;
}

function add(total: Counts, counts: Counts): void {
  total.passed += counts.passed;
  total.failed += counts.failed;
}

const UI_SCENARIOS = ['connections', 'treeFreshness', 'wrongPassword', 'dumps', 'palette', 'options', 'health', 'pitr', 'recoverTable', 'plans', 'encrypted', 'backrest', 'walkthrough', 'packaged'] as const;

function parseScenarios(value: string | undefined): Set<string> {
  if (!value) return new Set(UI_SCENARIOS);
  const names = value.split(',').map((p) => p.trim());
  for (const n of names) {
    if (!(UI_SCENARIOS as readonly string[]).includes(n)) throw new Error(`PGBR_E2E_UI takes ${UI_SCENARIOS.join(', ')}, not "${n}"`);
  }
  return new Set(names);
}

function suiteName(value: string | undefined): string {
  if (value === undefined || value === '') return 'index';
  if (!/^[a-z][a-z-]*$/.test(value)) throw new Error(`PGBR_E2E_SUITE=${value}: name a bundle of dist/test/e2e, such as views-bench`);
  return value;
}

function parseParts(value: string | undefined): Set<Part> {
  if (!value) return new Set(PARTS);
  const parts = value.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!(PARTS as readonly string[]).includes(p)) throw new Error(`PGBR_E2E_PARTS takes ${PARTS.join(', ')}, not "${p}"`);
  }
  return new Set(parts as Part[]);
}

function parseHost(value: string | undefined): Host {
  if (value === undefined || value === '' || value === 'code-server') return 'code-server';
  if (value === 'electron') return 'electron';
  throw new Error(`PGBR_E2E_HOST must be code-server or electron, not "${value}"`);
}

/** pgpass fields escape `:` and `\`. */
function pgpassEscape(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

async function postmasterPid(cluster: Cluster): Promise<number | undefined> {
  const text = await fs.readFile(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return pid > 0 ? pid : undefined;
}

async function removeUnlessKept(dir: string): Promise<void> {
  if (process.env.PGBR_E2E_KEEP === '1') log(`kept ${dir}`);
  else await fs.rm(dir, { recursive: true, force: true });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
