// The Recover Table panel's host-side steps, without the editor: list the moments to go back to, recover the
// table on the side and hold the scratch server (bounded), preview and apply how it comes back, report.
import type { FromUndo, ToUndo, UndoMode, UndoStep } from '../../webview/protocol';
import { errorMessage, formatStamp, isCancellation, PgbrError } from '../core/platform';
import { asOfTableName, type BringBackReport, type Comparison, type DumpWithTable, type PastServer, type PastSource, type TableRewrite, type TableTransaction } from '../core/undo';
import { formatQualifiedName, type QualifiedName } from '../core/postgres';
import { parseTargetTime } from '../core/pitr';
import { PastHold } from './hold';
import { comparisonView, inWindow, previewLines, replaceLoses, reportLines, rewriteNotes, transactionView, windowText } from './text';

/** What there is to go back to: the table's transactions in the archived WAL, or without WAL the newest dump with it. */
export type MomentList =
  | { kind: 'wal'; archive: string; from: string; to: string; transactions: TableTransaction[]; rewrites: TableRewrite[]; stoppedAt?: string; walStartsAt?: Date }
  | { kind: 'dump'; why: string; found?: DumpWithTable; skipped: string[] };

export type MomentPick = { xid: string; endedAt: Date } | { dump: DumpWithTable };

/** The past source for a pick, and how the report names it. */
export interface PastChoice {
  source: PastSource;
  /** `just before xid 745`, `as of the dump orders.dump of 2026-12-01 03:00:04 UTC`. */
  target: string;
  /** The moment the past version is of: it names the new table. */
  asOf: Date;
  /** Restored from a dump, not recovered with WAL. */
  fromDump?: boolean;
}

/** What the flow asks of the editor and the core; the editor side gives the real ones, tests give fakes. */
export interface UndoBackend {
  readonly connection: string;
  readonly database: string;
  readonly table: QualifiedName;
  listMoments(signal: AbortSignal, onProgress: (message: string) => void): Promise<MomentList>;
  pastFor(pick: MomentPick, signal: AbortSignal, onProgress: (message: string) => void): Promise<PastChoice>;
  compare(past: PastServer): Promise<Comparison & { source: string }>;
  bringBack(past: PastServer, o: { mode: UndoMode; asOf: Date; dryRun: boolean; confirm: boolean }): Promise<BringBackReport>;
  /** A modal question; true when the person chose `action`. */
  confirm(message: string, action: string): Promise<boolean>;
  openTable(name: string): Promise<void>;
  copy(text: string): Promise<void>;
  log(line: string): void;
}

export interface FlowOptions {
  /** How long the scratch server is kept up with nothing done on it (default 15 minutes). */
  holdMs?: number;
  /** The wall clock (the default window is the 24 h before it). */
  clock?: () => Date;
  /** Milliseconds from a fixed start, for the durations (default performance.now). */
  now?: () => number;
  /** The zone times are shown and typed in (default the machine's). */
  timeZone?: string;
  setTimer?: (fn: () => void, ms: number) => { cancel: () => void };
}

export const DEFAULT_HOLD_MS = 15 * 60_000;
const DAY_MS = 24 * 3_600_000;

const STEP_OF: Record<FromUndo['type'], UndoStep> = { ready: 'moment', list: 'moment', recover: 'recover', cancel: 'recover', discard: 'bring', preview: 'bring', apply: 'bring', openTable: 'report', copyReport: 'report' };

export class RecoverTableFlow {
  private moments?: MomentList;
  private hold?: PastHold;
  private choice?: PastChoice;
  private abort?: AbortController;
  private previews = new Map<UndoMode, BringBackReport>();
  private times = { started: 0, recoverMs: 0, compareMs: 0, previewMs: 0 };
  private report?: { lines: string[]; newTable?: string };
  private readonly holdMs: number;
  private readonly zone: string;

  constructor(
    private readonly backend: UndoBackend,
    private readonly post: (m: ToUndo) => unknown,
    private readonly opts: FlowOptions = {},
  ) {
    this.holdMs = opts.holdMs ?? DEFAULT_HOLD_MS;
    this.zone = opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  private get now(): number {
    return (this.opts.now ?? (() => performance.now()))();
  }

  /** Handles one message; whatever fails is said under the step it came from. */
  async receive(m: FromUndo): Promise<void> {
    try {
      await this.handle(m);
    } catch (e) {
      const message = errorMessage(e);
      this.backend.log(`Recover table: ${message}`);
      await this.post({ type: 'error', step: STEP_OF[m.type], message: isCancellation(e) ? 'Cancelled: the scratch server was stopped and removed, nothing changed.' : message });
    }
  }

  private async handle(m: FromUndo): Promise<void> {
    switch (m.type) {
      case 'ready': {
        const to = (this.opts.clock ?? (() => new Date()))();
        const from = new Date(to.getTime() - DAY_MS);
        await this.post({ type: 'init', table: formatQualifiedName(this.backend.table), database: this.backend.database, connection: this.backend.connection, from: windowText(from, this.zone), to: windowText(to, this.zone) });
        return;
      }
      case 'list':
        return this.list(m.from, m.to);
      case 'recover':
        return this.recover(m.xid);
      case 'cancel':
        this.abort?.abort();
        return;
      case 'discard':
        await this.discard();
        await this.post({ type: 'discarded', message: 'Discarded: the scratch server was stopped and its folder removed. Nothing changed in the live table.' });
        return;
      case 'preview':
        return this.preview(m.mode);
      case 'apply':
        return this.apply(m.mode);
      case 'openTable':
        if (!this.report?.newTable) throw new PgbrError('usage', 'No new table was made in this panel: bring the table back as a new table first.');
        return this.backend.openTable(this.report.newTable);
      case 'copyReport':
        if (!this.report) throw new PgbrError('usage', 'There is no report yet: apply one of the ways of bringing the table back first.');
        await this.backend.copy(`${this.report.lines.join('\n')}\n`);
        await this.post({ type: 'done', message: 'The report is on the clipboard.' });
        return;
    }
  }

  private async list(fromText: string, toText: string): Promise<void> {
    const from = parseWindowEnd(fromText, this.zone, 'From');
    const to = parseWindowEnd(toText, this.zone, 'To');
    if (from.getTime() > to.getTime()) throw new PgbrError('usage', `The window starts (${fromText}) after it ends (${toText}): swap them.`);
    const signal = this.startWork();
    await this.post({ type: 'busy', step: 'moment', message: 'Reading the archived WAL for the changes to the table…', cancellable: true });
    const moments = await this.backend.listMoments(signal, (message) => void this.post({ type: 'busy', step: 'moment', message, cancellable: true }));
    this.moments = moments;
    if (moments.kind === 'dump') {
      await this.post({ type: 'moment', view: { kind: 'dump', why: moments.why, ...(moments.found ? { dump: { name: moments.found.dump.name, message: moments.found.message } } : {}), notes: moments.skipped } });
      return;
    }
    const shown = inWindow(moments.transactions, from, to);
    const notes = rewriteNotes(moments.rewrites, this.zone);
    const hidden = moments.transactions.length - shown.length;
    if (hidden > 0) notes.push(`${hidden} other transaction${hidden === 1 ? '' : 's'} changed the table outside the window.`);
    if (moments.walStartsAt && moments.walStartsAt.getTime() > from.getTime()) {
      notes.push(`The WAL archive reaches back only to ${formatStamp(moments.walStartsAt, { timeZone: this.zone })}, after the window's start: what changed the table before then is not listed (a dump taken earlier may still hold it).`);
    }
    if (moments.stoppedAt) notes.push(`The WAL read ends at ${moments.stoppedAt}, where the WAL written so far ends.`);
    await this.post({
      type: 'moment',
      view: { kind: 'wal', archive: moments.archive, segments: `${moments.from} – ${moments.to}`, transactions: shown.map((t) => transactionView(t, this.zone)), notes },
    });
  }

  private pick(xid: string | undefined): MomentPick {
    const m = this.moments;
    if (!m) throw new PgbrError('usage', 'List the transactions first, then pick the one to go back before.');
    if (m.kind === 'dump') {
      if (!m.found) throw new PgbrError('usage', `There is nothing to recover the table from: ${m.why}`);
      return { dump: m.found };
    }
    const t = m.transactions.find((x) => String(x.xid) === xid);
    if (!t) throw new PgbrError('usage', `xid ${xid ?? '(none)'} is not one of the transactions listed for ${formatQualifiedName(this.backend.table)}: pick one from the list.`);
    if (t.outcome !== 'committed' || !t.at) throw new PgbrError('usage', `xid ${t.xid} ${t.outcome === 'aborted' ? 'was rolled back, so it changed nothing to undo' : 'has not ended in the WAL read, so there is no moment before it to stop at'}: pick a committed one.`);
    return { xid: String(t.xid), endedAt: t.at };
  }

  private async recover(xid: string | undefined): Promise<void> {
    const pick = this.pick(xid);
    await this.discard();
    const signal = this.startWork();
    this.previews.clear();
    this.report = undefined;
    const progress = (message: string) => void this.post({ type: 'busy', step: 'recover', message, cancellable: true });
    progress('Choosing the backup to recover from…');
    this.times = { started: this.now, recoverMs: 0, compareMs: 0, previewMs: 0 };
    const choice = await this.backend.pastFor(pick, signal, progress);
    this.choice = choice;
    const hold = new PastHold({
      holdMs: this.holdMs,
      onExpired: () => void this.post({ type: 'discarded', message: `The scratch server was stopped and removed after ${Math.round(this.holdMs / 60_000)} minutes with nothing done on it. Nothing changed in the live table: recover on the side again to go on.` }),
      ...(this.opts.setTimer ? { setTimer: this.opts.setTimer } : {}),
      ...(this.opts.clock ? { clock: () => (this.opts.clock as () => Date)().getTime() } : {}),
    });
    this.hold = hold;
    const { comparison, up, compared } = await hold.start(choice.source, async (server) => {
      const up = this.now;
      progress('Comparing the past version with the live table…');
      const comparison = await this.backend.compare(server);
      return { comparison, up, compared: this.now };
    });
    this.times.recoverMs = up - this.times.started;
    this.times.compareMs = compared - up;
    this.abort = undefined;
    const newTable = formatQualifiedName({ schema: this.backend.table.schema, name: asOfTableName(this.backend.table.name, choice.asOf) });
    await this.post({
      type: 'comparison',
      view: comparisonView(comparison, { source: comparison.source, newTable, expiresAt: hold.expiresAt, holdMs: this.holdMs, recoverMs: this.times.recoverMs, compareMs: this.times.compareMs }),
    });
  }

  private held(): { hold: PastHold; choice: PastChoice } {
    if (!this.hold?.up || !this.choice) throw new PgbrError('usage', 'There is no scratch server with the past table up now (it was discarded, or timed out): recover on the side again.');
    return { hold: this.hold, choice: this.choice };
  }

  private async preview(mode: UndoMode): Promise<void> {
    const { hold, choice } = this.held();
    await this.post({ type: 'busy', step: 'bring', message: `Trying ${mode} in a transaction that is rolled back…`, cancellable: false });
    const t0 = this.now;
    const r = await hold.use((past) => this.backend.bringBack(past, { mode, asOf: choice.asOf, dryRun: true, confirm: false }));
    this.times.previewMs += this.now - t0;
    this.previews.set(mode, r);
    await this.post({ type: 'preview', view: { mode, lines: previewLines(r), expiresAt: new Date(hold.expiresAt).toISOString(), ...(mode === 'replace' ? { loses: replaceLoses(r) } : {}) } });
  }

  private async apply(mode: UndoMode): Promise<void> {
    const { hold, choice } = this.held();
    const dry = this.previews.get(mode);
    if (!dry) throw new PgbrError('usage', `Preview ${mode} first: its dry run shows the counts before anything changes.`);
    if (mode === 'replace' && !(await this.backend.confirm(`${replaceLoses(dry)} This is done in one transaction on the live database.`, 'Replace rows'))) {
      await this.post({ type: 'done', message: 'Nothing was changed: replacing was not confirmed.' });
      return;
    }
    await this.post({ type: 'busy', step: 'bring', message: `Applying ${mode} in one transaction…`, cancellable: false });
    const t0 = this.now;
    const r = await hold.use((past) => this.backend.bringBack(past, { mode, asOf: choice.asOf, dryRun: false, confirm: mode === 'replace' }));
    const applied = this.now;
    await this.post({ type: 'busy', step: 'report', message: 'Stopping and removing the scratch server…', cancellable: false });
    await this.discard();
    const cleaned = this.now;
    const m = this.moments;
    const lines = reportLines(r, {
      target: choice.target,
      ...(m?.kind === 'wal' && !choice.fromDump ? { wal: `WAL replayed from the archive ${m.archive} (the transaction list read ${m.from} – ${m.to}).` } : {}),
      times: { recoverMs: this.times.recoverMs, compareMs: this.times.compareMs, previewMs: this.times.previewMs, applyMs: applied - t0, cleanupMs: cleaned - applied, wallMs: applied - this.times.started },
    });
    this.report = { lines, ...(r.newTable ? { newTable: r.newTable } : {}) };
    await this.post({ type: 'report', view: { mode, lines, ...(r.newTable ? { newTable: r.newTable } : {}) } });
  }

  /** A fresh signal for the next long step; an older one still running is cancelled. */
  private startWork(): AbortSignal {
    this.abort?.abort();
    this.abort = new AbortController();
    return this.abort.signal;
  }

  /** Stops and removes the scratch server, if one is up or starting. */
  private async discard(): Promise<void> {
    const hold = this.hold;
    this.hold = undefined;
    if (hold) await hold.release();
  }

  /** The panel closed: cancel what runs, stop and remove the scratch server. */
  async dispose(): Promise<void> {
    this.abort?.abort();
    await this.discard();
  }
}

/** One end of the window as typed: `2026-12-01 15:00`, with or without a zone (the panel's zone then); read as the PITR target is. */
export function parseWindowEnd(text: string, zone: string, which: 'From' | 'To'): Date {
  try {
    return new Date(parseTargetTime(text, zone).epochMs);
  } catch (e) {
    throw new PgbrError('usage', `${which}: ${errorMessage(e).replace('is not a recovery target time', 'is not a date and time')}`, { cause: e });
  }
}
