// The shape of the source tree, checked: no file over 400 lines, no runtime import cycle (type-only
// imports are erased by the compiler, so esbuild's view of the bundle is the one that counts), and no
// feature folder importing another feature's tree nodes (type imports too: what they share is in src/targets.ts).
// `tsx scripts/layout.ts` prints what breaks the rules; the unit suite asserts the same.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MAX_LINES = 400;
const ROOT = path.resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return /\.(ts|js|mjs)$/.test(e.name) ? [rel] : [];
  });
}

/** Files in src/ and webview/ longer than the limit, with their line counts. */
export function longFiles(): { file: string; lines: number }[] {
  return [...sourceFiles('src'), ...sourceFiles('webview')]
    .map((file) => ({ file, lines: fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES)
    .sort((a, b) => b.lines - a.lines);
}

/** Every runtime import graph cycle among the bundles' inputs, each as the files around the loop. */
export async function importCycles(): Promise<string[][]> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['src/extension.ts', 'src/cli/pgbr.ts', 'webview/health/main.ts', 'webview/pitr/main.ts', 'webview/undo/main.ts'],
    bundle: true,
    write: false,
    metafile: true,
    outdir: 'out-layout',
    platform: 'node',
    format: 'cjs',
    external: ['vscode', 'pg-native'],
    logLevel: 'silent',
  });
  const graph = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (file.includes('node_modules')) continue;
    graph.set(file, input.imports.map((i) => i.path).filter((p) => !p.includes('node_modules') && !p.startsWith('node:')));
  }
  // Tarjan's strongly connected components: every component of more than one file is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** A module's import specifiers: `import … from`, `export … from`, a bare `import '…'` and `import('…')`. */
function importSpecifiers(text: string): string[] {
  const found = text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm);
  return [...found].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/**
 * Imports of a feature's `nodes` module (src/<feature>/nodes.ts) from outside that feature's folder,
 * as "importer → imported". `files` are paths relative to the repository with their text; default src/.
 */
export function nodeImportsAcrossFeatures(files?: readonly { file: string; text: string }[]): string[] {
  const sources = files ?? sourceFiles('src').map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
  return sources.flatMap(({ file, text }) =>
    importSpecifiers(text)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.ts$/, ''))
      .filter((target) => {
        const nodes = /^src\/([^/]+)\/nodes$/.exec(target);
        return nodes !== null && !file.startsWith(`src/${nodes[1]}/`);
      })
      .map((target) => `${file} → ${target}`),
  );
}

/**
 * Imports from outside src/core into a core folder's own files: the editor and pgbr use a capability
 * through its index.ts, its public face. (Core folders import one another's files directly, so that a
 * face that gathers a whole folder never closes a loop between two capabilities.)
 */
/**
 * The CLI's launcher runs before the bundle and takes only Node's built-ins and this one file: through
 * core/platform's index it would carry the whole folder, which is what it exists to avoid loading.
 */
const LAUNCHER_IMPORTS = new Set(['src/cli/launch.ts → src/core/platform/cacheFolder']);

/**
 * `pgbr toc` listed again from its TOC index is mostly start-up: it takes the TOC reader, the manifest and
 * the size check from their files, not the logical core's index (the catalog, dumping, restoring, verifying)
 * nor core/postgres's (the pg driver).
 */
const TOC_COMMAND_IMPORTS = new Set([
  'src/cli/options.ts → src/core/crypto/age',
  'src/cli/options.ts → src/core/logical/encryptedDump',
  'src/cli/tocCommand.ts → src/core/logical/integrity',
  'src/cli/tocCommand.ts → src/core/logical/manifest',
  'src/cli/tocCommand.ts → src/core/logical/toc',
  'src/cli/tocCommand.ts → src/core/postgres/names',
]);

/**
 * `pgbr prune --dry-run` over 10,000 dumps is asked for within 200 ms, start-up included: it takes the
 * plan's reading and the catalogue index's place from their files, not the plans' index (a run's code,
 * the pg driver, the tools) nor the logical core's (dumping, restoring, verifying).
 */
const PRUNE_PREVIEW_IMPORTS = new Set([
  'src/cli/plans.ts → src/core/plans/config',
  'src/cli/plans.ts → src/core/plans/overview',
  'src/cli/runCommands.ts → src/core/plans/backrestPlan',
  'src/cli/runCommands.ts → src/core/logical/catalogIndex',
]);

export function deepCoreImports(files?: readonly { file: string; text: string }[]): string[] {
  const sources = files ?? [...sourceFiles('src'), ...sourceFiles('webview')].map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
  return sources
    .filter(({ file }) => !file.startsWith('src/core/'))
    .flatMap(({ file, text }) =>
      importSpecifiers(text)
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.ts$/, '').replace(/\/index$/, ''))
        .filter((target) => /^src\/core\/[^/]+\/.+/.test(target))
        .map((target) => `${file} → ${target}`)
        .filter((edge) => !LAUNCHER_IMPORTS.has(edge) && !TOC_COMMAND_IMPORTS.has(edge) && !PRUNE_PREVIEW_IMPORTS.has(edge)),
    );
}

if (require.main === module) {
  void (async () => {
    const long = longFiles();
    const cycles = await importCycles();
    const reaching = nodeImportsAcrossFeatures();
    const deep = deepCoreImports();
    for (const f of long) console.log(`${f.file}: ${f.lines} lines (limit ${MAX_LINES})`);
    for (const c of cycles) console.log(`import cycle: ${c.join(' ↔ ')}`);
    for (const r of reaching) console.log(`another feature's nodes imported: ${r}`);
    for (const d of deep) console.log(`a core folder's file imported past its index.ts: ${d}`);
    console.log(
      `${long.length} file${long.length === 1 ? '' : 's'} over ${MAX_LINES} lines, ${cycles.length} import cycle${cycles.length === 1 ? '' : 's'}, ${reaching.length} import${reaching.length === 1 ? '' : 's'} of another feature's nodes, ${deep.length} import${deep.length === 1 ? '' : 's'} past a core folder's index.ts`,
    );
    process.exitCode = long.length || cycles.length || reaching.length || deep.length ? 1 : 0;
  })();
}
