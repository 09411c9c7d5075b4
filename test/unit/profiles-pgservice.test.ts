// pg_service.conf as libpq reads it, where libpq looks for it, and its keys as profile parameters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConnection } from '../../src/core/postgres/connect';
import { loadProfiles } from '../../src/core/profiles';
import { parseServiceFile, serviceFileCandidates, serviceToParams } from '../../src/core/profiles/pgService';

const FILE = '/home/ana/.pg_service.conf';

test('sections, key=value lines, comments and surrounding whitespace', () => {
  const text = `# services for the team
[billing]
host=billing.example.com
  port = 5433
dbname=billing   
# a comment inside a section
user=report

[local]
host=/var/run/postgresql
`;
  const { services, problems, sectionLines } = parseServiceFile(text, FILE);
  assert.deepEqual(problems, []);
  assert.deepEqual([...services.keys()], ['billing', 'local']);
  assert.deepEqual(services.get('billing'), { host: 'billing.example.com', port: '5433', dbname: 'billing', user: 'report' });
  assert.deepEqual(services.get('local'), { host: '/var/run/postgresql' });
  assert.deepEqual([...sectionLines], [['billing', 2], ['local', 9]]);
});

test('values keep = signs and inner spaces; CRLF files read the same', () => {
  const { services } = parseServiceFile('[s]\r\noptions=-c search_path=app\r\napplication_name=nightly backup\r\n', FILE);
  assert.deepEqual(services.get('s'), { options: '-c search_path=app', application_name: 'nightly backup' });
});

test('like libpq, the first section and the first value of a key win; repeats are warnings with their line', () => {
  const text = '[a]\nhost=one\nhost=two\n[b]\nport=1\n[a]\nhost=three\n';
  const { services, problems } = parseServiceFile(text, FILE);
  assert.deepEqual(services.get('a'), { host: 'one' });
  assert.deepEqual(
    problems.map((p) => [p.line, p.severity, p.profileName]),
    [
      [3, 'warning', 'a'],
      [6, 'warning', 'a'],
    ],
  );
  assert.match(problems[1]?.message ?? '', /defined again: libpq uses the first one at line 1/);
  assert.equal(problems[0]?.file, FILE);
  assert.equal(problems[0]?.source.kind, 'service');
});

test('malformed lines are problems with their line; the rest of the file still reads', () => {
  const text = 'host=stray\n[ok]\nhost=h\njust words\nservice=other\n[]\nport=1\n[also]\nuser=u\n';
  const { services, problems } = parseServiceFile(text, FILE);
  assert.deepEqual([...services.keys()], ['ok', 'also']);
  assert.deepEqual(services.get('ok'), { host: 'h' });
  assert.deepEqual(services.get('also'), { user: 'u' });
  assert.deepEqual(
    problems.map((p) => [p.line, p.severity ?? 'error']),
    [
      [1, 'warning'],
      [4, 'error'],
      [5, 'error'],
      [6, 'warning'],
    ],
  );
  assert.match(problems[0]?.message ?? '', /outside any \[service\] section/);
  assert.match(problems[1]?.message ?? '', /not a key=value line/);
  assert.match(problems[2]?.message ?? '', /names another service/);
});

test('service keys become profile parameters; other keys become options', () => {
  assert.deepEqual(
    serviceToParams({
      host: 'db',
      port: '5433',
      user: 'u',
      dbname: 'app',
      sslmode: 'verify-full',
      connect_timeout: '10',
      sslrootcert: '/etc/ca.pem',
    }),
    {
      params: {
        host: 'db',
        port: 5433,
        user: 'u',
        database: 'app',
        sslmode: 'verify-full',
        options: { connect_timeout: '10', sslrootcert: '/etc/ca.pem' },
      },
      problems: [],
      usable: true,
    },
  );
});

test('hostaddr is the host when there is no host name, and stays an option beside one', () => {
  assert.deepEqual(serviceToParams({ hostaddr: '10.0.0.5' }).params, { host: '10.0.0.5' });
  assert.deepEqual(serviceToParams({ host: 'db.example.com', hostaddr: '10.0.0.5' }).params, {
    host: 'db.example.com',
    options: { hostaddr: '10.0.0.5' },
  });
});

test('a password in the service is a warning and is never copied', () => {
  const result = serviceToParams({ host: 'db', password: 'hunter2' });
  assert.deepEqual(result.params, { host: 'db' });
  assert.equal(result.usable, true);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0] ?? '', /password .* not used: move it to ~\/\.pgpass or use "Set password…"/);
  assert.doesNotMatch(JSON.stringify(result), /hunter2/);
});

test('a bad port or sslmode makes the service unusable', () => {
  const port = serviceToParams({ host: 'db', port: 'fivefourthreetwo' });
  assert.equal(port.usable, false);
  assert.match(port.problems[0] ?? '', /not a number/);
  const ssl = serviceToParams({ host: 'db', sslmode: 'always' });
  assert.equal(ssl.usable, false);
  assert.match(ssl.problems[0] ?? '', /sslmode "always" is not valid/);
});

test('service file candidates follow libpq: user file first, then PGSYSCONFDIR', () => {
  assert.deepEqual(serviceFileCandidates({}, '/home/ana', 'linux'), ['/home/ana/.pg_service.conf']);
  assert.deepEqual(serviceFileCandidates({ PGSERVICEFILE: '/etc/team.conf' }, '/home/ana', 'linux'), ['/etc/team.conf']);
  assert.deepEqual(serviceFileCandidates({ PGSYSCONFDIR: '/etc/postgresql-common' }, '/home/ana', 'darwin'), [
    '/home/ana/.pg_service.conf',
    '/etc/postgresql-common/pg_service.conf',
  ]);
  assert.deepEqual(serviceFileCandidates({ APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'C:\\Users\\ana', 'win32'), [
    'C:\\Users\\ana\\AppData\\Roaming\\postgresql\\.pg_service.conf',
  ]);
});

test('a password in the service file is not used, and resolving the profile says so and why when no other password is found', async () => {
  const home = await mkdtemp(join(tmpdir(), 'pgbr-svc-'));
  try {
    const serviceFile = join(home, 'services.conf');
    await writeFile(serviceFile, '[svc]\nhost=db.example.com\nuser=app\npassword=hunter2\n\n[plain]\nhost=db.example.com\n');
    await writeFile(join(home, 'pgbackup.yaml'), 'connections:\n  - name: via-yaml\n    service: svc\n');
    const env: NodeJS.ProcessEnv = { PGSERVICEFILE: serviceFile, PGSYSCONFDIR: home };
    const loaded = await loadProfiles({ workspaceFolder: home, env, homedir: home, platform: 'linux' });
    const ctx = { env, homedir: home, osUser: 'ana', platform: 'linux' as const };
    for (const name of ['svc', 'via-yaml']) {
      const profile = loaded.profiles.find((p) => p.name === name);
      assert.ok(profile, name);
      const resolved = await resolveConnection(profile, ctx);
      assert.equal(resolved.password, undefined, name);
      assert.match(resolved.warning ?? '', /the password in .*services\.conf \[svc\] is not used, because a service file is not kept private the way ~\/\.pgpass must be/, name);
      assert.doesNotMatch(resolved.warning ?? '', /hunter2/);
      // A password found elsewhere makes the note moot.
      assert.equal((await resolveConnection(profile, { ...ctx, env: { ...env, PGPASSWORD: 'x' } })).warning, undefined, name);
    }
    const plain = loaded.profiles.find((p) => p.name === 'plain');
    assert.ok(plain);
    assert.equal((await resolveConnection(plain, ctx)).warning, undefined);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
