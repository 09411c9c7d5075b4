// `pgbr prune --dry-run` over 10,000 dumps is asked for within 200 ms, start-up included: what its command module imports before it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';

/** The files `entry` imports statically, directly or through others (a dynamic import() is loaded only when it runs). */
async function staticallyLoaded(entry: string): Promise<Set<string>> {
  const built = await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, external: ['pg-native'], logLevel: 'silent' });
  const inputs = built.metafile.inputs;
  const seen = new Set<string>([entry]);
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    for (const i of inputs[file]?.imports ?? []) {
      if (i.kind === 'dynamic-import' || i.external || seen.has(i.path)) continue;
      seen.add(i.path);
      todo.push(i.path);
    }
  }
  return seen;
}

test("pgbr run and prune's module loads no run, no pg driver, no dumping or restoring until a run or a real prune asks for them", async () => {
  const loaded = [...(await staticallyLoaded('src/cli/runCommands.ts'))];
  for (const heavy of ['src/core/plans/run.ts', 'src/core/plans/lock.ts', 'src/core/logical/dump.ts', 'src/core/logical/restore.ts', 'src/core/postgres/index.ts', 'src/cli/shared.ts', 'src/cli/commands.ts']) {
    assert.ok(!loaded.includes(heavy), `${heavy} is loaded with src/cli/runCommands.ts`);
  }
  assert.ok(!loaded.some((f) => /node_modules\/pg\//.test(f)), 'the pg driver is loaded with src/cli/runCommands.ts');
  // What the preview itself needs is there.
  for (const needed of ['src/core/retention/prune.ts', 'src/core/logical/catalog.ts', 'src/core/logical/catalogIndex.ts']) assert.ok(loaded.includes(needed), `${needed} is not loaded`);
});
