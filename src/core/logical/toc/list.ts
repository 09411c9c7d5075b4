// `pg_restore --list` text, for archives the built-in reader does not know.
import { resolveTables } from './relations';
import { KNOWN_DESC_SET, TABLE_PREFIXED, type TocEntry, type TocHeader } from './types';

// `pg_restore --list` text

/**
 * Parses `pg_restore --list` output (with or without `--verbose`): the header comments and one entry
 * per line. Names with spaces are split with what the list itself says about schemas (the SCHEMA
 * entries) and owners (the last word); entries where that was a guess are marked `ambiguous`.
 */
export function parseTocList(text: string): { header: TocHeader; entries: TocEntry[] } {
  const header: TocHeader = {};
  const lines: { id: number; catalogOid: number; objectOid: number; desc: string; rest: string; raw: string; deps?: number[] }[] = [];
  let pos = 0;
  const length = text.length;
  while (pos < length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith(';')) {
      const last = lines.at(-1);
      if (line.startsWith(';\tdepends on:') && last) {
        last.deps = line.slice(';\tdepends on:'.length).trim().split(/\s+/).filter(Boolean).map(Number);
      } else {
        readHeaderComment(line, header);
      }
      continue;
    }
    const parsed = splitListLine(line);
    if (parsed) lines.push(parsed);
  }

  // Schemas the list creates, read as "tag owner" with a one-word owner; public and pg_catalog always exist.
  const schemas = new Set(['public', 'pg_catalog']);
  for (const l of lines) {
    if (l.desc === 'SCHEMA' && l.rest.startsWith('- ')) {
      const tagOwner = l.rest.slice(2);
      const cut = tagOwner.lastIndexOf(' ');
      schemas.add(cut < 0 ? tagOwner : tagOwner.slice(0, cut));
    }
  }
  const knownSchemas = [...schemas].sort((a, b) => b.length - a.length);

  const entries = lines.map<TocEntry>((l) => {
    let schema: string | null;
    let tagOwner: string;
    let ambiguous = false;
    if (l.rest.startsWith('- ')) {
      schema = null;
      tagOwner = l.rest.slice(2);
    } else {
      const found = knownSchemas.find((s) => l.rest.startsWith(`${s} `));
      if (found !== undefined) schema = found;
      else {
        const cut = l.rest.indexOf(' ');
        schema = cut < 0 ? l.rest : l.rest.slice(0, cut);
        ambiguous = schema.length < l.rest.length && l.rest.slice(schema.length + 1).includes(' ');
      }
      tagOwner = l.rest.slice((schema ?? '').length + 1);
    }
    const cut = tagOwner.lastIndexOf(' ');
    const tag = cut < 0 ? tagOwner : tagOwner.slice(0, cut);
    const owner = cut < 0 ? '' : tagOwner.slice(cut + 1);
    if (tag.includes(' ') && !TABLE_PREFIXED.has(l.desc) && l.desc !== 'COMMENT' && l.desc !== 'ACL' && l.desc !== 'SECURITY LABEL') ambiguous = true;
    if (schema !== null && schema.includes(' ')) ambiguous = true;
    const entry: TocEntry = {
      dumpId: l.id,
      catalogOid: l.catalogOid,
      objectOid: l.objectOid,
      desc: l.desc,
      schema,
      name: tag,
      tag,
      owner: owner === '' ? null : owner,
      rawLine: l.raw,
    };
    if (l.deps) entry.dependencies = l.deps;
    if (ambiguous) entry.ambiguous = true;
    return entry;
  });
  resolveTables(entries, entries);
  return { header, entries };
}

/** `3245; 1259 16390 TABLE public orders app` → id, oids, desc and the rest; undefined for other lines. */
function splitListLine(line: string): { id: number; catalogOid: number; objectOid: number; desc: string; rest: string; raw: string } | undefined {
  const semi = line.indexOf('; ');
  if (semi <= 0) return undefined;
  const id = Number(line.slice(0, semi));
  if (!Number.isInteger(id) || id <= 0) return undefined;
  const sp1 = line.indexOf(' ', semi + 2);
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) return undefined;
  const catalogOid = Number(line.slice(semi + 2, sp1));
  const objectOid = Number(line.slice(sp1 + 1, sp2));
  const afterOids = line.slice(sp2 + 1);
  // The longest run of up to four leading words that is a known kind.
  let desc: string | undefined;
  for (let cut = afterOids.indexOf(' '), words = 1; cut > 0 && words <= 4; cut = afterOids.indexOf(' ', cut + 1), words++) {
    const candidate = afterOids.slice(0, cut);
    if (KNOWN_DESC_SET.has(candidate)) desc = candidate;
  }
  if (desc === undefined) {
    // A kind this code does not know: pg_dump's kinds are upper-case words.
    const m = /^[A-Z][A-Z ]*?(?= (?:- |[^A-Z ]))/.exec(afterOids);
    desc = m ? m[0] : (afterOids.split(' ')[0] ?? '');
  }
  return { id, catalogOid, objectOid, desc, rest: afterOids.slice(desc.length + 1), raw: line };
}

function readHeaderComment(line: string, header: TocHeader): void {
  const body = line.replace(/^;\s*/, '');
  const created = /^Archive created at (.*)$/.exec(body);
  if (created) {
    header.createdAt = created[1]!.trim();
    return;
  }
  const colon = body.indexOf(': ');
  if (colon < 0) return;
  const key = body.slice(0, colon).trim();
  const value = body.slice(colon + 2).trim();
  switch (key) {
    case 'dbname':
      header.dbname = value;
      break;
    case 'TOC Entries':
      header.tocEntries = Number(value);
      break;
    case 'Compression': {
      const level = Number(value);
      if (Number.isInteger(level)) {
        header.compressionLevel = level;
        header.compression = level === 0 ? 'none' : 'gzip';
      } else header.compression = value;
      break;
    }
    case 'Dump Version':
      header.archiveVersion = value;
      break;
    case 'Format':
      header.format = value;
      break;
    case 'Integer':
      header.intSize = parseInt(value, 10);
      break;
    case 'Offset':
      header.offSize = parseInt(value, 10);
      break;
    case 'Dumped from database version':
      header.dumpedFrom = value;
      break;
    case 'Dumped by pg_dump version':
      header.dumpedBy = value;
      break;
  }
}
