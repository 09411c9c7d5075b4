// The first lines of dist/pgbr.js. The CLI's bundle rides in a comment at the end of the same file
// and is compiled with V8's code cache kept in the user's cache folder, so a command does not parse
// 1.6 MB of JavaScript on every start. Only Node's built-in modules are used here.
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { cacheFolder } from '../core/platform/cacheFolder';

/** Set by the build: the bundle's sha256 (its first 16 hex digits) names its cache file. */
declare const PGBR_BUILD_ID: string;

/** What opens the comment holding the bundle at the end of this file; in it, a \x01 sits between every star and slash of the bundle. */
const MARKER = '/*pgbr-bundle:';

interface Bundle {
  main: (argv: string[]) => Promise<number>;
}

/** The code cache in pgbr's cache folder; undefined when caching is off or there is no home. */
function cacheFile(): string | undefined {
  if (process.env.PGBR_NO_CODE_CACHE) return undefined;
  const folder = cacheFolder(process.env);
  // V8 checks only the source's length and its own flags before it trusts a cache: the build id keys the contents.
  return folder ? path.join(folder, `cli-${PGBR_BUILD_ID}-${process.version}-${process.arch}.v8cache`) : undefined;
}

function readCache(file: string | undefined): Buffer | undefined {
  try {
    return file ? fs.readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Written once, atomically (a temporary name, then rename), and the caches of other builds go: each
 * build has its own. A cache folder we cannot write only costs speed.
 */
function writeCache(file: string, script: vm.Script): void {
  const dir = path.dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, file);
    for (const name of fs.readdirSync(dir)) {
      if (/^cli-.*\.v8cache$/.test(name) && name !== path.basename(file)) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // There was no folder to leave it in.
    }
  }
}

function load(): Bundle {
  const self = fs.readFileSync(__filename, 'latin1');
  const at = self.lastIndexOf(MARKER);
  const end = self.lastIndexOf('*/');
  if (at < 0 || end < at) throw new Error(`${__filename} has lost the CLI's code at its end: reinstall pgbr.`);
  const source = self.slice(at + MARKER.length, end).replaceAll('*\x01/', '*/');
  const file = cacheFile();
  const cachedData = readCache(file);
  const script = new vm.Script(Module.wrap(source), { filename: __filename, ...(cachedData ? { cachedData } : {}) });
  const mod = new Module(__filename, module);
  mod.filename = __filename;
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  run.call(mod.exports, mod.exports, Module.createRequire(__filename), mod, __filename, __dirname);
  // After the command has run, the cache also holds the functions it compiled.
  if (file && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeCache(file, script));
  return mod.exports as Bundle;
}

void load()
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
