// Runs the extension in a real VS Code without downloading one: an isolated code-server driven by Debian's Chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SETUP_SCRIPT = path.join(REPO_ROOT, 'test', 'e2e', 'setup-code-server.sh');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Where the cached code-server and the Node 24 that runs it live. */
export interface CodeServerInstall {
  csDir: string;
  node24: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Installs code-server into the cache on first use (about two minutes) and returns where it is.
 * `CS_DIR` and `NODE24` in the environment skip the script, for an install made elsewhere.
 */
export async function ensureCodeServer(): Promise<CodeServerInstall> {
  if (process.env.CS_DIR && process.env.NODE24) return { csDir: process.env.CS_DIR, node24: process.env.NODE24 };
  const { execa } = await import('execa');
  const { stdout } = await execa('bash', [SETUP_SCRIPT], { stdin: 'ignore', stderr: 'inherit' });
  const csDir = /CS_DIR='([^']+)'/.exec(stdout)?.[1];
  const node24 = /NODE24='([^']+)'/.exec(stdout)?.[1];
  if (!csDir || !node24) throw new Error(`setup-code-server.sh printed no CS_DIR/NODE24 export line:\n${stdout}`);
  return { csDir, node24 };
}

function entryJs(install: CodeServerInstall): string {
  return path.join(install.csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh temp folder; the caller removes it. */
export function makeTempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

/**
 * HOME, XDG_* and TMPDIR inside the work folder: code-server, its extension host and Chromium
 * otherwise write config, logs, crash reports and sockets into the real home and /tmp.
 */
function isolatedEnv(work: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: work,
    XDG_CONFIG_HOME: path.join(work, 'xdg-config'),
    XDG_DATA_HOME: path.join(work, 'xdg-data'),
    XDG_CACHE_HOME: path.join(work, 'xdg-cache'),
    TMPDIR: path.join(work, 'tmp'),
    ...extra,
  };
  // Set when this runs inside a VS Code terminal; it would leak that editor's options into ours.
  delete env.VSCODE_OPTIONS;
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

/** A quiet, deterministic workbench: no AI features, welcome page, update or gallery checks. */
export const TEST_SETTINGS: Readonly<Record<string, unknown>> = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/**
 * Workspace Trust on, and no start-up dialog asking whether to trust the folder: a folder nobody
 * trusted then stays in Restricted Mode, as it does for a user who dismisses the dialog.
 */
export const UNTRUSTED_SETTINGS: Readonly<Record<string, unknown>> = {
  ...TEST_SETTINGS,
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
};

export interface CodeServerOptions {
  install: CodeServerInstall;
  /** Folder the workbench opens. */
  folder: string;
  /** Private folder for HOME, user data, extensions and logs; removed by the caller. */
  work: string;
  /**
   * Lets a workbench URL's payload load an extension under development and run its tests.
   * It also hides notification toasts; leave it off for a workbench a person uses.
   */
  smokeTestDriver?: boolean;
  settings?: Readonly<Record<string, unknown>>;
  /** Extra environment for the server and so for every extension host it starts. */
  env?: Record<string, string>;
  /** 127.0.0.1 port to bind; a free one by default. */
  port?: number;
  /**
   * Enforce Workspace Trust: the folder opens in Restricted Mode (nothing has trusted it, and with
   * UNTRUSTED_SETTINGS no prompt offers to). Off by default, as `--disable-workspace-trust`.
   */
  workspaceTrust?: boolean;
}

export interface CodeServer {
  readonly proc: ChildProcess;
  readonly port: number;
  /** `127.0.0.1:PORT`, the authority of `vscode-remote://` URIs. */
  readonly authority: string;
  readonly logFile: string;
  readonly extensionsDir: string;
  stop(): Promise<void>;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const { install, folder, work } = opts;
  const userData = path.join(work, 'user-data');
  const extensionsDir = path.join(work, 'extensions');
  await fsp.mkdir(path.join(userData, 'User'), { recursive: true });
  await fsp.mkdir(extensionsDir, { recursive: true });
  await fsp.mkdir(path.join(work, 'tmp'), { recursive: true });
  await fsp.writeFile(path.join(userData, 'User', 'settings.json'), JSON.stringify(opts.settings ?? TEST_SETTINGS, null, 2));

  const port = opts.port ?? (await freePort());
  const authority = `127.0.0.1:${port}`;
  const logFile = path.join(work, 'code-server.log');
  const args = [
    entryJs(install),
    '--auth', 'none',
    '--bind-addr', authority,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', userData,
    '--extensions-dir', extensionsDir,
    '--config', path.join(work, 'config.yaml'),
    // The built workbench honours extensionDevelopmentPath/extensionTestsPath in the URL payload
    // only with the smoke-test driver enabled; without it the payload is silently ignored.
    ...(opts.smokeTestDriver === false ? [] : ['--vscode-option', 'enable-smoke-test-driver']),
    folder,
  ];
  const out = fs.openSync(logFile, 'w');
  // detached: its own process group, so stop() reaches the extension and pty hosts too.
  const proc = spawn(install.node24, args, { env: isolatedEnv(work, opts.env), stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    killGroup(proc, 'SIGTERM');
    await Promise.race([exited, sleep(2000)]);
    killGroup(proc, 'SIGKILL');
  };

  const deadline = Date.now() + 30_000;
  while (!(await httpOk(`http://${authority}/healthz`))) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      await stop();
      const tail = (await fsp.readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
      throw new Error(`code-server did not start on ${authority}:\n${tail}`);
    }
    await sleep(100);
  }
  return { proc, port, authority, logFile, extensionsDir, stop };
}

/** Signals a detached child's whole process group; a group already gone is not an error. */
export function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // ESRCH: the group has exited.
  }
}

/** Installs a packaged extension into the same isolated folders (offline, about a second). */
export async function installVsix(install: CodeServerInstall, work: string, vsix: string): Promise<string> {
  const { execa } = await import('execa');
  await fsp.mkdir(path.join(work, 'tmp'), { recursive: true });
  const { stdout } = await execa(
    install.node24,
    [
      entryJs(install),
      '--config', path.join(work, 'config.yaml'),
      '--user-data-dir', path.join(work, 'user-data'),
      '--extensions-dir', path.join(work, 'extensions'),
      '--install-extension', path.resolve(vsix),
    ],
    { env: isolatedEnv(work), extendEnv: false, timeout: 120_000 },
  );
  return stdout;
}

/**
 * Makes an extension folder an installed extension of a code-server, the way the marketplace would
 * (`publisher.name-version` in its extensions folder), without the smoke-test driver's side effects.
 */
export async function linkExtension(extensionsDir: string, extensionPath: string): Promise<void> {
  const pkg = JSON.parse(await fsp.readFile(path.join(extensionPath, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  await fsp.mkdir(extensionsDir, { recursive: true });
  await fsp.symlink(path.resolve(extensionPath), path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`), 'dir');
}

export async function launchBrowser(work: string): Promise<Browser> {
  await fsp.mkdir(path.join(work, 'tmp'), { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Callers tear down code-server and PostgreSQL too on a signal: Playwright's own handlers would exit first.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    // Chromium otherwise creates ~/.config/chromium and ~/.cache/dconf in the real home.
    env: isolatedEnv(work),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface WorkbenchPayload {
  folder: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  /** Variables for the extension host (needs extensionDevelopmentPath). */
  env?: Record<string, string>;
  /** Only the extension under development runs, like `code --disable-extensions`. */
  disableExtensions?: boolean;
}

/**
 * The workbench URL for a folder, carrying the extension-development payload. Paths in the payload
 * must be `vscode-remote://` URIs of this server: plain paths load nothing and the workbench hangs.
 */
export function workbenchUrl(authority: string, p: WorkbenchPayload): string {
  const remote = (file: string): string => `vscode-remote://${authority}${path.resolve(file)}`;
  const payload: [string, string][] = [
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  if (p.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(p.extensionDevelopmentPath)]);
  if (p.extensionTestsPath) payload.push(['extensionTestsPath', remote(p.extensionTestsPath)]);
  if (p.env) payload.push(['extensionEnvironment', JSON.stringify(p.env)]);
  if (p.disableExtensions) payload.push(['disableExtensions', 'true']);
  return `http://${authority}/?folder=${encodeURIComponent(path.resolve(p.folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Every process below `root` (inclusive), from /proc. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // The process exited while we looked.
    }
  }
  const pids: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    pids.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return pids;
}

/** What a process is, for the memory breakdown. */
function processKind(pid: number): string {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmd.includes('code-server')) return 'code-server';
    if (/chrom/i.test(cmd)) return 'Chromium';
    if (cmd.includes('postgres')) return 'PostgreSQL';
  } catch {
    // Gone: counted as the runner's.
  }
  return 'runner';
}

/**
 * Samples the proportional memory (PSS: shared pages split between sharers, so processes can be added)
 * of process trees every 250 ms and keeps the peak, split by kind of process. Linux only; elsewhere 0.
 */
export class PeakMemory {
  private readonly roots = new Set<number>();
  private peakKb = 0;
  private peakByKind = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  watch(pid: number | undefined): void {
    if (pid !== undefined) this.roots.add(pid);
  }

  get peakMb(): number {
    return Math.round(this.peakKb / 1024);
  }

  /** `1290 MB (code-server 520, Chromium 480, runner 250, PostgreSQL 40)` at the peak. */
  get summary(): string {
    const parts = [...this.peakByKind].sort((a, b) => b[1] - a[1]).map(([kind, kb]) => `${kind} ${Math.round(kb / 1024)}`);
    return `${this.peakMb} MB (${parts.join(', ')})`;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    if (process.platform !== 'linux') return;
    const byKind = new Map<string, number>();
    let totalKb = 0;
    for (const root of this.roots) {
      for (const pid of processTree(root)) {
        try {
          const m = /^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
          if (!m) continue;
          const kind = processKind(pid);
          byKind.set(kind, (byKind.get(kind) ?? 0) + Number(m[1]));
          totalKb += Number(m[1]);
        } catch {
          // Gone, or not ours to read.
        }
      }
    }
    if (totalKb > this.peakKb) {
      this.peakKb = totalKb;
      this.peakByKind = byKind;
    }
  }
}
