// Entry of the extension-host suite that runs in a folder VS Code does not trust (Restricted Mode).
import { requireSuites, runMocha } from '../suite/index';

export function run(): Promise<void> {
  return runMocha((mocha) =>
    requireSuites(mocha, {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- evaluated once mocha's globals exist; esbuild bundles the literal path
      'untrusted.test.ts': () => void require('./untrusted.test'),
    }),
  );
}
