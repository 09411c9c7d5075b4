// Builds the extension bundle, the `pgbr` CLI, the webview bundles and the e2e test suite.
// `--watch` rebuilds on change; `--production` minifies and drops source maps.
import * as esbuild from 'esbuild';
import { buildCommit, catalogReaderId, cliBuildOptions, pgOnNodePlugin, readerDefines, tocReaderId } from './scripts/cli-build.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const tocReader = watch ? undefined : tocReaderId();
const catalogReader = watch ? undefined : catalogReaderId();

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  target: 'node20',
  platform: 'node',
  format: 'cjs',
  plugins: [pgOnNodePlugin()],
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', 'pg-native'], define: readerDefines({ tocReader, catalogReader }) },
  cliBuildOptions(esbuild, { outfile: 'dist/pgbr.js', production, commit: buildCommit(), tocReader, catalogReader }),
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: { health: 'webview/health/main.ts', pitr: 'webview/pitr/main.ts', undo: 'webview/undo/main.ts' },
    outdir: 'dist/webview',
  },
  // The extension-host test suite: loaded by code-server or @vscode/test-electron, never shipped.
  ...(production
    ? []
    : [
        { ...common, entryPoints: ['test/e2e/suite/index.ts'], outfile: 'dist/test/e2e/index.js', external: ['vscode', 'mocha', 'pg-native'] },
        { ...common, entryPoints: ['test/e2e/untrusted/index.ts'], outfile: 'dist/test/e2e/untrusted.js', external: ['vscode', 'mocha', 'pg-native'] },
        // The views at scale, timed in the extension host by bench/views.ts (PGBR_E2E_SUITE=views-bench); no test runs it.
        { ...common, entryPoints: ['test/e2e/bench/index.ts'], outfile: 'dist/test/e2e/views-bench.js', external: ['vscode', 'mocha', 'pg-native'] },
      ]),
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
