// The .vsix as it ships: `npm run package` on a copy of the checkout, then its zip entries read back.
// It holds the bundles, media and the three documents only, whatever a development build left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');
/** 752 KB when the bound was set: bundles that grow past it, or files that sneak in, should be looked at. */
const MAX_VSIX_BYTES = 1024 * 1024;
/** Not copied: installed packages (linked instead), build output and what runs leave behind. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'out', 'test-output', '.vscode-test', '.pg-backups']);

/** The names in a zip's central directory. */
function zipEntries(zip: Buffer): string[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'no end of central directory: not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `central directory entry ${i} is damaged`);
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

/** A copy of the checkout with a development build's leftovers in it, packaged by `npm run package`. */
async function packageCopy(): Promise<{ vsix: string; cleanup: () => void }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgbr-vsix-'));
  const copy = path.join(work, 'pg-backup');
  fs.cpSync(root, copy, { recursive: true, filter: (src) => !NOT_COPIED.has(path.basename(src)) && !src.endsWith('.vsix') });
  fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(copy, 'node_modules'), 'dir');
  for (const [file, text] of [
    ['dist/extension.js.map', '{}'],
    ['dist/pgbr.js.map', '{}'],
    ['dist/test/e2e/index.js', ''],
    ['test-output/screenshots/dump-expanded.png', ''],
  ] as const) {
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.writeFileSync(path.join(copy, file), text);
  }
  const vsix = path.join(work, 'pg-backup.vsix');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, ['run', '--silent', 'package', '--', '--out', vsix], { cwd: copy, maxBuffer: 16 * 1024 * 1024 });
  return { vsix, cleanup: () => fs.rmSync(work, { recursive: true, force: true }) };
}

test('the .vsix holds the bundles, media, README, CHANGELOG and LICENSE, and nothing else', { timeout: 120_000 }, async () => {
  const { vsix, cleanup } = await packageCopy();
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
