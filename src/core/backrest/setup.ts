// `pgbr backrest setup`: the pgBackRest config and server settings that make a stanza work on one server, planned (and shown) before anything is written.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import { runTool } from '../platform/runner';
import { hasControlCharacter, shellWord } from '../platform/shell';
import { isStanzaName } from './config';
import { appendToSection, findSection, formatIni, iniKeyValue, parseIni, putSection, sectionValues } from './ini';
import { DEFAULT_CONFIG_FILES } from './run';

/** pgBackRest's largest `repo1-retention-full`: our keep rules expire backups, so its own count never does first. */
export const HIGH_RETENTION = 9999999;
const DEFAULT_CONFIG = DEFAULT_CONFIG_FILES[0] ?? '/etc/pgbackrest/pgbackrest.conf';

/** What the server has now, when it was asked: restarts and replaced commands are then named exactly. */
export interface ServerArchiving {
  archiveMode?: string;
  archiveCommand?: string;
  walLevel?: string;
}

export interface BackrestSetupInput {
  stanza: string;
  /** The posix repository's folder (`repo1-path`). */
  repoPath: string;
  pgDataDir: string;
  pgPort: number;
  pgSocketDir?: string;
  /** Default HIGH_RETENTION. */
  retentionFull?: number;
  /** Default `zst` where the installed pgBackRest has it, else `gz`. */
  compressType?: string;
  /** Default 2. */
  processMax?: number;
  /** Default pgBackRest's own, /etc/pgbackrest/pgbackrest.conf. */
  configPath?: string;
  serverNow?: ServerArchiving;
}

export interface ServerSetting {
  name: string;
  value: string;
}

/** A key the file already had, left as it was; `ours` is what setup would have written when it differs. */
export interface KeptKey {
  section: string;
  key: string;
  value: string;
  ours?: string;
}

export interface BackrestSetupPlan {
  stanza: string;
  configPath: string;
  /** The whole file as it would be written. */
  configText: string;
  /** The file as read while planning; writing refuses when it is no longer this. Absent: there was no file. */
  mergedFrom?: string;
  kept: KeptKey[];
  repoPath: string;
  pgDataDir: string;
  serverSettings: ServerSetting[];
  /** ALTER SYSTEM for each setting, then pg_reload_conf(). */
  sql: string[];
  notes: string[];
}

/** A string as PostgreSQL's quote_literal writes it: quotes doubled, and E'' with backslashes doubled when there are any. */
export function sqlLiteral(value: string): string {
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

function absolutePath(flag: string, p: string): string {
  if (hasControlCharacter(p) || p.trim() !== p || p === '') {
    throw new PgbrError('usage', `${flag} must be a path without control characters or surrounding spaces, which pgBackRest's config cannot hold.`);
  }
  if (!path.isAbsolute(p)) throw new PgbrError('usage', `${flag} ${p} is a relative path: give an absolute one, since pgBackRest and the server run from their own folders.`);
  return path.normalize(p).replace(/(.)\/+$/, '$1');
}

function isInside(folder: string, p: string): boolean {
  const rel = path.relative(folder, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function refuseRepoInData(repoPath: string, dataDir: string): void {
  if (isInside(dataDir, repoPath)) {
    throw new PgbrError('usage', `the repository ${repoPath} is inside the data directory ${dataDir}: a backup would copy the repository into itself and a restore would delete it; choose a folder outside it, like /var/lib/pgbackrest.`);
  }
}

function wholeNumber(flag: string, n: number, min: number, max: number): number {
  if (!Number.isInteger(n) || n < min || n > max) throw new PgbrError('usage', `${flag} ${n} is out of range: give a whole number from ${min} to ${max}.`);
  return n;
}

/** The archive_command and restore_command pgBackRest documents, with `--config` only when the file is not the one it reads by default. */
export function archiveCommands(stanza: string, configPath: string, readByDefault = DEFAULT_CONFIG): { archiveCommand: string; restoreCommand: string } {
  const config = configPath === readByDefault ? '' : `${shellWord(`--config=${configPath}`)} `;
  return {
    archiveCommand: `pgbackrest ${config}--stanza=${stanza} archive-push %p`,
    restoreCommand: `pgbackrest ${config}--stanza=${stanza} archive-get %f "%p"`,
  };
}

/**
 * The plan from the input and the file's text as it is now (undefined: no file); no file is read or
 * written. `readByDefault` is the file pgBackRest reads without `--config`.
 */
export function composeBackrestSetup(input: BackrestSetupInput & { compressType: string }, existing: string | undefined, readByDefault = DEFAULT_CONFIG): BackrestSetupPlan {
  const { stanza } = input;
  if (!isStanzaName(stanza)) throw new PgbrError('usage', `--stanza ${stanza} is not a name pgBackRest accepts for a stanza: use letters, digits, ".", "-" and "_", starting with a letter or digit.`);
  const configPath = absolutePath('--config', input.configPath ?? DEFAULT_CONFIG);
  const repoPath = absolutePath('--repo-path', input.repoPath);
  const pgDataDir = absolutePath('--data-dir', input.pgDataDir);
  const pgSocketDir = input.pgSocketDir === undefined ? undefined : absolutePath('--socket-dir', input.pgSocketDir);
  refuseRepoInData(repoPath, pgDataDir);
  const port = wholeNumber('--port', input.pgPort, 1, 65535);
  const retention = wholeNumber('repo1-retention-full', input.retentionFull ?? HIGH_RETENTION, 1, HIGH_RETENTION);
  const processMax = wholeNumber('process-max', input.processMax ?? 2, 1, 999);
  if (!/^(none|bz2|gz|lz4|zst)$/.test(input.compressType)) throw new PgbrError('usage', `compress-type ${input.compressType} is not one pgBackRest has: use zst, lz4, gz, bz2 or none.`);

  const globalKeys: [string, string, string?][] = [
    ['repo1-path', repoPath],
    [
      'repo1-retention-full',
      String(retention),
      retention === HIGH_RETENTION ? '# pgbr backrest expire keeps backups by its keep rules (GFS) and expires the others with expire --set: pgBackRest\'s own count stays high so it never expires one first.' : undefined,
    ],
    ['compress-type', input.compressType],
    ['process-max', String(processMax)],
    ['log-level-console', 'info'],
    ['start-fast', 'y'],
  ];
  const doc = parseIni(existing ?? '');
  if (existing === undefined) doc.sections[0]?.lines.push('# pgBackRest configuration written by pgbr backrest setup. It holds no secret: a cipher pass belongs in PGBACKREST_REPO1_CIPHER_PASS or is added by hand.');
  const kept: KeptKey[] = [];
  const notes: string[] = [];
  const global = findSection(doc, 'global');
  const globalNow = global ? sectionValues(global) : new Map<string, string>();
  const added: string[] = [];
  let repoInStanza = false;
  for (const [key, value, comment] of globalKeys) {
    const now = globalNow.get(key);
    if (now === undefined) {
      added.push(...(comment ? [comment] : []), `${key}=${value}`);
      continue;
    }
    kept.push({ section: 'global', key, value: now, ...(now !== value ? { ours: value } : {}) });
    if (key === 'repo1-path' && now !== value) {
      repoInStanza = true;
      notes.push(`[global] sets repo1-path=${now}, kept for the other stanzas; [${stanza}] sets its own repo1-path=${repoPath}.`);
    } else if (now !== value) notes.push(`[global] already sets ${key}=${now}: kept (setup would write ${value}).`);
  }
  if (global) appendToSection(doc, global, added);
  else putSection(doc, 'global', ['[global]', ...added], { first: true });

  const ours: [string, string][] = [['pg1-path', pgDataDir], ['pg1-port', String(port)]];
  if (pgSocketDir) ours.push(['pg1-socket-path', pgSocketDir]);
  if (repoInStanza) ours.push(['repo1-path', repoPath]);
  // The stanza's section is rewritten: our keys replace theirs, its other keys (pg1-user, repo1-cipher-type…) stay.
  const owned = new Set([...ours.map(([k]) => k), 'repo1-path']);
  const keptLines: string[] = [];
  for (const line of findSection(doc, stanza)?.lines ?? []) {
    const kv = iniKeyValue(line);
    if (!kv || owned.has(kv.key)) continue;
    keptLines.push(line.replace(/\r$/, ''));
    kept.push({ section: stanza, key: kv.key, value: kv.value });
  }
  putSection(doc, stanza, [`[${stanza}]`, ...ours.map(([k, v]) => `${k}=${v}`), ...keptLines]);

  const { archiveCommand, restoreCommand } = archiveCommands(stanza, configPath, readByDefault);
  const now = input.serverNow;
  const serverSettings: ServerSetting[] = [
    ...(now?.walLevel === 'minimal' ? [{ name: 'wal_level', value: 'replica' }] : []),
    { name: 'archive_mode', value: 'on' },
    { name: 'archive_command', value: archiveCommand },
    { name: 'restore_command', value: restoreCommand },
  ];
  const sql = [...serverSettings.map((s) => `ALTER SYSTEM SET ${s.name} = ${sqlLiteral(s.value)};`), 'SELECT pg_catalog.pg_reload_conf();'];

  if (now?.archiveCommand && now.archiveMode !== 'off' && now.archiveCommand !== archiveCommand) {
    notes.push(`the server's archive_command is now ${now.archiveCommand}: the new one replaces it, so WAL stops going wherever that one sends it.`);
  }
  const restartFor = [...(now?.walLevel === 'minimal' ? ['wal_level'] : []), ...(now?.archiveMode === 'off' ? ['archive_mode'] : [])];
  if (restartFor.length) notes.push(`${restartFor.join(' and ')} take${restartFor.length === 1 ? 's' : ''} effect only at a restart: restart the server after applying the settings.`);
  else if (now?.archiveMode === undefined) notes.push('archive_mode takes effect only at a restart: restart the server after applying the settings if it was off.');
  const isDefault = configPath === readByDefault;
  const backrestConfig = isDefault ? '' : ` ${shellWord(`--config=${configPath}`)}`;
  const pgbrConfig = isDefault ? '' : ` --config ${shellWord(configPath)}`;
  notes.push(
    `next, as the server's OS user: pgbackrest${backrestConfig} --stanza=${stanza} stanza-create; then pgbr backrest check --stanza ${stanza}${pgbrConfig} to see WAL reach the repository.`,
    `to encrypt the repository, add repo1-cipher-type=aes-256-cbc and repo1-cipher-pass to the file by hand, or set PGBACKREST_REPO1_CIPHER_PASS for the server and pgbr, before stanza-create: setup writes no secret.`,
    `pgbr finds the stanza by itself when pgbackup.yaml lists it: repositories: [{ kind: pgbackrest, stanza: ${stanza}${isDefault ? '' : `, config: ${configPath}`} }].`,
  );
  return {
    stanza,
    configPath,
    configText: formatIni(doc),
    ...(existing !== undefined ? { mergedFrom: existing } : {}),
    kept,
    repoPath,
    pgDataDir,
    serverSettings,
    sql,
    notes,
  };
}

/** `zst` from pgBackRest 2.27 on (Debian's build links libzstd), else `gz`, which every build has; a note when pgbackrest does not run. */
export async function defaultCompressType(program = 'pgbackrest'): Promise<{ type: 'zst' | 'gz'; note?: string }> {
  const r = await runTool({ file: program, args: ['version'], collectStdout: true, env: { LC_ALL: 'C' }, missingHint: 'install pgBackRest (the Debian package is pgbackrest)' });
  const m = r.status === 'succeeded' ? /pgBackRest (\d+)\.(\d+)/.exec(r.stdout) : null;
  if (!m) return { type: 'gz', note: `pgbackrest version did not run here (${r.status === 'failed' ? r.message : 'no version printed'}), so compress-type is gz: install pgBackRest before stanza-create.` };
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return { type: major > 2 || (major === 2 && minor >= 27) ? 'zst' : 'gz' };
}

/** The real path of `p`, or of its nearest existing folder with the rest appended: links cannot hide a repository inside the data directory. */
async function realPathSoFar(p: string): Promise<string> {
  const real = await fs.realpath(p).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = path.dirname(p);
  return parent === p ? p : path.join(await realPathSoFar(parent), path.basename(p));
}

/**
 * Reads the config file as it is now and plans the merge; nothing is written. Without a config path it
 * is the file pgBackRest reads by default: /etc/pgbackrest/pgbackrest.conf, else the older
 * /etc/pgbackrest.conf (Debian's) when only that one exists.
 */
export async function planBackrestSetup(input: BackrestSetupInput, opts: { program?: string } = {}): Promise<BackrestSetupPlan> {
  const present = await Promise.all(DEFAULT_CONFIG_FILES.map((f) => fs.stat(f).then(() => true, () => false)));
  const readByDefault = DEFAULT_CONFIG_FILES.find((_, i) => present[i]) ?? DEFAULT_CONFIG;
  const configPath = absolutePath('--config', input.configPath ?? readByDefault);
  const existing = await fs.readFile(configPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new PgbrError('io', `cannot read ${configPath} (${e.code ?? e.message}): run as a user who can read it, or pass another --config.`, { cause: e });
  });
  const compress = input.compressType === undefined ? await defaultCompressType(opts.program) : { type: input.compressType };
  const plan = composeBackrestSetup({ ...input, configPath, compressType: compress.type }, existing, readByDefault);
  if (configPath === DEFAULT_CONFIG && readByDefault !== DEFAULT_CONFIG) {
    plan.notes.unshift(`once ${configPath} exists pgBackRest reads it instead of ${readByDefault}: carry over what that file sets for other stanzas, or pass --config ${readByDefault}.`);
  }
  refuseRepoInData(await realPathSoFar(plan.repoPath), await realPathSoFar(plan.pgDataDir));
  if ('note' in compress && compress.note) plan.notes.unshift(compress.note);
  return plan;
}

/** The plan as a person reads it before anything is written: the file, the keys kept, the server settings, the SQL and the notes. */
export function setupLines(plan: BackrestSetupPlan, done: { written?: boolean; applied?: boolean } = {}): string[] {
  const unchanged = plan.mergedFrom === plan.configText;
  const what = unchanged ? 'already holds what setup would write' : plan.mergedFrom === undefined ? 'a new file' : 'merged into the file as it is';
  const lines = [`${done.written ? 'Wrote' : 'Would write'} ${plan.configPath} (${what}):`, '', plan.configText.replace(/\n$/, ''), ''];
  if (plan.kept.length) {
    lines.push('Kept as the file has them:', ...plan.kept.map((k) => `  [${k.section}] ${k.key}=${k.value}${k.ours !== undefined ? ` (setup would write ${k.ours})` : ''}`));
  }
  lines.push('Server settings:', ...plan.serverSettings.map((s) => `  ${s.name} = ${s.value}`), `SQL${done.applied ? ' (applied)' : ''}:`, ...plan.sql.map((q) => `  ${q}`), 'Notes:', ...plan.notes.map((n) => `  - ${n}`));
  return lines;
}
