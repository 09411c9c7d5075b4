// Plain SQL dumps (gzip or not): the statements pg_dump writes, scanned line by line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PgbrError } from '../../platform/errors';
import { createGunzip } from 'node:zlib';
import { readIdentifierChain } from './relations';
import { TABLE_PREFIXED, type TocEntry, type TocHeader } from './types';

const PLAIN_STATEMENTS: { re: RegExp; desc: string }[] = [
  { re: /^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMPORARY |TEMP )|UNLOGGED )?TABLE (?:IF NOT EXISTS )?/i, desc: 'TABLE' },
  { re: /^CREATE FOREIGN TABLE (?:IF NOT EXISTS )?/i, desc: 'FOREIGN TABLE' },
  { re: /^CREATE MATERIALIZED VIEW (?:IF NOT EXISTS )?/i, desc: 'MATERIALIZED VIEW' },
  { re: /^CREATE (?:OR REPLACE )?(?:(?:TEMP|TEMPORARY|RECURSIVE) )?VIEW /i, desc: 'VIEW' },
  { re: /^CREATE (?:(?:TEMP|TEMPORARY|UNLOGGED) )?SEQUENCE (?:IF NOT EXISTS )?/i, desc: 'SEQUENCE' },
  { re: /^CREATE (?:OR REPLACE )?FUNCTION /i, desc: 'FUNCTION' },
  { re: /^CREATE (?:OR REPLACE )?PROCEDURE /i, desc: 'PROCEDURE' },
  { re: /^CREATE (?:OR REPLACE )?AGGREGATE /i, desc: 'AGGREGATE' },
  { re: /^CREATE SCHEMA (?:IF NOT EXISTS )?/i, desc: 'SCHEMA' },
  { re: /^CREATE EXTENSION (?:IF NOT EXISTS )?/i, desc: 'EXTENSION' },
  { re: /^CREATE TYPE /i, desc: 'TYPE' },
  { re: /^CREATE DOMAIN /i, desc: 'DOMAIN' },
  { re: /^COPY /i, desc: 'TABLE DATA' },
];
const CREATE_INDEX = /^CREATE (UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?/i;
const CREATE_TRIGGER = /^CREATE (?:OR REPLACE )?(?:CONSTRAINT )?TRIGGER /i;
const ALTER_TABLE = /^ALTER (?:TABLE|FOREIGN TABLE) (?:IF EXISTS )?(?:ONLY )?/i;
const ADD_CONSTRAINT = /^\s+ADD CONSTRAINT /i;
const SETVAL = /^SELECT pg_catalog\.setval\('((?:[^']|'')*)'/i;
const OWNED_BY = /^ALTER SEQUENCE /i;
const INSERT_INTO = /^INSERT INTO /i;
const HEADER_COMMENT = /^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*?)(?:; Tablespace: .*)?$/;

/**
 * Scans a plain SQL dump (gzip-compressed or not) for the objects it creates: tables and their COPY
 * data, sequences, functions, indexes, constraints and more. Streams the file, skipping COPY data
 * and dollar-quoted bodies, so a multi-gigabyte dump is read once without being held in memory.
 */
export async function scanPlainSql(file: string, gzip: boolean, signal?: AbortSignal): Promise<{ header: TocHeader; entries: TocEntry[] }> {
  const header: TocHeader = {};
  const entries: TocEntry[] = [];
  const input = createReadStream(file);
  const stream = gzip ? input.pipe(createGunzip()) : input;
  const failure = new Promise<never>((_, reject) => {
    const fail = (e: Error) => reject(new PgbrError('io', `${file} could not be read: ${e.message}. The dump is truncated or corrupt.`, { cause: e }));
    input.once('error', fail);
    stream.once('error', fail);
  });
  failure.catch(() => {});
  const lines = createInterface({ input: stream, crlfDelay: Infinity });

  let inCopy = false;
  let dollarTag: string | undefined;
  let pendingOwner: string | null | undefined;
  let pendingAlter: { schema: string | null; table: string; line: string } | undefined;
  const insertTables = new Set<string>();
  const add = (desc: string, schema: string | null, name: string, line: string, table?: string) => {
    // Tags as pg_dump writes them: `<table> <name>` for the kinds that carry their table in the tag.
    const tag = table !== undefined && TABLE_PREFIXED.has(desc) ? `${table} ${name}` : name;
    const entry: TocEntry = { dumpId: null, catalogOid: 0, objectOid: 0, desc, schema, name, tag, owner: pendingOwner ?? null, rawLine: line };
    if (table !== undefined) entry.table = table;
    entries.push(entry);
  };
  const split = (parts: string[]): [string | null, string] => (parts.length >= 2 ? [parts.at(-2)!, parts.at(-1)!] : [null, parts[0] ?? '']);

  const reading = (async (): Promise<void> => {
    for await (const line of lines) {
      if (signal?.aborted) throw new PgbrError('cancelled', 'reading the dump was cancelled');
      if (inCopy) {
        if (line === '\\.') inCopy = false;
        continue;
      }
      if (dollarTag !== undefined) {
        if (line.includes(dollarTag)) dollarTag = undefined;
        continue;
      }
      if (line.startsWith('--')) {
        const h = HEADER_COMMENT.exec(line);
        if (h) pendingOwner = h[4] === '-' || h[4] === '' ? null : h[4]!;
        else readPlainHeader(line, header);
        continue;
      }
      if (pendingAlter) {
        const add_ = ADD_CONSTRAINT.exec(line);
        if (add_) {
          const name = readIdentifierChain(line, add_[0].length);
          if (name) add(/\bFOREIGN KEY\b/i.test(line) ? 'FK CONSTRAINT' : 'CONSTRAINT', pendingAlter.schema, name.parts[0]!, pendingAlter.line, pendingAlter.table);
        }
        pendingAlter = undefined;
      }
      const first = line.charCodeAt(0);
      // Statements pg_dump writes start at the beginning of a line with an upper-case keyword.
      if (!(first >= 65 && first <= 90) && !(first >= 97 && first <= 122)) continue;

      const opened = openDollarQuote(line);
      let handled = false;
      for (const s of PLAIN_STATEMENTS) {
        const m = s.re.exec(line);
        if (!m) continue;
        const chain = readIdentifierChain(line, m[0].length);
        if (!chain) break;
        const [schema, name] = split(chain.parts);
        const desc = s.desc;
        if (desc === 'TABLE DATA') {
          if (/\bFROM stdin;\s*$/i.test(line)) inCopy = true;
          add(desc, schema, name, line, name);
        } else if (desc === 'SCHEMA' || desc === 'EXTENSION') {
          add(desc, null, chain.parts.at(-1)!, line);
        } else {
          add(desc, schema, name, line);
        }
        handled = true;
        break;
      }
      if (!handled) {
        let m: RegExpExecArray | null;
        if ((m = CREATE_INDEX.exec(line))) {
          const idx = readIdentifierChain(line, m[0].length);
          const on = idx ? /^ ON (?:ONLY )?/i.exec(line.slice(idx.end)) : null;
          const table = idx && on ? readIdentifierChain(line, idx.end + on[0].length) : undefined;
          if (idx && table) {
            const [schema, tableName] = split(table.parts);
            add('INDEX', schema, idx.parts.at(-1)!, line, tableName);
          }
        } else if ((m = CREATE_TRIGGER.exec(line))) {
          const trg = readIdentifierChain(line, m[0].length);
          const on = / ON (?:ONLY )?(?=["A-Za-z_])/i.exec(line);
          const table = on ? readIdentifierChain(line, on.index + on[0].length) : undefined;
          if (trg && table) {
            const [schema, tableName] = split(table.parts);
            add('TRIGGER', schema, trg.parts[0]!, line, tableName);
          }
        } else if ((m = ALTER_TABLE.exec(line))) {
          const table = readIdentifierChain(line, m[0].length);
          if (table) {
            const [schema, tableName] = split(table.parts);
            const rest = line.slice(table.end);
            const inline = /^ ADD CONSTRAINT /i.exec(rest);
            if (inline) {
              const name = readIdentifierChain(rest, inline[0].length);
              if (name) add(/\bFOREIGN KEY\b/i.test(rest) ? 'FK CONSTRAINT' : 'CONSTRAINT', schema, name.parts[0]!, line, tableName);
            } else if (rest.trim() === '') {
              pendingAlter = { schema, table: tableName, line };
            } else if (/^ ALTER COLUMN .* SET DEFAULT /i.test(rest)) {
              const col = readIdentifierChain(rest, ' ALTER COLUMN '.length);
              if (col) add('DEFAULT', schema, col.parts[0]!, line, tableName);
            }
          }
        } else if ((m = INSERT_INTO.exec(line))) {
          // Dumps made with --inserts carry rows as INSERTs: one data entry per table, as COPY gives.
          const table = readIdentifierChain(line, m[0].length);
          if (table) {
            const [schema, name] = split(table.parts);
            const key = `${schema ?? ''}\0${name}`;
            if (!insertTables.has(key)) {
              insertTables.add(key);
              add('TABLE DATA', schema, name, line, name);
            }
          }
        } else if ((m = SETVAL.exec(line))) {
          const seq = readIdentifierChain(m[1]!.replace(/''/g, "'"), 0);
          if (seq) {
            const [schema, name] = split(seq.parts);
            add('SEQUENCE SET', schema, name, line);
          }
        } else if ((m = OWNED_BY.exec(line)) && / OWNED BY /i.test(line)) {
          const seq = readIdentifierChain(line, m[0].length);
          if (seq) {
            const [schema, name] = split(seq.parts);
            add('SEQUENCE OWNED BY', schema, name, line);
          }
        }
      }
      if (opened !== undefined) dollarTag = opened;
    }
  })();
  reading.catch(() => {});
  try {
    await Promise.race([reading, failure]);
  } finally {
    lines.close();
    input.destroy();
  }
  linkPlainSequences(entries);
  return { header, entries };
}

/** A `$tag$` opened on this line and not closed on it: the rest until its close is a body, not statements. */
function openDollarQuote(line: string): string | undefined {
  const re = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/g;
  let open: string | undefined;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    if (open === undefined) open = m[0];
    else if (m[0] === open) open = undefined;
  }
  return open;
}

function readPlainHeader(line: string, header: TocHeader): void {
  const from = /^-- Dumped from database version (.*)$/.exec(line);
  if (from) header.dumpedFrom = from[1]!.trim();
  const by = /^-- Dumped by pg_dump version (.*)$/.exec(line);
  if (by) header.dumpedBy = by[1]!.trim();
  const started = /^-- Started on (.*)$/.exec(line);
  if (started) header.createdAt = started[1]!.trim();
}

/** In a plain dump, a sequence belongs to the table its `ALTER SEQUENCE ... OWNED BY` names. */
function linkPlainSequences(entries: TocEntry[]): void {
  const owners = new Map<string, string>();
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE OWNED BY') continue;
    const by = / OWNED BY (.*);\s*$/i.exec(e.rawLine);
    const chain = by ? readIdentifierChain(by[1]!, 0) : undefined;
    if (chain && chain.parts.length >= 2) {
      const table = chain.parts.at(-2)!;
      owners.set(`${e.schema}\0${e.name}`, table);
    }
  }
  for (const e of entries) {
    if (e.desc !== 'SEQUENCE' && e.desc !== 'SEQUENCE SET' && e.desc !== 'SEQUENCE OWNED BY') continue;
    const table = owners.get(`${e.schema}\0${e.name}`);
    if (table !== undefined) e.table = table;
  }
}
