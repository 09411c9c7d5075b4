// Where offsite copies go: an rclone remote spec (`name:path` from rclone.conf, an on-the-fly
// `:s3,provider=…:bucket/path`, or a local path), checked so rclone can never read it as a flag, and
// split so a connection string's parameters (which may be keys) travel in the environment only.
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';

export interface OffsiteRemote {
  /** Local folder, a remote of the user's rclone config, or a backend made on the fly (`:s3:`). */
  kind: 'local' | 'config' | 'on-the-fly';
  /**
   * What rclone is given and what pgbr records and shows: the remote's name or type and its path, never
   * a parameter (`:s3:bucket/pg`, `offsite:pg`, `/srv/copies`).
   */
  target: string;
  /**
   * What pgbr records in manifests and journals and shows: the target with the parameters that say
   * where the copies are (endpoint, host, region, …; sorted, quoted as rclone reads them), never one
   * that is or may be a secret. Two remotes that differ only in endpoint are two targets. It is a spec
   * itself: given again (with the credentials in rclone's config or environment) it names the same place.
   */
  recorded: string;
  /** The connection string's parameters as rclone's environment variables (`RCLONE_S3_ENDPOINT`, `RCLONE_CONFIG_NAME_KEY`). */
  env: Record<string, string>;
  /** How many parameters the spec carried (only their count is ever shown). */
  parameters: number;
}

/** rclone's rule for remote names: letters, digits, `_ - . + @` and spaces, not starting with `-` or a space. */
const REMOTE_NAME = /^[A-Za-z0-9_.+@][A-Za-z0-9_.+@ -]*$/;
const BACKEND = /^[a-z0-9]+$/;
const PARAM_KEY = /^[A-Za-z0-9_-]+$/;
/** Parameters that say where a remote's files are, across rclone's backends; only these are recorded. */
const PLACE_KEYS = new Set(['provider', 'endpoint', 'region', 'location_constraint', 'host', 'port', 'user', 'url', 'account', 'project_number', 'storage_url', 'tenant', 'drive', 'share']);
/** Never recorded even if a backend used such a name for a place. */
const SECRET_KEY = /key|secret|pass|token|auth|cred|sas|session|sign/;

function refuse(spec: string, why: string): never {
  // The spec itself is not echoed: an on-the-fly remote can carry a key.
  throw new PgbrError('usage', `the remote ${shownSpec(spec)} cannot be used: ${why}`);
}

/** The spec without its parameters, for messages: `:s3,…:bucket/pg`. */
function shownSpec(spec: string): string {
  return JSON.stringify(spec.replace(/^(:?[^:,/]*),[^]*?:(?=[^:]*$)/, '$1,…:').slice(0, 120));
}

/**
 * Parses `name:path`, `name,key=value:path`, `:backend,key=value:path` or a local path (relative to
 * `base`). Refuses what rclone could take for a flag, line breaks, and names rclone would not accept.
 */
export function parseRemote(spec: string, base: string): OffsiteRemote {
  if (spec.trim() === '') refuse(spec, 'it is empty: give a remote such as backup:pg, :s3:bucket/pg or a folder.');
  if (spec.startsWith('-')) refuse(spec, 'it starts with "-", which rclone would read as an option: write ./ in front of a folder that starts with -.');
   
  if (/[\u0000-\u001f\u007f]/.test(spec)) refuse(spec, 'it contains a control character or a line break.');
  if (spec.startsWith(':')) return onTheFly(spec);
  // rclone reads a name followed by ":" (or "," and parameters) before any slash as a remote; a local path with a colon is written ./a:b.
  const head = /^([^,:\\/]+)([,:])/.exec(spec);
  if (!head || !spec.includes(':') || path.isAbsolute(spec)) {
    const target = path.resolve(base, spec);
    return { kind: 'local', target, recorded: target, env: {}, parameters: 0 };
  }
  const name = head[1] as string;
  if (!REMOTE_NAME.test(name)) refuse(spec, `"${name}" is not an rclone remote name (letters, digits, _ - . + @ and spaces): check rclone config, or write ./ in front of a local folder.`);
  if (head[2] === ':') return { kind: 'config', target: spec, recorded: spec, env: {}, parameters: 0 };
  if (!/^[A-Za-z0-9_]+$/.test(name)) refuse(spec, `the parameters of remote "${name}" cannot be passed in rclone's environment, whose names allow letters, digits and _ only: put them in rclone.conf.`);
  const { params, after } = parameters(spec, name.length + 1);
  const env: Record<string, string> = {};
  for (const [key, value] of params) env[`RCLONE_CONFIG_${name.toUpperCase()}_${envKey(key)}`] = value;
  return { kind: 'config', target: `${name}:${after}`, recorded: recordedSpec(name, params, after), env, parameters: params.length };
}

function onTheFly(spec: string): OffsiteRemote {
  const m = /^:([^,:]*)/.exec(spec) as RegExpExecArray;
  const backend = m[1] as string;
  if (!BACKEND.test(backend)) refuse(spec, `":${backend}" is not an rclone backend (s3, sftp, webdav, …): see rclone help backends.`);
  let params: [string, string][] = [];
  let after: string;
  const next = 1 + backend.length;
  if (spec[next] === ',') ({ params, after } = parameters(spec, next + 1));
  else if (spec[next] === ':') after = spec.slice(next + 1);
  else refuse(spec, `an on-the-fly remote is written :${backend}:path or :${backend},key=value:path.`);
  const env: Record<string, string> = {};
  for (const [key, value] of params) env[`RCLONE_${backend.toUpperCase()}_${envKey(key)}`] = value;
  return { kind: 'on-the-fly', target: `:${backend}:${after}`, recorded: recordedSpec(`:${backend}`, params, after), env, parameters: params.length };
}

/** `head,key=value,…:path` with the place parameters only, sorted by key (the last of a key repeated wins, as in rclone's environment). */
function recordedSpec(head: string, params: readonly [string, string][], after: string): string {
  const places = new Map<string, string>();
  for (const [key, value] of params) {
    const k = key.replace(/-/g, '_').toLowerCase();
    if (PLACE_KEYS.has(k) && !SECRET_KEY.test(k)) places.set(k, value);
  }
  const shown = [...places].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `,${k}=${quoteValue(v)}`);
  return `${head}${shown.join('')}:${after}`;
}

/** A parameter value as rclone's connection string reads it: quoted with ' when it holds , : or a quote, the quote doubled. */
function quoteValue(value: string): string {
  return /[,:'"]/.test(value) ? `'${value.replace(/'/g, "''")}'` : value;
}

function envKey(key: string): string {
  return key.replace(/-/g, '_').toUpperCase();
}

/**
 * rclone's connection-string parameters from `from` up to the colon that ends them: `key=value` or a
 * bare `key` (true), comma-separated, a value quoted with " or ' when it holds , or : (a quote doubled
 * inside). Returns them and the path after the colon.
 */
function parameters(spec: string, from: number): { params: [string, string][]; after: string } {
  const params: [string, string][] = [];
  let i = from;
  for (;;) {
    const keyEnd = spec.slice(i).search(/[=,:]/);
    if (keyEnd < 0) refuse(spec, 'its parameters do not end with ":" before the path.');
    const key = spec.slice(i, i + keyEnd);
    if (!PARAM_KEY.test(key)) refuse(spec, 'a parameter name may hold letters, digits, - and _ only.');
    i += keyEnd;
    let value = 'true';
    if (spec[i] === '=') {
      i++;
      const quote = spec[i];
      if (quote === '"' || quote === "'") {
        value = '';
        i++;
        for (;;) {
          if (i >= spec.length) refuse(spec, `a quoted parameter value has no closing ${quote}.`);
          if (spec[i] === quote) {
            if (spec[i + 1] === quote) {
              value += quote;
              i += 2;
              continue;
            }
            i++;
            break;
          }
          value += spec[i];
          i++;
        }
      } else {
        const end = spec.slice(i).search(/[,:]/);
        if (end < 0) refuse(spec, 'its parameters do not end with ":" before the path.');
        value = spec.slice(i, i + end);
        i += end;
      }
    }
    params.push([key, value]);
    if (spec[i] === ',') {
      i++;
      continue;
    }
    if (spec[i] === ':') return { params, after: spec.slice(i + 1) };
    refuse(spec, 'a parameter must be followed by "," or by ":" and the path.');
  }
}

/** A file or folder below the remote: `offsite:pg` + `shop.dump` → `offsite:pg/shop.dump`; `offsite:` + it → `offsite:shop.dump`. */
export function remoteChild(target: string, name: string): string {
  if (name === '') return target;
  return /[:/\\]$/.test(target) ? `${target}${name}` : `${target}/${name}`;
}

/** A dump's name as it is on the remote: one path part, never one rclone could misread. */
export function checkDumpName(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[\\/]/.test(name) || name.startsWith('-')) {
    throw new PgbrError('usage', `"${name}" is not a dump's name: give the name of the dump file or folder, like shop_20261122-101500.dump.`);
  }
  return name;
}
