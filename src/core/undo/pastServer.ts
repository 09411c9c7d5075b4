// The table as it was lives on a scratch server for a while: recovered there from a base backup and the
// archived WAL (to just before a bad transaction), or restored there from a dump. What reads it needs
// only where that server listens; whoever started it stops it and removes its folder afterwards.

/** A running scratch server that holds the table as it was, reachable on a private socket. */
export interface PastServer {
  /** The socket folder (libpq's host). */
  socketDir: string;
  port: number;
  /** A role that may read every table there (the scratch server's superuser). */
  user: string;
  /** The database the table is in, on the scratch server. */
  database: string;
  /** What it holds, for the report: `base backup … with WAL to just before xid 1234`, `dump … of 2026-12-01 03:00 UTC`. */
  source: string;
}

/** Starts a scratch server with the past table, runs `read` while it is up, then stops it and removes its folder on every path. */
export type PastSource = <T>(read: (server: PastServer) => Promise<T>) => Promise<T>;
