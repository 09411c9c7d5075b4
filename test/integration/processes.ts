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

/** The children of `parent` whose command line mentions `needle`, as `pid command`. */
export function childrenWith(parent: number, needle: string): string[] {
  return processesWith(needle).filter((line) => {
    try {
      // /proc/PID/stat: `pid (comm) state ppid …`; comm may hold spaces and parentheses, so read after the last `)`.
      const stat = readFileSync(`/proc/${line.split(' ')[0]}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
    } catch {
      return false;
    }
  });
}

/** Whether process `pid` has ended (and been reaped, or is a zombie of a dead parent). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
