import assert from 'node:assert/strict';
import test from 'node:test';
import { scratchScript } from '../../src/core/logical';

const SCRIPT = `--
-- PostgreSQL database cluster dump
--

SET default_transaction_read_only = off;

CREATE ROLE "Audit ""ro""";
ALTER ROLE "Audit ""ro""" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
-- CREATE ROLE in a comment is not a role;

CREATE TABLESPACE ts_one OWNER postgres LOCATION '/srv/pg/ts one';
CREATE TABLESPACE "it's" OWNER postgres LOCATION '/srv/pg/it''s';

--
-- PostgreSQL database cluster dump complete
--
`;

test('the scratch script: roles counted, each tablespace moved into a scratch folder, nothing else changed', () => {
  const s = scratchScript(SCRIPT, (n) => `/scratch/ts/${n}'x`);
  assert.equal(s.roles, 2);
  assert.equal(s.tablespaces, 2);
  assert.match(s.text, /^CREATE TABLESPACE ts_one OWNER postgres LOCATION '\/scratch\/ts\/1''x';$/m);
  assert.match(s.text, /^CREATE TABLESPACE "it's" OWNER postgres LOCATION '\/scratch\/ts\/2''x';$/m);
  assert.doesNotMatch(s.text, /\/srv\/pg/);
  // Every other line is as pg_dumpall wrote it.
  const untouched = (t: string) => t.split('\n').filter((l) => !l.startsWith('CREATE TABLESPACE'));
  assert.deepEqual(untouched(s.text), untouched(SCRIPT));
});
