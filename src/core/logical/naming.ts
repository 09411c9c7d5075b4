// Where a dump goes and what it is called: the name template, the extension by format, names that are safe on every file system.
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import type { DumpFormat } from './manifest';

export const DEFAULT_NAME_TEMPLATE = '{db}_{yyyyMMdd-HHmmss}';
export const DEFAULT_GLOBALS_NAME_TEMPLATE = '{profile}_globals_{yyyyMMdd-HHmmss}';

export interface NameValues {
  db: string;
  profile: string;
  format: DumpFormat;
  /** Formatted in local time: people read these names next to their wall clock. */
  date: Date;
}

export const NAME_TOKENS = ['db', 'profile', 'format', 'yyyy', 'MM', 'dd', 'HH', 'mm', 'ss', 'yyyyMMdd-HHmmss'] as const;

// Long enough for a 63-byte database name, a profile and a timestamp, short of the usual 255-byte limit once `.partial` and `.manifest.json` are added.
const MAX_NAME_BYTES = 180;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `{db}_{yyyyMMdd-HHmmss}` → `shop_20261122-101500`. Unknown tokens are a setting mistake worth saying. */
export function expandNameTemplate(template: string, values: NameValues): string {
  const d = values.date;
  const date = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  const byToken: Record<(typeof NAME_TOKENS)[number], string> = {
    db: values.db,
    profile: values.profile,
    format: values.format,
    yyyy: pad(d.getFullYear(), 4),
    MM: pad(d.getMonth() + 1),
    dd: pad(d.getDate()),
    HH: pad(d.getHours()),
    mm: pad(d.getMinutes()),
    ss: pad(d.getSeconds()),
    'yyyyMMdd-HHmmss': `${date}-${time}`,
  };
  const expanded = template.replace(/\{([^{}]*)\}/g, (whole, token: string) => {
    if (Object.hasOwn(byToken, token)) return byToken[token as keyof typeof byToken];
    throw new PgbrError(
      'config',
      `the dump name template "${template}" has an unknown token ${whole}: use ${NAME_TOKENS.map((t) => `{${t}}`).join(' ')}`,
    );
  });
  return safeFileName(expanded);
}

/**
 * A name every common file system accepts: no path separators or characters Windows refuses, no
 * leading dot (dump lists skip hidden files), no reserved device names, and a bounded length.
 */
export function safeFileName(text: string): string {
  let name = text.replace(/[<>:"/\\|?*\u0000-\u001f\u007f]/g, '_').trim();
  name = name.replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  // Windows drops trailing dots and spaces, which would make two names collide.
  name = name.replace(/[. ]+$/, '');
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    let cut = '';
    for (const ch of name) {
      if (Buffer.byteLength(cut + ch) > MAX_NAME_BYTES) break;
      cut += ch;
    }
    name = cut.replace(/[. ]+$/, '');
  }
  return name === '' ? 'dump' : name;
}

/** `.dump` custom, none for a directory, `.tar`, `.sql` plain, `.sql.gz` plain compressed with gzip. */
export function dumpExtension(format: DumpFormat, plainGzip = false): string {
  switch (format) {
    case 'custom':
      return '.dump';
    case 'directory':
      return '';
    case 'tar':
      return '.tar';
    case 'plain':
      return plainGzip ? '.sql.gz' : '.sql';
  }
}

/** Splits a file name the user chose into the base and the extension a numbered name keeps at the end. */
export function splitDumpFileName(fileName: string): { base: string; extension: string } {
  const match = /^(.+?)((?:\.sql)?\.[A-Za-z0-9]+)$/.exec(fileName);
  return match ? { base: match[1] as string, extension: match[2] as string } : { base: fileName, extension: '' };
}

/** What to tell the user when the chosen name was taken, so a `name-2.dump` is never a surprise. */
export function takenNameNote(result: { path: string; requestedPath?: string }): string | undefined {
  if (result.requestedPath === undefined) return undefined;
  return `${result.requestedPath} already exists and was left alone, so this dump is ${path.basename(result.path)}.`;
}
