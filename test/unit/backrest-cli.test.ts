// pgbr backrest's stanza and config: --stanza and --config win, else the only repository of pgbackup.yaml, else a usage error that says what to pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backrestTarget, infoDocument } from '../../src/cli/backrestCommands';
import { parseBackrestInfo } from '../../src/core/backrest/info';
import type { Io } from '../../src/cli/io';

const io = (): Io => ({ out: () => {}, err: () => {}, env: {} });

function workspace(yaml: string | undefined, run: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgbr-backrest-cli-'));
  if (yaml !== undefined) writeFileSync(path.join(dir, 'pgbackup.yaml'), yaml);
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('the only repository gives the stanza and its config; --stanza and --config win', () =>
  workspace('repositories:\n  - { kind: pgbackrest, stanza: main, config: /etc/pgbackrest/main.conf }\n', async (dir) => {
    assert.deepEqual(await backrestTarget({ workspace: dir }, io()), { stanza: 'main', config: '/etc/pgbackrest/main.conf' });
    assert.deepEqual(await backrestTarget({ workspace: dir, stanza: 'main', config: '/srv/other.conf' }, io()), { stanza: 'main', config: '/srv/other.conf' });
    // A stanza not listed runs with pgBackRest's own default config.
    assert.deepEqual(await backrestTarget({ workspace: dir, stanza: 'reports' }, io()), { stanza: 'reports' });
  }));

test('without --stanza, none or several repositories is a usage error naming what to pass', async () => {
  await workspace(undefined, async (dir) => {
    await assert.rejects(backrestTarget({ workspace: dir }, io()), (e: Error & { kind?: string }) => e.kind === 'usage' && /pass --stanza NAME, or add "repositories:/.test(e.message));
  });
  await workspace('repositories:\n  - { kind: pgbackrest, stanza: a }\n  - { kind: pgbackrest, stanza: b }\n', async (dir) => {
    await assert.rejects(backrestTarget({ workspace: dir }, io()), /lists 2 repositories \(a, b\): pass --stanza with one of them/);
    assert.deepEqual(await backrestTarget({ workspace: dir, stanza: 'b' }, io()), { stanza: 'b' });
  });
});

test('--json writes the system id as its exact decimal digits', () => {
  const text = '[{"name":"m","cipher":"none","status":{"code":0,"message":"ok"},"db":[{"id":1,"repo-key":1,"system-id":7714578713163506627,"version":"15"}]}]';
  const doc = JSON.parse(JSON.stringify(infoDocument(parseBackrestInfo(text)[0]!))) as { db: { systemId: string }[] };
  assert.equal(doc.db[0]?.systemId, '7714578713163506627');
});
