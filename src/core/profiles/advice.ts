// Where a password goes, said for the place the message is read: the editor has "Set password…",
// a shell has ~/.pgpass and PGPASSWORD. Decided once per process (pgbr says it is a shell).

let shell = false;

/** Called once by `pgbr`: its messages are read in a terminal, where the editor's commands do not exist. */
export function adviseForShell(): void {
  shell = true;
}

/** `store the password …`: the fix for a missing or refused password, for where this runs. */
export function passwordAdvice(): string {
  return shell
    ? 'put the password in ~/.pgpass (a line host:port:database:user:password, the file mode 0600) or in PGPASSWORD'
    : 'set the password with "Set password…" or in ~/.pgpass';
}

/** Where a password may be kept instead of a file that must not hold one (pgbackup.yaml, a URI, a service file). */
export function passwordHome(): string {
  return shell ? '~/.pgpass (mode 0600) or use PGPASSWORD' : '~/.pgpass or use "Set password…"';
}
