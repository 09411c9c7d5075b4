// Progress from pg_basebackup's `-P` lines and its verbose output: bytes, phase and an estimate.
import type { BaseBackupPhase, BaseBackupProgress } from './record';

// `12331/37068 kB (33%), 0/1 tablespace (/path/base.tar   )`; the estimate-less form has no total and no percentage.
const PROGRESS_LINE = /^\s*(\d+)(?:\/(\d+))? kB(?: \((\d+)%\))?, (\d+)\/(\d+) tablespaces?\b/;

export interface ProgressSample {
  doneBytes: number;
  totalBytes?: number;
  percent?: number;
  tablespacesDone: number;
  tablespacesTotal: number;
}

/**
 * Reads one `--progress` report. On a terminal pg_basebackup separates reports with `\r`, so a
 * chunk may hold several: the last complete one wins.
 */
export function parseProgressLine(text: string): ProgressSample | undefined {
  const reports = text.split('\r').filter((r) => r.trim() !== '');
  for (let i = reports.length - 1; i >= 0; i--) {
    const m = PROGRESS_LINE.exec(reports[i] as string);
    if (!m) continue;
    const sample: ProgressSample = {
      doneBytes: Number(m[1]) * 1024,
      tablespacesDone: Number(m[4]),
      tablespacesTotal: Number(m[5]),
    };
    if (m[2] !== undefined) sample.totalBytes = Number(m[2]) * 1024;
    if (m[3] !== undefined) sample.percent = Number(m[3]);
    return sample;
  }
  return undefined;
}

/** What pg_basebackup --verbose says about the WAL range, for when there is no manifest to read it from. */
export interface VerboseFacts {
  startLsn?: string;
  startTimeline?: number;
  stopLsn?: string;
}

/** Follows pg_basebackup's stderr: phase changes from `--verbose`, byte counts from `--progress`. */
export class BaseBackupProgressTracker {
  private state: BaseBackupProgress = { phase: 'connecting', doneBytes: 0 };
  private reported = false;
  readonly facts: VerboseFacts = {};

  constructor(
    private readonly onProgress?: (p: BaseBackupProgress) => void,
    private readonly onStopReached?: () => void,
  ) {}

  get current(): BaseBackupProgress {
    return { ...this.state };
  }

  onLine(line: string): void {
    for (const part of line.split('\r')) this.onReport(part);
  }

  setPhase(phase: BaseBackupPhase): void {
    // The first call always reports, so a listener hears "connecting" before anything else.
    if (this.state.phase === phase && this.reported) return;
    this.state = { ...this.state, phase };
    this.emit();
  }

  private onReport(text: string): void {
    if (text.trim() === '') return;
    const sample = parseProgressLine(text);
    if (sample) {
      const { tablespacesDone, tablespacesTotal, doneBytes, totalBytes, percent } = sample;
      this.state = {
        phase: this.state.phase === 'connecting' || this.state.phase === 'checkpoint' ? 'copying' : this.state.phase,
        doneBytes,
        ...(totalBytes !== undefined ? { totalBytes } : {}),
        ...(percent !== undefined ? { percent } : {}),
        tablespacesDone,
        tablespacesTotal,
      };
      this.emit();
      return;
    }
    const message = text.replace(/^.*?pg_basebackup:\s*/, '');
    if (/waiting for checkpoint/.test(message)) this.setPhase('checkpoint');
    else if (/^checkpoint completed/.test(message)) this.setPhase('copying');
    else if (/^write-ahead log start point: /.test(message)) {
      const m = /start point: ([0-9A-F]+\/[0-9A-F]+) on timeline (\d+)/i.exec(message);
      if (m) {
        this.facts.startLsn = (m[1] as string).toUpperCase();
        this.facts.startTimeline = Number(m[2]);
      }
    } else if (/^write-ahead log end point: /.test(message)) {
      const m = /end point: ([0-9A-F]+\/[0-9A-F]+)/i.exec(message);
      if (m) this.facts.stopLsn = (m[1] as string).toUpperCase();
      this.onStopReached?.();
      this.setPhase('finishing');
    } else if (/^syncing data to disk/.test(message)) this.setPhase('syncing');
  }

  private emit(): void {
    this.reported = true;
    this.onProgress?.(this.current);
  }
}
