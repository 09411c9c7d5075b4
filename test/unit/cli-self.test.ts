// The program a schedule starts is the pgbr that wrote it: Node.js and pgbr's script by absolute, real paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runningProgram } from '../../src/cli/self';
import { parseCalendar } from '../../src/core/plans/calendar';
import { previewSchedule, schedulePlaces } from '../../src/core/plans/install';

function withPrefix(body: (prefix: string) => void): void {
  const prefix = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'pgbr-self-')));
  try {
    // What `npm install -g --prefix PREFIX` leaves: the script in lib, a relative link to it in bin.
    mkdirSync(path.join(prefix, 'lib/node_modules/pgbr'), { recursive: true });
    mkdirSync(path.join(prefix, 'bin'));
    writeFileSync(path.join(prefix, 'lib/node_modules/pgbr/pgbr.js'), '');
    symlinkSync('../lib/node_modules/pgbr/pgbr.js', path.join(prefix, 'bin/pgbr'));
    body(prefix);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}

test('a globally installed pgbr is named by the script its bin link points to, with the running Node.js', () => {
  withPrefix((prefix) => {
    const script = path.join(prefix, 'lib/node_modules/pgbr/pgbr.js');
    assert.deepEqual(runningProgram(path.join(prefix, 'bin/pgbr'), '/usr/local/bin/node'), { node: '/usr/local/bin/node', pgbr: script });
    // `node pgbr.js` from the script's own folder: argv[1] relative to the current folder.
    assert.deepEqual(runningProgram('pgbr.js', '/usr/bin/node', { cwd: path.dirname(script) }), { node: '/usr/bin/node', pgbr: script });
  });
});

test('a script that is gone keeps its absolute path; no script at all is a usage error', () => {
  assert.deepEqual(runningProgram('gone/pgbr.js', '/usr/bin/node', { cwd: '/srv', realpath: () => { throw new Error('ENOENT'); } }), { node: '/usr/bin/node', pgbr: '/srv/gone/pgbr.js' });
  assert.throws(() => runningProgram(undefined, '/usr/bin/node'), /cannot tell which script it runs from/);
});

test('the unit and the crontab line run that script by its real path, not the bin link', () => {
  withPrefix((prefix) => {
    const parsed = parseCalendar('daily');
    if ('problem' in parsed) throw new Error(parsed.problem);
    const plan = { name: 'nightly', schedule: parsed.spec, backup: 'globals' as const, connection: 'shop' };
    const target = { plan, workspace: '/srv/shop', ...runningProgram(path.join(prefix, 'bin/pgbr'), '/usr/bin/node') };
    const places = { ...schedulePlaces({ PGBR_SYSTEMD_DIR: '/units', PGBR_CRON_DIR: '/cron.d' }, false, 'postgres', 'UTC'), root: true };
    const script = path.join(prefix, 'lib/node_modules/pgbr/pgbr.js');
    const service = previewSchedule('systemd', target, places).files.find((f) => f.path.endsWith('.service'));
    assert.match(service?.text ?? '', new RegExp(`^ExecStart=/usr/bin/node ${script} run nightly --workspace /srv/shop$`, 'm'));
    const cron = previewSchedule('cron', target, places).files[0]?.text ?? '';
    assert.match(cron, new RegExp(` /usr/bin/node ${script} run nightly --workspace /srv/shop$`, 'm'));
  });
});
