// Builds the extension bundle, the `pgbr` CLI, the webview bundles and the e2e test suite.
// `--watch` rebuilds on change; `--production` minifies and drops source maps.
import * as esbuild from 'esbuild';
import { chmod, writeFile } from 'node:fs/promises';
import { writeCliWithLauncher } from './scripts/cli-launcher.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  target: 'node20',
  platform: 'node',
  format: 'cjs',
};

/** dist/pgbr.js: the launcher, then the bundle in a comment (scripts/cli-launcher.mjs). @returns {esbuild.Plugin} */
function cliWithLauncher() {
  return {
    name: 'pgbr-launcher',
    setup(build) {
      build.onEnd(async (result) => {
        const bundle = result.outputFiles?.find((f) => f.path.endsWith('.js'));
        const map = result.outputFiles?.find((f) => f.path.endsWith('.js.map'));
        if (result.errors.length > 0 || !bundle) return;
        await writeCliWithLauncher(esbuild, bundle.text, 'dist/pgbr.js', { minify: production });
        if (map) await writeFile('dist/pgbr.js.map', map.contents);
      });
    },
  };
}

/** @type {esbuild.BuildOptions[]} */
const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', 'pg-native'] },
  {
    ...common,
    entryPoints: ['src/cli/pgbr.ts'],
    outfile: 'dist/pgbr.js',
    external: ['pg-native'],
    // Start-up reads and compiles the whole bundle: without blanks and comments it is a third smaller; names stay for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    write: false,
    plugins: [cliWithLauncher()],
  },
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
  await chmod('dist/pgbr.js', 0o755);
}
