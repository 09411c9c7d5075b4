// `pgbr toc`: what is in a dump. It loads only the TOC reader and the manifest, not the rest of the
// logical core or the pg driver: listing a dump again from its TOC index is mostly start-up.
import * as path from 'node:path';
import type { Command } from 'commander';
import { quickDamage } from '../core/logical/integrity';
import { readListedManifest, type ListedManifest } from '../core/logical/manifest';
import { compactTree, type CompactTocTree, dumpedByMajor, groupToc, indexedDamage, indexedTree, readToc, readTocHeader, readTocIndex, type Toc, tocIndexPlace, type TocIndexPlace, writeTocIndex } from '../core/logical/toc';
import { PgbrError, printable, chooseTool, plural, formatWhen } from '../core/platform';
import { quoteIdent } from '../core/postgres/names';
import { Exit, makeOutput, table, type Output } from './output';
import type { CliContext, Io } from './io';
import { binPathOption, decryptionFor, identityOption, jsonOption } from './options';

interface TocCliOptions {
  json?: boolean;
  entries?: boolean;
  identity?: string;
  binPath?: string;
}

/** A dump that cannot be read is a finding about the dump (exit 1), not a usage error. */
export function failDump(out: Output, e: unknown): number {
  const code = out.fail(e);
  return e instanceof PgbrError && /truncated or corrupt/.test(e.message) ? Exit.Problem : code;
}

/** The TOC, reading archives this build cannot parse with the pg_restore that matches the dump. */
async function tocFor(dumpPath: string, binPath: string | undefined, identity: string | undefined, io: Io): Promise<Toc> {
  try {
    return await readToc(dumpPath, { decryption: await decryptionFor(identity, io) });
  } catch (e) {
    if (!(e instanceof PgbrError && e.kind === 'tool-missing')) throw e;
    const { inventoryFor } = await import('./shared');
    const inventory = await inventoryFor(binPath, io);
    const major = dumpedByMajor(await readTocHeader(dumpPath)) ?? 0;
    return readToc(dumpPath, { pgRestore: chooseTool(inventory, 'pg_restore', major).path });
  }
}

/** Entries whose tag already reads as SQL (`TABLE "Order""s"`): shown as they are. */
const ABOUT_ANOTHER = new Set(['COMMENT', 'ACL', 'SECURITY LABEL']);

/** What the text listing shows of the dump besides its tree. */
type TocAbout = Pick<Toc, 'path' | 'format' | 'gzip' | 'header'>;

export function renderToc(toc: TocAbout, tree: CompactTocTree, manifest: ListedManifest | undefined): string {
  const h = toc.header;
  const lines: string[] = [];
  // Names come from the dump: a newline or escape sequence in one is shown escaped, never printed raw.
  const ident = (name: string) => printable(quoteIdent(name));
  const format = toc.gzip ? `${toc.format}, gzip` : toc.format;
  lines.push(`${printable(toc.path)} (${format}${h.archiveVersion ? `, archive ${h.archiveVersion}` : ''})`);
  const about = [
    h.dbname ? `database ${printable(h.dbname)}` : undefined,
    h.createdAt ? `created ${h.createdAt}` : undefined,
    h.dumpedFrom ? `server ${h.dumpedFrom}` : undefined,
    h.dumpedBy ? `pg_dump ${h.dumpedBy}` : undefined,
    h.compression ? `compression ${h.compression}` : undefined,
  ].filter(Boolean);
  if (about.length) lines.push(about.join(', '));
  if (manifest) {
    const v = manifest.verification;
    lines.push(`manifest: ${plural(manifest.rowCounts.length, 'table')} counted; ${v ? `verification ${v.status} ${formatWhen(v.at)}` : 'never verified'}`);
  }
  const rows = new Map((manifest?.rowCounts ?? []).map((r) => [`${r.schema}\0${r.table}`, r.rows]));
  // Names are shown as SQL writes them, so `"a b"` and `"Order""s"` read unambiguously and can be pasted into --table.
  const of = (e: { name: string; table?: string }) => (e.table !== undefined && e.table !== e.name ? `${ident(e.name)} on ${ident(e.table)}` : ident(e.name));
  for (const s of tree.schemas) {
    lines.push('', `schema ${ident(s.name)}`);
    if (s.tables.length) {
      const body = s.tables.map((t) => {
        const count = rows.get(`${s.name}\0${t.name}`);
        return [`    ${ident(t.name)}`, t.kind, t.hasData ? (count !== undefined ? plural(count, 'row') : 'data') : 'no data'];
      });
      lines.push(`  tables (${s.tables.length})`, table(body));
    }
    const group = (label: string, names: string[]) => {
      if (names.length) lines.push(`  ${label} (${names.length}): ${names.join(', ')}`);
    };
    // Function tags carry their argument types: `f un(integer, text)`; quote the name part only.
    group('functions', s.functions.map((name) => name.replace(/^(.*?)(\(.*\))$/s, (_m, name: string, args: string) => ident(name) + printable(args))));
    group('sequences', s.sequences.map((e) => ident(e.name)));
    group('indexes', s.indexes.map(of));
    group('constraints', s.constraints.map(of));
    group('others', s.others.map((e) => `${e.kind} ${ABOUT_ANOTHER.has(e.kind) ? printable(e.name) : of(e)}`));
  }
  if (tree.global.length) lines.push('', `outside schemas: ${tree.global.map((e) => `${e.kind} ${ABOUT_ANOTHER.has(e.kind) ? printable(e.name) : ident(e.name)}`).join(', ')}`);
  return lines.join('\n');
}

/** The listing from the TOC index, when it holds this dump's TOC as it is now. */
async function indexedListing(dumpPath: string, place: TocIndexPlace | undefined, manifest: Promise<ListedManifest | undefined>) {
  const indexed = place ? await readTocIndex(dumpPath, place.cacheDir, place.reader) : undefined;
  if (!indexed) return undefined;
  const m = await manifest;
  const damage = (await indexedDamage(dumpPath, indexed)) ?? (await quickDamage(dumpPath, m));
  return { about: { path: dumpPath, format: indexed.format, gzip: false, header: indexed.header }, source: 'archive' as const, treeJson: indexed.treeJson, tree: () => indexedTree(indexed), manifest: m, damage };
}

/** The `--json` listing: `head` with the tree, already JSON text, as its last member (as JSON.stringify would print it). */
const listingJson = (head: object, treeJson: string): string => `${JSON.stringify(head).slice(0, -1)},"tree":${treeJson}}\n`;

export async function tocCommand(dump: string, opts: TocCliOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const dumpPath = path.resolve(dump);
    const manifestRead = readListedManifest(dumpPath);
    // An index is kept by a build only, whose TOC reader has a name, and not when PGBR_NO_TOC_INDEX is set.
    const place = tocIndexPlace(io.env);
    // The tree alone (what callers read) can come from the TOC index; every entry (ten times its size) is read afresh.
    const indexed = opts.entries ? undefined : await indexedListing(dumpPath, place, manifestRead);
    if (indexed) {
      const { about, manifest, damage } = indexed;
      if (opts.json) {
        const head = { dump: dumpPath, format: about.format, gzip: about.gzip, source: indexed.source, header: about.header, manifest: manifest ?? null, damage: damage ?? null };
        // The tree's JSON is written as the index holds it: parsing and printing it again would be most of the listing's time.
        io.out(listingJson(head, indexed.treeJson));
      } else out.result(undefined, () => renderToc(about, indexed.tree(), manifest));
      if (damage && !opts.json) io.err(`pgbr: ${damage}\n`);
      return damage ? Exit.Problem : Exit.Ok;
    }
    const [toc, manifest] = await Promise.all([tocFor(dumpPath, opts.binPath, opts.identity, io), manifestRead]);
    const tree = compactTree(groupToc(toc.entries));
    // Made once, for the index and the listing alike.
    const treeJson = opts.json || place ? JSON.stringify(tree) : undefined;
    if (place && treeJson !== undefined) await writeTocIndex(toc, treeJson, place.cacheDir, place.reader);
    // What the archive shows of itself, else what its size says against the manifest's.
    const damage = toc.damage ?? (await quickDamage(dumpPath, manifest));
    const head = { dump: dumpPath, format: toc.format, gzip: toc.gzip, source: toc.source, header: toc.header, manifest: manifest ?? null, damage: damage ?? null };
    if (opts.json && !opts.entries && treeJson !== undefined) io.out(listingJson(head, treeJson));
    else out.result(opts.entries ? { ...head, tree, entries: toc.entries } : { ...head, tree }, () => renderToc(toc, tree, manifest), { compact: true });
    if (damage && !opts.json) io.err(`pgbr: ${damage}\n`);
    return damage ? Exit.Problem : Exit.Ok;
  } catch (e) {
    return failDump(out, e);
  }
}

export function addTocCommand(program: Command, { io, exit }: CliContext): void {
  program
    .command('toc')
    .description("list a dump's contents: schemas, tables (with or without data), functions, sequences, indexes, constraints")
    .argument('<dump>', 'a dump file or directory-format dump folder')
    .addOption(identityOption())
    .addOption(binPathOption())
    .addOption(jsonOption())
    .option('--entries', "with --json: also every entry of the dump's list (ids, catalog and object oids, owners), as pg_restore --list prints them")
    .action(async (dump: string, opts: TocCliOptions) => exit(await tocCommand(dump, opts, io)));
}
