// Where WAL archives are: locations declared in pgbackup.yaml or settings, and one found in an archive_command.
import * as path from 'node:path';
import { isValidSegmentSize } from './names';
import { expandFolder } from '../profiles/places';
import { addToYamlList } from '../profiles/yamlList';

export interface ArchiveLocation {
  /** Absolute folder of archived WAL segments. */
  path: string;
  /** The profile whose server archives into it, when known. */
  connection?: string;
  /** Bytes; absent: read from the server (`wal_segment_size`) or detected from the files. */
  segmentSize?: number;
  /** Where it was declared: `pgbackup.yaml`, `setting pgBackup.archives`. */
  source: string;
}

/**
 * Reads `archives:` entries: a path, or `{ path, connection?, segmentSize? }`. Relative paths are read
 * against `base` (the workspace folder), `~` from the home folder. Bad entries become problems; good ones still load.
 */
export function parseArchiveLocations(
  raw: readonly unknown[],
  source: string,
  base: string | undefined,
  homedir?: string,
): { locations: ArchiveLocation[]; problems: string[] } {
  const locations: ArchiveLocation[] = [];
  const problems: string[] = [];
  raw.forEach((entry, i) => {
    const at = `${source}, archives[${i}]`;
    const value = typeof entry === 'string' ? { path: entry } : entry;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${at}: an archive is a folder path or { path, connection, segmentSize }`);
      return;
    }
    const { path: p, connection, segmentSize, ...rest } = value as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) problems.push(`${at}: unknown key "${unknown[0]}": the keys are path, connection, segmentSize`);
    if (typeof p !== 'string' || p.trim() === '') {
      problems.push(`${at}: "path" is missing: name the folder the server archives WAL into`);
      return;
    }
    const size = parseSegmentSize(segmentSize);
    if (size === null) problems.push(`${at}: segmentSize ${String(segmentSize)} is not a valid WAL segment size (a power of two from 1 MB to 1 GB, e.g. 16MB)`);
    locations.push({
      path: expandFolder(p, { ...(base ? { workspaceFolder: base } : {}), ...(homedir ? { homedir } : {}) }),
      ...(typeof connection === 'string' ? { connection } : {}),
      ...(size ? { segmentSize: size } : {}),
      source,
    });
  });
  return { locations, problems };
}

/** `16MB`, `64 MB`, `16777216` → bytes; undefined when absent; null when invalid. */
export function parseSegmentSize(value: unknown): number | undefined | null {
  if (value === undefined || value === null) return undefined;
  let bytes: number;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*(B|kB|KB|MB|GB)?\s*$/i.exec(value);
    if (!m) return null;
    const unit = (m[2] ?? 'B').toUpperCase();
    bytes = Number(m[1]) * (unit === 'GB' ? 1 << 30 : unit === 'MB' ? 1 << 20 : unit === 'KB' ? 1 << 10 : 1);
  } else return null;
  return isValidSegmentSize(bytes) ? bytes : null;
}

/**
 * The archive a connection's server archives into, decided the same way by the editor and pgbr: the
 * location declared for the connection; else the folder its archive_command copies into (the declared
 * location of that folder, when there is one); else the one location declared, when it names no connection.
 */
export function archiveForConnection(
  locations: readonly ArchiveLocation[],
  connection: string,
  archiveCommand: string,
): ArchiveLocation | undefined {
  const declared = locations.find((l) => l.connection === connection);
  if (declared) return declared;
  const folder = archiveFolderFromCommand(archiveCommand);
  if (folder) return locations.find((l) => path.resolve(l.path) === path.resolve(folder)) ?? { path: folder, source: 'archive_command' };
  const [only, ...others] = locations;
  return only && others.length === 0 && only.connection === undefined ? only : undefined;
}

/**
 * The folder of an archive_command that is a plain local copy: `cp %p /srv/wal/%f`,
 * `test ! -f '/srv/wal'/%f && cp %p '/srv/wal'/%f`, quoted or not. Anything else (rsync, scp,
 * pgbackrest, wal-g, scripts, several commands) is not a folder this machine can read: undefined.
 */
export function archiveFolderFromCommand(command: string): string | undefined {
  const words = shellWords(command);
  if (!words) return undefined;
  let i = 0;
  let tested: string | undefined;
  if (words[0] === 'test' && words[1] === '!' && words[2] === '-f' && words[4] === '&&') {
    tested = words[3];
    i = 5;
  }
  if (!['cp', '/bin/cp', '/usr/bin/cp'].includes(words[i] ?? '')) return undefined;
  i++;
  while (/^-[a-z]+$/.test(words[i] ?? '')) i++;
  if (words[i] !== '%p' || words.length !== i + 2) return undefined;
  const target = words[i + 1] as string;
  if (!target.endsWith('/%f') || (tested !== undefined && tested !== target)) return undefined;
  const folder = target.slice(0, -'/%f'.length);
  return folder.startsWith('/') || /^[A-Za-z]:[\\/]/.test(folder) ? folder : undefined;
}

/**
 * Splits a command line into words as a POSIX shell would for this simple case: quotes join
 * (`'a b'/%f` is one word), `&&` is its own word; anything with other operators, `$`, or backquotes
 * is not a plain command: undefined.
 */
export function shellWords(command: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      const end = command.indexOf('"', i + 1);
      if (end < 0) return undefined;
      const inner = command.slice(i + 1, end);
      if (/[$`\\]/.test(inner)) return undefined;
      word = (word ?? '') + inner;
      i = end;
    } else if (ch === '&' && command[i + 1] === '&') {
      if (word !== undefined) words.push(word);
      words.push('&&');
      word = undefined;
      i++;
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (/[;|&<>$`\\(){}]/.test(ch)) {
      return undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Adds the archive under `archives:` in pgbackup.yaml's text (made when absent); a path already listed is left as it is. */
export function addArchiveToYaml(text: string | undefined, entry: { path: string; connection?: string }): string {
  const value: Record<string, string> = entry.connection ? { path: entry.path, connection: entry.connection } : { path: entry.path };
  return addToYamlList(text, 'archives', value, (l) => (typeof l === 'string' ? l : (l as { path?: unknown } | null)?.path) === entry.path, 'the archive');
}
