// A roles script fitted to a cluster that has some of its roles and tablespaces already.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitToCluster } from '../../src/core/logical/globalsScript';

const SCRIPT = [
  'CREATE ROLE postgres;',
  "ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:x';",
  'CREATE ROLE "Odd ""Name""";',
  'ALTER ROLE "Odd ""Name""" WITH NOSUPERUSER LOGIN CONNECTION LIMIT 3;',
  'CREATE ROLE app;',
  "CREATE ROLE app2; SELECT 'not one statement';",
  "CREATE TABLESPACE fast OWNER postgres LOCATION '/srv/fast';",
  "CREATE TABLESPACE \"Slow\" OWNER app LOCATION '/srv/slow';",
  'GRANT reporting TO app GRANTED BY postgres;',
].join('\n');

test('the CREATE lines of what the cluster has become comments; everything else, ALTER ROLE included, stays as written', () => {
  const fitted = fitToCluster(SCRIPT, { roles: new Set(['postgres', 'Odd "Name"', 'app2']), tablespaces: new Set(['fast']) });
  assert.deepEqual(fitted.skipped, { roles: ['postgres', 'Odd "Name"'], tablespaces: ['fast'] });
  const lines = fitted.text.split('\n');
  assert.equal(lines[0], '-- CREATE ROLE postgres; (the role exists: left out)');
  assert.match(lines[1] ?? '', /^ALTER ROLE postgres WITH SUPERUSER/);
  assert.equal(lines[2], '-- CREATE ROLE "Odd ""Name"""; (the role exists: left out)');
  assert.equal(lines[4], 'CREATE ROLE app;', 'a role the cluster lacks is created');
  assert.equal(lines[5], "CREATE ROLE app2; SELECT 'not one statement';", 'a line that is not one CREATE ROLE alone is never touched');
  assert.match(lines[6] ?? '', /^-- CREATE TABLESPACE fast /);
  assert.match(lines[7] ?? '', /^CREATE TABLESPACE "Slow" /, 'quoted names keep their case: "Slow" is not slow');
  assert.equal(lines[8], 'GRANT reporting TO app GRANTED BY postgres;');
});

test('an unquoted name is folded to lower case as the server folds it; a cluster with none of them changes nothing', () => {
  assert.deepEqual(fitToCluster('CREATE ROLE Admin;', { roles: new Set(['admin']), tablespaces: new Set() }).skipped.roles, ['admin']);
  const none = fitToCluster(SCRIPT, { roles: new Set(), tablespaces: new Set() });
  assert.equal(none.text, SCRIPT);
});
