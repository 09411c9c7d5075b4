// Where a plan keeps its own state: hidden files beside the plan's backups, named for the plan.
import * as path from 'node:path';

/**
 * `<folder>/.pgbr-<plan>.<kind>`. Beside the backups rather than in a state folder: the history and
 * the lock go wherever the backups go (a copied or remounted folder keeps its journal), every run of
 * the plan finds them from the plan alone whichever user, TMPDIR or systemd PrivateTmp it runs with,
 * and the dot keeps them out of the dump and base-backup lists.
 */
export function planFile(folder: string, plan: string, kind: 'journal.jsonl' | 'lock'): string {
  // Plan names are validated with the config; this only guards the file name against a name that would leave the folder.
  if (plan === '' || /[/\\\0]/.test(plan) || plan === '.' || plan === '..') {
    throw new Error(`plan name ${JSON.stringify(plan)} cannot name a file: use letters, digits, "-" and "_"`);
  }
  return path.join(folder, `.pgbr-${plan}.${kind}`);
}
