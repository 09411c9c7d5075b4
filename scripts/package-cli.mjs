// `npm run package:cli`: `pgbr` alone, for servers. Writes dist/cli-package/ (the bundle as one file, a
// package.json without dependencies, a README) and packs it as dist/pgbr-<version>.tgz, which
// `npm install -g` turns into a `pgbr` command with nothing but Node.js and the PostgreSQL client tools.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { buildCommit, catalogReaderId, cliBuildOptions, tocReaderId } from './cli-build.mjs';

const root = path.resolve(import.meta.dirname, '..');
const folder = path.join(root, 'dist', 'cli-package');
const product = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));

/**
 * What the bundle requires that it does not carry: anything but Node's own modules and pg-native
 * (which pg asks for only through pg.native) would be missing on a server.
 * @param {string} code
 */
function foreignRequires(code) {
  const builtins = new Set(builtinModules);
  const named = [...code.matchAll(/\brequire\(\s*(["'`])([^"'`]+)\1\s*\)/g)].map((m) => m[2] ?? '');
  const foreign = named.filter((name) => !name.startsWith('node:') && !builtins.has(name) && name !== 'pg-native');
  // A require of a computed name could load anything: none may be left once everything is bundled.
  const computed = [...code.matchAll(/\brequire\(\s*[^"'`\s)]/g)].map((m) => m[0]);
  return [...new Set([...foreign, ...computed])];
}

const readme = `# pgbr

The \`pgbr\` command line of PostgreSQL Backup & Recovery, for database servers: dumps, restores,
verification, WAL archive checks, point-in-time recovery and scheduled backup plans
(\`pgbackup.yaml\`), run from cron or systemd.

It needs Node.js ${product.engines.node} and the PostgreSQL client tools (\`pg_dump\`, \`pg_restore\`, \`psql\`, ...);
age, GnuPG, rclone and pgBackRest only for plans that use them.

    npm install -g pgbr-${product.version}.tgz    # works offline: pgbr has no dependencies
    pgbr --version
    pgbr doctor                                    # what this machine lacks for the plans of pgbackup.yaml
    pgbr schedule PLAN --systemd --install         # units that run this pgbr by its absolute path

\`pgbr completion bash\` and \`pgbr completion zsh\` print shell completion scripts.
The file \`pgbr.js\` also runs on its own, copied anywhere: \`node pgbr.js --help\`.
`;

await rm(folder, { recursive: true, force: true });
await mkdir(folder, { recursive: true });
const outfile = path.join(folder, 'pgbr.js');
process.chdir(root);
await esbuild.build(cliBuildOptions(esbuild, { outfile, production: true, commit: buildCommit(root), tocReader: tocReaderId(root), catalogReader: catalogReaderId(root) }));
const foreign = foreignRequires(await readFile(outfile, 'latin1'));
if (foreign.length) throw new Error(`the pgbr bundle requires what it does not carry: ${foreign.join(', ')}; bundle it, or guard it as pg-native is.`);

const license = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].find((name) => existsSync(path.join(root, name)));
if (license) await copyFile(path.join(root, license), path.join(folder, license));
await writeFile(path.join(folder, 'README.md'), readme);
const manifest = {
  name: 'pgbr',
  version: product.version,
  description: product.description,
  license: product.license,
  ...(product.repository ? { repository: product.repository } : {}),
  keywords: product.keywords,
  bin: { pgbr: 'pgbr.js' },
  files: ['pgbr.js', 'README.md', ...(license ? [license] : [])],
  engines: { node: product.engines.node },
};
await writeFile(path.join(folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const packed = execFileSync('npm', ['pack', '--pack-destination', path.join(root, 'dist'), '--ignore-scripts'], { cwd: folder, encoding: 'utf8' }).trim().split('\n').pop();
console.log(path.join('dist', packed ?? `pgbr-${product.version}.tgz`));
