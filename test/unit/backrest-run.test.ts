// pgbackrest's argv: only the config, the stanza and the command's options, never a secret; the repository path read from its config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backrestArgs, backrestFailure } from '../../src/core/backrest/run';
import { configValue } from '../../src/core/backrest/confFile';

test('config and stanza come before the command, and the command\'s options before it too', () => {
  assert.deepEqual(backrestArgs({ stanza: 'main' }, 'info', ['--output=json']), ['--stanza=main', '--output=json', 'info']);
  assert.deepEqual(backrestArgs({ stanza: 'main', config: '/etc/pg br/pgbackrest.conf' }, 'backup', ['--type=diff']), ['--config=/etc/pg br/pgbackrest.conf', '--stanza=main', '--type=diff', 'backup']);
});

test('a secret option is refused before anything runs, and the message does not echo its value', () => {
  for (const option of ['--repo1-cipher-pass=hunter2', '--repo2-s3-key-secret=hunter2', '--repo1-s3-key=hunter2', '--pg1-password=hunter2']) {
    assert.throws(() => backrestArgs({ stanza: 'main' }, 'backup', [option]), (e: unknown) => e instanceof Error && /is a secret .* PGBACKREST_\*/.test(e.message) && !e.message.includes('hunter2'));
  }
  assert.doesNotThrow(() => backrestArgs({ stanza: 'main' }, 'backup', ['--repo1-cipher-type=aes-256-cbc']));
});

test('repo1-path: the stanza\'s own section wins over [global], comments and other stanzas ignored', () => {
  const conf = '[global]\n# repo1-path=/old\nrepo1-path=/var/lib/pgbackrest\n\n[main]\npg1-path=/srv/pg\n[other]\nrepo1-path = /srv/other\n';
  assert.equal(configValue(conf, 'main', 'repo1-path'), '/var/lib/pgbackrest');
  assert.equal(configValue(conf, 'other', 'repo1-path'), '/srv/other');
  assert.equal(configValue('[main]\npg1-path=/x\n', 'main', 'repo1-path'), undefined);
  assert.equal(configValue('[global]\nrepo1-type=s3\n', 'main', 'repo1-type'), 's3');
  assert.equal(configValue('[global]\nrepo1-path-x=/no\n', 'main', 'repo1-path'), undefined, 'a longer key is another key');
});

test('a failure quotes pgBackRest\'s ERROR line with its HINT and says what to do', () => {
  const failed = (stderrTail: string[]) => ({ status: 'failed' as const, exitCode: 37, stdout: '', stderrTail, durationMs: 5, message: 'x' });
  const e = backrestFailure('check', failed(['ERROR: [037]: check command requires option: pg1-path', '       HINT: does this stanza exist?']), { stanza: 'nosuch', config: '/etc/x.conf' });
  assert.equal(e.kind, 'tool-failed');
  assert.equal(e.message, 'pgbackrest check failed (exit 37): ERROR: [037]: check command requires option: pg1-path (does this stanza exist?); check that stanza "nosuch" has a section in /etc/x.conf, or create it with pgbackrest stanza-create.');
  assert.match(backrestFailure('backup', failed(['ERROR: [050]: unable to acquire lock on file']), { stanza: 'm' }).message, /holds the stanza's lock/);
  assert.equal(backrestFailure('backup', { status: 'cancelled', stdout: '', stderrTail: [], durationMs: 1 }, { stanza: 'm' }).kind, 'cancelled');
});
