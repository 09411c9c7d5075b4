// A server that archives through pgBackRest, read from its archive_command, and the repositories: entry
// that makes its stanza show in the views (added to pgbackup.yaml keeping the rest of the file).
import * as path from 'node:path';
import { addToYamlList } from '../profiles/yamlList';
import { shellWords } from '../wal/locations';
import { isStanzaName } from './config';

/**
 * `pgbackrest [--config=FILE] --stanza=NAME [other options] archive-push %p` (either option also as two
 * words): the stanza and config it names. Anything else, or a command with shell operators, is undefined.
 */
export function backrestFromCommand(command: string): { stanza: string; config?: string } | undefined {
  const words = shellWords(command);
  if (!words || words.includes('&&') || path.basename(words[0] ?? '') !== 'pgbackrest') return undefined;
  let stanza: string | undefined;
  let config: string | undefined;
  let pushed = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    const m = /^--(stanza|config)(?:=(.*))?$/.exec(w);
    if (m) {
      const value = m[2] ?? words[++i];
      if (value === undefined) return undefined;
      if (m[1] === 'stanza') stanza = value;
      else config = value;
    } else if (w === 'archive-push') {
      pushed = words[i + 1] === '%p';
      i++;
    }
  }
  if (!pushed || !stanza || !isStanzaName(stanza) || (config !== undefined && !path.isAbsolute(config))) return undefined;
  return { stanza, ...(config ? { config } : {}) };
}

/** Adds `{ kind: pgbackrest, stanza, config?, connection? }` under `repositories:`; a stanza already listed is left as it is. */
export function addRepositoryToYaml(text: string | undefined, entry: { stanza: string; config?: string; connection?: string }): string {
  const value: Record<string, string> = { kind: 'pgbackrest', stanza: entry.stanza, ...(entry.config ? { config: entry.config } : {}), ...(entry.connection ? { connection: entry.connection } : {}) };
  return addToYamlList(text, 'repositories', value, (l) => (l as { stanza?: unknown } | null)?.stanza === entry.stanza, 'the repository');
}
