// What a tree node stands for, as plain data: the one thing commands read from a node, so that a feature
// needs no other feature's node classes and the command-argument resolver needs no editor.
import type { ConnectionProfile } from './core/profiles';
import type { QualifiedName } from './core/postgres';

export type NodeTarget =
  | { kind: 'connection'; profile: ConnectionProfile }
  | { kind: 'database'; profile: ConnectionProfile; database: string }
  | { kind: 'table'; profile: ConnectionProfile; database: string; table: QualifiedName }
  | { kind: 'dump'; path: string }
  | { kind: 'dumpTable'; dumpPath: string; table: QualifiedName }
  | { kind: 'partials'; paths: readonly string[] }
  | { kind: 'baseBackup'; path: string }
  | { kind: 'plan'; name: string }
  | { kind: 'repository'; stanza: string; config?: string };

export type NodeTargetKind = NodeTarget['kind'];

/** A node that stands for a target (the Connections, Dumps, WAL Archive and Plans views' nodes that commands act on). */
export interface Targeted {
  readonly target: NodeTarget;
}

/** How a message names a node of each kind. */
export const TARGET_NOUNS: Record<NodeTargetKind, string> = {
  connection: 'a connection',
  database: 'a database',
  table: 'a table of a database',
  dump: 'a dump',
  dumpTable: 'a table in a dump',
  partials: 'unfinished dumps',
  baseBackup: 'a base backup',
  plan: 'a plan',
  repository: 'a pgBackRest stanza',
};

/** The target of a node VS Code passed, or undefined for anything else. */
export function targetOf(x: unknown): NodeTarget | undefined {
  if (typeof x !== 'object' || x === null || !('target' in x)) return undefined;
  const target: unknown = x.target;
  if (typeof target !== 'object' || target === null || !('kind' in target)) return undefined;
  return typeof target.kind === 'string' && target.kind in TARGET_NOUNS ? (target as NodeTarget) : undefined;
}
