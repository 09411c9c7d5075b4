// A dump's file from reservation to its final name: a free name, the .partial written exclusively, checked readable, moved without replacing anything, removed on failure.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { PgbrError, errorMessage } from '../platform/errors';
import { pathExists } from '../platform/fsutil';
import { silentLogger, type Logger } from '../platform/log';
import { claimPartial, finalizeWithProof, ProofNotSaved, releasePartial } from '../platform/partials';
import { claimedPaths } from '../platform/leftovers';
import { runTool } from '../platform/runner';
import type { FoundTool } from '../platform/tools';
import { manifestPathFor, manifestText, withFileKey, type DumpFormat, type DumpManifest } from './manifest';
import { DEFAULT_NAME_TEMPLATE, expandNameTemplate, splitDumpFileName, uniqueDumpPath } from './naming';
import { untranslatedMessagesEnv } from './progress';
import type { DumpOptions } from './dump';
import { failureLine } from '../platform/toolFailure';
import type { DumpPlan } from './dumpPlan';

/** The line plain pg_dump output ends with when it completed. */
export const DUMP_END_MARKER = '-- PostgreSQL database dump complete';

export function ioError(what: string, e: unknown): PgbrError {
  return new PgbrError('io', `${what}: ${errorMessage(e)}`, { cause: e });
}

export interface ReservedOutput {
  final: string;
  partial: string;
  /** The name asked for; `final` differs when it was taken. */
  requested: string;
}

/**
 * Picks the final name and creates its `.partial` exclusively, so two dumps started at the same
 * second cannot write into each other.
 */
export async function reserveOutput(opts: DumpOptions, format: DumpFormat, extension: string, date: Date): Promise<ReservedOutput> {
  await fs.mkdir(opts.output.folder, { recursive: true });
  const name = outputName(opts, format, extension, date);
  return reservePartial(opts.output.folder, name.base, name.extension, format === 'directory');
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
  return { base: split.base, extension: split.extension || extension };
}

/** Finds a free name and creates `<name>.partial` (a file, or a folder for a directory dump) exclusively. */
export async function reservePartial(folder: string, base: string, extension: string, directory: boolean): Promise<ReservedOutput> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const final = await uniqueDumpPath(folder, base, extension);
    const partial = `${final}.partial`;
    try {
      if (directory) await fs.mkdir(partial, { mode: 0o700 });
      else await (await fs.open(partial, 'wx', 0o600)).close();
      claimPartial(partial);
      return { final, partial, requested: path.join(folder, `${base}${extension}`) };
    } catch (e) {
      // Taken between the check and the create: another dump got there first.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(`cannot create ${partial}`, e);
    }
  }
  throw new PgbrError('io', `no free dump name in ${folder} for ${base}${extension}: remove old dumps or choose another name`);
}

/**
 * Gives the finished `.partial` its final name with its manifest beside it, never replacing a file:
 * the manifest is written first (exclusively), then the dump is hard-linked to the name (a link
 * fails when the name exists, where a rename would silently overwrite it). A final-named dump
 * therefore always has its manifest. Returns the name taken (the next free one if `final` is taken).
 */
export async function finalizeOutput(partial: string, final: string, directory: boolean, manifest: DumpManifest): Promise<string> {
  const { base, extension } = directory ? { base: path.basename(final), extension: '' } : splitDumpFileName(path.basename(final));
  async function* candidates(): AsyncGenerator<string> {
    yield final;
    for (let attempt = 0; attempt < 100; attempt++) {
      yield await uniqueDumpPath(path.dirname(final), base, extension, async (f) => f !== partial && (await pathExists(f)));
    }
  }
  let taken: string | undefined;
  try {
    taken = await finalizeWithProof({
      partial,
      candidates: candidates(),
      proofPathFor: manifestPathFor,
      proofText: (target) => manifestText(withFileKey(manifest, target)),
      move: directory ? moveFolder : moveFile,
    });
  } catch (e) {
    if (e instanceof ProofNotSaved) {
      throw new PgbrError('io', `the dump was written but its manifest could not be saved (${errorMessage(e.cause)}), so it was removed: check the folder's free space and permissions`, { cause: e.cause });
    }
    throw ioError(`cannot move the finished dump to ${final}`, e);
  }
  if (taken === undefined) throw new PgbrError('io', `no free name for the finished dump ${final}: remove old dumps or choose another name`);
  return taken;
}

async function moveFolder(from: string, to: string): Promise<void> {
  if (await pathExists(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
  await fs.rename(from, to);
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // File systems without hard links (FAT, some network shares): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    await moveFolder(from, to);
    return;
  }
  await fs.unlink(from);
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
  const lines = tail.split(/\r?\n/);
  while (lines.length > 0) {
    const last = (lines[lines.length - 1] as string).trim();
    if (last === '' || last === '--' || last.startsWith('\\unrestrict ')) lines.pop();
    else break;
  }
  return lines[lines.length - 1]?.trim() === marker;
}

/** Removes an unfinished dump after a failure; a failure to remove is logged, never hides the first error. */
export async function discardPartial(target: string, logger: Logger = silentLogger): Promise<void> {
  try {
    await fs.rm(target, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    logger.warn(`could not remove the unfinished dump ${target}: ${errorMessage(e)}`);
  } finally {
    releasePartial(target);
  }
}

/** Removes a stale `.partial`; refuses anything else, so a wrong path cannot delete a real dump. */
export async function removePartial(partialPath: string): Promise<void> {
  if (!partialPath.endsWith('.partial')) {
    throw new PgbrError('usage', `${partialPath} is not an unfinished dump (its name does not end in .partial): it was not removed`);
  }
  // A claim of any live process counts, not only this one's: another window's dump may be writing it.
  if (claimedPaths().has(partialPath)) {
    throw new PgbrError('usage', `${partialPath} is a dump still being written: cancel it instead`);
  }
  await fs.rm(partialPath, { recursive: true, force: true });
}
