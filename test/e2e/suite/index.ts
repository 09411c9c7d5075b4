// Entry of the extension-host test suite: code-server's workbench and @vscode/test-electron both call run().
import * as fs from 'node:fs';
import Mocha from 'mocha';

/**
 * Lines the e2e runner looks for in the workbench's log (console output reaches it that way): it echoes
 * what lies between them, and reads the counts from the second.
 */
const START_LINE = 'E2E-START';
const RESULT_PREFIX = 'E2E-RESULT';

export function run(): Promise<void> {
  return runMocha(loadSuites);
}

/** Runs the suites `load` requires in mocha, reporting counts between the runner's marker lines. */
export function runMocha(load: (mocha: Mocha) => void): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', reporter: 'spec', timeout: 60_000, color: false });
  return new Promise<void>((resolve, reject) => {
    try {
      console.log(START_LINE);
      load(mocha);
      const runner = mocha.run((failures) => {
        const { passes = 0 } = runner.stats ?? {};
        report(passes, failures);
        if (failures > 0) reject(new Error(`${failures} e2e test(s) failed`));
        else resolve();
      });
    } catch (err) {
      console.error(err instanceof Error ? err.stack : err);
      report(0, 1);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/**
 * The suites are part of this bundle, so mocha cannot require them by file name. They are required
 * here, after mocha's tdd globals (`suite`, `test`, ...) exist: a top-level import would run first.
 */
function loadSuites(mocha: Mocha): void {
  const suites: Record<string, () => void> = {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- evaluated once mocha's globals exist; esbuild bundles the literal path
    'connections.test.ts': () => void require('./connections.test'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    'profiles.test.ts': () => void require('./profiles.test'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    'dumps.test.ts': () => void require('./dumps.test'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    'encrypted.test.ts': () => void require('./encrypted.test'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    'health.test.ts': () => void require('./health.test'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    'basebackup.test.ts': () => void require('./basebackup.test'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    'plans.test.ts': () => void require('./plans.test'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    'backrest.test.ts': () => void require('./backrest.test'),
  };
  requireSuites(mocha, suites);
}

export function requireSuites(mocha: Mocha, suites: Record<string, () => void>): void {
  for (const [file, load] of Object.entries(suites)) {
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, file, mocha);
    load();
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_POST_REQUIRE, globalThis, file, mocha);
  }
}

function report(passed: number, failed: number): void {
  const counts = JSON.stringify({ passed, failed });
  console.log(`${RESULT_PREFIX} ${counts}`);
  // A host whose console the runner cannot read (the desktop VS Code) gets the counts through a file.
  const file = process.env.PGBR_E2E_RESULT_FILE;
  if (file) fs.writeFileSync(file, counts);
}
