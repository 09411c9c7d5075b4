// The logging seam of the core: the extension passes its LogOutputChannel, the CLI a stderr logger.
// Nothing logged here may contain a password; callers log argv and durations, never environments.

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Keeps every line in `lines`: for tests that check what was (and was not) logged. */
export function memoryLogger(lines: string[]): Logger {
  const keep = (m: string | Error): void => void lines.push(m instanceof Error ? m.message : m);
  return { trace: keep, debug: keep, info: keep, warn: keep, error: keep };
}
