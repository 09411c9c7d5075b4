// Rows from one server to another without holding them: `COPY … TO STDOUT` on one pg client is fed, chunk
// by chunk, into `COPY … FROM STDIN` on another. pg speaks the COPY sub-protocol to any query object that
// answers its copy messages, so two small ones do here what pg-copy-streams would (not installed); both
// ends stay ordinary sessions, so the target can be a TEMP table inside the caller's open transaction.
import type pg from 'pg';

/** The parts of pg's connection the COPY messages go through. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  stream: NodeJS.ReadableStream & { writableNeedDrain?: boolean; once(event: 'drain', fn: () => void): unknown };
}

/** One COPY statement as pg's client runs it: every handler pg may call, the copy ones doing the work. */
class CopyStatement implements pg.Submittable {
  readonly done: Promise<number>;
  private settle!: { resolve: (rows: number) => void; reject: (e: unknown) => void };
  private rows = 0;

  constructor(
    private readonly text: string,
    private readonly onReady: (connection: CopyConnection) => void,
    private readonly onData: (chunk: Buffer, connection: CopyConnection) => void,
  ) {
    this.done = new Promise<number>((resolve, reject) => (this.settle = { resolve, reject }));
    // A failure is always awaited through `done`; this only keeps an early one from being reported as unhandled.
    this.done.catch(() => {});
  }

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    this.onReady(connection);
  }
  handleCopyData(message: { chunk: Buffer }, connection: CopyConnection): void {
    this.onData(message.chunk, connection);
  }
  handleCommandComplete(message: { text: string }): void {
    this.rows = Number(/^COPY (\d+)/.exec(message.text)?.[1] ?? 0);
  }
  handleReadyForQuery(): void {
    this.settle.resolve(this.rows);
  }
  handleError(error: unknown): void {
    this.settle.reject(error);
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
}

/**
 * Runs `copyOut` (a `COPY … TO STDOUT`) on `source` and `copyIn` (a `COPY … FROM STDIN` of the same
 * format) on `target`, the bytes flowing straight through; resolves with the rows the target took.
 * A failure at either end fails the other (the target's COPY is aborted, so it keeps no rows).
 */
export async function pipeCopy(source: pg.ClientBase, copyOut: string, target: pg.ClientBase, copyIn: string): Promise<number> {
  let ready: (c: CopyConnection) => void = () => {};
  const targetReady = new Promise<CopyConnection>((resolve) => (ready = resolve));
  const into = new CopyStatement(copyIn, (c) => ready(c), () => {});
  target.query(into);
  const targetConnection = await Promise.race([targetReady, into.done.then(() => undefined)]);
  if (!targetConnection) throw new Error(`the server did not start ${copyIn}`);

  let targetFailed = false;
  into.done.catch(() => (targetFailed = true));
  const from = new CopyStatement(copyOut, () => {}, (chunk, sourceConnection) => {
    // Once the target refused the rows, the rest are read and dropped: the source's COPY ends on its own.
    if (targetFailed) return;
    targetConnection.sendCopyFromChunk(chunk);
    if (targetConnection.stream.writableNeedDrain) {
      sourceConnection.stream.pause();
      targetConnection.stream.once('drain', () => sourceConnection.stream.resume());
    }
  });
  source.query(from);
  try {
    await from.done;
  } catch (e) {
    if (!targetFailed) targetConnection.sendCopyFail('the rows could not be read from the source');
    await into.done.catch(() => {});
    throw e;
  }
  if (!targetFailed) targetConnection.endCopyFrom();
  return await into.done;
}
