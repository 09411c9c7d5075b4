// The source tree keeps its shape: no file in src/ or webview/ over 400 lines, no runtime import cycle,
// and no feature importing another feature's tree nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepCoreImports, importCycles, longFiles, MAX_LINES, nodeImportsAcrossFeatures } from '../../scripts/layout';

test(`no file in src/ or webview/ is longer than ${MAX_LINES} lines`, () => {
  assert.deepEqual(longFiles(), []);
});

test('no runtime import cycle among the bundles\' modules', async () => {
  assert.deepEqual(await importCycles(), []);
});

test('no feature folder imports another feature\'s nodes module', () => {
  assert.deepEqual(nodeImportsAcrossFeatures(), []);
});

test('an import of another feature\'s nodes is found, type-only and across lines too; a feature\'s own nodes and shared modules are not', () => {
  const found = nodeImportsAcrossFeatures([
    { file: 'src/pitr/commands.ts', text: "import type {\n  BaseBackupRecordNode,\n} from '../archive/nodes';\nimport { PitrPanel } from './panel';" },
    { file: 'src/health/commands.ts', text: "import { ProfileNode } from '../connections/nodes.ts';\nimport { targetOf } from '../targets';" },
    { file: 'src/extension.ts', text: "export { DumpNode } from './dumps/nodes';" },
    { file: 'src/dumps/tree.ts', text: "import { DumpNode } from './nodes';\nimport { TreeNode } from '../treeNode';" },
    { file: 'src/connections/tree.ts', text: "import { ProfileNode } from '../connections/nodes';" },
  ]);
  assert.deepEqual(found, [
    'src/pitr/commands.ts → src/archive/nodes',
    'src/health/commands.ts → src/connections/nodes',
    'src/extension.ts → src/dumps/nodes',
  ]);
});

test('the editor and pgbr use a core folder through its index.ts', () => {
  assert.deepEqual(deepCoreImports(), []);
});

test('an import past a core folder\'s index.ts is found; the index itself and core-internal imports are not', () => {
  const found = deepCoreImports([
    { file: 'src/dumps/contents.ts', text: "import { readToc } from '../core/logical/toc';\nimport { runDump } from '../core/logical';" },
    { file: 'src/cli/commands.ts', text: "import type {\n  Plan,\n} from '../core/plans/config';\nimport { listDumps } from '../core/logical/index';" },
    { file: 'src/core/plans/run.ts', text: "import { runDump } from '../logical/dump';" },
  ]);
  assert.deepEqual(found, ['src/dumps/contents.ts → src/core/logical/toc', 'src/cli/commands.ts → src/core/plans/config']);
});
