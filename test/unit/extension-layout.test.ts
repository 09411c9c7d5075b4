// The source tree keeps its shape: no file in src/ or webview/ over 400 lines, no runtime import cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importCycles, longFiles, MAX_LINES } from '../../scripts/layout';

test(`no file in src/ or webview/ is longer than ${MAX_LINES} lines`, () => {
  assert.deepEqual(longFiles(), []);
});

test('no runtime import cycle among the bundles\' modules', async () => {
  assert.deepEqual(await importCycles(), []);
});
