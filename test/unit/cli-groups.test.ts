// pgbr loads a feature's commands only when one of them runs: the table that says which group owns a command must match what each group adds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { GROUPS, main } from '../../src/cli/pgbr';

test('each group adds exactly the top-level commands the table names for it, and no two groups share one', async () => {
  const seen = new Set<string>();
  for (const group of GROUPS) {
    const program = new Command('pgbr');
    (await group.load())(program, { io: { out: () => {}, err: () => {}, env: {} }, exit: () => {} });
    const added = program.commands.map((c) => c.name()).sort();
    assert.deepEqual(added, [...group.commands].sort());
    for (const name of added) {
      assert.ok(!seen.has(name), `${name} is in two groups`);
      seen.add(name);
    }
  }
});

test('help lists the commands of every group; an unknown command still gets a suggestion', async () => {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), env: {} };
  assert.equal(await main(['--help'], io), 0);
  for (const group of GROUPS) for (const name of group.commands) assert.match(out, new RegExp(`^  ${name}\\b`, 'm'));
  assert.equal(await main(['dumps'], io), 2);
  assert.match(err, /Did you mean dump\?/);
});
