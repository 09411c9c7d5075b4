// Reads `pg_dump --verbose` output as it comes and turns it into table-by-table progress.
import { formatQualifiedName, type QualifiedName } from '../postgres/names';

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

  constructor(
    tables: readonly QualifiedName[],
    private readonly onProgress: (p: DumpProgress) => void = () => {},
  ) {
    for (const t of tables) {
      const raw = `${t.schema}.${t.name}`;
      if (!this.byRawName.has(raw)) this.byRawName.set(raw, t);
    }
    this.state = { phase: 'starting', tablesDone: 0, tablesTotal: tables.length };
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
    this.update({ phase, tablesDone: this.state.tablesTotal, current: undefined });
  }

  private apply(event: DumpLineEvent): void {
    switch (event.kind) {
      case 'phase': {
        const phase = event.phase === 'reading' ? 'reading' : this.sawData ? 'post-data' : 'schema';
        this.update({ phase, current: undefined, tablesDone: this.done(phase) });
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
        this.update({ phase: 'data', current: table ? formatQualifiedName(table) : event.rawName, tablesDone: this.done('data') });
        return;
      }
      case 'table-finished': {
        this.parallel = true;
        const open = this.inFlight.get(event.name) ?? 0;
        // Tables outside the total (an extension's configuration data) must not push the count past it.
        if (open > 0) {
          this.inFlight.set(event.name, open - 1);
          this.finishedCount++;
        }
        this.update({ tablesDone: this.done(this.state.phase) });
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
    if ('current' in change && change.current === undefined) delete next.current;
    const same =
      next.phase === this.state.phase &&
      next.tablesDone === this.state.tablesDone &&
      next.tablesTotal === this.state.tablesTotal &&
      next.current === this.state.current;
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
