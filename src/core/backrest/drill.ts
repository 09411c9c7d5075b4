// The recovery drill through pgBackRest: `pgbackrest restore` into the drill's scratch folder (tablespaces too, archiving off), then the same scratch server and report as a base backup's drill.
import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import { type DrillOptions, type DrillReport, type DrillSource, runDrill } from '../pitr/drill';
import type { BackrestRecovery, BackrestRestorePlan, BackrestRestoreRequest } from './restore';
import { planBackrestRestore, restoreOwner, runBackrestRestore } from './restore';
import type { BackrestStanzaInfo } from './info';
import type { BackrestTarget } from './run';

export interface BackrestDrillOptions extends Omit<DrillOptions, 'baseBackupDir' | 'format' | 'source' | 'plan'> {
  target: BackrestTarget;
  recovery: BackrestRecovery;
  set?: string;
  dbInclude?: string[];
  /** Already read, to save a second `info`. */
  info?: BackrestStanzaInfo;
  /** Called with the restore's plan (set, check, options) once it is known. */
  onPlan?: (plan: BackrestRestorePlan) => void;
}

/** What `backrestSource` needs: the stanza and which backup; the recovery is the drill's plan. */
export type BackrestSourceOptions = Pick<BackrestDrillOptions, 'target' | 'set' | 'dbInclude' | 'info' | 'onPlan'>;

/**
 * A drill source that runs `pgbackrest restore` into the scratch folder's data directory, with the recovery
 * of the plan the drill hands it (its action as the drill runs it), so any drill's caller can give the target.
 */
export function backrestSource(o: BackrestSourceOptions): DrillSource {
  return {
    label: `stanza ${o.target.stanza}${o.set ? ` (backup ${o.set})` : ''} with pgbackrest restore`,
    // pgBackRest writes the files as the repository's owner: the scratch server runs as that user.
    owner: async () => {
      const owner = await restoreOwner(o.target);
      if (!owner) throw new Error('unreachable: an owner is only asked for as root');
      return owner;
    },
    restore: async ({ root, dataDir, plan: drillPlan, signal, logger }) => {
      const { target, inclusive, timeline, action } = drillPlan;
      const recovery: BackrestRecovery = { target, ...(inclusive !== undefined ? { inclusive } : {}), ...(timeline !== undefined ? { timeline } : {}), ...(action ? { action } : {}) };
      const req: BackrestRestoreRequest = {
        recovery,
        dataDir,
        archiveMode: 'off',
        tablespaceMapAll: path.join(root, 'tablespaces'),
        ...(o.set ? { set: o.set } : {}),
        ...(o.dbInclude?.length ? { dbInclude: o.dbInclude } : {}),
      };
      const call = { ...(signal ? { signal } : {}), ...(logger ? { logger } : {}) };
      const plan = await planBackrestRestore(o.target, req, { ...call, ...(o.info ? { info: o.info } : {}) });
      o.onPlan?.(plan);
      const owner = await restoreOwner(o.target);
      await fs.mkdir(dataDir, { mode: 0o700 });
      if (owner) await fs.chown(dataDir, owner.uid, owner.gid);
      const result = await runBackrestRestore(o.target, plan, call);
      return { settings: result.settings, ...(owner ? { owner } : {}) };
    },
  };
}

/** Restores the stanza into a scratch folder, recovers it on a private socket and reports what came back; the server and folder are always removed. */
export async function runBackrestDrill(o: BackrestDrillOptions): Promise<DrillReport> {
  const drill: DrillOptions = { ...o, source: backrestSource(o), plan: o.recovery, ...(o.dbInclude?.length ? { databases: ['postgres', ...o.dbInclude] } : {}) };
  return runDrill(drill);
}
