// `npm test`: unit, integration (real PostgreSQL) and e2e (real VS Code) suites in turn, one summary line.
// Each stage runs in its own process; a stage that crashes counts as a failure, never as "0 tests".
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'test-output');

interface Counts {
  passed: number;
  failed: number;
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', () => resolve(127));
  });
}

/** `*.test.ts` in a folder and the folders below it (unit tests mirror the source layout). */
async function testFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(path.join(root, dir), { recursive: true }).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.test.ts')).sort().map((n) => path.join(dir, n));
}

/** Runs Node's test runner on a folder: spec output for people, TAP into a file for the counts. */
async function nodeTests(stage: string, dir: string, extra: string[] = []): Promise<Counts> {
  const files = await testFiles(dir);
  if (files.length === 0) return { passed: 0, failed: 1 }; // a suite that vanished is a failure
  const tap = path.join(outDir, `${stage}.tap`);
  const code = await run(process.execPath, [
    '--import',
    'tsx',
    '--test',
    ...extra,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ]);
  const text = await fs.readFile(tap, 'utf8').catch(() => '');
  const passed = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
  const failed = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0);
  // Exit code non-zero with no failing test counted: the runner itself broke.
  return { passed, failed: code !== 0 && failed === 0 ? 1 : failed };
}

async function e2eTests(): Promise<Counts> {
  const results = path.join(outDir, 'e2e-results.json');
  await fs.rm(results, { force: true });
  const code = await run(process.execPath, ['--import', 'tsx', 'test/e2e/run.ts']);
  try {
    const counts = JSON.parse(await fs.readFile(results, 'utf8')) as Counts;
    return { passed: counts.passed, failed: code !== 0 && counts.failed === 0 ? 1 : counts.failed };
  } catch {
    return { passed: 0, failed: 1 };
  }
}

async function main(): Promise<void> {
  await fs.mkdir(outDir, { recursive: true });
  const only = process.env.PGBR_TEST_STAGES?.split(',') ?? ['unit', 'integration', 'e2e'];
  const stages: [string, () => Promise<Counts>][] = [
    ['unit', () => nodeTests('unit', 'test/unit')],
    ['integration', () => nodeTests('integration', 'test/integration', ['--test-concurrency=1'])],
    ['e2e', e2eTests],
  ];
  const total: Counts = { passed: 0, failed: 0 };
  const lines: string[] = [];
  for (const [name, stage] of stages) {
    if (!only.includes(name)) continue;
    const started = Date.now();
    console.log(`\n=== ${name} tests ===`);
    const counts = await stage();
    total.passed += counts.passed;
    total.failed += counts.failed;
    lines.push(`${name}: ${counts.passed} passed, ${counts.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  console.log('\n' + lines.join('\n'));
  console.log(`${total.passed} passed, ${total.failed} failed`);
  process.exitCode = total.failed > 0 || total.passed === 0 ? 1 : 0;
}

void main();
