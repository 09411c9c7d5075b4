// Profiles from every source together: precedence, shadowing, services, the environment, defaults and passwords.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../../src/core/platform/errors';
import {
  effectiveParams,
  loadProfiles,
  mergeProfiles,
  parseSettingConnections,
  profileFromEnv,
  resolvePassword,
  type ConnectionProfile,
} from '../../src/core/profiles';

function profile(name: string, kind: ConnectionProfile['source']['kind'], label: string, extra: Partial<ConnectionProfile> = {}): ConnectionProfile {
  return { name, params: { host: `${kind}.example.com` }, source: { kind, label }, ...extra };
}

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pgbr-profiles-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the first source wins by name and each hidden profile is a warning naming both', () => {
  const yaml = profile('x', 'yaml', 'pgbackup.yaml:4', { source: { kind: 'yaml', file: '/w/pgbackup.yaml', line: 4, label: 'pgbackup.yaml:4' } });
  const set = mergeProfiles([
    { profiles: [yaml], problems: [] },
    { profiles: [profile('x', 'setting', 'setting pgBackup.connections'), profile('y', 'setting', 'setting pgBackup.connections')], problems: [] },
    { profiles: [profile('y', 'service', '~/.pg_service.conf [y]'), profile('z', 'service', '~/.pg_service.conf [z]')], problems: [] },
    { profiles: [profile('environment', 'env', 'PG* environment')], problems: [{ source: { kind: 'env', label: 'PG* environment' }, message: 'kept' }] },
  ]);
  assert.deepEqual(set.profiles.map((p) => [p.name, p.source.kind]), [
    ['x', 'yaml'],
    ['y', 'setting'],
    ['z', 'service'],
    ['environment', 'env'],
  ]);
  assert.deepEqual(set.profiles[0], yaml);
  assert.deepEqual(
    set.problems.map((p) => [p.message, p.severity]),
    [
      ['profile "x" from setting pgBackup.connections is hidden by pgbackup.yaml:4: rename one of them', 'warning'],
      ['profile "y" from ~/.pg_service.conf [y] is hidden by setting pgBackup.connections: rename one of them', 'warning'],
      ['kept', undefined],
    ],
  );
});

test('a profile built on the service of the same name does not report that service as hidden', () => {
  const set = mergeProfiles([
    { profiles: [profile('billing', 'yaml', 'pgbackup.yaml:9', { service: 'billing' })], problems: [] },
    { profiles: [profile('billing', 'service', '~/.pg_service.conf [billing]', { service: 'billing' })], problems: [] },
  ]);
  assert.deepEqual(set.profiles.map((p) => p.source.kind), ['yaml']);
  assert.deepEqual(set.problems, []);
});

test('the pgBackup.connections setting follows the same rules as pgbackup.yaml', () => {
  const source = { kind: 'setting', label: 'setting pgBackup.connections' };
  const group = parseSettingConnections([
    { name: 'a', uri: 'postgresql://u@h:5433/db?sslmode=require' },
    { name: 'b', host: 'h', port: 70000 },
    { name: 'c', host: 'h', prot: 1 },
    { name: 'd', host: 'h', password: 'hunter2' },
    'not an object',
    { name: 'a', host: 'again' },
    { name: 'e', service: 'billing', database: 'override' },
  ]);
  assert.deepEqual(group.profiles, [
    { name: 'a', params: { user: 'u', host: 'h', port: 5433, database: 'db', sslmode: 'require' }, source },
    { name: 'e', params: { database: 'override' }, source, service: 'billing' },
  ]);
  assert.deepEqual(
    group.problems.map((p) => p.message),
    [
      'connection "b": port 70000 is out of range: use 1-65535',
      'unknown key "prot" in connection "c": did you mean "port"?',
      'connection "d" has a "password" key, but passwords are not kept in plain text: remove it and use "Set password…" or ~/.pgpass',
      'connection #5 in setting pgBackup.connections must be an object with a "name"',
      'connection name "a" is already used by connection #1: rename one of them',
    ],
  );
  assert.ok(group.problems.every((p) => p.source.kind === 'setting'));
  assert.deepEqual(parseSettingConnections(undefined), { profiles: [], problems: [] });
  assert.match(parseSettingConnections({ name: 'a' }).problems[0]?.message ?? '', /must be a list of connections/);
});

test('the environment profile appears only when PG* variables describe a connection', () => {
  assert.deepEqual(profileFromEnv({ PGPASSWORD: 'x', HOME: '/root' }), { problems: [] });
  assert.deepEqual(profileFromEnv({ PGHOST: '' }), { problems: [] });
  assert.deepEqual(profileFromEnv({ PGHOST: 'db', PGPORT: '5433', PGUSER: 'u', PGDATABASE: 'app', PGSSLMODE: 'require', PGAPPNAME: 'x', PGPASSWORD: 'secret' }), {
    profile: {
      name: 'environment',
      params: { host: 'db', port: 5433, user: 'u', database: 'app', sslmode: 'require', options: { application_name: 'x' } },
      source: { kind: 'env', label: 'PG* environment' },
    },
    problems: [],
  });
  assert.deepEqual(profileFromEnv({ PGSERVICE: 'billing' }).profile?.service, 'billing');
  assert.deepEqual(profileFromEnv({ PGHOSTADDR: '10.0.0.5' }).profile?.params, { host: '10.0.0.5' });
});

test('a bad PGPORT is a problem, not a throw and not a profile on the default port', () => {
  const result = profileFromEnv({ PGHOST: 'db', PGPORT: 'abc' });
  assert.equal(result.profile, undefined);
  assert.deepEqual(
    result.problems.map((p) => [p.key, p.source.kind, p.message]),
    [['PGPORT', 'env', 'PGPORT: port "abc" is not a number: use an integer from 1 to 65535']],
  );
});

test('effective parameters: the profile, then PG* variables, then libpq defaults', () => {
  assert.deepEqual(effectiveParams({}, {}, 'ana'), { host: '/var/run/postgresql', port: 5432, user: 'ana', database: 'ana' });
  assert.deepEqual(effectiveParams({}, {}, 'ana', '/tmp').host, '/tmp');
  assert.deepEqual(effectiveParams({}, { PGHOST: 'envhost', PGPORT: '6000', PGUSER: 'eu', PGDATABASE: 'edb' }, 'ana'), {
    host: 'envhost',
    port: 6000,
    user: 'eu',
    database: 'edb',
  });
  assert.deepEqual(effectiveParams({ user: 'bob' }, {}, 'ana').database, 'bob');
  assert.deepEqual(
    effectiveParams({ host: 'h', port: 1, user: 'u', database: 'd', sslmode: 'require' }, { PGHOST: 'x', PGPORT: '2', PGUSER: 'y', PGDATABASE: 'z' }, 'ana'),
    { host: 'h', port: 1, user: 'u', database: 'd', sslmode: 'require' },
  );
  assert.throws(
    () => effectiveParams({}, { PGPORT: '99999' }, 'ana'),
    (e: unknown) => e instanceof PgbrError && e.kind === 'config' && /PGPORT: port 99999 is out of range/.test(e.message),
  );
  assert.equal(effectiveParams({ port: 5 }, { PGPORT: 'bad' }, 'ana').port, 5);
});

test('loadProfiles reads real files: yaml, setting, services, environment, in that order', async () => {
  await withTempDir(async (dir) => {
    const home = path.join(dir, 'home');
    const work = path.join(dir, 'work');
    const etc = path.join(dir, 'etc');
    await Promise.all([mkdir(home), mkdir(work), mkdir(etc)]);
    await writeFile(
      path.join(work, 'pgbackup.yaml'),
      `connections:
  - name: local
    uri: postgresql://app@localhost:5433/app
  - name: billing
    service: billing
    database: billing_ro
  - name: ghost
    service: nowhere
  - name: shared
    host: yaml.example.com
dumpFolders: [dumps]
`,
    );
    await writeFile(
      path.join(home, '.pg_service.conf'),
      '[billing]\nhost=billing.example.com\nport=5434\ndbname=billing\nuser=report\n\n[reporting]\nhost=rep.example.com\npassword=hunter2\n',
    );
    await writeFile(path.join(etc, 'pg_service.conf'), '[reporting]\nhost=system.example.com\n[system]\nhost=sys.example.com\n');

    const loaded = await loadProfiles({
      workspaceFolder: work,
      settingConnections: [
        { name: 'shared', host: 'setting.example.com' },
        { name: 'fromsetting', service: 'system' },
      ],
      env: { PGHOST: 'env.example.com', PGUSER: 'envuser', PGSYSCONFDIR: etc },
      homedir: home,
      platform: 'linux',
    });

    assert.deepEqual(loaded.profiles.map((p) => `${p.name} <${p.source.label}>`), [
      'local <pgbackup.yaml:2>',
      'billing <pgbackup.yaml:4>',
      'shared <pgbackup.yaml:9>',
      'fromsetting <setting pgBackup.connections>',
      'reporting <~/.pg_service.conf [reporting]>',
      'system <' + path.join(etc, 'pg_service.conf') + ' [system]>',
      'environment <PG* environment>',
    ]);
    const byName = new Map(loaded.profiles.map((p) => [p.name, p]));
    // A yaml entry with service: takes the service's values and overrides them with its own.
    assert.deepEqual(byName.get('billing')?.params, { host: 'billing.example.com', port: 5434, user: 'report', database: 'billing_ro' });
    assert.equal(byName.get('billing')?.service, 'billing');
    assert.deepEqual(byName.get('fromsetting')?.params, { host: 'sys.example.com' });
    // The user's file comes first, so its [reporting] wins over the system one, and its password is not kept.
    assert.deepEqual(byName.get('reporting')?.params, { host: 'rep.example.com' });
    assert.deepEqual(byName.get('reporting')?.source, {
      kind: 'service',
      file: path.join(home, '.pg_service.conf'),
      line: 7,
      label: '~/.pg_service.conf [reporting]',
    });
    assert.deepEqual(byName.get('environment')?.params, { host: 'env.example.com', user: 'envuser' });

    assert.deepEqual(
      loaded.problems.map((p) => p.message),
      [
        `service "nowhere" of connection "ghost" is not defined in ~/.pg_service.conf or ${path.join(etc, 'pg_service.conf')}: add a [nowhere] section or fix the name`,
        'profile "shared" from setting pgBackup.connections is hidden by pgbackup.yaml:9: rename one of them',
        'service "reporting": the password in the service file is not used: move it to ~/.pgpass or use "Set password…"',
      ],
    );
    assert.equal(loaded.problems[0]?.line, 7);
    assert.equal(loaded.configFile, path.join(work, 'pgbackup.yaml'));
    assert.deepEqual(loaded.config?.dumpFolders, ['dumps']);
    assert.doesNotMatch(JSON.stringify(loaded), /hunter2/);
  });
});

test('the environment profile takes its service values over the PG* variables, as libpq does', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'services.conf');
    await writeFile(file, '[nightly]\nhost=svc.example.com\ndbname=app\n');
    const loaded = await loadProfiles({
      env: { PGSERVICEFILE: file, PGSERVICE: 'nightly', PGHOST: 'ignored.example.com', PGUSER: 'envuser' },
      homedir: dir,
      platform: 'linux',
    });
    const env = loaded.profiles.find((p) => p.name === 'environment');
    assert.deepEqual(env?.params, { host: 'svc.example.com', database: 'app', user: 'envuser' });
  });
});

test('missing files are not problems; an unreadable one is, and the others still load', async () => {
  await withTempDir(async (dir) => {
    const none = await loadProfiles({ workspaceFolder: dir, env: {}, homedir: dir, platform: 'linux' });
    assert.deepEqual(none, { profiles: [], problems: [] });

    await mkdir(path.join(dir, 'pgbackup.yaml'));
    await writeFile(path.join(dir, '.pg_service.conf'), '[svc]\nhost=h\n');
    const loaded = await loadProfiles({ workspaceFolder: dir, env: {}, homedir: dir, platform: 'linux' });
    assert.deepEqual(loaded.profiles.map((p) => p.name), ['svc']);
    assert.equal(loaded.problems.length, 1);
    assert.equal(loaded.problems[0]?.source.kind, 'yaml');
    assert.match(loaded.problems[0]?.message ?? '', /^cannot read pgbackup\.yaml \(it is a folder\)/);
  });
});

test('a malformed pgbackup.yaml is reported with its line and never throws', async () => {
  await withTempDir(async (dir) => {
    await writeFile(path.join(dir, 'pgbackup.yaml'), 'connections:\n  - name: a\n\thost: h\n');
    const loaded = await loadProfiles({ workspaceFolder: dir, settingConnections: [{ name: 's', host: 'h' }], env: {}, homedir: dir, platform: 'linux' });
    assert.deepEqual(loaded.profiles.map((p) => p.name), ['s']);
    assert.equal(loaded.problems[0]?.line, 3);
    assert.equal(loaded.problems[0]?.file, path.join(dir, 'pgbackup.yaml'));
  });
});

test('passwords: the stored secret, then PGPASSWORD, then the password file for the effective target', async () => {
  await withTempDir(async (dir) => {
    const pgpass = path.join(dir, '.pgpass');
    await writeFile(
      pgpass,
      ['# the laptop', 'localhost:5432:ana:ana:from-socket', 'db.example.com:5433:app:backup:from-host', '*:*:*:envuser:from-env-user', ''].join('\n'),
    );
    await chmod(pgpass, 0o600);
    const opts = { env: {}, homedir: dir, platform: 'linux' as const, osUser: 'ana' };
    const remote = profile('remote', 'yaml', 'pgbackup.yaml:2', { params: { host: 'db.example.com', port: 5433, user: 'backup', database: 'app' } });
    const local = profile('local', 'yaml', 'pgbackup.yaml:5', { params: {} });

    assert.deepEqual(await resolvePassword(remote, { ...opts, secret: 'stored' }), { password: 'stored', from: 'secret' });
    assert.deepEqual(await resolvePassword(remote, { ...opts, env: { PGPASSWORD: 'exported' } }), { password: 'exported', from: 'environment' });
    assert.deepEqual(await resolvePassword(remote, opts), { password: 'from-host', from: 'pgpass' });
    // No host means the default socket, which libpq looks up as localhost; database and user default to the OS user.
    assert.deepEqual(await resolvePassword(local, opts), { password: 'from-socket', from: 'pgpass' });
    assert.deepEqual(await resolvePassword(local, { ...opts, env: { PGUSER: 'envuser' } }), { password: 'from-env-user', from: 'pgpass' });
    assert.deepEqual(await resolvePassword({ ...remote, params: { ...remote.params, port: 1 } }, opts), { from: 'none' });
    assert.deepEqual(await resolvePassword(remote, { ...opts, env: { PGPASSFILE: path.join(dir, 'absent') } }), { from: 'none' });

    await chmod(pgpass, 0o644);
    const tooOpen = await resolvePassword(remote, opts);
    assert.equal(tooOpen.from, 'none');
    assert.equal(tooOpen.password, undefined);
    assert.match(tooOpen.warning ?? '', /~\/\.pgpass can be read by other users, so libpq ignores it: run chmod 0600/);
    // Windows has no such permission bits, and libpq does not check them there.
    assert.equal((await resolvePassword(remote, { ...opts, platform: 'win32', env: { PGPASSFILE: pgpass } })).from, 'pgpass');
  });
});
