// Keeps a scratch server with the past table up while a person reads the comparison and previews how to bring
// it back: inside the past source's read, so the source still stops it and removes its folder on every path;
// bounded by a timeout that restarts after each action, and ended by discard or by closing the panel.
import { PgbrError } from '../core/platform';
import type { PastServer, PastSource } from '../core/undo';

export interface HoldOptions {
  /** How long the server stays up with nothing done on it. */
  holdMs: number;
  /** Called when the timeout stopped it (not on release). */
  onExpired: () => void;
  /** The wall clock, for when it expires (default Date.now). */
  clock?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel: () => void };
}

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

export const DISCARDED = 'The scratch server with the past table was stopped and removed, so nothing can be read from it now: recover on the side again to go on.';

export class PastHold {
  private server?: PastServer;
  private released = false;
  private busy = false;
  private expireWhenIdle = false;
  private releaseRead?: () => void;
  private timer?: { cancel: () => void };
  /** Settles once the source has stopped the server and removed its folder. */
  private finished: Promise<void> = Promise.resolve();
  /** When the timeout stops the server (ms since the epoch). */
  expiresAt = 0;

  constructor(private readonly opts: HoldOptions) {}

  get up(): boolean {
    return this.server !== undefined && !this.released;
  }

  /** Starts the source and runs `first` on its server; resolves with its result once the server is held. */
  start<T>(source: PastSource, first: (server: PastServer) => Promise<T>): Promise<T> {
    let ready!: (v: T) => void;
    let failed!: (e: unknown) => void;
    const result = new Promise<T>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const keep = new Promise<void>((resolve) => (this.releaseRead = resolve));
    this.finished = source(async (server) => {
      const value = await first(server);
      if (!this.released) {
        this.server = server;
        this.arm();
      }
      ready(value);
      await keep;
    }).then(
      () => undefined,
      (e: unknown) => failed(e),
    );
    return result;
  }

  /** Runs `fn` on the held server, one at a time; the timeout starts again once it is done. */
  async use<T>(fn: (server: PastServer) => Promise<T>): Promise<T> {
    const server = this.server;
    if (!server || this.released) throw new PgbrError('usage', DISCARDED);
    if (this.busy) throw new PgbrError('usage', 'The scratch server is still busy with the last step: wait for it to finish.');
    this.busy = true;
    this.timer?.cancel();
    try {
      return await fn(server);
    } finally {
      this.busy = false;
      if (this.expireWhenIdle) void this.expire();
      else if (!this.released) this.arm();
    }
  }

  /** Ends the read: the source stops the server and removes its folder; resolves once that is done. */
  async release(): Promise<void> {
    this.released = true;
    this.server = undefined;
    this.timer?.cancel();
    this.releaseRead?.();
    await this.finished;
  }

  private arm(): void {
    this.timer?.cancel();
    const now = (this.opts.clock ?? Date.now)();
    this.expiresAt = now + this.opts.holdMs;
    this.timer = (this.opts.setTimer ?? defaultTimer)(() => void this.expire(), this.opts.holdMs);
  }

  private async expire(): Promise<void> {
    if (this.released) return;
    if (this.busy) {
      this.expireWhenIdle = true;
      return;
    }
    await this.release();
    this.opts.onExpired();
  }
}
