// What VS Code passes a command, read the same way by every feature: the clicked node with the
// multi-selection it belongs to, and a caller's own { confirm: true }.

/** The selection when the clicked item is part of it (VS Code's multi-select), else just the argument. */
export function selectedOrOne(arg: unknown, selection: unknown): unknown[] {
  if (Array.isArray(selection) && selection.length > 0 && (arg === undefined || selection.includes(arg))) return selection as unknown[];
  return arg === undefined ? [] : [arg];
}

/** A caller (a test, another command) that answered the confirmation itself. */
export function isConfirmed(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { confirm?: unknown }).confirm === true;
}
