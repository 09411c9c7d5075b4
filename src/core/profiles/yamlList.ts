// Adding an entry to a top-level list of pgbackup.yaml (archives:, repositories:) while keeping the rest of the file as written.
import { isMap, isSeq, parseDocument } from 'yaml';
import { PgbrError } from '../platform/errors';

/**
 * The text with `value` added to the list under `key` (made when absent). An entry `listed` already
 * finds leaves the text as it was. `what` names the entry in messages ("the archive").
 */
export function addToYamlList(text: string | undefined, key: string, value: Record<string, string>, listed: (entry: unknown) => boolean, what: string): string {
  const doc = parseDocument(text ?? '');
  if (doc.errors.length > 0) {
    throw new PgbrError('config', `pgbackup.yaml cannot be read (${doc.errors[0]?.message ?? 'syntax error'}): fix it, then add ${what} again.`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new PgbrError('config', `pgbackup.yaml does not hold a mapping of keys: fix it, then add ${what} again.`);
  }
  const current = doc.get(key);
  if (current !== undefined && current !== null && !isSeq(current)) {
    throw new PgbrError('config', `"${key}" in pgbackup.yaml is not a list: make it one, then add ${what} again.`);
  }
  const entries: unknown[] = isSeq(current) ? (current.toJSON()) : [];
  if (entries.some(listed)) return doc.toString();
  if (isSeq(current)) current.add(doc.createNode(value));
  else doc.set(key, doc.createNode([value]));
  return doc.toString();
}
