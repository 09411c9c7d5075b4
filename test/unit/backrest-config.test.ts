// repositories: in pgbackup.yaml: a pgBackRest stanza loads with its config and connection, and each problem says where and what to write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkspaceConfig } from '../../src/core/profiles/yamlConfig';

const FILE = '/home/ana/shop/pgbackup.yaml';
const HEAD = `connections:
  - name: prod
    uri: postgresql://app@db.example.com/app
`;

function parse(repositories: string, head = HEAD) {
  const { config, problems, profiles } = parseWorkspaceConfig(`${head}repositories:\n${repositories}`, FILE);
  return { repositories: config.repositories ?? [], problems: problems.map((p) => `${p.line}:${p.column} ${p.message}`), raw: problems, profiles };
}

test('the documented repository loads with every field, and one with only kind and stanza too', () => {
  const { repositories, problems } = parse(`  - kind: pgbackrest
    stanza: main
    config: /etc/pgbackrest/pgbackrest.conf
    connection: prod
  - { kind: pgbackrest, stanza: reports.eu-1 }
`);
  assert.deepEqual(problems, []);
  assert.deepEqual(repositories, [
    { kind: 'pgbackrest', stanza: 'main', config: '/etc/pgbackrest/pgbackrest.conf', connection: 'prod', line: 5 },
    { kind: 'pgbackrest', stanza: 'reports.eu-1', line: 9 },
  ]);
});

test('a connection listed after the repositories is still known to them', () => {
  const text = `repositories:\n  - { kind: pgbackrest, stanza: main, connection: prod }\nconnections:\n  - name: prod\n    host: db\n`;
  const { config, problems } = parseWorkspaceConfig(text, FILE);
  assert.deepEqual(problems, []);
  assert.equal(config.repositories?.[0]?.connection, 'prod');
});

test('an unknown key, a missing stanza and an unknown connection are each placed on their line and column, and the entry does not load', () => {
  const { repositories, problems } = parse(`  - kind: pgbackrest
    stanza: main
    stnza: typo
  - kind: pgbackrest
    config: /etc/pgbackrest/pgbackrest.conf
  - kind: pgbackrest
    stanza: other
    connection: prd
`);
  assert.deepEqual(repositories, []);
  assert.deepEqual(problems, [
    '7:5 unknown key "stnza" in repository "main": did you mean "stanza"?',
    `8:5 repository #2 has no "stanza": add stanza: with the stanza name of pgBackRest's config, like stanza: main`,
    '12:17 repository "other" uses the connection "prd", which is not defined in connections: (did you mean "prod"? the connections are prod): add it or fix the name',
  ]);
});

test('kind must be pgbackrest and be written; a stanza pgBackRest would refuse and a non-text value are refused', () => {
  const { repositories, problems } = parse(`  - kind: barman
    stanza: main
  - stanza: two
  - kind: pgbackrest
    stanza: "a b"
  - kind: pgbackrest
    stanza: [x]
`);
  assert.deepEqual(repositories, []);
  assert.deepEqual(problems, [
    '5:11 "kind" in repository "main" is "barman": the only kind is pgbackrest',
    '7:5 repository "two" has no "kind": add kind: pgbackrest',
    '9:13 repository "a b" is not a name pgBackRest accepts for a stanza: use letters, digits, ".", "-" and "_"',
    '11:13 "stanza" in repository #4 must be a single text value, like stanza: main',
  ]);
});

test('a secret-looking key is refused with where secrets belong instead', () => {
  const { problems } = parse(`  - kind: pgbackrest
    stanza: main
    repo1-cipher-pass: hunter2
`);
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /^7:5 unknown key "repo1-cipher-pass" .*pgBackRest's own config file or PGBACKREST_\* variables/);
  assert.doesNotMatch(problems[0] ?? '', /hunter2/);
});

test('a stanza listed twice is refused at the second, and the first still loads', () => {
  const { repositories, problems } = parse(`  - { kind: pgbackrest, stanza: main }
  - { kind: pgbackrest, stanza: main, config: /etc/other.conf }
`);
  assert.deepEqual(repositories.map((r) => r.stanza), ['main']);
  assert.deepEqual(problems, ['6:33 repository stanza "main" is already used at line 5: list each stanza once']);
});

test('a broken repository never keeps a connection from loading, and a non-list or non-mapping is reported', () => {
  const broken = parse(`  - kind: pgbackrest\n  - just text\n`);
  assert.deepEqual(broken.profiles.map((p) => p.name), ['prod']);
  assert.ok(broken.raw.every((p) => p.repository !== undefined && p.profileName === undefined));
  assert.deepEqual(broken.problems.at(-1), '6:5 repository #2 must be a mapping like "- kind: pgbackrest" with a stanza');
  const scalar = parseWorkspaceConfig(`${HEAD}repositories: main\n`, FILE);
  assert.deepEqual(scalar.problems.map((p) => `${p.line}:${p.column} ${p.message}`), ['4:15 "repositories" must be a list: start each repository with "- kind: …"']);
});
