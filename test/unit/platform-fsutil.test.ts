// Destructive commands act only inside the dump folders: which paths are outside them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathsOutside } from '../../src/core/platform/fsutil';

test('only paths strictly below a dump folder pass; .., the folder itself and linked parents do not', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'pgbr-outside-'));
  try {
    const dumps = path.join(root, 'dumps');
    const other = path.join(root, 'other');
    await mkdir(path.join(dumps, 'nested'), { recursive: true });
    await mkdir(other);
    await writeFile(path.join(other, 'precious'), 'x');
    await symlink(other, path.join(dumps, 'link-to-other'));
    const inside = [path.join(dumps, 'a.dump'), path.join(dumps, 'nested', 'b.dump'), path.join(dumps, 'link-to-other')];
    const outside = [
      dumps,
      path.join(dumps, '..', 'other', 'precious'),
      path.join(dumps, 'link-to-other', 'precious'),
      path.join(other, 'precious'),
      path.join(root, 'dumps-sibling', 'c.dump'),
    ];
    assert.deepEqual(await pathsOutside([...inside, ...outside], [dumps]), outside);
    assert.deepEqual(await pathsOutside([path.join(other, 'precious')], [dumps, other]), []);
    assert.deepEqual(await pathsOutside([path.join(dumps, 'a.dump')], []), [path.join(dumps, 'a.dump')]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
