// The libpq password file (~/.pgpass): where it is, how libpq matches a line, and how to write one.
import * as path from 'node:path';

/** One `hostname:port:database:username:password` line; an absent field was a bare `*` and matches anything. */
export interface PgpassEntry {
  host?: string;
  port?: string;
  database?: string;
  user?: string;
  password: string;
  /** 1-based line in the file. */
  line: number;
}

export interface PgpassTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The default unix-socket folders (Debian's and upstream's); libpq looks these up as `localhost`. */
const DEFAULT_SOCKET_DIRS = new Set(['/var/run/postgresql', '/tmp']);

/**
 * Reads the lines libpq would consider. Like libpq, a `#` only starts a comment in the first column,
 * a line with fewer than five fields never matches, and the password ends at the next unescaped `:`.
 */
export function parsePgpass(text: string): PgpassEntry[] {
  const entries: PgpassEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line || line.startsWith('#')) return;
    const fields = splitFields(line);
    if (fields.length < 5) return;
    const [host, port, database, user, password] = fields as [Field, Field, Field, Field, Field];
    entries.push({
      host: pattern(host),
      port: pattern(port),
      database: pattern(database),
      user: pattern(user),
      password: password.text,
      line: index + 1,
    });
  });
  return entries;
}

interface Field {
  text: string;
  /** The field was exactly an unescaped `*`. */
  wildcard: boolean;
}

function splitFields(line: string): Field[] {
  const fields: Field[] = [];
  let text = '';
  let raw = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      text += line[i + 1];
      raw += c + line[i + 1];
      i++;
    } else if (c === ':') {
      fields.push({ text, wildcard: raw === '*' });
      text = '';
      raw = '';
    } else {
      text += c;
      raw += c;
    }
  }
  fields.push({ text, wildcard: raw === '*' });
  return fields;
}

function pattern(field: Field): string | undefined {
  return field.wildcard ? undefined : field.text;
}

/** The host libpq looks up: no host or the default socket folder becomes `localhost`. */
export function pgpassHost(host: string): string {
  return host === '' || DEFAULT_SOCKET_DIRS.has(host) ? 'localhost' : host;
}

/** The password of the first line matching `target`, as libpq chooses it. */
export function lookupPgpass(entries: readonly PgpassEntry[], target: PgpassTarget): string | undefined {
  const host = pgpassHost(target.host);
  const port = String(target.port);
  const matches = (field: string | undefined, value: string) => field === undefined || field === value;
  const found = entries.find(
    (e) => matches(e.host, host) && matches(e.port, port) && matches(e.database, target.database) && matches(e.user, target.user),
  );
  return found?.password;
}

/** PGPASSFILE, else `~/.pgpass`, or `%APPDATA%\postgresql\pgpass.conf` on Windows. */
export function pgpassFilePath(env: NodeJS.ProcessEnv, homedir: string, platform: NodeJS.Platform): string {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  if (platform === 'win32') {
    const appData = env.APPDATA ?? path.win32.join(homedir, 'AppData', 'Roaming');
    return path.win32.join(appData, 'postgresql', 'pgpass.conf');
  }
  return path.posix.join(homedir, '.pgpass');
}

export function escapePgpassField(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

export interface PgpassFields {
  /** `*` is written as the wildcard; any other value is escaped. */
  host: string;
  port: string | number;
  database: string;
  user: string;
  password: string;
}

/** One line for the password file, without a line break. */
export function formatPgpassLine(fields: PgpassFields): string {
  const field = (v: string | number) => (v === '*' ? '*' : escapePgpassField(String(v)));
  return [field(fields.host), field(fields.port), field(fields.database), field(fields.user), escapePgpassField(fields.password)].join(':');
}
