// A server archiving through pgBackRest, read from archive_command, and the repositories: entry added for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRepositoryToYaml, backrestFromCommand } from '../../src/core/backrest/hint';

test('archive_command lines that push with pgBackRest name their stanza and config', () => {
  assert.deepEqual(backrestFromCommand('pgbackrest --stanza=main archive-push %p'), { stanza: 'main' });
  assert.deepEqual(backrestFromCommand('/usr/bin/pgbackrest --config=/etc/pgbackrest/pg1.conf --stanza main --log-level-console=off archive-push %p'), { stanza: 'main', config: '/etc/pgbackrest/pg1.conf' });
  assert.deepEqual(backrestFromCommand("pgbackrest --config '/srv/pg br/pgbackrest.conf' --stanza=db.2 archive-push %p"), { stanza: 'db.2', config: '/srv/pg br/pgbackrest.conf' });
});

test('anything else is no hint: other tools, archive-get, shell operators, a relative config, a stanza pgBackRest would refuse', () => {
  for (const command of [
    'cp %p /srv/archive/%f',
    'pgbackrest --stanza=main archive-get %f "%p"',
    'pgbackrest --stanza=main archive-push %p && touch /tmp/x',
    'pgbackrest --config=pgbackrest.conf --stanza=main archive-push %p',
    'pgbackrest --stanza=-x archive-push %p',
    'pgbackrest archive-push %p',
    'pgbackrest --stanza',
  ]) {
    assert.equal(backrestFromCommand(command), undefined, command);
  }
});

test('the entry goes under repositories:, keeping the rest of the file; a stanza already listed is left as it is', () => {
  const before = '# ours\nconnections:\n  - name: prod\n    host: db\n';
  const after = addRepositoryToYaml(before, { stanza: 'main', config: '/etc/pgbackrest/pgbackrest.conf', connection: 'prod' });
  assert.equal(after, `${before}repositories:\n  - kind: pgbackrest\n    stanza: main\n    config: /etc/pgbackrest/pgbackrest.conf\n    connection: prod\n`);
  assert.equal(addRepositoryToYaml(after, { stanza: 'main' }), after);
  assert.match(addRepositoryToYaml(after, { stanza: 'other' }), /stanza: main\n {4}config: \/etc\/pgbackrest\/pgbackrest\.conf\n {4}connection: prod\n {2}- kind: pgbackrest\n {4}stanza: other\n$/);
  assert.throws(() => addRepositoryToYaml('repositories: 3\n', { stanza: 'main' }), /"repositories" in pgbackup\.yaml is not a list/);
});
