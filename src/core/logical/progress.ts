// Reads `pg_dump --verbose` output as it comes and turns it into table-by-table progress.
import { formatQualifiedName, type QualifiedName } from '../postgres/names';
import type { TableSize } from './outputSize';

/**
 * `reading`: pg_dump reads the catalogs; `schema`/`post-data`: a plain dump writes definitions
 * before/after the data; `data`: table contents; `verifying`: the finished dump is read back.
 */
export type DumpPhase = 'starting' | 'reading' | 'schema' | 'data' | 'post-data' | 'verifying' | 'done';

export interface DumpProgress {
  phase: DumpPhase;
  tablesDone: number;
  tablesTotal: number;
  /** The table being dumped, in SQL syntax: `public.orders`, `public."a.b"`. */
  current?: string;
  /** What pg_dump has written so far (the file, or all files of a directory dump). */
  bytesWritten?: number;
  /** `pg_table_size` of the table being dumped, read before the dump: what its rows take in the database. */
  currentTableBytes?: number;
  /** `pg_table_size` of every table whose rows are dumped, and of those done: the base of the estimate. */
  tableBytesTotal?: number;
  tableBytesDone?: number;
}

export type DumpLineEvent =
  /** `schema.name` exactly as pg_dump prints it: unquoted, so `public.a.b` may be `public."a.b"`. */
  | { kind: 'table-started'; rawName: string }
  /** A parallel worker finished a table; pg_dump names it without its schema. */
  | { kind: 'table-finished'; name: string }
  | { kind: 'phase'; phase: 'reading' | 'definitions' };

const TABLE_STARTED = /(?:dumping contents of table|processing data for table) "/g;
const TABLE_FINISHED = /finished item \d+ TABLE DATA (.+)$/;
const READING = /pg_dump: (?:reading |finding |flagging |identifying |last built-in OID|saving )/;
const DEFINITIONS = /pg_dump: (?:creating |executing )/;
// Parallel workers share stderr, so one line can hold the start of another worker's message.
const MESSAGE_START = /pg_dump(?:\[[^\]]*\])?:/;

/**
 * The progress a line of `pg_dump --verbose` carries (PostgreSQL 12-17 wording). Lines from workers
 * of a parallel dump can be interleaved, so every occurrence in a line counts, wherever it starts.
 */
export function parseDumpLine(line: string): DumpLineEvent[] {
  const events: DumpLineEvent[] = [];
  for (const match of line.matchAll(TABLE_STARTED)) {
    let rest = line.slice((match.index ?? 0) + match[0].length);
    const next = MESSAGE_START.exec(rest);
    if (next) rest = rest.slice(0, next.index);
    rest = rest.trimEnd();
    if (rest.endsWith('"')) rest = rest.slice(0, -1);
    if (rest !== '') events.push({ kind: 'table-started', rawName: rest });
  }
  const finished = TABLE_FINISHED.exec(line);
  if (finished) events.push({ kind: 'table-finished', name: (finished[1] as string).trimEnd() });
  if (events.length === 0) {
    if (READING.test(line)) events.push({ kind: 'phase', phase: 'reading' });
    else if (DEFINITIONS.test(line)) events.push({ kind: 'phase', phase: 'definitions' });
  }
  return events;
}

/**
 * Follows one pg_dump run. The total is known up front (the tables whose rows are dumped); a table
 * counts as done when the next one starts, or, in a parallel dump, when a worker reports it finished.
 */
export class DumpProgressTracker {
  private readonly byRawName = new Map<string, QualifiedName>();
  private readonly started = new Set<string>();
  /** Started but not yet reported finished, by bare table name (what a parallel worker prints). */
  private readonly inFlight = new Map<string, number>();
  private startedKnown = 0;
  private currentKnown = false;
  private finishedCount = 0;
  private emitted = false;
  private parallel = false;
  private sawData = false;
  private state: DumpProgress;

  /** Sizes by `schema\0name`, when they were read. */
  private readonly sizes: ReadonlyMap<string, number> | undefined;
  private readonly doneKeys = new Set<string>();
  private currentKey: string | undefined;

  constructor(
    tables: readonly QualifiedName[],
    private readonly onProgress: (p: DumpProgress) => void = () => {},
    sizes?: readonly TableSize[],
  ) {
    for (const t of tables) {
      const raw = `${t.schema}.${t.name}`;
      if (!this.byRawName.has(raw)) this.byRawName.set(raw, t);
    }
    this.state = { phase: 'starting', tablesDone: 0, tablesTotal: tables.length };
    if (sizes) {
      this.sizes = new Map(sizes.map((s) => [`${s.schema}\0${s.name}`, s.bytes]));
      this.state.tableBytesTotal = tables.reduce((sum, t) => sum + (this.sizes?.get(`${t.schema}\0${t.name}`) ?? 0), 0);
      this.state.tableBytesDone = 0;
    }
  }

  /** The size of the dump's output so far, from a watcher of the file or folder. */
  setBytesWritten(bytes: number): void {
    if (bytes === this.state.bytesWritten) return;
    this.update({ bytesWritten: bytes });
  }

  get progress(): DumpProgress {
    return { ...this.state };
  }

  onLine(line: string): void {
    for (const event of parseDumpLine(line)) this.apply(event);
  }

  /** Phases the caller drives: starting, verifying, done. */
  setPhase(phase: DumpPhase): void {
    this.update({ phase });
  }

  /** pg_dump exited 0: every table it was asked for is in the dump. */
  complete(phase: DumpPhase = 'verifying'): void {
    this.update({ phase, tablesDone: this.state.tablesTotal, current: undefined, currentTableBytes: undefined, ...(this.sizes ? { tableBytesDone: this.state.tableBytesTotal } : {}) });
  }

  private apply(event: DumpLineEvent): void {
    switch (event.kind) {
      case 'phase': {
        const phase = event.phase === 'reading' ? 'reading' : this.sawData ? 'post-data' : 'schema';
        if (phase === 'post-data' || phase === 'schema') this.finishCurrent();
        this.update({ phase, current: undefined, currentTableBytes: undefined, tablesDone: this.done(phase), ...this.bytesDone() });
        return;
      }
      case 'table-started': {
        this.sawData = true;
        const table = this.resolve(event.rawName);
        const key = table ? `${table.schema}\0${table.name}` : `?${event.rawName}`;
        // A plain dump names each table twice, and the tar format again while it writes its restore script.
        if (this.started.has(key)) return;
        this.started.add(key);
        this.currentKnown = table !== undefined;
        if (table) {
          this.startedKnown++;
          this.inFlight.set(table.name, (this.inFlight.get(table.name) ?? 0) + 1);
        }
        // Without worker reports, the table before this one is finished.
        if (!this.parallel) this.finishCurrent();
        this.currentKey = table ? key : undefined;
        const size = this.sizes?.get(key);
        this.update({
          phase: 'data',
          current: table ? formatQualifiedName(table) : event.rawName,
          currentTableBytes: size,
          tablesDone: this.done('data'),
          ...this.bytesDone(),
        });
        return;
      }
      case 'table-finished': {
        this.parallel = true;
        const open = this.inFlight.get(event.name) ?? 0;
        // Tables outside the total (an extension's configuration data) must not push the count past it.
        if (open > 0) {
          this.inFlight.set(event.name, open - 1);
          this.finishedCount++;
          const key = [...this.started].find((k) => k.endsWith(`\0${event.name}`) && !this.doneKeys.has(k));
          if (key) this.doneKeys.add(key);
        }
        this.update({ tablesDone: this.done(this.state.phase), ...this.bytesDone() });
        return;
      }
    }
  }

  /** Without worker reports, the table in progress is the last one started; once data is over, all started ones are done. */
  private done(phase: DumpPhase): number {
    const inProgress = phase === 'data' && this.currentKnown ? 1 : 0;
    const done = this.parallel ? this.finishedCount : Math.max(0, this.startedKnown - inProgress);
    return Math.min(done, this.state.tablesTotal);
  }

  private finishCurrent(): void {
    if (this.currentKey !== undefined) this.doneKeys.add(this.currentKey);
    this.currentKey = undefined;
  }

  private bytesDone(): Partial<DumpProgress> {
    if (!this.sizes) return {};
    let done = 0;
    for (const key of this.doneKeys) done += this.sizes.get(key) ?? 0;
    return { tableBytesDone: done };
  }

  /** pg_dump prints `schema.name` unquoted: match it against the tables we know, longest first when names hold quotes or dots. */
  private resolve(rawName: string): QualifiedName | undefined {
    const exact = this.byRawName.get(rawName);
    if (exact) return exact;
    // An interleaved line can leave text after the closing quote; the known name before it wins.
    let best: QualifiedName | undefined;
    let bestLength = -1;
    for (const [raw, table] of this.byRawName) {
      if (rawName.startsWith(`${raw}"`) && raw.length > bestLength) {
        best = table;
        bestLength = raw.length;
      }
    }
    return best;
  }

  private update(change: Partial<DumpProgress>): void {
    const next: DumpProgress = { ...this.state, ...change };
    for (const k of ['current', 'currentTableBytes'] as const) if (k in change && change[k] === undefined) delete next[k];
    const same = (['phase', 'tablesDone', 'tablesTotal', 'current', 'bytesWritten', 'currentTableBytes', 'tableBytesDone'] as const).every((k) => next[k] === this.state[k]);
    this.state = next;
    if (same && this.emitted) return;
    this.emitted = true;
    this.onProgress({ ...next });
  }
}

/**
 * Environment for a PostgreSQL tool whose messages are parsed: gettext would otherwise translate
 * them into the user's language. Character handling keeps the user's locale.
 */
export function untranslatedMessagesEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const ctype = env.LC_ALL || env.LC_CTYPE;
  return { LC_ALL: undefined, LANGUAGE: undefined, LC_MESSAGES: 'C', ...(ctype ? { LC_CTYPE: ctype } : {}) };
}
