// What a failed tool run says, in one line and as the error a user sees: its own error line, not the verbose chatter after it.
import { PgbrError } from './errors';
import type { RunResult } from './runner';

/**
 * The line of a tool's stderr that says what went wrong, without the `pg_dump: error:` prefix, and
 * the server's own words when a detail line carries them.
 */
export function failureLine(result: Extract<RunResult, { status: 'failed' }>): string {
  return errorLineOf(result.stderrTail) ?? result.message;
}

/** The last error line among a tool's output lines (see `failureLine`), or undefined when none says "error". */
export function errorLineOf(output: readonly string[]): string | undefined {
  const lines = output.map((l) => l.trim()).filter((l) => l !== '');
  let index = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/\b(?:error|fatal|FATAL|ERROR|PANIC):/.test(lines[i] as string) && !/\bdetail:/.test(lines[i] as string)) {
      index = i;
      break;
    }
  }
  if (index < 0) return undefined;
  const message = (lines[index] as string).replace(/^.*?\bpg_\w+(?:\[[^\]]*\])?:\s*(?:error:\s*)?/, '');
  const fromServer = lines
    .slice(index + 1)
    .map((l) => /\bdetail:\s*Error message from server:\s*(.*)$/.exec(l)?.[1])
    .find((m) => m !== undefined && m !== '');
  return fromServer ? `${message.replace(/\.$/, '')}: ${fromServer.replace(/\s+/g, ' ')}` : message;
}

export function toolFailure(tool: string, result: Extract<RunResult, { status: 'failed' }>): PgbrError {
  return new PgbrError('tool-failed', `${tool} failed: ${failureLine(result)}`);
}
