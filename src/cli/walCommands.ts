// `pgbr wal-check`: scans a WAL archive folder for a cron job or a monitoring probe; exit 1 when recovery would break.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatBytes, formatWhen } from '../core/platform';
import { type ArchiveProblem, type WindowPoint, formatSize, parseSegmentSize, scanArchive, type ArchiveScan } from '../core/wal';
import { jsonOption } from './commands';
import { Exit, makeOutput, table } from './output';
import type { CliContext, Io } from './io';

interface WalCheckOptions {
  segmentSize?: number;
  json?: boolean;
}

/** A monitor reads the first screen: past this many, problems are counted, and `--json` has them all. */
const MAX_PROBLEM_LINES = 50;

/** Bytes, or what `SHOW wal_segment_size` prints (`16MB`), as archive locations in pgbackup.yaml take it. */
export function parseSegmentSizeOption(value: string): number {
  const bytes = parseSegmentSize(value);
  if (!bytes) {
    throw new InvalidArgumentError("give the server's wal_segment_size: a power of two from 1MB to 1GB, in bytes (16777216) or as SHOW prints it (16MB).");
  }
  return bytes;
}

export async function walCheckCommand(dir: string, opts: WalCheckOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const scan = await scanArchive(dir, opts.segmentSize !== undefined ? { segmentSize: opts.segmentSize } : {});
    out.result(scan, () => renderScan(scan));
    return scan.problems.some((p) => p.severity === 'error') ? Exit.Problem : Exit.Ok;
  } catch (e) {
    return out.fail(e);
  }
}

const time = (d: Date | undefined): string => (d ? formatWhen(d, { seconds: true }) : 'unknown time');

function point(p: WindowPoint): string {
  return `${time(p.time)} (${p.exact ? 'exact' : 'estimate'}), ${p.lsn} on timeline ${p.timeline}: ${p.source}`;
}

export function renderScan(scan: ArchiveScan): string {
  const lines: string[] = [];
  const t = scan.totals;
  const sizeNote = scan.segmentSizeFrom === 'option' ? '' : ` (${scan.segmentSizeFrom === 'detected' ? 'detected' : 'default; pass --segment-size if the server differs'})`;
  lines.push(
    `WAL archive ${scan.location}: ${t.segments} segment${t.segments === 1 ? '' : 's'} (${formatBytes(t.bytes)}, ${t.compressed} compressed, ${t.partial} partial) ` +
      `on ${scan.timelines.length} timeline${scan.timelines.length === 1 ? '' : 's'}, ${formatSize(scan.segmentSize)} segments${sizeNote}`,
  );
  if (scan.timelines.length) {
    const rows = [['TIMELINE', 'PARENT', 'SWITCH', 'SEGMENTS', 'RUNS', 'FIRST', 'LAST']];
    for (const tl of scan.timelines) {
      const first = tl.runs[0];
      const last = tl.runs[tl.runs.length - 1];
      rows.push([
        String(tl.tli),
        tl.parent === undefined ? '-' : String(tl.parent),
        tl.switchLsn ?? '-',
        String(tl.segments),
        String(tl.runs.length),
        first?.first ?? '-',
        last?.last ?? '-',
      ]);
    }
    lines.push('', table(rows));
  }

  lines.push('', 'Recoverable window:');
  const w = scan.window;
  if (w.earliest && w.latest) {
    lines.push(`  earliest  ${point(w.earliest)}`, `  latest    ${point(w.latest)}`);
  }
  for (const b of w.backups) {
    const span = b.walAfterStop ? `${b.from.lsn} – ${b.to.lsn}` : `${b.from.lsn} only (no archived WAL after it)`;
    lines.push(`  base backup "${b.label}": ${time(b.from.time)} – ${time(b.to.time)}, ${span}`);
  }
  if (w.note) lines.push(`  ${w.note}`);

  lines.push('', problemSummary(scan.problems));
  const shown = scan.problems.slice(0, MAX_PROBLEM_LINES);
  for (const p of shown) lines.push(`  ${(p.severity === 'info' ? 'note' : p.severity).padEnd(7)}  ${p.message}`);
  if (scan.problems.length > shown.length) lines.push(`  … and ${scan.problems.length - shown.length} more: --json lists them all`);
  return lines.join('\n');
}

function problemSummary(problems: ArchiveProblem[]): string {
  if (problems.length === 0) return 'No problems.';
  const count = (s: ArchiveProblem['severity']) => problems.filter((p) => p.severity === s).length;
  const parts = (
    [
      ['error', count('error')],
      ['warning', count('warning')],
      ['note', count('info')],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([word, n]) => `${n} ${word}${n === 1 ? '' : 's'}`);
  return `Problems: ${parts.join(', ')}`;
}

export function addWalCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('wal-check')
    .description('check a WAL archive folder: gaps, bad segments, missing history files, and the recoverable window; exit 1 when recovery would break')
    .argument('<archive-dir>', 'the folder archive_command copies WAL segments to')
    .addOption(new Option('--segment-size <bytes>', "the server's wal_segment_size, in bytes or as SHOW prints it (default: detected, else 16MB)").argParser(parseSegmentSizeOption))
    .addOption(jsonOption())
    .action(async (dir: string, opts: WalCheckOptions) => exit(await walCheckCommand(dir, opts, io)));
}
