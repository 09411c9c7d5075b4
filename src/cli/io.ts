// What every pgbr command gets: its output streams and environment, and where to put its exit code.
import type { Command } from 'commander';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

/** What a feature's subcommands get: the streams, and where to put the exit code of the action. */
export interface CliContext {
  io: Io;
  exit: (code: number) => void;
}

/** A feature's subcommands, added to the program in one place. */
export type CommandGroup = (program: Command, cli: CliContext) => void;
