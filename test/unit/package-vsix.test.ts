// The .vsix as it ships (test/support/packageVsix.ts), its zip entries read back: the bundles, media and
// the three documents only, whatever a development build left behind in the copy it was made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageVsix, zipEntries } from '../support/packageVsix';

const root = path.resolve(__dirname, '../..');
/** 756 KB when the bound was set: bundles that grow past it, or files that sneak in, should be looked at. */
const MAX_VSIX_BYTES = 1024 * 1024;

test('the .vsix holds the bundles, media, README, CHANGELOG and LICENSE, and nothing else', { timeout: 120_000 }, async () => {
  const { vsix, cleanup } = await packageVsix();
  try {
    const bytes = fs.readFileSync(vsix);
    const files = zipEntries(bytes).filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
    for (const needed of [
      'package.json',
      'dist/extension.js',
      'dist/pgbr.js',
      // What the Health view and the PITR panel load (src/health/view.ts, src/pitr/panel.ts); the toolkit is inside them.
      'dist/webview/health.js',
      'dist/webview/health.css',
      'dist/webview/pitr.js',
      'dist/webview/pitr.css',
      'media/icon.png',
      'media/activity.svg',
      // vsce's own names for README.md, CHANGELOG.md and LICENSE.
      'readme.md',
      'changelog.md',
      'LICENSE.txt',
    ]) {
      assert.ok(files.includes(needed), `${needed} is missing from the .vsix: ${files.join(', ')}`);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { walkthroughs: { steps: { media: { markdown: string } }[] }[] } };
    for (const step of manifest.contributes.walkthroughs.flatMap((w) => w.steps)) {
      assert.ok(files.includes(step.media.markdown), `walkthrough media ${step.media.markdown} is missing from the .vsix`);
    }
    for (const file of files) {
      assert.doesNotMatch(file, /^(src|test|test-output|scripts|bench|webview|\.ci|node_modules|dist\/test)\//, `${file} does not belong in the .vsix`);
      assert.doesNotMatch(file, /\.(map|ts)$/, `${file} does not belong in the .vsix`);
      assert.match(file, /^(package\.json|readme\.md|changelog\.md|LICENSE\.txt|dist\/(extension|pgbr)\.js|dist\/webview\/[a-z]+\.(js|css)|media\/.+)$/, `${file} is not a bundle, media or a document`);
    }
    assert.ok(bytes.length < MAX_VSIX_BYTES, `the .vsix is ${bytes.length} bytes, over ${MAX_VSIX_BYTES}`);
  } finally {
    cleanup();
  }
});
