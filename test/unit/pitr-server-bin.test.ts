// Where a drill's scratch server comes from: the install beside the client tools that has `postgres`, and what to do when none has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findServerBinDir } from '../../src/core/pitr/scratchServer';
import { PgbrError } from '../../src/core/platform/errors';
import type { ToolInventory } from '../../src/core/platform/tools';

const install = (major: number, binDir: string) => ({ major, binDir, via: 'test', tools: {} });

test('the server binaries: the newest install of the major that has postgres; a named folder without them says to change the setting', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pgbr-serverbin-'));
  try {
    const full = join(root, 'full');
    const clientOnly = join(root, 'client');
    await mkdir(full);
    await mkdir(clientOnly);
    await writeFile(join(full, 'postgres'), '#!/bin/sh\n');
    await chmod(join(full, 'postgres'), 0o755);
    const searched: ToolInventory = { installs: [install(15, clientOnly), install(15, full)], problems: [] };
    assert.equal(await findServerBinDir(searched, 15), full);

    const named: ToolInventory = { installs: [install(16, clientOnly)], problems: [], namedDirs: [clientOnly] };
    await assert.rejects(
      findServerBinDir(named, 16),
      (e: unknown) =>
        e instanceof PgbrError &&
        e.kind === 'tool-missing' &&
        e.message === `no PostgreSQL 16 server binaries (postgres) are beside the client tools in ${clientOnly} (pgBackup.binPath): point the setting at the bin folder of a full install, with postgres and pg_ctl, or clear it to search PATH and the standard locations.`,
    );
    await assert.rejects(findServerBinDir({ installs: [install(16, clientOnly)], problems: [] }, 16), /no PostgreSQL 16 server binaries \(postgres\) were found beside the client tools: install the server package \(postgresql-16\) or pass its bin folder\./);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
