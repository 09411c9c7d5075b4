// pgbackup.yaml in a folder the user has not trusted: connections and folders load, commands do not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadProfiles, withoutCommands } from '../../src/core/profiles';

const YAML = `connections:
  - name: prod
    host: db.example.com
dumpFolders: [dumps]
archives: [/srv/wal]
offsite: { target: s3://bucket/pg, command: "rclone sync .pg-backups remote:pg" }
`;

async function load(trusted: boolean | undefined) {
  const dir = await mkdtemp(path.join(tmpdir(), 'pgbr-trust-'));
  try {
    await writeFile(path.join(dir, 'pgbackup.yaml'), YAML);
    return await loadProfiles({ workspaceFolder: dir, env: {}, homedir: dir, trusted });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('an untrusted folder keeps its connections and folders but not the offsite command, and says why', async () => {
  const loaded = await load(false);
  assert.deepEqual(loaded.profiles.map((p) => p.name), ['prod']);
  assert.deepEqual(loaded.config?.dumpFolders, ['dumps']);
  assert.deepEqual(loaded.config?.archives, ['/srv/wal']);
  assert.deepEqual(loaded.config?.offsite, { target: 's3://bucket/pg' });
  const warning = loaded.problems.find((p) => p.key === 'offsite.command');
  assert.ok(warning, 'no problem names the left-out key');
  assert.equal(warning.severity, 'warning');
  assert.match(warning.message, /not trusted.*Manage Workspace Trust/);
});

test('a trusted folder (and the CLI, which does not say) keeps the offsite command', async () => {
  for (const trusted of [true, undefined]) {
    const loaded = await load(trusted);
    assert.deepEqual(loaded.config?.offsite, { target: 's3://bucket/pg', command: 'rclone sync .pg-backups remote:pg' });
    assert.ok(!loaded.problems.some((p) => p.key === 'offsite.command'));
  }
});

test('an offsite made only of a command is dropped whole in an untrusted folder', () => {
  const { config, problems } = withoutCommands({ connections: [], offsite: { command: 'touch /tmp/x' } }, '/w/pgbackup.yaml');
  assert.equal(config.offsite, undefined);
  assert.equal(problems.length, 1);
  assert.deepEqual(withoutCommands({ connections: [], offsite: 's3://b' }, '/w/pgbackup.yaml').problems, []);
});
