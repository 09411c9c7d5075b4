// The views benchmark's suite, in the extension host (bench/views.ts runs it through test/e2e/run.ts).
import { requireSuites, runMocha } from '../suite/index';

export function run(): Promise<void> {
  return runMocha((mocha) =>
    requireSuites(mocha, {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- evaluated once mocha's globals exist; esbuild bundles the literal path
      'views.bench.ts': () => void require('./views.bench'),
    }),
  );
}
