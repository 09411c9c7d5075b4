// dist/pgbr.js as it ships: the small launcher (src/cli/launch.ts), then the CLI's bundle inside a
// comment, which the launcher compiles with V8's code cache (see launch.ts for why). Used by the
// build (esbuild.mjs) and by the benchmarks, so both measure and ship the same file.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Writes `outfile` from the CLI bundle's text.
 * @param {typeof import('esbuild')} esbuild
 * @param {string} bundle the CLI bundle (esbuild output for src/cli/pgbr.ts)
 * @param {string} outfile
 * @param {{ absWorkingDir?: string, minify?: boolean }} [options]
 */
export async function writeCliWithLauncher(esbuild, bundle, outfile, options = {}) {
  // The comment may not hold a star-slash: each becomes star, \x01, slash; esbuild's output is ASCII text without \x01.
  if (bundle.includes('\x01')) throw new Error('the CLI bundle holds a \\x01 character, which its comment cannot carry');
  const buildId = createHash('sha256').update(bundle).digest('hex').slice(0, 16);
  const launcher = await esbuild.build({
    ...(options.absWorkingDir ? { absWorkingDir: options.absWorkingDir } : {}),
    entryPoints: ['src/cli/launch.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: options.minify ?? false,
    write: false,
    logLevel: 'warning',
    define: { PGBR_BUILD_ID: JSON.stringify(buildId) },
  });
  const code = launcher.outputFiles[0]?.text ?? '';
  await mkdir(path.dirname(outfile), { recursive: true });
  await writeFile(outfile, `#!/usr/bin/env node\n${code}/*pgbr-bundle:${bundle.replaceAll('*/', '*\x01/')}*/\n`, { mode: 0o755 });
}
