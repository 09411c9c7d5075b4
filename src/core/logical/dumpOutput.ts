// A dump's file from reservation to its final name, through the platform's .partial lifecycle: its name, its manifest as the proof, the check that it reads back.
import { ENCRYPTED_EXTENSIONS } from '../crypto/recipients';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { PgbrError } from '../platform/errors';
import { silentLogger, type Logger } from '../platform/log';
import { reservePartial, type PartialWork } from '../platform/partials';
import { runTool } from '../platform/runner';
import type { FoundTool } from '../platform/tools';
import { manifestPathFor, manifestText, withFileKey, type DumpFormat, type DumpManifest } from './manifest';
import { DEFAULT_NAME_TEMPLATE, expandNameTemplate, splitDumpFileName } from './naming';
import { untranslatedMessagesEnv } from './progress';
import type { DumpOptions } from './dump';
import { failureLine } from '../platform/toolFailure';
import type { DumpPlan } from './dumpPlan';

/** The line plain pg_dump output ends with when it completed. */
export const DUMP_END_MARKER = '-- PostgreSQL database dump complete';

/**
 * Picks the final name and creates its `.partial` exclusively, so two dumps started at the same
 * second cannot write into each other.
 */
export async function reserveOutput(opts: DumpOptions, format: DumpFormat, extension: string, date: Date, logger: Logger): Promise<PartialWork> {
  const name = outputName(opts, format, extension, date);
  return reserveDumpPartial(opts.output.folder, name.base, name.extension, format === 'directory', logger);
}

function outputName(opts: DumpOptions, format: DumpFormat, extension: string, date: Date): { base: string; extension: string } {
  const chosen = opts.output.fileName;
  if (chosen === undefined) {
    const template = opts.output.nameTemplate ?? DEFAULT_NAME_TEMPLATE;
    return { base: expandNameTemplate(template, { db: opts.database, profile: opts.profile, format, date }), extension };
  }
  if (format === 'directory') return { base: chosen, extension: '' };
  const split = splitDumpFileName(chosen);
  // A name without an extension gets the format's, so dump lists recognise the file.
  if (!split.extension) return { base: split.base, extension };
  // An encrypted dump keeps its scheme's suffix whatever name was chosen (`x.dump` → `x.dump.age`): listed as plain, it could not be read.
  const sealed = Object.values(ENCRYPTED_EXTENSIONS).find((s) => extension.endsWith(s));
  return { base: split.base, extension: sealed && !split.extension.endsWith(sealed) ? split.extension + sealed : split.extension };
}

const DUMP_WORDS = { thing: 'dump', proof: 'manifest', remedy: 'remove old dumps or choose another name' };

/** Finds a free name (with its manifest's) and creates `<name>.partial`, a file or a folder for a directory dump, exclusively. */
export function reserveDumpPartial(folder: string, base: string, extension: string, directory: boolean, logger: Logger = silentLogger): Promise<PartialWork> {
  return reservePartial({ folder, base, extension, kind: directory ? 'folder' : 'file', proofPathFor: manifestPathFor, words: DUMP_WORDS }, logger);
}

/**
 * Gives the finished dump its final name with its manifest beside it, never replacing a file: a
 * final-named dump always has its manifest. Returns the name taken (the next free one if it was taken).
 */
export function finalizeOutput(work: PartialWork, manifest: DumpManifest): Promise<string> {
  return work.finish((target) => manifestText(withFileKey(manifest, target)));
}

/** pg_restore can read the archive's table of contents; a plain dump ends with pg_dump's completion line. */
export async function checkReadable(
  dumpPath: string,
  format: DumpFormat,
  plan: DumpPlan,
  restoreTool: FoundTool | undefined,
  signal: AbortSignal | undefined,
  logger: Logger,
): Promise<void> {
  if (format === 'plain') {
    const complete = await endsWithMarker(dumpPath, DUMP_END_MARKER, plan.compression?.method === 'gzip');
    if (!complete) {
      throw new PgbrError('tool-failed', `pg_dump exited normally but the SQL file does not end with "${DUMP_END_MARKER}": the dump is incomplete and was removed`);
    }
    return;
  }
  if (!restoreTool) return;
  const listed = await runTool({ file: restoreTool.path, args: ['--list', dumpPath], signal, logger, label: 'pg_restore --list', env: untranslatedMessagesEnv() });
  if (listed.status === 'cancelled') throw new PgbrError('cancelled', 'cancelled while reading the dump back');
  if (listed.status === 'failed') {
    throw new PgbrError('tool-failed', `pg_dump exited normally but pg_restore cannot read the result (${failureLine(listed)}): the dump was removed`);
  }
}

/**
 * True when the SQL file's last meaningful line is `marker`. pg_dump may follow it with blank
 * lines, `--` and a `\unrestrict` line. Compressed files are read through gunzip as a stream.
 */
export async function endsWithMarker(file: string, marker: string, gzip = false): Promise<boolean> {
  let tail = '';
  const keep = 8192;
  const source = createReadStream(file, gzip ? {} : { start: Math.max(0, (await fs.stat(file)).size - keep) });
  const stream = gzip ? source.pipe(createGunzip()) : source;
  try {
    for await (const chunk of stream) {
      tail = (tail + (chunk as Buffer).toString('latin1')).slice(-keep);
    }
  } catch {
    // A truncated or corrupt gzip stream is an incomplete dump.
    return false;
  } finally {
    source.destroy();
  }
  return textEndsWithMarker(tail, marker);
}

/** True when the last meaningful line of `tail` (the end of a SQL script) is `marker`. */
export function textEndsWithMarker(tail: string, marker: string): boolean {
  const lines = tail.split(/\r?\n/);
  while (lines.length > 0) {
    const last = (lines[lines.length - 1] as string).trim();
    if (last === '' || last === '--' || last.startsWith('\\unrestrict ')) lines.pop();
    else break;
  }
  return lines[lines.length - 1]?.trim() === marker;
}
