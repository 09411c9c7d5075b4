// pgbr's exit codes, apart from the output module so that start-up can use them without loading the core.

/** 0: fine. 1: a problem was found (archiving failing, verification failed). 2: usage, config or connection error. */
export const enum Exit {
  Ok = 0,
  Problem = 1,
  Error = 2,
}
