// How the `pgbr` bundle is built, for the development build (esbuild.mjs) and the package a server
// installs (scripts/package-cli.mjs), so both carry the same code and the same build stamp.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeCliWithLauncher } from './cli-launcher.mjs';

/**
 * The commit the build comes from, for `pgbr --version`: `git rev-parse --short HEAD`, with `-dirty` when
 * tracked files differ from it; "unknown" outside a git checkout (a source tarball) or without git.
 * @param {string} [cwd]
 */
export function buildCommit(cwd = process.cwd()) {
  const git = (/** @type {string[]} */ args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

/**
 * What names the TOC reader's code in a TOC index (src/core/logical/toc/tocIndex.ts): a hash of every
 * file of src/core/logical/toc, the same in the extension and the CLI, so an index written by one is
 * read by the other and by no build whose reader differs. A watch build gets none (its code changes
 * under it), and so keeps no index.
 * @param {string} [root]
 */
export function tocReaderId(root = process.cwd()) {
  const dir = path.join(root, 'src', 'core', 'logical', 'toc');
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) hash.update(name).update('\0').update(readFileSync(path.join(dir, name))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * What names the manifest reader in a catalogue index (src/core/logical/catalogIndex.ts): a hash of the
 * files that read manifests and list dumps, so an index is read by no build that would read its
 * manifests differently. A watch build gets none, and so keeps no index.
 * @param {string} [root]
 */
export function catalogReaderId(root = process.cwd()) {
  const hash = createHash('sha256');
  for (const name of ['catalog.ts', 'catalogIndex.ts', 'manifest.ts']) hash.update(name).update('\0').update(readFileSync(path.join(root, 'src', 'core', 'logical', name))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * pg decides at load time whether it runs in a Cloudflare Worker by constructing a `Response`, and
 * touching that global makes Node 20 load its whole fetch implementation (undici): about 30 ms of
 * every command that connects, and of the extension's first connection. pgbr and the extension only
 * run on Node, so the check is compiled to `false`. The build fails if pg's code no longer has it, so
 * an upgrade cannot drop this silently.
 * @returns {import('esbuild').Plugin}
 */
export function pgOnNodePlugin() {
  const check = 'function isCloudflareRuntime() {';
  return {
    name: 'pg-on-node',
    setup(build) {
      build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(check)) return { errors: [{ text: `${args.path} no longer defines isCloudflareRuntime: see pgOnNodePlugin in scripts/cli-build.mjs` }] };
        return { contents: source.replace(check, `${check}\n  return false;`), loader: 'js' };
      });
    },
  };
}

/**
 * The `define`s naming a build's index readers (none for a watch build).
 * @param {{ tocReader?: string, catalogReader?: string }} readers
 * @returns {Record<string, string>}
 */
export function readerDefines({ tocReader, catalogReader }) {
  return { ...(tocReader ? { PGBR_TOC_READER: JSON.stringify(tocReader) } : {}), ...(catalogReader ? { PGBR_CATALOG_READER: JSON.stringify(catalogReader) } : {}) };
}

/**
 * The esbuild options of the CLI: the bundle is written after the launcher into `outfile`
 * (scripts/cli-launcher.mjs), with a source map beside it unless `production`.
 * @param {typeof import('esbuild')} esbuild
 * @param {{ outfile: string, production: boolean, commit: string, tocReader?: string, catalogReader?: string }} options
 * @returns {import('esbuild').BuildOptions}
 */
export function cliBuildOptions(esbuild, { outfile, production, commit, tocReader, catalogReader }) {
  return {
    bundle: true,
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    target: 'node20',
    platform: 'node',
    format: 'cjs',
    entryPoints: ['src/cli/pgbr.ts'],
    outfile,
    // pg loads it only when asked for pg.native, which pgbr never does.
    external: ['pg-native'],
    define: { PGBR_COMMIT: JSON.stringify(commit), ...readerDefines({ tocReader, catalogReader }) },
    // Start-up reads and compiles the whole bundle: without blanks and comments it is a third smaller; names stay for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    write: false,
    plugins: [
      pgOnNodePlugin(),
      {
        name: 'pgbr-launcher',
        setup(build) {
          build.onEnd(async (result) => {
            const bundle = result.outputFiles?.find((f) => f.path.endsWith('.js'));
            const map = result.outputFiles?.find((f) => f.path.endsWith('.js.map'));
            if (result.errors.length > 0 || !bundle) return;
            await writeCliWithLauncher(esbuild, bundle.text, outfile, { minify: production });
            await chmod(outfile, 0o755);
            if (map) await writeFile(`${outfile}.map`, map.contents);
          });
        },
      },
    ],
  };
}
