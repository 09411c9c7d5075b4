// `npm run demo` killed outright (no time at all for its own clean-up, worse than the few seconds tsx
// gives after Ctrl-C): the server, code-server and every temporary folder still go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { processesWith } from './processes';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the demo killed with SIGKILL leaves no server, no code-server and no folder behind', { timeout: 240_000 }, async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-demo-kill-'));
  await fs.chmod(tmp, 0o755); // the server runs as postgres and must reach its folder inside
  try {
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: root,
      env: { ...process.env, TMPDIR: tmp, PGBR_DEMO_WEB: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    demo.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    await waitFor('the demo to be ready', () => /Ctrl-C stops everything/.test(output) || demo.exitCode !== null, 180_000);
    assert.match(output, /may dump every table, take base backups \(REPLICATION\), create restore points and read archiver status \(pg_monitor\)/, output);
    const made = (await fs.readdir(tmp)).filter((n) => n.startsWith('pgbr-'));
    for (const prefix of ['pgbr-cluster-', 'pgbr-demo-ws-', 'pgbr-demo-pass-', 'pgbr-demo-cs-', 'pgbr-run-']) {
      assert.ok(made.some((n) => n.startsWith(prefix)), `${prefix} was made (${made.join(', ')})`);
    }
    assert.ok(processesWith(tmp).length > 0, 'the server and code-server run from the temp folder');

    demo.kill('SIGKILL');
    await waitFor('the server and code-server to stop', () => processesWith(tmp).length === 0, 30_000).catch(() => assert.deepEqual(processesWith(tmp), []));
    // tsx keeps its own compile cache there (tsx-*); everything the demo made starts with pgbr-.
    const ours = async () => (await fs.readdir(tmp)).filter((n) => n.startsWith('pgbr-'));
    await waitFor('the folders to go', async () => (await ours()).length === 0, 30_000).catch(async () => assert.deepEqual(await ours(), []));
  } finally {
    for (const p of processesWith(tmp)) {
      try {
        process.kill(Number(p.split(' ')[0]), 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
