// libpq's connection service files (pg_service.conf): where they are, what they hold, and as profile parameters.
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import { parsePort, parseSslMode } from './uri';
import type { ConnectionParams, ProfileProblem } from './types';
import { passwordHome } from './advice';

export interface ServiceFile {
  /** Section name → its `key=value` pairs, in file order; the first section of a name wins, as in libpq. */
  services: Map<string, Record<string, string>>;
  problems: ProfileProblem[];
  /** Section name → 1-based line of its `[name]` header. */
  sectionLines: Map<string, number>;
}

/**
 * Reads a service file as libpq does: `[name]` starts a section, `key=value` lines belong to it,
 * lines starting with `#` are comments. libpq stops at the first section of a name and keeps the
 * first value of a key, so later duplicates are reported and ignored.
 */
export function parseServiceFile(text: string, file: string, label = path.basename(file)): ServiceFile {
  const services = new Map<string, Record<string, string>>();
  const sectionLines = new Map<string, number>();
  const problems: ProfileProblem[] = [];
  const source = { kind: 'service' as const, file, label };
  const report = (line: number, message: string, extra: Partial<ProfileProblem> = {}) =>
    problems.push({ source: { ...source, line }, message, file, line, column: 1, ...extra });

  let current: Record<string, string> | undefined;
  let currentName: string | undefined;
  // After a broken or repeated header, its keys are skipped without a problem per line.
  let skipping = false;
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      const close = line.indexOf(']');
      const name = close > 0 ? line.slice(1, close).trim() : '';
      if (!name) {
        current = undefined;
        currentName = undefined;
        skipping = true;
        report(lineNo, `"${line}" is not a section header: write it as [service_name]`, { severity: 'warning' });
        return;
      }
      currentName = name;
      if (services.has(name)) {
        current = undefined;
        skipping = true;
        report(lineNo, `service [${name}] is defined again: libpq uses the first one at line ${sectionLines.get(name)}, remove this one`, {
          severity: 'warning',
          profileName: name,
        });
        return;
      }
      current = {};
      skipping = false;
      services.set(name, current);
      sectionLines.set(name, lineNo);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      report(lineNo, `"${line}" is not a key=value line: write it as host=db.example.com`, { profileName: currentName });
      return;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!current) {
      if (!skipping) {
        report(lineNo, `"${key}" is outside any [service] section, so libpq ignores it: move it under a section`, {
          severity: 'warning',
          key,
        });
      }
      return;
    }
    if (key === 'service') {
      report(lineNo, `service [${currentName}] names another service, which libpq does not allow: copy that service's keys instead`, {
        profileName: currentName,
        key,
      });
      return;
    }
    if (key in current) {
      report(lineNo, `"${key}" is set twice in [${currentName}]: libpq uses the first value, remove this line`, {
        severity: 'warning',
        profileName: currentName,
        key,
      });
      return;
    }
    current[key] = value;
  });
  return { services, problems, sectionLines };
}

/**
 * The service files libpq reads, in the order it reads them: the user's (PGSERVICEFILE or
 * ~/.pg_service.conf) first, then the system one under PGSYSCONFDIR.
 */
export function serviceFileCandidates(
  env: NodeJS.ProcessEnv,
  homedir: string,
  platform: NodeJS.Platform = process.platform,
): string[] {
  const files: string[] = [];
  if (env.PGSERVICEFILE) files.push(env.PGSERVICEFILE);
  else if (platform === 'win32') {
    const appData = env.APPDATA ?? path.win32.join(homedir, 'AppData', 'Roaming');
    files.push(path.win32.join(appData, 'postgresql', '.pg_service.conf'));
  } else files.push(path.posix.join(homedir, '.pg_service.conf'));
  if (env.PGSYSCONFDIR) {
    files.push((platform === 'win32' ? path.win32 : path.posix).join(env.PGSYSCONFDIR, 'pg_service.conf'));
  }
  return files;
}

export interface ServiceParams {
  params: ConnectionParams;
  /** One sentence each; a password is a warning, a bad port or sslmode makes the service unusable. */
  problems: string[];
  /** False when a value could not be read: connecting with the rest would reach the wrong server. */
  usable: boolean;
}

/** Turns a service's keys into profile parameters; a password is never copied. */
export function serviceToParams(values: Record<string, string>): ServiceParams {
  const params: ConnectionParams = {};
  const problems: string[] = [];
  let usable = true;
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    try {
      switch (key) {
        case 'host':
          params.host = value;
          break;
        case 'hostaddr':
          // libpq connects to hostaddr and uses host (when set) only for TLS and pgpass.
          options.hostaddr = value;
          break;
        case 'port':
          params.port = parsePort(value);
          break;
        case 'user':
          params.user = value;
          break;
        case 'dbname':
          params.database = value;
          break;
        case 'sslmode':
          params.sslmode = parseSslMode(value);
          break;
        case 'password':
          problems.push(`the password in the service file is not used: move it to ${passwordHome()}`);
          break;
        default:
          options[key] = value;
      }
    } catch (e) {
      usable = false;
      problems.push(e instanceof PgbrError ? e.message : String(e));
    }
  }
  if (params.host === undefined && options.hostaddr !== undefined) {
    params.host = options.hostaddr;
    delete options.hostaddr;
  }
  if (Object.keys(options).length) params.options = options;
  return { params, problems, usable };
}
