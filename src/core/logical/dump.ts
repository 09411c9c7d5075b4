// Logical backups with pg_dump: exact table picks, exact counts in pg_dump's snapshot, and nothing under the final name until it is checked.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError, cancelledError, errorMessage } from '../platform/errors';
import { silentLogger, type Logger } from '../platform/log';
import { plural } from '../platform/plural';
import { privateTempDir } from '../platform/reaper';
import { runTool } from '../platform/runner';
import { chooseTool, type ToolInventory } from '../platform/tools';
import type { PartialWork } from '../platform/partials';
import { getServerInfo, withClient } from '../postgres/server';
import type { ConnectionParams } from '../profiles/types';
import { checksumDump } from './checksum';
import { withFileKey, type DumpManifest, type TableRowCount } from './manifest';
import { hasDataSection, manifestOptions, validateDumpOptions, type DumpContentOptions } from './options';
import { tableSizes, watchOutputSize } from './outputSize';
import { DumpProgressTracker, untranslatedMessagesEnv, type DumpProgress } from './progress';
import { RowCounter, cancelBackend, refuseUnreadable, singleValue, tablesToCount } from './dumpCounts';
import { checkReadable, finalizeOutput, reserveOutput } from './dumpOutput';
import { FIRST_WITH_FILTER, planDump } from './dumpPlan';
import { encryptingSink, manifestEncryption, refuseEncryptedFormat, type DumpEncryption } from './dumpEncrypted';
import { archiveSink, writeHashed } from './dumpStream';
import { BUILT_TOC_READER, indexWrittenDump, tocIndexPlace } from './toc/tocIndex';
import { ENCRYPTED_EXTENSIONS } from '../crypto/recipients';
import { sealManifest } from './sealedManifest';
import { toolFailure } from '../platform/toolFailure';

export { formatCompression, parseCompression, validateDumpOptions, type Compression, type CompressionMethod, type DumpContentOptions, type DumpSection } from './options';

export interface DumpConnection {
  params: ConnectionParams;
  password?: string;
}

export interface DumpOutput {
  /** The folder the dump is written to; created when missing. */
  folder: string;
  /** Default `{db}_{yyyyMMdd-HHmmss}`. */
  nameTemplate?: string;
  /** A file or folder name the user chose, kept as is unless taken (then `-2`, `-3`, ...). */
  fileName?: string;
}

export interface DumpOptions extends DumpContentOptions {
  connection: DumpConnection;
  /** The profile's name, recorded in the manifest and usable in the name template. */
  profile: string;
  /** The plan that takes this dump, recorded in the manifest so retention decides over the plan's own dumps only. */
  plan?: string;
  database: string;
  output: DumpOutput;
  /** The installed client tools; the pg_dump used is the closest one not older than the server. */
  tools: ToolInventory;
  signal?: AbortSignal;
  onProgress?: (p: DumpProgress) => void;
  logger?: Logger;
  /** The clock for names and the manifest (tests). */
  now?: () => Date;
  /** How often the size of what pg_dump wrote is read for progress (default 500 ms). */
  progressIntervalMs?: number;
  /** Encrypt to these recipients as pg_dump writes (custom format only): `<name>.dump.age` or `.dump.gpg`. */
  encryption?: DumpEncryption;
  /** Seal the manifest's table names and row counts to the same recipients (sealedManifest.ts); needs `encryption`. */
  encryptManifest?: boolean;
  /** Where the dump's TOC index goes (toc/tocIndex.ts); default pgbr's cache folder, false for none. */
  tocIndexDir?: string | false;
}

export interface DumpResult {
  path: string;
  manifest: DumpManifest;
  /** The name the dump was to have, when a file there already had it and the dump got the next free one. */
  requestedPath?: string;
}

/**
 * Dumps one database. Counts are exact and taken in the snapshot pg_dump uses; the result appears
 * under its final name only after pg_dump succeeded and the dump was read back, and never replaces
 * an existing file. Any failure or cancel removes what was written.
 */
export async function runDump(opts: DumpOptions): Promise<DumpResult> {
  validateDumpOptions(opts);
  const encryption = opts.encryption;
  if (encryption) refuseEncryptedFormat(opts.format ?? 'custom');
  if (opts.encryptManifest && !encryption) throw new PgbrError('usage', 'encrypting the manifest needs an encrypted dump: add recipients with --encrypt-to (encrypt: in a plan)');
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const format = opts.format ?? 'custom';
  const { params, password } = opts.connection;
  throwIfCancelled(opts.signal, opts.database);

  const startedAt = now();
  const startedMs = performance.now();
  let output: PartialWork | undefined;
  let filterDir: string | undefined;

  try {
    const dumped = await withClient(params, { password, database: opts.database, applicationName: 'pgbr dump', ...(opts.signal ? { signal: opts.signal } : {}) }, async (client) => {
      const server = await getServerInfo(client);
      const dumpTool = chooseTool(opts.tools, 'pg_dump', server.major);
      const restoreTool = format === 'plain' ? undefined : chooseTool(opts.tools, 'pg_restore', dumpTool.major);
      // Refuse what this pg_dump cannot do before anything is written.
      const plainExtension = planDump({ ...opts, toolMajor: dumpTool.major, outputPath: '' }).extension;
      const extension = encryption ? `${plainExtension}${ENCRYPTED_EXTENSIONS[encryption.scheme]}` : plainExtension;

      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      // The transaction idles while pg_dump works and counts can take long: a role's timeouts must not end it (pg_dump clears its own too).
      // The counts run beside pg_dump, which copies every table anyway and takes longer: parallel workers
      // would only take CPUs from it (and add their own start-up) to finish the counts sooner.
      await client.query(`SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL max_parallel_workers_per_gather = 0`);
      const snapshot = await singleValue<string>(client, 'SELECT pg_catalog.pg_export_snapshot() AS v');
      const backendPid = await singleValue<number>(client, 'SELECT pg_catalog.pg_backend_pid() AS v');
      const counted = hasDataSection(opts) ? await tablesToCount(client, opts) : [];
      await refuseUnreadable(client, counted, params.user ?? 'this user', opts.database);

      const target = await reserveOutput(opts, format, extension, now(), logger);
      output = target;
      if (dumpTool.major >= FIRST_WITH_FILTER) filterDir = await privateTempDir('filter-');
      const plan = planDump({
        ...opts,
        toolMajor: dumpTool.major,
        // A custom archive comes through pg_dump's stdout (dumpStream.ts): hashed, TOC read, and encrypted when asked, as it is written.
        outputPath: format === 'custom' ? '' : target.partial,
        snapshot,
        // More workers than tables only costs connections.
        defaultJobs: Math.min(os.availableParallelism(), Math.max(1, counted.length)),
        ...(filterDir ? { filterFilePath: path.join(filterDir, 'filter') } : {}),
      });
      if (plan.filterText !== undefined && filterDir) {
        await fs.writeFile(path.join(filterDir, 'filter'), plan.filterText, { mode: 0o600, flag: 'wx' });
      }

      const progress = new DumpProgressTracker(counted, opts.onProgress, await tableSizes(client, counted));
      progress.setPhase('starting');
      const watcher = watchOutputSize(target.partial, (bytes) => progress.setBytesWritten(bytes), opts.progressIntervalMs);
      const sink = encryption ? encryptingSink(encryption, target.partial, { logger }) : format === 'custom' ? archiveSink((archive) => writeHashed(archive, target.partial), { blockSums: true }) : undefined;
      const stopOnFailure = new AbortController();
      const signal = opts.signal ? AbortSignal.any([opts.signal, stopOnFailure.signal]) : stopOnFailure.signal;
      const dumping = runTool({
        file: dumpTool.path,
        args: plan.args,
        connection: { ...params, database: opts.database },
        password,
        env: untranslatedMessagesEnv(),
        signal,
        onStderrLine: (line) => {
          logger.trace(line);
          progress.onLine(line);
        },
        logger,
        label: 'pg_dump',
        ...(sink ? { consumeStdout: sink.consume, stdoutBufferBytes: 1 << 20 } : {}),
      });

      const counter = new RowCounter(client, backendPid, () => cancelBackend(opts.connection, opts.database, backendPid, logger));
      void dumping.then((r) => {
        if (r.status !== 'succeeded') counter.stop();
      });
      const stopCounting = () => counter.stop();
      opts.signal?.addEventListener('abort', stopCounting, { once: true });
      let countError: unknown;
      const counting = counter.count(counted).catch((e: unknown) => {
        countError = e;
        stopOnFailure.abort();
        return [] as TableRowCount[];
      });

      const [result, rowCounts] = await Promise.all([dumping, counting]).finally(() => watcher.stop());
      opts.signal?.removeEventListener('abort', stopCounting);
      throwIfCancelled(opts.signal, opts.database);
      if (result.status === 'failed') throw toolFailure('pg_dump', result);
      if (countError !== undefined) {
        throw new PgbrError('tool-failed', `the dump of "${opts.database}" failed: could not count its rows: ${errorMessage(countError)}`, { cause: countError });
      }
      if (result.status === 'cancelled') throw cancelledError(`the dump of "${opts.database}"`);
      // Dump and counts are done; closing the read-only transaction is housekeeping that must not cost the dump.
      await client.query('COMMIT').catch((e: unknown) => logger.debug(`ending the snapshot transaction: ${errorMessage(e)}`));
      progress.complete('verifying');
      const lost = sink?.blocksLost();
      if (lost) logger.debug(`no block sums for the dump (${lost}): a restore of chosen tables checks the whole file`);
      return { server, dumpTool, restoreTool, snapshot, rowCounts, plan, target, progress, streamed: sink?.result() };
    });

    // A custom archive's TOC was read back from pg_dump's stream on its way to the file, and its sum taken as it was written.
    if (!dumped.streamed) await checkReadable(dumped.target.partial, format, dumped.plan, dumped.restoreTool, opts.signal, logger);
    const { sha256, sizeBytes } = dumped.streamed ? { sha256: { '': dumped.streamed.sha256 }, sizeBytes: dumped.streamed.sizeBytes } : await checksumDump(dumped.target.partial, opts.signal);
    throwIfCancelled(opts.signal, opts.database);

    const written: DumpManifest = {
      manifestVersion: 1,
      kind: 'database',
      profile: opts.profile,
      ...(opts.plan !== undefined ? { plan: opts.plan } : {}),
      host: params.host ?? '',
      port: params.port ?? 5432,
      user: params.user ?? '',
      database: opts.database,
      serverVersion: dumped.server.version,
      tool: 'pg_dump',
      toolVersion: dumped.dumpTool.version,
      format,
      options: manifestOptions(opts, dumped.plan),
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      durationMs: Math.round(performance.now() - startedMs),
      sizeBytes,
      sha256,
      snapshot: dumped.snapshot,
      rowCounts: dumped.rowCounts,
      ...(encryption && dumped.streamed ? { encryption: manifestEncryption(encryption, dumped.streamed) } : {}),
      // The sums of the plain archive's parts: a restore of chosen tables proves only what it restores.
      ...(!encryption && dumped.streamed?.blocks ? { blocks: dumped.streamed.blocks } : {}),
    };
    const manifest = opts.encryptManifest && encryption ? await sealManifest(written, encryption) : written;
    const finalPath = await finalizeOutput(dumped.target, manifest);
    // The TOC read from the stream, kept so the first listing of this dump need not parse it again.
    const place = opts.tocIndexDir === undefined ? tocIndexPlace(process.env) : opts.tocIndexDir && BUILT_TOC_READER ? { cacheDir: opts.tocIndexDir, reader: BUILT_TOC_READER } : undefined;
    if (!encryption && dumped.streamed?.toc && place) await indexWrittenDump(finalPath, dumped.streamed.toc, place.cacheDir, place.reader);
    dumped.progress.setPhase('done');
    logger.info(`Dumped ${opts.database} to ${finalPath} (${sizeBytes} bytes, ${plural(dumped.rowCounts.length, 'table')} counted)`);
    return { path: finalPath, manifest: withFileKey(manifest, finalPath), ...(finalPath !== dumped.target.requested ? { requestedPath: dumped.target.requested } : {}) };
  } catch (e) {
    await output?.discard();
    if (opts.signal?.aborted) throw cancelledError(`the dump of "${opts.database}"`);
    throw e;
  } finally {
    if (filterDir) await fs.rm(filterDir, { recursive: true, force: true });
  }
}


function throwIfCancelled(signal: AbortSignal | undefined, database: string): void {
  if (signal?.aborted) throw cancelledError(`the dump of "${database}"`);
}

