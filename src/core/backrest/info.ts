// `pgbackrest info --output=json` read exactly (schema: pgBackRest's src/command/info/info.c): stanza status, db history with the 64-bit system id, archive ranges and every backup.
import { parse as parseLossless } from 'lossless-json';
import { PgbrError } from '../platform/errors';

/** What a stanza status code means (info.c's INFO_STANZA_STATUS_CODE_*); `info` exits 0 for all of them. */
export const STANZA_STATUS_MEANING: Readonly<Record<number, string>> = {
  0: 'ok',
  1: 'missing-stanza-path',
  2: 'no-valid-backups',
  3: 'missing-stanza-data',
  4: 'mixed',
  5: 'database-mismatch',
  6: 'requested-backup-not-found',
  99: 'other',
};

export interface StanzaStatus {
  code: number;
  message: string;
  /** `ok`, `missing-stanza-path`, … from the code; `unknown` for a code this version does not know. */
  meaning: string;
  /** A backup or expire holds the stanza's lock on this machine. */
  backupLockHeld: boolean;
}

export interface BackrestDb {
  id: number;
  repoKey: number;
  /** The cluster's system identifier, exact: every real one is above 2^53, which a JSON number loses. */
  systemId: bigint;
  /** The PostgreSQL major, as pgBackRest writes it (`15`, `9.6`). */
  version: string;
}

export interface BackrestArchive {
  /** `15-1`: PostgreSQL version and db id. */
  id: string;
  dbId: number;
  repoKey: number;
  /** Oldest and newest WAL segment names; absent when the archive holds none. */
  min?: string;
  max?: string;
}

export type BackrestBackupType = 'full' | 'diff' | 'incr';

export interface BackrestBackup {
  label: string;
  type: BackrestBackupType;
  /** The backup this one is based on (diff: its full; incr: the backup before it). */
  prior?: string;
  /** Every backup whose files this one uses. */
  references: string[];
  /** Seconds since the epoch, as pgBackRest records them. */
  startTime: Date;
  stopTime: Date;
  /** The first and last WAL segment the backup needs to be consistent. */
  walStart?: string;
  walStop?: string;
  lsnStart?: string;
  lsnStop?: string;
  /** Size of the database at backup time, and how much of it this backup copied. */
  size: number;
  delta: number;
  /** What it takes in the repository (absent for block-incremental backups, which report maps). */
  repositorySize?: number;
  repositoryDelta: number;
  /** Files with page checksum errors; absent when the backup did not record it. */
  error?: boolean;
  annotations?: Record<string, string>;
  dbId: number;
  repoKey: number;
  /** The pgBackRest version that took it. */
  backrestVersion: string;
}

export interface BackrestRepoStatus {
  key: number;
  cipher: string;
  status: { code: number; message: string };
}

export interface BackrestStanzaInfo {
  name: string;
  status: StanzaStatus;
  cipher: string;
  repos: BackrestRepoStatus[];
  db: BackrestDb[];
  archives: BackrestArchive[];
  /** Oldest first, as pgBackRest lists them. */
  backups: BackrestBackup[];
}

type Json = Record<string, unknown>;

class Shape {
  constructor(private readonly where: string) {}

  fail(what: string): never {
    throw new PgbrError('tool-failed', `pgbackrest info printed JSON this version of pgbr does not understand (${this.where}: ${what}): check that pgBackRest is 2.x and report the pgBackRest version if it is.`);
  }

  at(where: string): Shape {
    return new Shape(where.startsWith('[') ? `${this.where}${where}` : `${this.where}.${where}`);
  }

  object(value: unknown): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail('expected an object');
    return value as Json;
  }

  list(value: unknown): unknown[] {
    if (!Array.isArray(value)) this.fail('expected a list');
    return value;
  }

  text(value: unknown): string {
    if (typeof value !== 'string') this.fail('expected text');
    return value;
  }

  optionalText(value: unknown): string | undefined {
    return value === null || value === undefined ? undefined : this.text(value);
  }

  bigint(value: unknown): bigint {
    if (typeof value !== 'bigint') this.fail('expected a whole number');
    return value;
  }

  int(value: unknown): number {
    const n = this.bigint(value);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < 0n) this.fail(`${n} is out of range`);
    return Number(n);
  }

  bool(value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail('expected true or false');
    return value;
  }
}

/** Every integer as a bigint, so nothing is rounded on the way in; each field says what it needs. */
function parseExact(text: string): unknown {
  try {
    return parseLossless(text, null, (digits) => (/^-?\d+$/.test(digits) ? BigInt(digits) : Number(digits)));
  } catch (e) {
    throw new PgbrError('tool-failed', `pgbackrest info did not print valid JSON (${e instanceof Error ? e.message : String(e)}): run it by hand with --output=json to see what it says.`);
  }
}

/** The stanzas of `pgbackrest info --output=json`. */
export function parseBackrestInfo(text: string): BackrestStanzaInfo[] {
  const root = new Shape('info');
  return root.list(parseExact(text)).map((raw, i) => readStanza(raw, root.at(`[${i}]`)));
}

function readStanza(raw: unknown, s: Shape): BackrestStanzaInfo {
  const o = s.object(raw);
  const st = s.at('status');
  const status = st.object(o.status);
  const lock = status.lock === undefined ? undefined : st.object(status.lock);
  const backupLock = lock?.backup === undefined ? undefined : st.at('lock').object(lock.backup);
  const code = st.int(status.code);
  return {
    name: s.text(o.name),
    status: {
      code,
      message: st.text(status.message),
      meaning: STANZA_STATUS_MEANING[code] ?? 'unknown',
      backupLockHeld: backupLock?.held === undefined ? false : st.bool(backupLock.held),
    },
    cipher: s.text(o.cipher),
    repos: s.list(o.repo ?? []).map((r, i) => {
      const rs = s.at(`repo[${i}]`);
      const repo = rs.object(r);
      const rst = rs.object(repo.status);
      return { key: rs.int(repo.key), cipher: rs.text(repo.cipher), status: { code: rs.int(rst.code), message: rs.text(rst.message) } };
    }),
    db: s.list(o.db ?? []).map((d, i) => {
      const ds = s.at(`db[${i}]`);
      const db = ds.object(d);
      return { id: ds.int(db.id), repoKey: ds.int(db['repo-key']), systemId: ds.bigint(db['system-id']), version: ds.text(db.version) };
    }),
    archives: s.list(o.archive ?? []).map((a, i) => {
      const as = s.at(`archive[${i}]`);
      const archive = as.object(a);
      const database = as.object(archive.database);
      const min = as.optionalText(archive.min);
      const max = as.optionalText(archive.max);
      return { id: as.text(archive.id), dbId: as.int(database.id), repoKey: as.int(database['repo-key']), ...(min ? { min } : {}), ...(max ? { max } : {}) };
    }),
    backups: s.list(o.backup ?? []).map((b, i) => readBackup(b, s.at(`backup[${i}]`))),
  };
}

function readBackup(raw: unknown, s: Shape): BackrestBackup {
  const o = s.object(raw);
  const typeText = s.text(o.type);
  const type: BackrestBackupType = typeText === 'full' || typeText === 'diff' || typeText === 'incr' ? typeText : s.at('type').fail(`"${typeText}" is not full, diff or incr`);
  const times = s.at('timestamp').object(o.timestamp);
  const info = s.at('info').object(o.info);
  const repo = s.at('info.repository').object(info.repository);
  const database = s.at('database').object(o.database);
  const backrest = s.at('backrest').object(o.backrest);
  const backup: BackrestBackup = {
    label: s.text(o.label),
    type,
    references: o.reference === null || o.reference === undefined ? [] : s.at('reference').list(o.reference).map((r) => s.at('reference').text(r)),
    startTime: new Date(s.at('timestamp').int(times.start) * 1000),
    stopTime: new Date(s.at('timestamp').int(times.stop) * 1000),
    size: s.at('info').int(info.size),
    delta: s.at('info').int(info.delta),
    repositoryDelta: s.at('info.repository').int(repo.delta),
    dbId: s.at('database').int(database.id),
    repoKey: s.at('database').int(database['repo-key']),
    backrestVersion: s.at('backrest').text(backrest.version),
  };
  const prior = s.at('prior').optionalText(o.prior);
  if (prior) backup.prior = prior;
  if (o.archive !== null && o.archive !== undefined) {
    const archive = s.at('archive').object(o.archive);
    const start = s.at('archive').optionalText(archive.start);
    const stop = s.at('archive').optionalText(archive.stop);
    if (start) backup.walStart = start;
    if (stop) backup.walStop = stop;
  }
  if (o.lsn !== null && o.lsn !== undefined) {
    const lsn = s.at('lsn').object(o.lsn);
    const start = s.at('lsn').optionalText(lsn.start);
    const stop = s.at('lsn').optionalText(lsn.stop);
    if (start) backup.lsnStart = start;
    if (stop) backup.lsnStop = stop;
  }
  if (repo.size !== undefined) backup.repositorySize = s.at('info.repository').int(repo.size);
  if (o.error !== undefined) backup.error = s.at('error').bool(o.error);
  if (o.annotation !== undefined && o.annotation !== null) {
    const a = s.at('annotation').object(o.annotation);
    backup.annotations = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, s.at(`annotation.${k}`).text(v)]));
  }
  return backup;
}

/** The stanza named `stanza` in an info result, or an error a user can act on when pgBackRest says it is not there or not usable. */
export function usableStanza(stanzas: readonly BackrestStanzaInfo[], stanza: string): BackrestStanzaInfo {
  const found = stanzas.find((s) => s.name === stanza);
  if (!found) throw new PgbrError('tool-failed', `pgbackrest info listed no stanza "${stanza}": check --stanza and the [${stanza}] section of pgBackRest's config.`);
  return found;
}

/** One sentence on a stanza status that is not ok: what pgBackRest says, and what to do. */
export function stanzaProblem(info: BackrestStanzaInfo, config?: string): string | undefined {
  const { code, message } = info.status;
  const where = config ? ` in ${config}` : '';
  switch (code) {
    case 0:
      return undefined;
    case 1:
      return `stanza "${info.name}" does not exist in the repository (${message}): check the stanza name and repo1-path${where}, or create it with pgbackrest stanza-create.`;
    case 2:
      return `stanza "${info.name}" has no valid backup yet (${message}): take one with pgbr backrest backup --type full.`;
    case 3:
      return `stanza "${info.name}" is missing its backup.info or archive.info (${message}): the repository is damaged or half-created; run pgbackrest stanza-create again.`;
    default:
      return `stanza "${info.name}" has status ${code} (${message}): run pgbackrest info for the details.`;
  }
}
