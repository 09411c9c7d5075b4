// The name a dump is written under: a chosen name keeps its extension, and an encrypted dump always ends in its scheme's suffix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { reserveOutput } from '../../src/core/logical/dumpOutput';
import type { DumpOptions } from '../../src/core/logical/dump';
import { silentLogger } from '../../src/core/platform/log';

async function finalName(fileName: string | undefined, extension: string): Promise<string> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-outname-'));
  try {
    const opts = { database: 'shop', profile: 'e2e', output: { folder, ...(fileName !== undefined ? { fileName } : {}) } } as unknown as DumpOptions;
    const work = await reserveOutput(opts, 'custom', extension, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), silentLogger);
    await work.discard();
    return path.basename(work.final);
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

test('a chosen name: kept as written, given the format extension when it has none, and never hiding an encryption', async () => {
  assert.equal(await finalName('nightly.dump', '.dump'), 'nightly.dump');
  assert.equal(await finalName('nightly', '.dump'), 'nightly.dump');
  assert.equal(await finalName('nightly', '.dump.age'), 'nightly.dump.age');
  // Written to x.dump, age's bytes would be listed as a plain custom dump that cannot be read.
  assert.equal(await finalName('nightly.dump', '.dump.age'), 'nightly.dump.age');
  assert.equal(await finalName('nightly.dump', '.dump.gpg'), 'nightly.dump.gpg');
  assert.equal(await finalName('nightly.dump.age', '.dump.age'), 'nightly.dump.age');
});
