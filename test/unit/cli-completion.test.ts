// `pgbr completion bash|zsh`: scripts made from the parser, listing every command and its options, that the shells accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GROUPS, main } from '../../src/cli/pgbr';

async function script(shell: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['completion', shell], { out: (s) => void (out += s), err: (s) => void (err += s), env: {} });
  return { code, out, err };
}

const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;

/** The words the bash script offers after `words` (each a completed word), through bash itself. */
function complete(bash: string, words: string[]): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgbr-completion-'));
  try {
    const file = path.join(dir, 'pgbr.bash');
    writeFileSync(file, bash);
    const line = ['pgbr', ...words].map((w) => `'${w}'`).join(' ');
    const r = spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${line}); COMP_CWORD=${words.length}; _pgbr; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the bash script lists every top-level command, and bash -n accepts it', async () => {
  const { code, out } = await script('bash');
  assert.equal(code, 0);
  const top = /^ {4}"pgbr"\) words="([^"]*)"/m.exec(out)?.[1]?.split(' ') ?? [];
  for (const name of GROUPS.flatMap((g) => g.commands)) assert.ok(top.includes(name), `${name} is offered after pgbr`);
  assert.ok(top.includes('--version'));
  assert.match(out, /^complete -o default -F _pgbr pgbr$/m);
  const check = spawnSync('bash', ['-n'], { input: out, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});

test('bash completes subcommands, options and argument values where they belong, and leaves values of options to files', async () => {
  const { out } = await script('bash');
  assert.deepEqual(complete(out, ['back']), ['backrest']);
  assert.deepEqual(complete(out, ['backrest', 'ex']), ['expire']);
  assert.ok(complete(out, ['dump', '--']).includes('--conn'));
  assert.ok(complete(out, ['dump', '--']).includes('--exclude-table-data'));
  assert.ok(!complete(out, ['tools', '--']).includes('--conn'), 'tools takes no --conn');
  assert.ok(complete(out, ['schedule', 'nightly', '--']).includes('--systemd'));
  assert.deepEqual(complete(out, ['completion', '']), ['bash', 'zsh', '--help']);
  assert.deepEqual(complete(out, ['dump', '--workspace', '']), [], 'a folder follows --workspace: bash falls back to file names');
});

test('the zsh script has the same commands and options; zsh -n accepts it where zsh is installed', async (t) => {
  const { code, out } = await script('zsh');
  assert.equal(code, 0);
  assert.match(out, /^#compdef pgbr$/m);
  const top = /^ {4}\("pgbr"\) choices=\(([^)]*)\)/m.exec(out)?.[1]?.split(' ') ?? [];
  for (const name of GROUPS.flatMap((g) => g.commands)) assert.ok(top.includes(name), `${name} is offered after pgbr`);
  assert.match(out, /\("pgbr dump"\) choices=\([^)]*--conn[^)]*\)/);
  if (!hasZsh) {
    t.skip('zsh is not installed: its syntax check did not run');
    return;
  }
  const check = spawnSync('zsh', ['-n'], { input: out, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});

test('a shell pgbr does not complete for is a usage error', async () => {
  const { code, err } = await script('fish');
  assert.equal(code, 2);
  assert.match(err, /Allowed choices are bash, zsh/);
});
