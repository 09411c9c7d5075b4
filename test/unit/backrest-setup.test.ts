// pgbr backrest setup's plan: the file it would write (new, or merged keeping what the file has), the server settings and their SQL, what it refuses, and writing it whole.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { composeBackrestSetup, planBackrestSetup, sqlLiteral, type BackrestSetupInput } from '../../src/core/backrest/setup';
import { firstSocketDir, writeBackrestSetup } from '../../src/core/backrest/setupWrite';
import { backrestSetupCommand } from '../../src/cli/backrestSetup';

const input = (over: Partial<BackrestSetupInput> = {}): BackrestSetupInput & { compressType: string } => ({
  stanza: 'main',
  repoPath: '/var/lib/pgbackrest',
  pgDataDir: '/var/lib/postgresql/15/main',
  pgPort: 5433,
  pgSocketDir: '/var/run/postgresql',
  compressType: 'zst',
  ...over,
});

async function inTemp(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-setup-'));
  await run(dir).finally(() => fs.rm(dir, { recursive: true, force: true }));
}

test('a new file: [global] with the repository, a high retention said why, zst, and [stanza] with the server', () => {
  const plan = composeBackrestSetup(input(), undefined);
  assert.equal(plan.configPath, '/etc/pgbackrest/pgbackrest.conf');
  assert.equal(plan.mergedFrom, undefined);
  assert.deepEqual(plan.kept, []);
  const [comment, ...rest] = plan.configText.split('\n');
  assert.match(comment ?? '', /^# pgBackRest configuration written by pgbr backrest setup\. It holds no secret/);
  assert.deepEqual(rest, [
    '[global]',
    'repo1-path=/var/lib/pgbackrest',
    "# pgbr backrest expire keeps backups by its keep rules (GFS) and expires the others with expire --set: pgBackRest's own count stays high so it never expires one first.",
    'repo1-retention-full=9999999',
    'compress-type=zst',
    'process-max=2',
    'log-level-console=info',
    'start-fast=y',
    '',
    '[main]',
    'pg1-path=/var/lib/postgresql/15/main',
    'pg1-port=5433',
    'pg1-socket-path=/var/run/postgresql',
    '',
  ]);
  assert.doesNotMatch(plan.configText, /^[^#]*(cipher-pass|s3-key|password)/m);
  assert.ok(plan.notes.some((n) => /PGBACKREST_REPO1_CIPHER_PASS/.test(n)));
  assert.ok(plan.notes.some((n) => /stanza-create/.test(n) && /pgbr backrest check --stanza main/.test(n)));
});

test('the given retention, compression and process count are written, without the retention comment when not ours', () => {
  const plan = composeBackrestSetup(input({ retentionFull: 4, compressType: 'gz', processMax: 6, pgSocketDir: undefined }), undefined);
  assert.match(plan.configText, /\nrepo1-retention-full=4\ncompress-type=gz\nprocess-max=6\n/);
  assert.doesNotMatch(plan.configText, /keep rules|pg1-socket-path/);
});

test('merged into a file: other sections byte for byte, [global] keys it has kept and listed, the stanza rewritten keeping its other keys', () => {
  const other = '# reports cluster\n[reports]\npg1-path = /srv/reports\n# pg1-port=5499\n\n[reports:archive-push]\nprocess-max=4\n';
  const existing = `[global]\r\nrepo1-path=/srv/backups\r\ncompress-type=lz4\r\nstart-fast=y\r\n\r\n`.replace(/\r/g, '') + `[main]\npg1-path=/old/data\npg1-user=backup\n\n${other}`;
  const plan = composeBackrestSetup(input(), existing);
  assert.equal(plan.mergedFrom, existing);
  assert.ok(plan.configText.endsWith(other), plan.configText);
  assert.equal(
    plan.configText.slice(0, plan.configText.length - other.length),
    [
      '[global]',
      'repo1-path=/srv/backups',
      'compress-type=lz4',
      'start-fast=y',
      "# pgbr backrest expire keeps backups by its keep rules (GFS) and expires the others with expire --set: pgBackRest's own count stays high so it never expires one first.",
      'repo1-retention-full=9999999',
      'process-max=2',
      'log-level-console=info',
      '',
      '[main]',
      'pg1-path=/var/lib/postgresql/15/main',
      'pg1-port=5433',
      'pg1-socket-path=/var/run/postgresql',
      // [global]'s repository is another one: this stanza's own goes in its section, which wins there.
      'repo1-path=/var/lib/pgbackrest',
      'pg1-user=backup',
      '',
      '',
    ].join('\n'),
  );
  assert.deepEqual(plan.kept, [
    { section: 'global', key: 'repo1-path', value: '/srv/backups', ours: '/var/lib/pgbackrest' },
    { section: 'global', key: 'compress-type', value: 'lz4', ours: 'zst' },
    { section: 'global', key: 'start-fast', value: 'y' },
    { section: 'main', key: 'pg1-user', value: 'backup' },
  ]);
  assert.ok(plan.notes.some((n) => n === '[global] already sets compress-type=lz4: kept (setup would write zst).'));
  // Planned again on the file it wrote, nothing changes.
  assert.equal(composeBackrestSetup(input(), plan.configText).configText, plan.configText);
});

test('a file without [global] gets one first; a stanza new to it goes last', () => {
  const plan = composeBackrestSetup(input({ stanza: 'b', pgSocketDir: undefined }), '[a]\npg1-path=/srv/a\n');
  assert.match(plan.configText, /^\[global\]\nrepo1-path=\/var\/lib\/pgbackrest\n(.*\n){6}\n\[a\]\npg1-path=\/srv\/a\n\n\[b\]\npg1-path=\/var\/lib\/postgresql\/15\/main\npg1-port=5433\n$/);
});

test('the server settings: archive_command and restore_command as pgBackRest documents them, --config only for another file', () => {
  const plain = composeBackrestSetup(input(), undefined);
  assert.deepEqual(plain.serverSettings, [
    { name: 'archive_mode', value: 'on' },
    { name: 'archive_command', value: 'pgbackrest --stanza=main archive-push %p' },
    { name: 'restore_command', value: 'pgbackrest --stanza=main archive-get %f "%p"' },
  ]);
  // Debian's older /etc/pgbackrest.conf, when it is the file pgBackRest reads without --config.
  const debian = composeBackrestSetup(input({ configPath: '/etc/pgbackrest.conf' }), undefined, '/etc/pgbackrest.conf');
  assert.equal(debian.serverSettings[1]?.value, 'pgbackrest --stanza=main archive-push %p');
  assert.equal(composeBackrestSetup(input({ configPath: '/etc/pgbackrest.conf' }), undefined).serverSettings[1]?.value, 'pgbackrest --config=/etc/pgbackrest.conf --stanza=main archive-push %p');
  const other = composeBackrestSetup(input({ configPath: '/etc/pgbackrest/main.conf' }), undefined);
  assert.equal(other.serverSettings[1]?.value, 'pgbackrest --config=/etc/pgbackrest/main.conf --stanza=main archive-push %p');
  assert.deepEqual(other.sql, [
    "ALTER SYSTEM SET archive_mode = 'on';",
    "ALTER SYSTEM SET archive_command = 'pgbackrest --config=/etc/pgbackrest/main.conf --stanza=main archive-push %p';",
    `ALTER SYSTEM SET restore_command = 'pgbackrest --config=/etc/pgbackrest/main.conf --stanza=main archive-get %f "%p"';`,
    'SELECT pg_catalog.pg_reload_conf();',
  ]);
});

test('a config path with a quote or a backslash: quoted for the shell in the command, then as quote_literal does in the SQL', () => {
  const quote = composeBackrestSetup(input({ configPath: "/etc/it's here/p.conf" }), undefined);
  assert.equal(quote.serverSettings[1]?.value, `pgbackrest "--config=/etc/it's here/p.conf" --stanza=main archive-push %p`);
  assert.equal(quote.sql[1], `ALTER SYSTEM SET archive_command = 'pgbackrest "--config=/etc/it''s here/p.conf" --stanza=main archive-push %p';`);
  assert.equal(sqlLiteral("a'b"), "'a''b'");
  assert.equal(sqlLiteral('a\\b'), "E'a\\\\b'");
  assert.equal(sqlLiteral("it's a\\b"), "E'it''s a\\\\b'");
  assert.equal(sqlLiteral(''), "''");
});

test('what the server has now: wal_level minimal is raised, archive_mode off asks for a restart, another archive_command is named', () => {
  const plan = composeBackrestSetup(input({ serverNow: { walLevel: 'minimal', archiveMode: 'off', archiveCommand: '' } }), undefined);
  assert.deepEqual(plan.serverSettings[0], { name: 'wal_level', value: 'replica' });
  assert.ok(plan.notes.includes('wal_level and archive_mode take effect only at a restart: restart the server after applying the settings.'));
  const on = composeBackrestSetup(input({ serverNow: { walLevel: 'replica', archiveMode: 'on', archiveCommand: 'cp %p /mnt/wal/%f' } }), undefined);
  assert.equal(on.serverSettings.length, 3);
  assert.ok(on.notes.some((n) => n.includes('archive_command is now cp %p /mnt/wal/%f: the new one replaces it')));
  assert.ok(!on.notes.some((n) => /restart/.test(n)));
});

test('refused: a stanza name pgBackRest rejects, relative paths, a repository inside the data directory', () => {
  const usage = (re: RegExp) => (e: unknown) => e instanceof Error && (e as { kind?: string }).kind === 'usage' && re.test(e.message);
  for (const stanza of ['', '-main', 'my stanza', 'a/b', 'x]y']) assert.throws(() => composeBackrestSetup(input({ stanza }), undefined), usage(/not a name pgBackRest accepts/));
  assert.throws(() => composeBackrestSetup(input({ repoPath: 'backups' }), undefined), usage(/--repo-path backups is a relative path/));
  assert.throws(() => composeBackrestSetup(input({ pgDataDir: './data' }), undefined), usage(/--data-dir \.\/data is a relative path/));
  assert.throws(() => composeBackrestSetup(input({ configPath: 'pgbackrest.conf' }), undefined), usage(/--config pgbackrest.conf is a relative path/));
  assert.throws(() => composeBackrestSetup(input({ repoPath: '/srv/a\nb' }), undefined), usage(/without control characters/));
  for (const repoPath of ['/var/lib/postgresql/15/main/backup', '/var/lib/postgresql/15/main/', '/var/lib/postgresql/15/main/x/../repo']) {
    assert.throws(() => composeBackrestSetup(input({ repoPath }), undefined), usage(/is inside the data directory/));
  }
  // Beside the data directory, even with a name it starts with, is fine.
  assert.doesNotThrow(() => composeBackrestSetup(input({ repoPath: '/var/lib/postgresql/15/main-backup' }), undefined));
  assert.doesNotThrow(() => composeBackrestSetup(input({ repoPath: '/var/lib/postgresql/15' }), undefined));
  assert.throws(() => composeBackrestSetup(input({ pgPort: 70000 }), undefined), usage(/--port 70000 is out of range/));
});

test('a repository reached through a link into the data directory is refused when planning', () =>
  inTemp(async (dir) => {
    await fs.mkdir(path.join(dir, 'data', 'pg_wal'), { recursive: true });
    await fs.symlink(path.join(dir, 'data', 'pg_wal'), path.join(dir, 'link'));
    await assert.rejects(
      planBackrestSetup({ ...input(), pgDataDir: path.join(dir, 'data'), repoPath: path.join(dir, 'link', 'repo'), configPath: path.join(dir, 'p.conf') }),
      /is inside the data directory/,
    );
  }));

test('unix_socket_directories: the first folder, an abstract socket or none is no folder', () => {
  assert.equal(firstSocketDir('/var/run/postgresql'), '/var/run/postgresql');
  assert.equal(firstSocketDir(' /tmp , /var/run/postgresql'), '/tmp');
  assert.equal(firstSocketDir('"/run/pg sock",/tmp'), '/run/pg sock');
  assert.equal(firstSocketDir('@pgsock'), undefined);
  assert.equal(firstSocketDir(''), undefined);
});

test('written: the planned text, mode 0640, the repository folder made; refused once the file changed after planning', () =>
  inTemp(async (dir) => {
    const configPath = path.join(dir, 'etc', 'pgbackrest', 'pgbackrest.conf');
    const base = { ...input(), pgDataDir: path.join(dir, 'data'), repoPath: path.join(dir, 'backups', 'repo'), configPath };
    const plan = await planBackrestSetup(base);
    const written = await writeBackrestSetup(plan);
    assert.equal(await fs.readFile(configPath, 'utf8'), plan.configText);
    assert.equal((await fs.stat(configPath)).mode & 0o777, 0o640);
    assert.equal(written.repoCreated, true);
    assert.equal((await fs.stat(base.repoPath)).mode & 0o777, 0o750);
    assert.deepEqual(await fs.readdir(path.dirname(configPath)), ['pgbackrest.conf']);

    const again = await planBackrestSetup({ ...base, stanza: 'other' });
    assert.equal(again.mergedFrom, plan.configText);
    await fs.appendFile(configPath, '# edited meanwhile\n');
    await assert.rejects(writeBackrestSetup(again), (e: Error & { kind?: string }) => e.kind === 'io' && /changed since the setup was planned: run pgbr backrest setup again/.test(e.message));
    assert.match(await fs.readFile(configPath, 'utf8'), /# edited meanwhile\n$/);
    await fs.rm(configPath);
    await assert.rejects(writeBackrestSetup(again), /was removed since the setup was planned/);
    await fs.writeFile(configPath, '[x]\n');
    await assert.rejects(writeBackrestSetup(plan), /was created since the setup was planned/);
  }));

test('the command: the server must be named, --apply-server needs --conn, and without --write only shows', () =>
  inTemp(async (dir) => {
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), env: {} };
    const config = path.join(dir, 'pgbackrest.conf');
    const base = { stanza: 'main', repoPath: path.join(dir, 'repo'), config, workspace: dir };
    assert.equal(await backrestSetupCommand({ ...base, dataDir: path.join(dir, 'data') }, io), 2);
    assert.match(err, /give --conn PROFILE .* or both --data-dir and --port/);
    err = '';
    assert.equal(await backrestSetupCommand({ ...base, dataDir: path.join(dir, 'data'), port: 5433, applyServer: true }, io), 2);
    assert.match(err, /--apply-server needs --conn/);
    assert.equal(await backrestSetupCommand({ ...base, dataDir: path.join(dir, 'data'), port: 5433 }, io), 0);
    assert.match(out, new RegExp(`^Would write ${config} \\(a new file\\):\n\n# pgBackRest configuration`));
    assert.match(out, /\nNothing was written or applied: run again with --write/);
    assert.deepEqual(await fs.readdir(dir), []);
  }));
