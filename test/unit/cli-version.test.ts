// `pgbr --version`: the product version, then the commit the bundle was built from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { version } from '../../package.json';
import { main } from '../../src/cli/pgbr';
import { BUILD_COMMIT, versionText } from '../../src/cli/version';

test('the version comes first, then the commit, dirty or unknown as the build found it', () => {
  assert.equal(versionText('0.1.0', '84083aa'), 'pgbr 0.1.0 (commit 84083aa)');
  assert.equal(versionText('1.2.3', '84083aa-dirty'), 'pgbr 1.2.3 (commit 84083aa-dirty)');
  // Run from source, nothing defined the commit.
  assert.equal(BUILD_COMMIT, 'unknown');
  assert.equal(versionText('0.1.0'), 'pgbr 0.1.0 (commit unknown)');
});

test('pgbr --version and -V print that line and exit 0', async () => {
  for (const flag of ['--version', '-V']) {
    let out = '';
    const io = { out: (s: string) => void (out += s), err: () => {}, env: {} };
    assert.equal(await main([flag], io), 0);
    assert.equal(out, `pgbr ${version} (commit unknown)\n`);
  }
});
