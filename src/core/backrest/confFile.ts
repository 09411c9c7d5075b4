// What pgbr reads of a pgBackRest config file itself: a key for a stanza (its section, then [global]), and repo1's folder when it is posix.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { findSection, parseIni, sectionValues } from './ini';

/** Where pgBackRest looks for its config when none is given (2.45: the first, then the pre-2.0 location). */
export const DEFAULT_CONFIG_FILES = ['/etc/pgbackrest/pgbackrest.conf', '/etc/pgbackrest.conf'];

/** The config text of a target: its --config, else the default file that exists; undefined when none can be read. */
export async function readConfigText(config: string | undefined): Promise<string | undefined> {
  const file = config ?? DEFAULT_CONFIG_FILES.find((f) => existsSync(f));
  return file ? fs.readFile(file, 'utf8').catch(() => undefined) : undefined;
}

/** A config value for the stanza: its section first, then [global] (pgBackRest's own precedence). */
export function configValue(text: string, stanza: string, key: string): string | undefined {
  const doc = parseIni(text);
  const value = (name: string) => {
    const section = findSection(doc, name);
    return section ? sectionValues(section).get(key) : undefined;
  };
  return value(stanza) ?? value('global');
}

/** repo1's folder when it is a posix repository this host can read (`repo1-type` posix, the default), else undefined. */
export async function posixRepoPath(target: { stanza: string; config?: string }): Promise<string | undefined> {
  const text = await readConfigText(target.config);
  if (text === undefined) return undefined;
  const type = configValue(text, target.stanza, 'repo1-type') ?? 'posix';
  if (type !== 'posix') return undefined;
  // pgBackRest's default repo1-path.
  return configValue(text, target.stanza, 'repo1-path') ?? '/var/lib/pgbackrest';
}
