// coreutils' stdbuf, which sets a program's stdio buffering before it starts (see RunSpec.stdoutBufferBytes).
import { accessSync, constants as fsConstants } from 'node:fs';

let stdbufPath: string | null | undefined;

/**
 * coreutils' stdbuf on Linux, when it is there and `file` is an executable (a missing tool must fail as
 * itself, not as stdbuf's exit 127); undefined elsewhere, and the tool runs with its own buffering.
 */
export function stdbufFor(file: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (stdbufPath === undefined) stdbufPath = ['/usr/bin/stdbuf', '/bin/stdbuf'].find(isExecutableFile) ?? null;
  return stdbufPath !== null && isExecutableFile(file) ? stdbufPath : undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
