// pgbackup.yaml: located problems, valid profiles beside broken ones, and edits that keep the user's file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgbrError } from '../../src/core/platform/errors';
import { MAX_CONFIG_BYTES, parseWorkspaceConfig } from '../../src/core/profiles/yamlConfig';
import { addConnectionToYaml, findConnectionLine, removeConnectionFromYaml } from '../../src/core/profiles/yamlEdit';

const FILE = '/home/ana/shop/pgbackup.yaml';

const EXAMPLE = `# Connections for this workspace
connections:            # list of profiles
  - name: local         # required, unique
    uri: postgresql://app@localhost:5433/app   # either uri ...

  - name: prod          # ... or fields
    host: db.example.com
    port: 5432
    user: backup
    database: app
    sslmode: require
    options: { connect_timeout: "5" }
  # billing lives in the service file
  - name: billing
    service: billing    # a section of pg_service.conf

dumpFolders: [dumps, /srv/backups]   # where dumps go
rpo: 15m
`;

function parse(text: string) {
  return parseWorkspaceConfig(text, FILE);
}

function names(text: string): string[] {
  return parse(text).profiles.map((p) => p.name);
}

test('the documented example loads every profile with its source line', () => {
  const { profiles, problems, config } = parse(EXAMPLE);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    profiles.map((p) => [p.name, p.source]),
    [
      ['local', { kind: 'yaml', file: FILE, line: 3, label: 'pgbackup.yaml:3' }],
      ['prod', { kind: 'yaml', file: FILE, line: 6, label: 'pgbackup.yaml:6' }],
      ['billing', { kind: 'yaml', file: FILE, line: 14, label: 'pgbackup.yaml:14' }],
    ],
  );
  assert.deepEqual(profiles[0]?.params, { user: 'app', host: 'localhost', port: 5433, database: 'app' });
  assert.deepEqual(profiles[1]?.params, {
    host: 'db.example.com',
    port: 5432,
    user: 'backup',
    database: 'app',
    sslmode: 'require',
    options: { connect_timeout: '5' },
  });
  assert.equal(profiles[2]?.service, 'billing');
  assert.deepEqual(profiles[2]?.params, {});
  assert.deepEqual(config.dumpFolders, ['dumps', '/srv/backups']);
  assert.equal(config.rpo, '15m');
  assert.equal(config.connections, profiles);
});

test('an unknown key names file position, key and the likely intended key', () => {
  const text = `connections:
  - name: local
    uri: postgresql://localhost/app

  - name: prod
    host: db.example.com
    prot: 5432
`;
  const { profiles, problems } = parse(text);
  assert.equal(problems.length, 1);
  assert.deepEqual(
    { line: problems[0]?.line, column: problems[0]?.column, key: problems[0]?.key, message: problems[0]?.message },
    { line: 7, column: 5, key: 'prot', message: 'unknown key "prot" in connection "prod": did you mean "port"?' },
  );
  assert.equal(problems[0]?.file, FILE);
  assert.equal(problems[0]?.profileName, 'prod');
  assert.deepEqual(problems[0]?.source, { kind: 'yaml', file: FILE, line: 5, label: 'pgbackup.yaml:5' });
  // A typo could point a restore at the wrong server, so the entry does not load; the others do.
  assert.deepEqual(profiles.map((p) => p.name), ['local']);
});

test('spellings from other tools get a hint, unrelated keys list the valid ones', () => {
  const { problems } = parse('connections:\n  - name: a\n    dbname: app\n    colour: red\n');
  assert.equal(problems[0]?.message, 'unknown key "dbname" in connection "a": did you mean "database"?');
  assert.match(problems[1]?.message ?? '', /^unknown key "colour" in connection "a": remove it; the keys are name, uri, host/);
  assert.deepEqual([problems[0]?.line, problems[1]?.line], [3, 4]);
});

test('YAML syntax errors are reported at their line and load nothing from the file', () => {
  const cases: [string, number][] = [
    ['connections:\n  - name: a\n    host: h\n   port: 5\n', 4],
    ['connections:\n  - name: a\n\thost: h\n', 3],
    ['connections:\n  - name: a\n    host: h\n    host: i\n', 4],
    ['# header\n\nconnections: [\n', 3],
  ];
  for (const [text, line] of cases) {
    const { profiles, problems } = parse(text);
    assert.deepEqual(profiles, [], text);
    assert.ok(problems.length >= 1, text);
    assert.equal(problems[0]?.line, line, `${text}: ${problems[0]?.message}`);
    assert.match(problems[0]?.message ?? '', /^YAML syntax error: .*no connection in pgbackup\.yaml loads until it is fixed$/);
  }
});

test('a malformed file never throws', () => {
  for (const text of ['', '\n', '# only a comment\n', '[', ':', '- -', '{a', '\t', 'a: b: c', '---\n---\n', 'connections: 5', '"x"', '*a']) {
    assert.doesNotThrow(() => parse(text), JSON.stringify(text));
  }
  assert.deepEqual(parse('').problems, []);
  assert.deepEqual(parse('# only a comment\n').problems, []);
  assert.deepEqual(parse('connections:\n').problems, []);
  assert.match(parse('- a\n- b\n').problems[0]?.message ?? '', /must be a mapping with a "connections:" list/);
  assert.match(parse('connections: 5\n').problems[0]?.message ?? '', /"connections" must be a list/);
});

test('duplicate names: the first loads, the second is a problem that points at the first', () => {
  const text = `connections:
  - name: prod
    host: a
  - name: dev
    host: b
  - name: prod
    host: c
`;
  const { profiles, problems } = parse(text);
  assert.deepEqual(profiles.map((p) => [p.name, p.params.host]), [['prod', 'a'], ['dev', 'b']]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.message, 'connection name "prod" is already used at line 2: rename one of them');
  assert.deepEqual([problems[0]?.line, problems[0]?.column], [6, 11]);
});

test('a password key is refused wherever it is, pointing at Set password… and pgpass', () => {
  const text = `connections:
  - name: a
    host: h
    password: hunter2
  - name: b
    host: h
    options: { password: hunter2 }
  - name: c
    uri: postgresql://u:hunter2@h/db
  - name: ok
    host: h
`;
  const { profiles, problems } = parse(text);
  assert.deepEqual(profiles.map((p) => p.name), ['ok']);
  assert.equal(problems.length, 3);
  for (const problem of problems) {
    assert.match(problem.message, /Set password…/);
    assert.match(problem.message, /pgpass/);
    assert.doesNotMatch(problem.message, /hunter2/);
  }
  assert.deepEqual(
    problems.map((p) => [p.profileName, p.line, p.column]),
    [
      ['a', 4, 5],
      ['b', 7, 14],
      ['c', 9, 10],
    ],
  );
});

test('each broken entry is its own problem and the valid profiles still load', () => {
  const text = `connections:
  - name: good1
    host: h
  - name: badport
    port: 70000
  - name: badssl
    sslmode: requir
  - host: nameless
  - name: both
    uri: postgresql://h/db
    host: other
  - just a string
  - name: emptyhost
    host:
  - name: good2
    port: "6432"
    database: 2024
`;
  const { profiles, problems } = parse(text);
  assert.deepEqual(profiles.map((p) => p.name), ['good1', 'good2']);
  assert.deepEqual(profiles[1]?.params, { port: 6432, database: '2024' });
  assert.deepEqual(
    problems.map((p) => [p.line, p.message]),
    [
      [5, 'connection "badport": port 70000 is out of range: use 1-65535'],
      [7, 'connection "badssl": sslmode "requir" is not valid: did you mean "require"?'],
      [8, 'connection #4 has no name: add "name:" with a name unique in this list'],
      [11, 'connection "both" sets both "uri" and "host": keep one of them'],
      [12, 'connection #6 must be a mapping like "- name: local" with a uri or host fields'],
      [14, '"host" in connection "emptyhost" is empty: give it a value or remove the key'],
    ],
  );
});

test('unknown top-level keys get a hint; the later keys are checked for their shape', () => {
  const text = `conections:
  - name: a
dumpFolders: dumps
rpo: { a: 1 }
retention: { keep: 7 }
archives: [/srv/wal]
x-defaults: { port: 5 }
`;
  const { problems, config } = parse(text);
  assert.deepEqual(
    problems.map((p) => [p.line, p.column, p.message]),
    [
      [1, 1, 'unknown key "conections" at the top of pgbackup.yaml: did you mean "connections"?'],
      [3, 14, '"dumpFolders" must be a list of folder paths, like [dumps, /srv/backups]'],
      [4, 6, '"rpo" must be a duration like 15m or 1h'],
    ],
  );
  assert.deepEqual(config.retention, { keep: 7 });
  assert.deepEqual(config.archives, ['/srv/wal']);
  assert.equal(config.dumpFolders, undefined);
});

test('anchors under x- keys can share fields between connections', () => {
  const text = `x-prod: &prod
  host: db.example.com
  sslmode: require
connections:
  - name: app
    <<: *prod
    database: app
  - name: billing
    <<: *prod
    sslmode: verify-full
`;
  const { profiles, problems } = parse(text);
  assert.deepEqual(problems, []);
  assert.deepEqual(profiles[0]?.params, { host: 'db.example.com', sslmode: 'require', database: 'app' });
  assert.deepEqual(profiles[1]?.params, { host: 'db.example.com', sslmode: 'verify-full' });
});

test('plain scalars keep their written text where a string is meant', () => {
  const { profiles } = parse('connections:\n  - name: 0x1F\n    host: 0x1F\n    user: 0755\n');
  assert.equal(profiles[0]?.name, '0x1F');
  assert.deepEqual(profiles[0]?.params, { host: '0x1F', user: '0755' });
});

// ---- editing ----

function assertKeepsLines(before: string, after: string): void {
  const beforeLines = before.split('\n');
  const afterLines = after.split('\n');
  let j = 0;
  for (const line of beforeLines) {
    while (j < afterLines.length && afterLines[j] !== line) j++;
    assert.ok(j < afterLines.length, `line lost or changed: ${JSON.stringify(line)}\n---\n${after}`);
    j++;
  }
}

test('adding keeps every existing line, comment and alignment, and appends to the list', () => {
  const after = addConnectionToYaml(EXAMPLE, { name: 'staging', host: 'stage.example.com', port: 5433, user: 'app', database: 'app' });
  assertKeepsLines(EXAMPLE, after);
  const added = `  - name: staging
    host: stage.example.com
    port: 5433
    user: app
    database: app
`;
  assert.ok(after.includes(`    service: billing    # a section of pg_service.conf\n${added}\ndumpFolders:`), after);
  assert.equal(after.length, EXAMPLE.length + added.length);
  assert.deepEqual(names(after), ['local', 'prod', 'billing', 'staging']);
  assert.deepEqual(parse(after).problems, []);
});

test('adding follows the list indentation, quotes what needs quoting, and keeps CRLF', () => {
  const flat = 'connections:\n- name: a\n  host: h\n';
  assert.equal(addConnectionToYaml(flat, { name: 'b', uri: 'postgresql://u@h/db' }), 'connections:\n- name: a\n  host: h\n- name: b\n  uri: postgresql://u@h/db\n');
  const wide = 'connections:\n    -   name: a\n        host: h\n';
  assert.equal(addConnectionToYaml(wide, { name: 'b', port: 5 }), `${wide}    -   name: b\n        port: 5\n`);
  const quoted = addConnectionToYaml(flat, { name: 'yes', host: '*', database: 'true' });
  assert.deepEqual(parse(quoted).profiles[1], {
    name: 'yes',
    params: { host: '*', database: 'true' },
    source: { kind: 'yaml', file: FILE, line: 4, label: 'pgbackup.yaml:4' },
  });
  const crlf = 'connections:\r\n  - name: a\r\n    host: h\r\n';
  const after = addConnectionToYaml(crlf, { name: 'b', host: 'i' });
  assert.equal(after, 'connections:\r\n  - name: a\r\n    host: h\r\n  - name: b\r\n    host: i\r\n');
});

test('adding creates the file content or the list when they are missing', () => {
  const created = addConnectionToYaml(undefined, { name: 'local', uri: 'postgresql://app@localhost/app' });
  assert.deepEqual(names(created), ['local']);
  assert.match(created, /^# .*Passwords never go here/);

  const commentsOnly = '# team config\n';
  const fromComments = addConnectionToYaml(commentsOnly, { name: 'a', host: 'h' });
  assert.ok(fromComments.startsWith(commentsOnly));
  assert.deepEqual(names(fromComments), ['a']);

  const noList = 'dumpFolders: [dumps]  # keep\nrpo: 15m';
  const withList = addConnectionToYaml(noList, { name: 'a', host: 'h' });
  assert.equal(withList, 'dumpFolders: [dumps]  # keep\nrpo: 15m\nconnections:\n  - name: a\n    host: h\n');

  const emptyList = 'connections:   # none yet\nrpo: 15m\n';
  assert.equal(addConnectionToYaml(emptyList, { name: 'a', port: 5 }), 'connections:   # none yet\n  - name: a\n    port: 5\nrpo: 15m\n');

  const flowList = 'connections: []\nrpo: 15m # target\n';
  const fromFlow = addConnectionToYaml(flowList, { name: 'a', host: 'h' });
  assert.deepEqual(names(fromFlow), ['a']);
  assert.match(fromFlow, /rpo: 15m # target/);
});

test('adding refuses a duplicate name, an invalid entry, and a file it cannot read safely', () => {
  const error = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof PgbrError && e.kind === 'config' && pattern.test(e.message));
  error(() => addConnectionToYaml(EXAMPLE, { name: 'prod', host: 'x' }), /a connection named "prod" already exists in pgbackup\.yaml: choose another name/);
  error(() => addConnectionToYaml(EXAMPLE, { name: 'x', uri: 'postgresql://u:pw@h/db' }), /must not contain a password/);
  error(() => addConnectionToYaml(EXAMPLE, { name: 'x', port: 0 }), /port 0 is out of range/);
  error(() => addConnectionToYaml(EXAMPLE, { name: 'x', password: 'pw' } as never), /"password"/);
  error(() => addConnectionToYaml('connections:\n  - name: a\n\thost: h\n', { name: 'x', host: 'h' }), /syntax error at line 3/);
  error(() => addConnectionToYaml('- a\n', { name: 'x', host: 'h' }), /must be a mapping/);
});

test('removing drops the entry and its own comment, and keeps every other line', () => {
  const after = removeConnectionFromYaml(EXAMPLE, 'billing');
  assert.equal(
    after,
    EXAMPLE.replace('  # billing lives in the service file\n  - name: billing\n    service: billing    # a section of pg_service.conf\n', ''),
  );
  assert.deepEqual(names(after), ['local', 'prod']);

  const first = removeConnectionFromYaml(EXAMPLE, 'local');
  assert.equal(
    first,
    EXAMPLE.replace('  - name: local         # required, unique\n    uri: postgresql://app@localhost:5433/app   # either uri ...\n\n', ''),
  );
  assert.deepEqual(names(first), ['prod', 'billing']);

  const middle = removeConnectionFromYaml(EXAMPLE, 'prod');
  assert.deepEqual(names(middle), ['local', 'billing']);
  assertKeepsLines(middle, EXAMPLE);
  assert.ok(middle.includes('# billing lives in the service file'));
  assert.ok(!middle.includes('db.example.com'));
});

test('removing the last connection leaves an empty list that still loads', () => {
  const text = 'connections:  # mine\n  - name: a\n    host: h\n    # port: 5433\nrpo: 1h\n';
  const after = removeConnectionFromYaml(text, 'a');
  assert.equal(after, 'connections:  # mine\nrpo: 1h\n');
  assert.deepEqual(parse(after).problems, []);
  assert.throws(() => removeConnectionFromYaml(after, 'a'), (e: unknown) => e instanceof PgbrError && e.kind === 'config');
});

test('removing from a flow list still works', () => {
  const after = removeConnectionFromYaml('connections: [{name: a, host: h}, {name: b, host: i}]\n', 'a');
  assert.deepEqual(names(after), ['b']);
});

test('findConnectionLine finds the entry for an editor to reveal', () => {
  assert.equal(findConnectionLine(EXAMPLE, 'local'), 3);
  assert.equal(findConnectionLine(EXAMPLE, 'billing'), 14);
  assert.equal(findConnectionLine(EXAMPLE, 'nope'), undefined);
  assert.equal(findConnectionLine('rpo: 1h\n', 'local'), undefined);
});

test('a YAML alias bomb is refused with its line and key, and loads nothing', { timeout: 30_000 }, () => {
  const levels = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [i, n] of [...'bcdefghi'].entries()) levels.push(`x-${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`);
  const text = `${levels.join('\n')}\nconnections:\n  - name: ok\n    host: localhost\n  - name: a\n    host: localhost\n    options: { application_name: *i }\n`;
  // Expanded, the bomb is 9^9 strings: refused, it returns at once (the test's timeout is the margin).
  const r = parse(text);
  assert.deepEqual(r.profiles, []);
  assert.equal(r.problems.length, 1);
  const p = r.problems[0]!;
  assert.equal(p.line, 15);
  assert.equal(p.file, FILE);
  assert.equal(p.key, 'options');
  assert.match(p.message, /"options" expands YAML aliases \(\*name\) more than 100 times, as an alias bomb does, so pgbackup\.yaml is refused/);
  // A few aliases for shared fields are fine.
  assert.deepEqual(names('x-d: &d { host: db, port: 5433 }\nconnections:\n  - name: a\n    <<: *d\n  - name: b\n    <<: *d\n'), ['a', 'b']);
});

test('a file over the size limit is not parsed: one problem on line 1 says how big it is and what the limit is', { timeout: 30_000 }, () => {
  const entry = (i: number) => `  - name: p${i}\n    host: h${i}.example.com\n    port: 5432\n`;
  let text = 'connections:\n';
  for (let i = 0; text.length <= MAX_CONFIG_BYTES; i++) text += entry(i);
  const r = parse(text);
  assert.deepEqual(r.profiles, []);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]?.line, 1);
  assert.match(r.problems[0]?.message ?? '', /^pgbackup\.yaml is 257 KB, over the 256 KB a configuration file may be, so it is not parsed/);
  // Just under the limit still loads.
  const under = text.slice(0, text.lastIndexOf('  - name:', MAX_CONFIG_BYTES - 1));
  assert.ok(Buffer.byteLength(under) <= MAX_CONFIG_BYTES);
  assert.ok(parse(under).profiles.length > 4_000);
  assert.match(parse('connections:\n' + ' '.repeat(10 * 1024 * 1024)).problems[0]?.message ?? '', /is 10\.0 MB, over the 256 KB/);
});
