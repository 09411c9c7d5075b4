// libpq connection URIs (postgresql://user@host:port/db?param=value) and the parameter values they carry.
import { PgbrError } from '../platform/errors';
import { SSL_MODES, type ConnectionParams, type SslMode } from './types';

const SCHEMES = ['postgresql://', 'postgres://'] as const;

export const PASSWORD_IN_URI_MESSAGE =
  'connection URIs must not contain a password: remove it and use "Set password…" or ~/.pgpass';

/** Parameters with a field of their own in ConnectionParams; the other keywords go to `options`. */
const FIELD_KEYWORDS = new Set(['host', 'port', 'user', 'dbname', 'sslmode', 'password', 'ssl']);

/**
 * Reads a connection URI the way libpq does: percent-decoding every part, `[v6]` hosts, a unix-socket
 * folder as a percent-encoded host or `?host=/dir`, and query parameters overriding the authority.
 */
export function parseConnectionUri(uri: string): ConnectionParams {
  const text = uri.trim();
  const scheme = SCHEMES.find((s) => text.startsWith(s));
  if (!scheme) {
    // Only a scheme is echoed: the rest may hold a password.
    const given = text.includes('://') ? ` (not ${text.slice(0, text.indexOf('://'))}://)` : '';
    throw new PgbrError('config', `a connection URI must start with postgresql:// or postgres://${given}`);
  }
  let rest = text.slice(scheme.length);
  let query = '';
  const queryAt = rest.indexOf('?');
  if (queryAt >= 0) {
    query = rest.slice(queryAt + 1);
    rest = rest.slice(0, queryAt);
  }
  let path: string | undefined;
  const pathAt = rest.indexOf('/');
  if (pathAt >= 0) {
    path = rest.slice(pathAt + 1);
    rest = rest.slice(0, pathAt);
  }

  const params: ConnectionParams = {};
  let hostPort = rest;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    hostPort = rest.slice(at + 1);
    const colon = userInfo.indexOf(':');
    const user = colon >= 0 ? userInfo.slice(0, colon) : userInfo;
    if (colon >= 0 && userInfo.length > colon + 1) throw new PgbrError('config', PASSWORD_IN_URI_MESSAGE);
    if (user) params.user = decode(user, 'user name');
  }
  readHostPort(hostPort, params);
  if (path) params.database = decode(path, 'database name');
  if (query) readQuery(query, params);
  return params;
}

function readHostPort(hostPort: string, params: ConnectionParams): void {
  if (!hostPort) return;
  if (hostPort.includes(',')) {
    throw new PgbrError('config', 'connection URIs with several hosts are not supported: keep one host per connection');
  }
  let host: string;
  let port: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw new PgbrError('config', `"${hostPort}" has no closing "]": write IPv6 hosts as [::1]`);
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after && !after.startsWith(':')) {
      throw new PgbrError('config', `unexpected "${after}" after the host [${host}]: write [${host}]:5432`);
    }
    if (after) port = after.slice(1);
  } else {
    const colons = hostPort.split(':').length - 1;
    if (colons > 1) throw new PgbrError('config', `"${hostPort}" looks like an IPv6 address: put it in brackets, like [::1]:5432`);
    const colon = hostPort.indexOf(':');
    host = decode(colon >= 0 ? hostPort.slice(0, colon) : hostPort, 'host');
    if (colon >= 0) port = hostPort.slice(colon + 1);
  }
  if (host) params.host = host;
  // libpq reads an empty port (`host:/db`) as the default one.
  if (port) params.port = parsePort(decode(port, 'port'));
}

function readQuery(query: string, params: ConnectionParams): void {
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq < 0) throw new PgbrError('config', `URI parameter "${decode(pair, 'parameter')}" has no value: write it as name=value`);
    const key = decode(pair.slice(0, eq), 'parameter name');
    const value = decode(pair.slice(eq + 1), `parameter ${key}`);
    if (!/^[a-z_][a-z0-9_]*$/i.test(key)) {
      throw new PgbrError('config', `"${key}" is not a libpq parameter name: use names like sslmode or connect_timeout`);
    }
    switch (key) {
      case 'password':
        throw new PgbrError('config', PASSWORD_IN_URI_MESSAGE);
      case 'host':
        if (value) params.host = value;
        break;
      case 'port':
        if (value) params.port = parsePort(value);
        break;
      case 'user':
        if (value) params.user = value;
        break;
      case 'dbname':
        if (value) params.database = value;
        break;
      case 'sslmode':
        params.sslmode = parseSslMode(value);
        break;
      case 'ssl':
        // libpq's JDBC compatibility: ssl=true means sslmode=require.
        if (value !== 'true') throw new PgbrError('config', `ssl=${value} is not understood: write ssl=true or use sslmode`);
        params.sslmode = 'require';
        break;
      default:
        params.options = { ...params.options, [key]: value };
    }
  }
}

function decode(part: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    throw new PgbrError('config', `the ${what} in the URI has a bad %-escape: write each escape as % and two hex digits`);
  }
  if (decoded.includes('\0')) throw new PgbrError('config', `the ${what} in the URI contains %00, which libpq refuses: remove it`);
  return decoded;
}

/** A port as written in a URI, file or variable; throws a config error naming the range. */
export function parsePort(value: string | number): number {
  const text = String(value).trim();
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port)) throw new PgbrError('config', `port "${text}" is not a number: use an integer from 1 to 65535`);
  if (port < 1 || port > 65535) throw new PgbrError('config', `port ${port} is out of range: use 1-65535`);
  return port;
}

export function parseSslMode(value: string): SslMode {
  const mode = SSL_MODES.find((m) => m === value);
  if (mode) return mode;
  const guess = closestMatch(value, SSL_MODES);
  const hint = guess ? `did you mean "${guess}"?` : `use one of ${SSL_MODES.join(', ')}`;
  throw new PgbrError('config', `sslmode "${value}" is not valid: ${hint}`);
}

/** The candidate a typo most likely meant: within two edits and closer than half the word. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.min(2, Math.floor(word.length / 2)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The URI for `params`, without a password; `parseConnectionUri` reads it back to the same params. */
export function formatConnectionUri(params: ConnectionParams): string {
  let uri = 'postgresql://';
  if (params.user) uri += `${encodeURIComponent(params.user)}@`;
  if (params.host) uri += isIpv6(params.host) ? `[${params.host}]` : encodeURIComponent(params.host);
  if (params.port !== undefined) uri += `:${params.port}`;
  if (params.database) uri += `/${encodeURIComponent(params.database)}`;
  const query: string[] = [];
  if (params.sslmode) query.push(`sslmode=${params.sslmode}`);
  for (const [key, value] of Object.entries(params.options ?? {})) {
    if (key === 'password' || FIELD_KEYWORDS.has(key)) continue;
    query.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  }
  return query.length ? `${uri}?${query.join('&')}` : uri;
}

/** Short text for a tree or a log line: `app@db.example.com:5432/app`. */
export function describeParams(params: ConnectionParams): string {
  if (!params.user && !params.host && params.port === undefined && !params.database) return 'libpq defaults';
  const host = params.host ? (isIpv6(params.host) ? `[${params.host}]` : params.host) : '(default host)';
  return `${params.user ? `${params.user}@` : ''}${host}${params.port !== undefined ? `:${params.port}` : ''}${
    params.database ? `/${params.database}` : ''
  }`;
}

function isIpv6(host: string): boolean {
  return !host.startsWith('/') && host.includes(':');
}
