// `--conn` as pgbr reads it: a profile that did not load says why (file, line, key); a URI of another database is named as such.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/pgbr';

let root: string;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-conn-'));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A workspace with this pgbackup.yaml; no service file or PG* variable can add profiles. */
async function workspace(name: string, yaml: string): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'pgbackup.yaml'), yaml);
  return dir;
}

async function run(args: string[]) {
  let out = '';
  let err = '';
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: root, PGSERVICEFILE: path.join(root, 'none.conf'), PGSYSCONFDIR: root };
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), env });
  return { code, out, err };
}

test('a profile with an error in its entry: the error is named with file, line and key, not "no connection named"', async () => {
  const dir = await workspace('typo', 'connections:\n  - name: ok\n    host: localhost\n  - name: a\n    hots: db.example.com\n');
  const r = await run(['dump', '--conn', 'a', '--workspace', dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /pgbackup\.yaml:5:5: connection "a" cannot be used: unknown key "hots" in connection "a": did you mean "host"\?/);
  assert.doesNotMatch(r.err, /no connection named/);
  const json = await run(['dump', '--conn', 'a', '--workspace', dir, '--json']);
  assert.equal((JSON.parse(json.out) as { error: { kind: string } }).error.kind, 'config');
  // A name that is simply not there still says so.
  assert.match((await run(['dump', '--conn', 'b', '--workspace', dir])).err, /there is no connection named "b" \(known: ok\)/);
});

test('a YAML syntax error that keeps every profile out is the answer for any name', async () => {
  const dir = await workspace('syntax', 'connections:\n  - name: a\n    host: [localhost\n');
  const r = await run(['dump', '--conn', 'a', '--workspace', dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /pgbackup\.yaml:\d+:\d+: connection "a" cannot be used: YAML syntax error/);
});

test('--conn with a URI of another database names its scheme and never echoes the rest', async () => {
  const dir = await workspace('uri', 'connections:\n  - name: a\n    hots: x\n');
  const r = await run(['dump', '--conn', 'mysql://root:secret@db/app', '--workspace', dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--conn is a mysql:\/\/ URI, but pgbr connects to PostgreSQL only/);
  assert.doesNotMatch(r.err, /secret|no connection named/);
});
