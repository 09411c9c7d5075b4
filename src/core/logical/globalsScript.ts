// A roles script (pg_dumpall --globals-only) as text: read whole (a few kilobytes; an encrypted one is
// decrypted in memory, never to disk), and fitted to a cluster that already has some of its roles and
// tablespaces, whose CREATE would stop the script at its first line otherwise.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EncryptionScheme } from '../crypto/recipients';
import { withDecrypted } from '../crypto/tools';
import type { Logger } from '../platform/log';
import type { Decryption } from './encryptedDump';

/** Reads the script: plain, gzip-compressed, or encrypted (the tool authenticates every byte before it is used). */
export async function readGlobalsScript(file: string, encryption: EncryptionScheme | undefined, d: Decryption, opts: { signal?: AbortSignal; logger?: Logger } = {}): Promise<string> {
  if (!encryption) {
    const bytes = await fs.readFile(file);
    return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  }
  const run = await withDecrypted(
    file,
    path.basename(file),
    { scheme: encryption, ...(d.identities ? { identities: d.identities } : {}) },
    async (plain) => {
      const chunks: Buffer[] = [];
      for await (const chunk of plain) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    { ...(d.tools ? { tools: d.tools } : {}), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.logger ? { logger: opts.logger } : {}) },
  );
  return run.value;
}

/** An identifier as pg_dumpall writes it (`app`, `"Odd ""name"""`), and its name. */
const IDENT = String.raw`("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CREATE_ROLE = new RegExp(`^CREATE ROLE ${IDENT};$`);
const CREATE_TABLESPACE = new RegExp(`^CREATE TABLESPACE ${IDENT} `);

function nameOf(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

export interface FittedScript {
  text: string;
  /** Roles and tablespaces the cluster had, whose CREATE was left out (the ALTER, GRANT and COMMENT lines after it still run). */
  skipped: { roles: string[]; tablespaces: string[] };
}

/**
 * The script with the CREATE ROLE and CREATE TABLESPACE lines of what the cluster already has turned into
 * comments. pg_dumpall writes each as a line of its own, followed by an ALTER ROLE that sets the dumped
 * attributes: those still apply. Every other statement runs as written, with psql stopping at any error.
 */
export function fitToCluster(script: string, existing: { roles: ReadonlySet<string>; tablespaces: ReadonlySet<string> }): FittedScript {
  const skipped: FittedScript['skipped'] = { roles: [], tablespaces: [] };
  const lines = script.split('\n').map((line) => {
    const role = CREATE_ROLE.exec(line);
    if (role && existing.roles.has(nameOf(role[1] as string))) {
      skipped.roles.push(nameOf(role[1] as string));
      return `-- ${line} (the role exists: left out)`;
    }
    const space = CREATE_TABLESPACE.exec(line);
    if (space && existing.tablespaces.has(nameOf(space[1] as string))) {
      skipped.tablespaces.push(nameOf(space[1] as string));
      return `-- ${line} (the tablespace exists: left out)`;
    }
    return line;
  });
  return { text: lines.join('\n'), skipped };
}
