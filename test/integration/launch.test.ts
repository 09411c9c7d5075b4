// dist/pgbr.js: the launcher compiles the CLI bundle carried in its own file, with a V8 code cache in the user's cache folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { version } from '../../package.json';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
/** `pgbr --version` of a build: the version, then the commit it was built from. */
const VERSION_LINE = new RegExp(`^pgbr ${version.replaceAll('.', '\\.')} \\(commit ([0-9a-f]{7,}(-dirty)?|unknown)\\)$`);
const skip = existsSync(pgbr) ? false : 'dist/pgbr.js is not built (node esbuild.mjs)';

function run(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [pgbr, ...args], { env: { ...process.env, PGBR_NO_CODE_CACHE: '', ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withCacheHome(body: (home: string, folder: string) => void): void {
  const home = mkdtempSync(path.join(os.tmpdir(), 'pgbr-cache-'));
  try {
    body(home, path.join(home, 'pgbr'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test('the first run writes one private cache file, later runs use it and give the same answers', { skip }, () => {
  withCacheHome((home, folder) => {
    const first = run(['--version'], { XDG_CACHE_HOME: home });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout.trim(), VERSION_LINE);
    const files = readdirSync(folder);
    assert.equal(files.length, 1);
    assert.match(files[0] ?? '', /^cli-[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+\.v8cache$/);
    assert.equal(statSync(path.join(folder, files[0] ?? '')).mode & 0o777, 0o600);
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    const again = run(['--version'], { XDG_CACHE_HOME: home });
    assert.equal(again.stdout, first.stdout);
    // A command that loads a feature, and its exit code for a usage error, through the cached code.
    const bad = run(['toc'], { XDG_CACHE_HOME: home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /missing required argument/);
  });
});

test('a damaged cache is ignored and replaced; the caches of other builds are removed', { skip }, () => {
  withCacheHome((home, folder) => {
    run(['--version'], { XDG_CACHE_HOME: home });
    const [name] = readdirSync(folder);
    const own = path.join(folder, name ?? '');
    writeFileSync(own, Buffer.alloc(4096, 7));
    writeFileSync(path.join(folder, 'cli-0000000000000000-v1.0.0-x64.v8cache'), 'old build');
    const r = run(['--version'], { XDG_CACHE_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), VERSION_LINE);
    assert.deepEqual(readdirSync(folder), [name]);
    assert.ok(statSync(own).size > 4096, 'the damaged cache was written anew');
  });
});

test('PGBR_NO_CODE_CACHE, or a cache folder that cannot be made, runs without a cache', { skip }, () => {
  withCacheHome((home, folder) => {
    const off = run(['--version'], { XDG_CACHE_HOME: home, PGBR_NO_CODE_CACHE: '1' });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(existsSync(folder), false);
    writeFileSync(folder, 'a file where the folder would be');
    const blocked = run(['--version'], { XDG_CACHE_HOME: home });
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.match(blocked.stdout.trim(), VERSION_LINE);
    assert.equal(blocked.stderr, '');
    assert.deepEqual(readdirSync(home), ['pgbr']);
  });
});

test('pgbr toc keeps a TOC index in the cache folder: a second listing prints from it, a dump whose TOC changed is read afresh', { skip }, () => {
  withCacheHome((home, folder) => {
    const dump = path.join(home, 'shop.dump');
    const bytes = readFileSync(path.resolve(__dirname, '../fixtures/toc-hostile.dump'));
    writeFileSync(dump, bytes);
    const first = run(['toc', dump, '--json'], { XDG_CACHE_HOME: home });
    assert.equal(first.code, 0, first.stderr);
    const indexes = readdirSync(path.join(folder, 'toc'));
    assert.equal(indexes.length, 1);
    const indexFile = path.join(folder, 'toc', indexes[0]!);
    assert.equal(statSync(indexFile).mode & 0o777, 0o600);
    const again = run(['toc', dump, '--json'], { XDG_CACHE_HOME: home });
    assert.equal(again.stdout, first.stdout, 'the listing from the index is the listing read afresh');
    assert.equal(run(['toc', dump], { XDG_CACHE_HOME: home }).stdout, run(['toc', dump], { XDG_CACHE_HOME: home, PGBR_NO_TOC_INDEX: '1' }).stdout);
    // The index is what the second run printed: a schema renamed in it shows.
    const text = readFileSync(indexFile, 'utf8');
    writeFileSync(indexFile, text.replace('"schemas":[{"name":"', '"schemas":[{"name":"from-the-index '), { mode: 0o600 });
    assert.match(run(['toc', dump, '--json'], { XDG_CACHE_HOME: home }).stdout, /from-the-index /);
    // One byte of a name inside the TOC changed: the index no longer matches, and the dump is read again.
    const changed = Buffer.from(bytes);
    changed[changed.indexOf(Buffer.from('hostile'), 20)] = 'H'.charCodeAt(0);
    writeFileSync(dump, changed);
    const fresh = run(['toc', dump, '--json'], { XDG_CACHE_HOME: home });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.doesNotMatch(fresh.stdout, /from-the-index /);
    assert.match(fresh.stdout, /"dbname":"Hostile"/);
  });
});
