// `pgbr pitr --backrest STANZA`: the same targets as pgbr pitr, restored by pgbackrest restore into a data directory, or rehearsed on a scratch server.
import * as path from 'node:path';
import { PgbrError, abortOnSignals } from '../core/platform';
import { type BackrestRecovery, type BackrestRestoreRequest, planBackrestRestore, runBackrestDrill, runBackrestRestore } from '../core/backrest';
import { findServerBinDir, resolveTarget } from '../core/pitr';
import { backrestTarget } from './backrestCommands';
import { Exit, makeOutput } from './output';
import type { Io } from './io';
import { renderDrill, secs, targetFromOptions, type PitrOptions } from './pitrShared';
import { inventoryFor, stderrLogger } from './shared';

export interface PitrBackrestOptions extends PitrOptions {
  backrest: string;
  config?: string;
  set?: string;
  dbInclude?: string[];
  delta?: boolean;
  workspace: string;
}

export async function pitrBackrestCommand(o: PitrBackrestOptions, io: Io): Promise<number> {
  const out = makeOutput(!!o.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    if (!!o.dataDir === !!o.drill) throw new PgbrError('usage', 'give either --data-dir DIR (restore there with pgbackrest restore) or --drill (rehearse it on a scratch server).');
    if (o.restoreCommand !== undefined || o.keepArchiving !== undefined) {
      throw new PgbrError('usage', "with --backrest, WAL comes from pgBackRest's own archive-get and archiving is off: leave out --restore-command and --keep-archiving.");
    }
    const target = targetFromOptions(o);
    resolveTarget(target);
    const recovery: BackrestRecovery = { target, inclusive: !o.exclusive, timeline: o.timeline ?? 'latest', action: o.action ?? 'pause' };
    const repo = await backrestTarget({ stanza: o.backrest, ...(o.config ? { config: o.config } : {}), workspace: o.workspace }, io);
    const logger = stderrLogger(io, o.verbose);
    const call = { signal: interrupt.signal, logger };

    if (o.dataDir) {
      const req: BackrestRestoreRequest = { recovery, dataDir: path.resolve(o.dataDir), ...(o.set ? { set: o.set } : {}), ...(o.delta ? { delta: true } : {}), ...(o.dbInclude?.length ? { dbInclude: o.dbInclude } : {}) };
      const plan = await planBackrestRestore(repo, req, call);
      if (!plan.check.ok && !o.force) {
        out.result({ check: plan.check, restore: plan, written: false }, () => `Target check: outside the recoverable window: ${plan.check.message}\nNothing was done: fix the target, or pass --force to go ahead anyway.`);
        return Exit.Problem;
      }
      if (!o.json) {
        io.err(`Target check: ${plan.check.ok ? 'OK' : 'outside the recoverable window'}${plan.check.estimate ? ' (estimate)' : ''}: ${plan.check.message}\n`);
        io.err(`Restoring backup ${plan.backup.label} of stanza ${plan.stanza} (${plan.chosenBy === 'set' ? 'as named' : plan.chosenBy === 'target' ? 'the newest that stopped before the target' : 'the newest'}) into ${plan.dataDir}\n`);
        for (const w of plan.warnings) io.err(`warning: ${w}\n`);
      }
      const result = await runBackrestRestore(repo, plan, call);
      out.result({ check: plan.check, restore: plan, settings: result.settings, written: true, durationMs: result.durationMs }, () =>
        [`Restored in ${secs(result.durationMs)} with:`, ...result.settings.map((s) => `  ${s}`), `Start the server on ${plan.dataDir} to recover; watch its log for "recovery stopping".`].join('\n'),
      );
      return Exit.Ok;
    }

    let restorePlan: Awaited<ReturnType<typeof planBackrestRestore>> | undefined;
    const binDir = o.binDir ?? (await findServerBinDir(await inventoryFor(o.binPath, io)));
    const report = await runBackrestDrill({
      target: repo,
      recovery,
      ...(o.set ? { set: o.set } : {}),
      ...(o.dbInclude?.length ? { dbInclude: o.dbInclude } : {}),
      binDir,
      signal: interrupt.signal,
      logger,
      onPlan: (p) => {
        restorePlan = p;
        if (!o.json) io.err(`pgbr: target check: ${p.check.ok ? 'OK' : 'outside the recoverable window'}${p.check.estimate ? ' (estimate)' : ''}: ${p.check.message}\npgbr: restoring backup ${p.backup.label}\n`);
        if (!p.check.ok && !o.force) throw new PgbrError('usage', `${p.check.message} Nothing was restored: fix the target, or pass --force to go ahead anyway.`);
      },
      onProgress: o.json ? undefined : (p) => io.err(`pgbr: ${p.phase}: ${p.message}\n`),
    });
    out.result({ check: restorePlan?.check, restore: restorePlan, drill: report }, () => renderDrill(report));
    return report.status === 'reached' ? Exit.Ok : Exit.Problem;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}
