// The process the retention benchmark times: a plan's preview from the files on disk to JSON on stdout, through the function `pgbr prune --dry-run --json` calls.
//
//   node retention-preview.js dumps DIR PLAN ZONE KEEP_JSON
//   node retention-preview.js wal ARCHIVE BACKUPS_JSON_FILE
import { readFileSync } from 'node:fs';
import { previewPrune } from '../src/core/retention/prune';
import type { KeepRules } from '../src/core/retention/rules';
import { planWalCleanup, type WalBaseBackup } from '../src/core/retention/wal';
import { readArchiveInventory } from '../src/core/wal/scan';

async function main(): Promise<void> {
  const [mode, where, ...rest] = process.argv.slice(2);
  if (mode === 'dumps' && where) {
    const [plan = 'nightly', zone = 'UTC', keep = '{}'] = rest;
    const preview = await previewPrune({ name: plan, backup: 'dump', folder: where, timezone: zone, keep: JSON.parse(keep) as KeepRules });
    process.stdout.write(JSON.stringify(preview) + '\n');
  } else if (mode === 'wal' && where && rest[0]) {
    const backups = (JSON.parse(readFileSync(rest[0], 'utf8')) as WalBaseBackup[]).map((b) => ({ ...b, known: { ...b.known, ...(b.known.stopTime ? { stopTime: new Date(b.known.stopTime) } : {}) } }));
    const { inventory } = await readArchiveInventory(where);
    const plan = planWalCleanup(inventory, backups);
    process.stdout.write(JSON.stringify({ remove: plan.remove, cutoff: plan.cutoff, before: plan.before.earliest, after: plan.after.earliest }) + '\n');
  } else {
    throw new Error('usage: retention-preview dumps DIR [PLAN ZONE KEEP_JSON] | wal ARCHIVE BACKUPS_JSON_FILE');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
