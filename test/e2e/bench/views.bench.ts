// The Dumps view at scale, timed as the workbench asks for it: the tree's children and each child's
// TreeItem. A folder of PGBR_BENCH_DUMPS dumps (first level: every dump in it), and a dump of many
// tables (first level: its schemas; then the tables of its one schema), indexed as pgbr indexes the
// dumps it makes, and the same dump under a path no index names. Prints one BENCH-VIEWS line.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cacheFolder } from '../../../src/core/platform/cacheFolder';
import { activateExtension, children, type Shown } from '../suite/tree';

const RUNS = Number(process.env.PGBR_BENCH_RUNS ?? 5);

type Tree = Parameters<typeof children>[0];

/** Milliseconds of one listing, with what it listed. */
async function timed(tree: Tree, element: unknown): Promise<{ ms: number; shown: Shown[] }> {
  const started = performance.now();
  const shown = await children(tree, element);
  return { ms: performance.now() - started, shown };
}

function find(shown: Shown[], label: string): Shown {
  const found = shown.find((s) => s.label === label || s.label.endsWith(label));
  assert.ok(found, `no "${label}" among ${shown.length} rows: ${shown.slice(0, 5).map((s) => s.label).join(', ')}`);
  return found;
}

suite('Views at scale (benchmark)', () => {
  test('the Dumps view lists a folder of many dumps, and a dump of many tables', async () => {
    const dumpsDir = process.env.PGBR_BENCH_DUMPS_DIR;
    const tocDir = process.env.PGBR_BENCH_TOC_DIR;
    const tocDump = process.env.PGBR_BENCH_TOC_DUMP;
    const indexDir = process.env.PGBR_BENCH_TOC_INDEX_DIR;
    const unindexed = process.env.PGBR_BENCH_UNINDEXED_DUMP;
    assert.ok(dumpsDir && tocDir && tocDump && indexDir && unindexed, 'run by bench/views.ts, which names the folders');
    // The index pgbr wrote of the dump, where this extension host's pgbr would have written it (the same cache folder).
    const cache = cacheFolder(process.env);
    assert.ok(cache, 'no cache folder in the extension host');
    await fs.cp(indexDir, path.join(cache, 'toc'), { recursive: true });
    const api = await activateExtension();
    const unindexedDir = path.dirname(unindexed);
    await vscode.workspace.getConfiguration('pgBackup').update('dumpFolders', [dumpsDir, tocDir, unindexedDir], vscode.ConfigurationTarget.Workspace);
    const result = { dumps: [] as number[], dumpCount: 0, schemas: [] as number[], unindexed: [] as number[], tables: [] as number[], tableCount: 0 };
    for (let i = 0; i < RUNS; i++) {
      // Each run starts from a refreshed tree: new nodes, nothing read before kept in them.
      api.dumps.refresh();
      const folders = await children(api.dumps, undefined);
      const many = await timed(api.dumps, find(folders, dumpsDir.split('/').pop() ?? dumpsDir).element);
      result.dumps.push(many.ms);
      result.dumpCount = many.shown.filter((s) => s.contextValue?.startsWith('dump.')).length;
      const tocFolder = await children(api.dumps, find(folders, tocDir.split('/').pop() ?? tocDir).element);
      const schemas = await timed(api.dumps, find(tocFolder, tocDump.split('/').pop() ?? tocDump).element);
      result.schemas.push(schemas.ms);
      const copyFolder = await children(api.dumps, find(folders, unindexedDir.split('/').pop() ?? unindexedDir).element);
      const copy = await timed(api.dumps, find(copyFolder, path.basename(unindexed)).element);
      result.unindexed.push(copy.ms);
      assert.deepEqual(copy.shown.map((s) => s.label), schemas.shown.map((s) => s.label));
      const tables = await timed(api.dumps, find(schemas.shown, 'public').element);
      result.tables.push(tables.ms);
      result.tableCount = tables.shown.filter((s) => s.contextValue?.startsWith('dumpTable')).length;
    }
    console.log(`BENCH-VIEWS ${JSON.stringify(result)}`);
  });
});
