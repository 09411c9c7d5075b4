// Builds the extension bundle, the `pgbr` CLI, the webview bundles and the e2e test suite.
// `--watch` rebuilds on change; `--production` minifies and drops source maps.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';

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

/**
 * dist/pgbr.js is one file: the small launcher (src/cli/launch.ts), then the CLI's bundle in base64
 * inside a comment, which the launcher compiles with V8's code cache (see launch.ts for why).
 * @returns {esbuild.Plugin}
 */
function cliWithLauncher() {
  return {
    name: 'pgbr-launcher',
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length > 0 || !result.outputFiles) return;
        const bundle = result.outputFiles.find((f) => f.path.endsWith('.js'));
        const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
        if (!bundle) return;
        const buildId = createHash('sha256').update(bundle.contents).digest('hex').slice(0, 16);
        const launcher = await esbuild.build({
          ...common,
          sourcemap: false,
          entryPoints: ['src/cli/launch.ts'],
          write: false,
          define: { PGBR_BUILD_ID: JSON.stringify(buildId) },
        });
        const code = launcher.outputFiles[0]?.text ?? '';
        // The comment may not hold `*/`: each becomes `*\x01/`, and \x01 is in no bundle esbuild writes (its output is ASCII text).
        if (bundle.text.includes('\x01')) throw new Error('the CLI bundle holds a \\x01 character, which its comment cannot carry');
        const text = `#!/usr/bin/env node\n${code}/*pgbr-bundle:${bundle.text.replaceAll('*/', '*\x01/')}*/\n`;
        await mkdir('dist', { recursive: true });
        await writeFile('dist/pgbr.js', text, { mode: 0o755 });
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
    entryPoints: { health: 'webview/health/main.ts', pitr: 'webview/pitr/main.ts' },
    outdir: 'dist/webview',
  },
  // The extension-host test suite: loaded by code-server or @vscode/test-electron, never shipped.
  ...(production
    ? []
    : [
        { ...common, entryPoints: ['test/e2e/suite/index.ts'], outfile: 'dist/test/e2e/index.js', external: ['vscode', 'mocha', 'pg-native'] },
        { ...common, entryPoints: ['test/e2e/untrusted/index.ts'], outfile: 'dist/test/e2e/untrusted.js', external: ['vscode', 'mocha', 'pg-native'] },
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
