// The pgbr that is running, as a schedule must start it again: Node.js and pgbr's script by their absolute, real paths.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgbrError } from '../core/platform';

/**
 * `node` is the running Node.js (`process.execPath`), so a unit does not depend on which `node` PATH
 * finds under cron or systemd. `pgbr` is the script's real path: `npm install -g` puts a symbolic link
 * (`PREFIX/bin/pgbr`) to `PREFIX/lib/node_modules/pgbr/pgbr.js`, and `node pgbr.js` may be given a
 * relative path; both end as the one file that runs. A script that cannot be resolved keeps its absolute path.
 */
export function runningProgram(
  argv1: string | undefined,
  execPath: string,
  options: { cwd?: string; realpath?: (file: string) => string } = {},
): { node: string; pgbr: string } {
  if (!argv1) throw new PgbrError('usage', 'pgbr cannot tell which script it runs from (process.argv[1] is empty): run it as pgbr or node /path/to/pgbr.js.');
  const absolute = path.resolve(options.cwd ?? process.cwd(), argv1);
  const realpath = options.realpath ?? fs.realpathSync;
  let pgbr = absolute;
  try {
    pgbr = realpath(absolute);
  } catch {
    // Not there any more (deleted while running): the path it was started by is still the best guess.
  }
  return { node: path.resolve(execPath), pgbr };
}
