// What the extension and the CLI ask a live server: version, archiving settings, databases, schemas, tables, archiver state.
import fs from 'node:fs/promises';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type pg from 'pg';
import { PgbrError, errorMessage } from '../platform/errors';
import type { ConnectionParams } from '../profiles/types';
import { DEFAULT_CONNECT_TIMEOUT_MS, describeConnectionError, isConnectionLoss } from './connectionErrors';
import { quoteIdentAlways } from './names';

export { describeConnectionError } from './connectionErrors';

export interface ConnectOptions {
  /** The password, already resolved (SecretStorage, ~/.pgpass, PGPASSWORD) by the caller. */
  password?: string;
  /** Overrides `params.database`: listing a database's schemas needs a client of that database. */
  database?: string;
  /** Default 5000. */
  connectTimeoutMs?: number;
  applicationName?: string;
  /**
   * Cancels the query running when it fires (a query waiting on another session's lock would otherwise
   * hold up a cancelled run until the lock is released), through a second connection as the same role.
   */
  signal?: AbortSignal;
}

const DEFAULT_APPLICATION_NAME = 'pgbr';

/** Connects, runs `fn`, and always ends the client; failures to connect become actionable `PgbrError`s. */
export async function withClient<T>(params: ConnectionParams, opts: ConnectOptions, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withLazyClient(params, opts, async (client) => fn(await client()));
}

/**
 * Like `withClient`, but connects only when `client()` is first called, and once: a run of checks
 * that may need no query at all, or several, costs at most one connection. A signal that fires
 * cancels the running query through a second connection (also when it fired before the connection).
 */
export async function withLazyClient<T>(params: ConnectionParams, opts: ConnectOptions, fn: (client: () => Promise<pg.Client>) => Promise<T>): Promise<T> {
  let opened: Promise<pg.Client> | undefined;
  let connectFailure: unknown;
  const cancel = () => void opened?.then((c) => cancelBackend(params, opts, (c as pg.Client & { processID: number | null }).processID)).catch(() => {});
  const client = () =>
    (opened ??= connect(params, opts).then(
      (c) => {
        if (opts.signal?.aborted) cancel();
        return c;
      },
      (e: unknown) => {
        connectFailure = e;
        throw e;
      },
    ));
  opts.signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await fn(client);
  } catch (e) {
    // Connecting explains its own failures; query errors keep the server's message; a lost connection is explained.
    if (e === connectFailure) throw e;
    throw isConnectionLoss(e) ? describeConnectionError(e, params, opts) : e;
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
    await opened?.then((c) => c.end()).catch(() => {});
  }
}

/** Asks the server to cancel what backend `pid` runs; best effort: a failure leaves the query to end on its own. */
async function cancelBackend(params: ConnectionParams, opts: ConnectOptions, pid: number | null): Promise<void> {
  if (pid === null) return;
  const client = await connect(params, { ...opts, applicationName: 'pgbr cancel' }).catch(() => undefined);
  if (!client) return;
  try {
    await client.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid]);
  } catch {
    // The backend is gone, or this role may not cancel it: nothing more to do.
  } finally {
    await client.end().catch(() => {});
  }
}

/** The driver, loaded by the first connection: it and undici, which it pulls in, cost every command that never connects about 30 ms of start-up. */
let driver: Promise<typeof pg> | undefined;

async function connect(params: ConnectionParams, opts: ConnectOptions): Promise<pg.Client> {
  driver ??= import('pg').then((m) => m.default);
  const { Client } = await driver;
  const sslmode = params.sslmode ?? 'prefer';
  const onSocket = params.host?.startsWith('/') ?? false;
  // libpq never uses SSL on a unix socket; `allow` tries plain first, `prefer` tries SSL first.
  const tries: boolean[] = onSocket || sslmode === 'disable' ? [false] : sslmode === 'allow' ? [false, true] : sslmode === 'prefer' ? [true, false] : [true];
  let lastError: unknown;
  for (const useSsl of tries) {
    const client = new Client(clientConfig(params, opts, useSsl ? await tlsOptions(params, sslmode) : false));
    // An idle client whose server goes away emits 'error'; unhandled, that would crash the extension host.
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (e) {
      lastError = e;
      await client.end().catch(() => {});
      if (!isSslNegotiationRefusal(e, useSsl)) break;
    }
  }
  throw describeConnectionError(lastError, params, opts);
}

function clientConfig(params: ConnectionParams, opts: ConnectOptions, ssl: pg.ClientConfig['ssl']): pg.ClientConfig {
  const o = params.options ?? {};
  const timeoutFromOptions = o.connect_timeout ? Number(o.connect_timeout) * 1000 : undefined;
  return {
    host: params.host,
    port: params.port,
    user: params.user,
    database: opts.database ?? params.database,
    // Without a password, pg would fall back to its own (deprecated) ~/.pgpass lookup; the caller has already
    // looked there, so a server that asks for a password gets a clear "needs a password" instead.
    password:
      opts.password ??
      (() => Promise.reject(describeConnectionError(new Error('no password supplied'), params, opts))),
    connectionTimeoutMillis: connectTimeout(opts, timeoutFromOptions),
    application_name: opts.applicationName ?? o.application_name ?? DEFAULT_APPLICATION_NAME,
    options: o.options,
    ssl,
  };
}

async function tlsOptions(params: ConnectionParams, sslmode: string): Promise<TlsOptions> {
  const o = params.options ?? {};
  const verify = sslmode === 'verify-ca' || sslmode === 'verify-full';
  const tls: TlsOptions = { rejectUnauthorized: verify };
  // verify-ca checks the chain but, unlike verify-full, not that the certificate names the host.
  if (sslmode === 'verify-ca') tls.checkServerIdentity = () => undefined;
  if (o.sslrootcert && o.sslrootcert !== 'system') tls.ca = await readTlsFile(o.sslrootcert, 'sslrootcert');
  if (o.sslcert) tls.cert = await readTlsFile(o.sslcert, 'sslcert');
  if (o.sslkey) tls.key = await readTlsFile(o.sslkey, 'sslkey');
  return tls;
}

async function readTlsFile(file: string, option: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new PgbrError('config', `cannot read ${option} "${file}": ${errorMessage(e)}: fix the path in the profile`, { cause: e });
  }
}

function connectTimeout(opts: ConnectOptions, fromOptions?: number): number {
  const ms = opts.connectTimeoutMs ?? (fromOptions && fromOptions > 0 ? fromOptions : DEFAULT_CONNECT_TIMEOUT_MS);
  return Math.max(1, ms);
}

function isSslNegotiationRefusal(e: unknown, triedSsl: boolean): boolean {
  const message = e instanceof Error ? e.message : '';
  return triedSsl ? /does not support SSL/i.test(message) : /no encryption|SSL off|requires SSL/i.test(message);
}

export interface ServerInfo {
  /** `15.18`: the version without the packager's suffix. */
  version: string;
  /** `150018`. */
  versionNum: number;
  major: number;
  walLevel: string;
  archiveMode: string;
  archiveCommand: string;
  /** `archive_library` (PostgreSQL 15+); absent before 15. An empty string means archive_command is used. */
  archiveLibrary?: string;
  archiveTimeout: string;
  maxWalSenders: number;
  /** Bytes. */
  segmentSize: number;
  isSuperuser: boolean;
  hasReplication: boolean;
  /** Only readable by superusers and members of pg_read_all_settings. */
  dataDirectory?: string;
  serverTimeZone: string;
}

const INFO_SETTINGS = [
  'server_version',
  'server_version_num',
  'wal_level',
  'archive_mode',
  'archive_command',
  'archive_library',
  'archive_timeout',
  'max_wal_senders',
  'data_directory',
  'TimeZone',
  'is_superuser',
];

export async function getServerInfo(c: pg.Client): Promise<ServerInfo> {
  // pg_settings hides superuser-only settings from others instead of raising an error, unlike current_setting().
  const settingsRows = await c.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY($1::text[])`,
    [INFO_SETTINGS],
  );
  const s = new Map(settingsRows.rows.map((r) => [r.name, r.setting]));
  const extra = await c.query<{ segment_size: string; rolsuper: boolean | null; rolreplication: boolean | null; archive_timeout: string }>(
    `SELECT pg_catalog.pg_size_bytes(pg_catalog.current_setting('wal_segment_size')) AS segment_size,
            pg_catalog.current_setting('archive_timeout') AS archive_timeout,
            r.rolsuper, r.rolreplication
       FROM (SELECT 1) one
       LEFT JOIN pg_catalog.pg_roles r ON r.rolname = current_user`,
  );
  const row = extra.rows[0];
  const versionNum = Number(s.get('server_version_num') ?? 0);
  const isSuperuser = s.get('is_superuser') === 'on' || row?.rolsuper === true;
  return {
    version: (s.get('server_version') ?? '').split(' ')[0] ?? '',
    versionNum,
    // From 10 on the major is one number; before, two (90624 is 9.6).
    major: versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10,
    walLevel: s.get('wal_level') ?? '',
    archiveMode: s.get('archive_mode') ?? '',
    archiveCommand: s.get('archive_command') ?? '',
    ...(s.has('archive_library') ? { archiveLibrary: s.get('archive_library') ?? '' } : {}),
    // With its unit ("5min", "0"), as SHOW prints it: pg_settings would give bare seconds.
    archiveTimeout: row?.archive_timeout ?? s.get('archive_timeout') ?? '',
    maxWalSenders: Number(s.get('max_wal_senders') ?? 0),
    segmentSize: Number(row?.segment_size ?? 0),
    isSuperuser,
    // Superusers may open replication connections without the REPLICATION attribute.
    hasReplication: isSuperuser || row?.rolreplication === true,
    ...(s.has('data_directory') ? { dataDirectory: s.get('data_directory') } : {}),
    serverTimeZone: s.get('TimeZone') ?? '',
  };
}

export interface DatabaseInfo {
  name: string;
  /** Null when the user may not connect to the database (pg_database_size would fail). */
  sizeBytes: number | null;
  allowConnections: boolean;
  isTemplate: boolean;
}

/** Every database name on the server, templates and closed ones included: a new database may take none of them. */
export async function databaseNames(c: pg.Client): Promise<Set<string>> {
  const result = await c.query<{ datname: string }>('SELECT datname FROM pg_catalog.pg_database');
  return new Set(result.rows.map((r) => r.datname));
}

/** Drops a database, ending the sessions left in it (a cancelled pg_restore's): WITH (FORCE) from 13, by hand before. */
export async function dropDatabase(c: pg.Client, name: string): Promise<void> {
  const info = await getServerInfo(c);
  if (info.versionNum >= 130000) {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdentAlways(name)} WITH (FORCE)`);
    return;
  }
  await c.query('SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()', [name]);
  await c.query(`DROP DATABASE IF EXISTS ${quoteIdentAlways(name)}`);
}

/** Databases a backup can be taken of: not templates, accepting connections; sorted by name. */
export async function listDatabases(c: pg.Client): Promise<DatabaseInfo[]> {
  const result = await c.query<{ datname: string; size: string | null; datallowconn: boolean; datistemplate: boolean }>(
    `SELECT d.datname, d.datallowconn, d.datistemplate,
            CASE WHEN pg_catalog.has_database_privilege(d.oid, 'CONNECT') THEN pg_catalog.pg_database_size(d.oid) END AS size
       FROM pg_catalog.pg_database d
      WHERE NOT d.datistemplate AND d.datallowconn
      ORDER BY d.datname COLLATE "C"`,
  );
  return result.rows.map((r) => ({
    name: r.datname,
    sizeBytes: r.size === null ? null : Number(r.size),
    allowConnections: r.datallowconn,
    isTemplate: r.datistemplate,
  }));
}

export interface SchemaInfo {
  name: string;
  /** Tables, partitioned tables, materialized views and foreign tables: what listTables lists. */
  tableCount: number;
}

const TABLE_KINDS = `('r', 'p', 'm', 'f')`;

/** The user's schemas; system schemas all start with `pg_` (a prefix users cannot take) or are information_schema. */
export async function listSchemas(c: pg.Client): Promise<SchemaInfo[]> {
  const result = await c.query<{ nspname: string; table_count: number }>(
    `SELECT n.nspname, count(cl.oid)::int AS table_count
       FROM pg_catalog.pg_namespace n
       LEFT JOIN pg_catalog.pg_class cl ON cl.relnamespace = n.oid AND cl.relkind IN ${TABLE_KINDS}
      WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
      GROUP BY n.nspname
      ORDER BY n.nspname COLLATE "C"`,
  );
  return result.rows.map((r) => ({ name: r.nspname, tableCount: r.table_count }));
}

export type TableKind = 'table' | 'partitioned' | 'matview' | 'foreign';

export interface TableInfo {
  schema: string;
  name: string;
  kind: TableKind;
  /** Heap, indexes and TOAST; for a partitioned table, the sum over its partitions. */
  sizeBytes: number;
  /** The planner's estimate; null when the table was never vacuumed or analysed. */
  estimatedRows: number | null;
}

const KIND_BY_RELKIND: Record<string, TableKind> = { r: 'table', p: 'partitioned', m: 'matview', f: 'foreign' };

export async function listTables(c: pg.Client, schema: string): Promise<TableInfo[]> {
  const version = await c.query<{ v: number }>(`SELECT pg_catalog.current_setting('server_version_num')::int AS v`);
  // pg_partition_tree (12+) lets a partitioned table show what its partitions hold; its own size is always 0.
  const partitionTotals = (version.rows[0]?.v ?? 0) >= 120000;
  const sizeExpr = partitionTotals
    ? `CASE WHEN cl.relkind = 'p'
            THEN (SELECT coalesce(sum(pg_catalog.pg_total_relation_size(t.relid)), 0) FROM pg_catalog.pg_partition_tree(cl.oid) t)
            ELSE pg_catalog.pg_total_relation_size(cl.oid) END`
    : `pg_catalog.pg_total_relation_size(cl.oid)`;
  const rowsExpr = partitionTotals
    ? `CASE WHEN cl.relkind = 'p'
            THEN (SELECT CASE WHEN bool_and(p.reltuples >= 0) THEN sum(p.reltuples) ELSE -1 END
                    FROM pg_catalog.pg_partition_tree(cl.oid) t JOIN pg_catalog.pg_class p ON p.oid = t.relid
                   WHERE t.isleaf)
            ELSE cl.reltuples END`
    : `cl.reltuples`;
  const result = await c.query<{ relname: string; relkind: string; size: string; reltuples: number | null }>(
    `SELECT cl.relname, cl.relkind, (${sizeExpr})::bigint AS size, (${rowsExpr})::float8 AS reltuples
       FROM pg_catalog.pg_class cl
       JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = $1 AND cl.relkind IN ${TABLE_KINDS}
      ORDER BY cl.relname COLLATE "C"`,
    [schema],
  );
  return result.rows.map((r) => ({
    schema,
    name: r.relname,
    kind: KIND_BY_RELKIND[r.relkind] ?? 'table',
    sizeBytes: Number(r.size),
    estimatedRows: r.reltuples === null || r.reltuples < 0 ? null : Math.round(r.reltuples),
  }));
}

export interface ArchiverStatus {
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedTime: Date | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedTime: Date | null;
  statsReset: Date | null;
  /** The WAL file being written now; null on a standby, where there is no current insert position. */
  currentWal: string | null;
}

export async function getArchiverStatus(c: pg.Client): Promise<ArchiverStatus> {
  const result = await c.query<{
    archived_count: string;
    last_archived_wal: string | null;
    last_archived_time: Date | null;
    failed_count: string;
    last_failed_wal: string | null;
    last_failed_time: Date | null;
    stats_reset: Date | null;
    current_wal: string | null;
  }>(
    `SELECT a.archived_count, a.last_archived_wal, a.last_archived_time,
            a.failed_count, a.last_failed_wal, a.last_failed_time, a.stats_reset,
            CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
                 ELSE pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()) END AS current_wal
       FROM pg_catalog.pg_stat_archiver a`,
  );
  const r = result.rows[0];
  if (!r) throw new Error('pg_stat_archiver returned no row');
  return {
    archivedCount: Number(r.archived_count),
    lastArchivedWal: r.last_archived_wal,
    lastArchivedTime: r.last_archived_time,
    failedCount: Number(r.failed_count),
    lastFailedWal: r.last_failed_wal,
    lastFailedTime: r.last_failed_time,
    statsReset: r.stats_reset,
    currentWal: r.current_wal,
  };
}
