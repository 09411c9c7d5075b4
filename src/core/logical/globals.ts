// Cluster-wide objects a database dump leaves out (roles, tablespaces), dumped with pg_dumpall --globals-only.
import { PgbrError } from '../platform/errors';
import { silentLogger, type Logger } from '../platform/log';
import { runTool } from '../platform/runner';
import { getServerInfo, withClient, type ServerInfo } from '../postgres/server';
import { chooseTool, type ToolInventory } from '../platform/tools';
import { checksumDump } from './checksum';
import { type DumpConnection, type DumpOutput } from './dump';
import { endsWithMarker, finalizeOutput, reserveDumpPartial } from './dumpOutput';
import { failureLine } from '../platform/toolFailure';
import { withFileKey, type DumpManifest } from './manifest';
import { DEFAULT_GLOBALS_NAME_TEMPLATE, dumpExtension, expandNameTemplate, splitDumpFileName } from './naming';
import { untranslatedMessagesEnv } from './progress';
import { encryptingScriptSink, manifestEncryption, type DumpEncryption } from './dumpEncrypted';
import { ENCRYPTED_EXTENSIONS } from '../crypto/recipients';
import { textEndsWithMarker } from './dumpOutput';

export interface GlobalsOptions {
  connection: DumpConnection;
  profile: string;
  /**
   * The database pg_dumpall connects to; absent: `postgres`, then `template1`, as pg_dumpall does.
   * Pass the profile's database only when the profile names one.
   */
  database?: string;
  /** Roles without their password hashes: what a non-superuser can dump, and safer to keep around. */
  noRolePasswords?: boolean;
  /** The plan that takes this dump, recorded in the manifest (see DumpOptions.plan). */
  plan?: string;
  /** Default name template `{profile}_globals_{yyyyMMdd-HHmmss}`. */
  output: DumpOutput;
  tools: ToolInventory;
  signal?: AbortSignal;
  logger?: Logger;
  now?: () => Date;
  /** Encrypt to these recipients as pg_dumpall writes: `<name>.sql.age` or `.sql.gpg` (role password hashes are in it). */
  encryption?: DumpEncryption;
}

export interface GlobalsResult {
  path: string;
  manifest: DumpManifest;
  /** The name the dump was to have, when it was taken (see DumpResult). */
  requestedPath?: string;
}

/** The line pg_dumpall's output ends with when it completed. */
export const GLOBALS_END_MARKER = '-- PostgreSQL database cluster dump complete';

function globalsName(opts: GlobalsOptions, date: Date): { base: string; extension: string } {
  const sql = dumpExtension('plain');
  if (opts.output.fileName !== undefined) {
    const split = splitDumpFileName(opts.output.fileName);
    return { base: split.base, extension: split.extension || sql };
  }
  const template = opts.output.nameTemplate ?? DEFAULT_GLOBALS_NAME_TEMPLATE;
  return { base: expandNameTemplate(template, { db: 'globals', profile: opts.profile, format: 'plain', date }), extension: sql };
}

/** The server's version, asked where pg_dumpall itself will connect: the named database, else postgres, else template1. */
async function probeServer(opts: GlobalsOptions): Promise<ServerInfo> {
  const { params, password } = opts.connection;
  const ask = (database: string) => withClient(params, { password, database, applicationName: 'pgbr globals' }, getServerInfo);
  if (opts.database) return ask(opts.database);
  try {
    return await ask('postgres');
  } catch (e) {
    if (!(e instanceof PgbrError && /database "postgres" does not exist/.test(e.message))) throw e;
    return ask('template1');
  }
}

/** Dumps roles and tablespaces as plain SQL, with the same all-or-nothing result as a database dump. */
export async function runGlobalsDump(opts: GlobalsOptions): Promise<GlobalsResult> {
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const { params, password } = opts.connection;
  const cancelled = () => new PgbrError('cancelled', 'the globals dump was cancelled; nothing was kept');
  if (opts.signal?.aborted) throw cancelled();

  const startedAt = now();
  const startedMs = performance.now();
  const server = await probeServer(opts);
  const tool = chooseTool(opts.tools, 'pg_dumpall', server.major);

  const { base, extension: sqlExtension } = globalsName(opts, startedAt);
  const encryption = opts.encryption;
  const extension = encryption ? `${sqlExtension}${ENCRYPTED_EXTENSIONS[encryption.scheme]}` : sqlExtension;
  const target = await reserveDumpPartial(opts.output.folder, base, extension, false, logger);

  try {
    const sink = encryption ? encryptingScriptSink(encryption, target.partial, { logger }) : undefined;
    // Encrypted, the script goes to stdout and only ciphertext reaches the partial.
    const args = ['--globals-only', '--no-password', ...(sink ? [] : [`--file=${target.partial}`])];
    if (opts.noRolePasswords) args.push('--no-role-passwords');
    if (opts.database) args.push(`--database=${opts.database}`);
    const result = await runTool({
      file: tool.path,
      args,
      connection: params,
      password,
      env: untranslatedMessagesEnv(),
      signal: opts.signal,
      logger,
      label: 'pg_dumpall',
      ...(sink ? { consumeStdout: sink.consume } : {}),
    });
    if (result.status === 'cancelled' || opts.signal?.aborted) throw cancelled();
    if (result.status === 'failed') {
      const line = failureLine(result);
      // Role passwords live in pg_authid, which only a superuser may read; pg_roles has the rest.
      const hint = /permission denied for (?:table|relation) pg_authid/.test(line)
        ? ': only a superuser can dump role passwords; dump without them (--no-role-passwords) or connect as a superuser'
        : '';
      throw new PgbrError('tool-failed', `pg_dumpall failed: ${line}${hint}`);
    }
    const encrypted = sink?.result();
    const complete = encrypted ? textEndsWithMarker(encrypted.tail, GLOBALS_END_MARKER) : await endsWithMarker(target.partial, GLOBALS_END_MARKER);
    if (!complete) {
      throw new PgbrError('tool-failed', `pg_dumpall exited normally but its output does not end with "${GLOBALS_END_MARKER}": the dump is incomplete and was removed`);
    }
    const { sha256, sizeBytes } = encrypted ? { sha256: { '': encrypted.sha256 }, sizeBytes: encrypted.sizeBytes } : await checksumDump(target.partial, opts.signal);
    if (opts.signal?.aborted) throw cancelled();

    const manifest: DumpManifest = {
      manifestVersion: 1,
      kind: 'globals',
      profile: opts.profile,
      ...(opts.plan !== undefined ? { plan: opts.plan } : {}),
      host: params.host ?? '',
      port: params.port ?? 5432,
      user: params.user ?? '',
      serverVersion: server.version,
      tool: 'pg_dumpall',
      toolVersion: tool.version,
      format: 'plain',
      options: opts.noRolePasswords ? { noRolePasswords: true } : {},
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      durationMs: Math.round(performance.now() - startedMs),
      sizeBytes,
      sha256,
      rowCounts: [],
      ...(encryption && encrypted ? { encryption: manifestEncryption(encryption, encrypted) } : {}),
    };
    const finalPath = await finalizeOutput(target, manifest);
    logger.info(`Dumped globals to ${finalPath} (${sizeBytes} bytes)`);
    return { path: finalPath, manifest: withFileKey(manifest, finalPath), ...(finalPath !== target.requested ? { requestedPath: target.requested } : {}) };
  } catch (e) {
    await target.discard();
    if (opts.signal?.aborted) throw cancelled();
    throw e;
  }
}
