// Physical backups with pg_basebackup: pre-flight checks, the run, verification, and a record of the WAL range a PITR needs.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type pg from 'pg';
import { listFilesRecursive } from '../logical/checksum';
import { formatCompression } from '../logical/dump';
import { expandNameTemplate } from '../logical/naming';
import { untranslatedMessagesEnv } from '../logical/progress';
import { PgbrError, cancelledError, errorMessage, usageError } from '../platform/errors';
import { silentLogger, type Logger } from '../platform/log';
import { reservePartial, type PartialWork } from '../platform/partials';
import { runTool } from '../platform/runner';
import { getServerInfo, withClient, type ServerInfo } from '../postgres/server';
import { chooseTool, type FoundTool, type ToolInventory } from '../platform/tools';
import { lsnToSegment, parseLsn, segmentName, DEFAULT_SEGMENT_SIZE } from '../wal/names';
import { explainRunFailure, noWalSendersError, replicationRoleError, walLevelError } from './failure';
import { type ManifestSummary, parseBackupLabel, parseBackupManifest, readLabelFromTar } from './label';
import { planBaseBackup, validateBaseBackupOptions } from './plan';
import { BaseBackupProgressTracker, type VerboseFacts } from './progress';
import { type BaseBackupFormat, type BaseBackupOptions, type BaseBackupRecord, type BaseBackupResult, type BaseBackupVerification, FIRST_VERIFYBACKUP, FIRST_VERIFYBACKUP_TAR, NAME_TEMPLATE, recordPathFor } from './record';
import { quoteIdent } from '../postgres/names';

/**
 * Checks what pg_basebackup will need before it runs, with the same fixes its failures would get:
 * the REPLICATION attribute (or superuser), WAL senders free for the copy and the WAL stream, and a
 * wal_level that allows online backups. pg_hba.conf can only be tested by the connection itself.
 */
export async function checkBaseBackupPrerequisites(client: pg.Client): Promise<ServerInfo> {
  const server = await getServerInfo(client);
  const who = await client.query<{ u: string; busy: number }>(
    `SELECT current_user AS u, (SELECT count(*)::int FROM pg_catalog.pg_stat_replication) AS busy`,
  );
  const user = who.rows[0]?.u ?? '';
  if (!server.hasReplication) throw replicationRoleError(user, quoteIdent(user));
  if (server.walLevel === 'minimal') throw walLevelError();
  if (server.maxWalSenders === 0) throw noWalSendersError();
  // One sender copies the files and one streams WAL: both must be free.
  const free = server.maxWalSenders - (who.rows[0]?.busy ?? 0);
  if (free < 2) {
    throw new PgbrError(
      'connection',
      `only ${Math.max(0, free)} of ${server.maxWalSenders} WAL senders (max_wal_senders) are free, and a base backup needs two: wait for other backups to end (see pg_stat_replication), or raise it with ALTER SYSTEM SET max_wal_senders = ${server.maxWalSenders + 4}; and restart the server`,
    );
  }
  return server;
}

/**
 * Takes a base backup. The folder appears under its final name only after pg_basebackup succeeded
 * and the result was verified; any failure or cancel removes what was written.
 */
export async function runBaseBackup(opts: BaseBackupOptions): Promise<BaseBackupResult> {
  const compression = validateBaseBackupOptions(opts);
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const { params, password } = opts.connection;
  throwIfCancelled(opts.signal);

  const startedAt = now();
  const startedMs = performance.now();
  const name = expandNameTemplate(NAME_TEMPLATE, { db: params.database ?? '', profile: opts.profile, format: opts.format, date: startedAt });
  const label = opts.label ?? name;
  const stopClock = new StopClock();
  const progress = new BaseBackupProgressTracker(opts.onProgress, () => stopClock.mark());
  let output: PartialWork | undefined;

  try {
    progress.setPhase('connecting');
    const taken = await withClient(params, { password, applicationName: 'pgbr basebackup' }, async (client) => {
      const server = await checkBaseBackupPrerequisites(client);
      if (opts.format === 'plain') await refuseTablespacesInPlain(client);
      const systemIdentifier = await readSystemIdentifier(client);
      const tool = chooseTool(opts.tools, 'pg_basebackup', server.major);
      const args = (outputPath: string) =>
        planBaseBackup({ outputPath, format: opts.format, checkpoint: opts.checkpoint, label, toolMajor: tool.major, ...(compression ? { compression } : {}), ...(opts.maxRate !== undefined ? { maxRate: opts.maxRate } : {}) });
      // Refuse what this pg_basebackup cannot do before a folder is made.
      args('');

      const target = await reserveBackupFolder(opts.folder, name, logger);
      output = target;
      stopClock.client = client;
      const result = await runTool({
        file: tool.path,
        args: args(target.partial),
        connection: params,
        password,
        env: untranslatedMessagesEnv(),
        signal: opts.signal,
        onStderrLine: (line) => {
          logger.trace(line);
          progress.onLine(line);
        },
        logger,
        label: 'pg_basebackup',
      });
      if (result.status === 'cancelled') throw cancelledError('the base backup');
      if (result.status === 'failed') throw explainRunFailure(result, params.user, server);
      const stopTime = await stopClock.read();
      stopClock.client = undefined;
      return { server, tool, target, stopTime, systemIdentifier };
    });
    throwIfCancelled(opts.signal);

    progress.setPhase('verifying');
    const contents = await readBackupContents(taken.target.partial, opts.format, taken.server.segmentSize || DEFAULT_SEGMENT_SIZE, progress.facts);
    if (contents.manifestValid === false) {
      throw new PgbrError('tool-failed', 'pg_basebackup finished but its backup_manifest does not match its own checksum: the backup is damaged and was removed; retry');
    }
    const verification = await verifyBackup(taken.target.partial, opts.format, taken.tool.major, opts.tools, taken.server.major, opts.signal, logger, now);
    throwIfCancelled(opts.signal);
    if (verification.status === 'failed') {
      throw new PgbrError('tool-failed', `pg_basebackup finished but pg_verifybackup found problems (${verification.message ?? 'see the log'}): nothing was kept; retry, and check the disk if it happens again`);
    }

    const systemIdentifier = taken.systemIdentifier ?? contents.systemIdentifier;
    const finishedAt = now();
    const durationMs = Math.round(performance.now() - startedMs);
    const recordFor = (finalPath: string): BaseBackupRecord => ({
      recordVersion: 1,
      kind: 'basebackup',
      name: path.basename(finalPath),
      label,
      profile: opts.profile,
      ...(opts.plan !== undefined ? { plan: opts.plan } : {}),
      host: params.host ?? '',
      port: params.port ?? 5432,
      user: params.user ?? '',
      serverVersion: taken.server.version,
      ...(systemIdentifier ? { systemIdentifier } : {}),
      tool: 'pg_basebackup',
      toolVersion: taken.tool.version,
      format: opts.format,
      compression: compression ? formatCompression(compression) : 'none',
      checkpoint: opts.checkpoint,
      walMethod: 'stream',
      startLsn: contents.startLsn,
      startWal: contents.startWal,
      ...(contents.checkpointLsn ? { checkpointLsn: contents.checkpointLsn } : {}),
      stopLsn: contents.stopLsn,
      stopWal: contents.stopWal,
      timeline: contents.timeline,
      startTimeline: contents.startTimeline,
      startTime: (contents.startTime ?? startedAt).toISOString(),
      stopTime: taken.stopTime.toISOString(),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs,
      sizeBytes: contents.sizeBytes,
      segmentSize: taken.server.segmentSize || DEFAULT_SEGMENT_SIZE,
      files: contents.files,
      ...(contents.manifestValid ? { manifestChecksum: 'valid' as const } : {}),
      verification,
    });
    const finalPath = await taken.target.finish((p) => JSON.stringify(recordFor(p), null, 2) + '\n');
    const recordPath = recordPathFor(finalPath);
    const record = recordFor(finalPath);
    progress.setPhase('done');
    logger.info(`Base backup ${record.name}: ${record.startLsn} – ${record.stopLsn} on timeline ${record.timeline}, ${record.sizeBytes} bytes, verification ${verification.status}`);
    return { path: finalPath, recordPath, record };
  } catch (e) {
    await output?.discard();
    if (opts.signal?.aborted) throw cancelledError('the base backup');
    throw e;
  }
}

/** The server's clock when pg_basebackup reports the end point: the closest a client gets to the backup's stop time. */
class StopClock {
  client: pg.Client | undefined;
  private reading: Promise<Date | undefined> | undefined;

  mark(): void {
    const client = this.client;
    if (!client || this.reading) return;
    this.reading = client
      .query<{ t: Date }>('SELECT pg_catalog.clock_timestamp() AS t')
      .then((r) => r.rows[0]?.t)
      .catch(() => undefined);
  }

  async read(): Promise<Date> {
    // Without an end-point line (or if that query failed), the clock now is still after the stop.
    this.mark();
    return (await this.reading) ?? new Date();
  }
}

async function readSystemIdentifier(client: pg.Client): Promise<string | undefined> {
  try {
    const r = await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()');
    return r.rows[0]?.id;
  } catch {
    // Not granted to this role: the manifest (PostgreSQL 15+) carries it too.
    return undefined;
  }
}

/** Plain format writes each tablespace to its original absolute path on this machine: refuse rather than write outside the folder. */
async function refuseTablespacesInPlain(client: pg.Client): Promise<void> {
  const r = await client.query<{ names: string[] | null }>(
    `SELECT array_agg(spcname::text ORDER BY spcname) AS names FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')`,
  );
  const names = r.rows[0]?.names ?? [];
  if (names.length > 0) {
    throw usageError(
      `the server has tablespaces outside its data directory (${names.join(', ')}), which the plain format would write to their original paths on this machine: use the tar format`,
    );
  }
}

interface BackupContents {
  startLsn: string;
  startWal: string;
  checkpointLsn?: string;
  stopLsn: string;
  stopWal: string;
  timeline: number;
  startTimeline: number;
  startTime?: Date;
  sizeBytes: number;
  files: string[];
  /** Undefined when there is no manifest (servers before 13). */
  manifestValid?: boolean;
  systemIdentifier?: string;
}

/** Reads the WAL range and times from backup_manifest and backup_label, with pg_basebackup's own words as the fallback. */
async function readBackupContents(dir: string, format: BaseBackupFormat, segmentSize: number, facts: VerboseFacts): Promise<BackupContents> {
  const entries = (await fs.readdir(dir)).sort();
  let manifest: ManifestSummary | undefined;
  try {
    manifest = parseBackupManifest(await fs.readFile(path.join(dir, 'backup_manifest')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let labelText: string | undefined;
  if (format === 'plain') labelText = await fs.readFile(path.join(dir, 'backup_label'), 'utf8').catch(() => undefined);
  else {
    const base = entries.find((e) => /^base\.tar(\.|$)/.test(e));
    if (base) labelText = await readLabelFromTar(path.join(dir, base));
  }
  const label = labelText === undefined ? undefined : parseBackupLabel(labelText);

  const firstRange = manifest?.walRanges[0];
  const lastRange = manifest?.walRanges.at(-1);
  const startLsn = firstRange?.startLsn ?? label?.startLsn ?? facts.startLsn;
  const stopLsn = lastRange?.endLsn ?? facts.stopLsn;
  const startTimeline = firstRange?.timeline ?? label?.startTimeline ?? facts.startTimeline;
  const timeline = lastRange?.timeline ?? startTimeline;
  if (!startLsn || !stopLsn || startTimeline === undefined || timeline === undefined) {
    throw new PgbrError('tool-failed', 'pg_basebackup finished but neither its manifest nor its output says which WAL the backup needs: it cannot be restored to a point in time and was removed');
  }
  let sizeBytes = 0;
  for (const file of await listFilesRecursive(dir)) sizeBytes += (await fs.stat(path.join(dir, ...file.split('/')))).size;
  const walOf = (lsn: string, tli: number) => segmentName(tli, lsnToSegment(parseLsn(lsn) ?? 0n, segmentSize), segmentSize);
  const contents: BackupContents = {
    startLsn,
    startWal: label?.startWal ?? walOf(startLsn, startTimeline),
    stopLsn,
    stopWal: walOf(stopLsn, timeline),
    timeline,
    startTimeline,
    sizeBytes,
    files: entries,
  };
  if (label?.checkpointLsn) contents.checkpointLsn = label.checkpointLsn;
  const startTime = label?.startTime ?? manifest?.labelTime;
  if (startTime) contents.startTime = startTime;
  if (manifest) contents.manifestValid = manifest.checksumValid;
  if (manifest?.systemIdentifier) contents.systemIdentifier = manifest.systemIdentifier;
  return contents;
}

/**
 * pg_verifybackup checks every file against the manifest and, for plain backups, that the WAL
 * needed is there and parses. Version 13-17 reads plain backups only; 18 reads tar, without the WAL.
 */
async function verifyBackup(
  dir: string,
  format: BaseBackupFormat,
  backupToolMajor: number,
  tools: ToolInventory,
  serverMajor: number,
  signal: AbortSignal | undefined,
  logger: Logger,
  now: () => Date,
): Promise<BaseBackupVerification> {
  const at = () => now().toISOString();
  let tool: FoundTool;
  try {
    tool = chooseTool(tools, 'pg_verifybackup', Math.max(serverMajor, backupToolMajor));
  } catch (e) {
    return { tool: 'pg_verifybackup', status: 'skipped', at: at(), message: `${errorMessage(e)}; only the manifest's own checksum was checked` };
  }
  if (tool.major < FIRST_VERIFYBACKUP) {
    return { tool: 'pg_verifybackup', status: 'skipped', at: at(), message: `pg_verifybackup ${tool.major} predates backup manifests` };
  }
  if (format === 'tar' && tool.major < FIRST_VERIFYBACKUP_TAR) {
    return {
      tool: 'pg_verifybackup',
      toolVersion: tool.version,
      status: 'skipped',
      at: at(),
      message: `pg_verifybackup ${tool.major} checks plain-format backups only (tar needs ${FIRST_VERIFYBACKUP_TAR}); the manifest's own checksum was checked`,
    };
  }
  const args = format === 'tar' ? ['--no-parse-wal', dir] : [dir];
  const result = await runTool({ file: tool.path, args, signal, logger, label: 'pg_verifybackup', env: untranslatedMessagesEnv() });
  if (result.status === 'cancelled') throw cancelledError('the base backup');
  const base = { tool: 'pg_verifybackup', toolVersion: tool.version, at: at() };
  if (result.status === 'failed') {
    const problems = result.stderrTail.map((l) => l.replace(/^pg_verifybackup:\s*(error:\s*)?/, '').trim()).filter((l) => l !== '' && !/^hint:/.test(l));
    const shown = problems.slice(0, 3).join('; ') || result.message;
    return { ...base, status: 'failed', message: problems.length > 3 ? `${shown}; and more` : shown };
  }
  return { ...base, status: 'passed', ...(format === 'tar' ? { message: 'files checked against the manifest; WAL not parsed in tar format' } : {}) };
}

const BASE_BACKUP_WORDS = { thing: 'base backup', proof: 'record', remedy: 'remove old backups' };

/**
 * A free `<name>` (or `<name>-2`...) whose `.partial` folder this call created, so two backups never
 * share one; it is finished only with its record written first, so a base backup under a final name
 * always has the record a PITR needs.
 */
function reserveBackupFolder(folder: string, name: string, logger: Logger): Promise<PartialWork> {
  return reservePartial({ folder, base: name, extension: '', kind: 'folder', proofPathFor: recordPathFor, words: BASE_BACKUP_WORDS }, logger);
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError('the base backup');
}
