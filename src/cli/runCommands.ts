// `pgbr run PLAN` and `pgbr prune PLAN`: a plan's headless run, and its retention with a preview.
// What only a run or a real prune needs (the run's code, the pg driver, the tools, the lock) is loaded
// when it is run: a retention preview of 10,000 dumps is asked for within 200 ms, start-up included.
import { Option, type Command } from 'commander';
import { BACKREST_TYPES } from '../core/plans/backrestPlan';
import type { BackrestBackupType } from '../core/backrest';
import { formatBytes, PgbrError } from '../core/platform';
import { catalogIndexPlace } from '../core/logical/catalogIndex';
import { previewPrune, prune, type PrunePreview, type PruneResult } from '../core/retention';
import { binPathOption, jsonOption, verboseOption, workspaceOption } from './options';
import type { CliContext, Io } from './io';
import { Exit, makeOutput, table } from './output';
import { findPlanToRun } from './plans';

interface RunOptions {
  workspace: string;
  /** A pgbackrest plan's backup type for this run. */
  type?: BackrestBackupType;
  json?: boolean;
  binPath?: string;
  verbose?: boolean;
}

interface PruneOptions {
  workspace: string;
  json?: boolean;
  dryRun?: boolean;
}

export async function runCommand(name: string, opts: RunOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const [{ runPlan, RunExit }, { findServerBinDir }, { abortOnSignals }, { connectionFor, decryptionFor, inventoryFor, stderrLogger }] = await Promise.all([
    import('../core/plans'),
    import('../core/pitr'),
    import('../core/platform'),
    import('./shared'),
  ]);
  // Said at once: a run waiting on the server may take a moment to stop, and cron's mail should say why it did.
  const interrupt = abortOnSignals((signal) => io.err(`pgbr: ${signal} received: stopping the run of ${name}; what it was writing is removed and the run is journaled as cancelled\n`));
  try {
    const plan = await findPlanToRun(name, opts.workspace, io);
    if (opts.type && plan.backup !== 'pgbackrest') throw new PgbrError('usage', `--type is for pgbackrest plans, and plan ${plan.name} takes a ${plan.backup}: run it without --type.`);
    const result = await runPlan(plan, {
      ...(opts.type ? { type: opts.type } : {}),
      async connect() {
        const { name: profile, resolved } = await connectionFor(plan.connection, opts.workspace, io);
        return { profile, params: resolved.params, ...(resolved.password !== undefined ? { password: resolved.password } : {}) };
      },
      tools: () => inventoryFor(opts.binPath, io),
      serverBinDir: findServerBinDir,
      // An encrypted plan's verification opens the dump with $PGBR_AGE_IDENTITY_FILE (GPG: the keyring).
      decryption: () => decryptionFor(undefined, io),
      // pgbr runs on the folder its user points it at: that is the trust an editor asks for.
      trusted: true,
      // The retention step lists the folder through the catalogue index, as `pgbr prune` does.
      catalogIndex: catalogIndexPlace(io.env),
      signal: interrupt.signal,
      ...(opts.verbose ? { logger: stderrLogger(io, true) } : {}),
    });
    // For people, a run that did not succeed is said on stderr, where cron and systemd look for trouble.
    if (result.exitCode !== RunExit.Ok && !opts.json) {
      io.err(`pgbr: ${result.message}\n`);
      return result.exitCode;
    }
    out.result({ exitCode: result.exitCode, message: result.message, ...(result.record ? { record: result.record } : {}), ...(result.prune ? { prune: result.prune } : {}) }, () => result.message);
    return result.exitCode;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

function describePrune(doc: PrunePreview | PruneResult, dryRun: boolean): string {
  const rows = [
    ...doc.keep.map((k) => ['keep', k.time, k.path, k.reasons.join(', ')]),
    ...doc.remove.map((r) => [dryRun ? 'remove' : 'removed', r.time, r.path, '']),
  ];
  const lines = [rows.length ? table(rows) : `plan ${doc.plan} has no backups yet`];
  for (const s of doc.skipped) lines.push(`note: ${s}`);
  if (doc.wal) {
    const w = doc.wal;
    const from = (e: typeof w.before) => e.earliest ? `${e.earliest.time ?? e.earliest.lsn} (${e.earliest.backup})` : (e.note ?? 'none');
    lines.push(`WAL in ${w.archive}: ${dryRun ? 'would remove' : 'removed'} ${w.remove.length} files (${w.segments} segments, ${formatBytes(w.bytes)})${w.note ? `; ${w.note}` : ''}`);
    lines.push(`recoverable from ${from(w.before)} before, from ${from(w.after)} after`);
  }
  if ('errors' in doc) for (const e of doc.errors) lines.push(`error: ${e}`);
  return lines.join('\n');
}

export async function pruneCommand(name: string, opts: PruneOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const plan = await findPlanToRun(name, opts.workspace, io);
    // The dump folder's catalogue index spares reading every manifest again (not with PGBR_NO_CATALOG_INDEX).
    const reading = { catalogIndex: catalogIndexPlace(io.env) };
    if (opts.dryRun) {
      const preview = await previewPrune(plan, reading);
      out.result(preview, () => describePrune(preview, true));
      return Exit.Ok;
    }
    // A run of the plan prunes too: one at a time.
    const { acquirePlanLock, alreadyRunning } = await import('../core/plans');
    const attempt = await acquirePlanLock(plan);
    if (!attempt.acquired) {
      const busy = alreadyRunning(plan.name, attempt, { timeZone: plan.timezone });
      if (opts.json) out.result({ error: { kind: 'locked', message: busy.message } }, () => busy.message);
      else io.err(`pgbr: ${busy.message}\n`);
      return busy.exitCode;
    }
    try {
      const result = await prune(plan, reading);
      out.result(result, () => describePrune(result, false));
      return result.errors.length ? Exit.Problem : Exit.Ok;
    } finally {
      await attempt.lock.release();
    }
  } catch (e) {
    return out.fail(e);
  }
}

export function addRunCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('run')
    .description("run a plan from pgbackup.yaml once: back up, verify when due, apply retention, journal and notify; exit 0 when it succeeded, 1 when something failed, 2 for a configuration problem, 75 when the plan is already running")
    .argument('<plan>', 'the plan\'s name')
    .addOption(new Option('--type <type>', "a pgbackrest plan's backup type (default: its first schedule's)").choices(BACKREST_TYPES))
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (name: string, opts: RunOptions) => exit(await runCommand(name, opts, io)));

  program
    .command('prune')
    .description("apply a plan's retention (borg prune 1.2's rules): remove what it does not keep, archived WAL included; --dry-run only lists it")
    .argument('<plan>', 'the plan\'s name')
    .option('--dry-run', 'list what would be kept (and why) and removed; remove nothing')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (name: string, opts: PruneOptions) => exit(await pruneCommand(name, opts, io)));
}
