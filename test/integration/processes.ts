// What is running, read from /proc: for tests that check nothing outlived a run.
import { readdirSync, readFileSync } from 'node:fs';

/** Processes whose command line mentions `needle`, as `pid command` (this process left out). */
export function processesWith(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(needle) && Number(pid) !== process.pid) found.push(`${pid} ${cmd}`);
    } catch {
      // Ended meanwhile.
    }
  }
  return found;
}
