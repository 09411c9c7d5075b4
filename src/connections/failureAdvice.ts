// What a failed connection tells the person, and the buttons that fix it: decided from what was sent and what the server said.
import type { PgbrErrorKind } from '../core/platform';

export const FIX = {
  forget: 'Forget Password',
  set: 'Set Password…',
  edit: 'Edit Connection',
  retry: 'Retry',
} as const;
export type FixAction = (typeof FIX)[keyof typeof FIX];

/** The command behind each fix button, for the toast and the tree row alike (Retry is each place's own: it runs again what failed). */
export const FIX_COMMAND = { [FIX.forget]: 'pgBackup.forgetPassword', [FIX.set]: 'pgBackup.setPassword', [FIX.edit]: 'pgBackup.editConnection' } as const;

/** Where the password sent came from, as the editor resolves it (core/connect's passwordFrom). */
export type PasswordSource = 'secret' | 'pgpass' | 'environment' | 'none';

export interface FailureFacts {
  profile: string;
  /** `user@host:port`. */
  server: string;
  kind: PgbrErrorKind | undefined;
  /** The core's message (what happened and a generic fix). */
  message: string;
  /** What the server said about the password: refused it, or asked for one that was not sent. */
  password: 'refused' | 'missing' | undefined;
  /** Where the password that was sent came from. */
  sentFrom: PasswordSource;
  /** What would be sent with no password stored in VS Code. */
  fallback: PasswordSource;
  /** The password file as the person knows it (`~/.pgpass`, or PGPASSFILE's path). */
  pgpassFile: string;
}

export interface FailureAdvice {
  message: string;
  /** What went wrong in a few words, for a tree row under the profile (the message goes in its tooltip). */
  short?: string;
  /** Buttons, the likely fix first. */
  actions: FixAction[];
}

const STORED_REFUSED = 'the server refused the password stored in VS Code';

/** One or two sentences on what happened and what to do, with the buttons that do it. */
export function adviseOnFailure(f: FailureFacts): FailureAdvice {
  const who = `"${f.profile}"`;
  if (f.password === 'refused' && f.sentFrom === 'secret') {
    const fallback = fallbackText(f);
    return fallback
      ? { message: `${f.server} refused the password stored in VS Code for ${who}. Forget it to use ${fallback} instead, or set the right one.`, short: STORED_REFUSED, actions: [FIX.forget, FIX.set, FIX.edit, FIX.retry] }
      : { message: `${f.server} refused the password stored in VS Code for ${who}: set the right one.`, short: STORED_REFUSED, actions: [FIX.set, FIX.forget, FIX.edit, FIX.retry] };
  }
  if (f.password === 'refused' && f.sentFrom === 'pgpass') {
    return { message: `${f.server} refused the password ${f.pgpassFile} gives for ${who}: correct that line, or set a password for this connection.`, short: `the server refused the password from ${f.pgpassFile}`, actions: [FIX.set, FIX.edit, FIX.retry] };
  }
  if (f.password === 'refused' && f.sentFrom === 'environment') {
    return { message: `${f.server} refused the password in PGPASSWORD for ${who}: correct PGPASSWORD where VS Code is started, or set a password for this connection.`, short: 'the server refused the password in PGPASSWORD', actions: [FIX.set, FIX.edit, FIX.retry] };
  }
  if (f.password === 'missing') {
    return { message: `${f.server} asks for a password for ${who} and none is stored: set one, or add a line for it to ${f.pgpassFile}.`, short: 'the server asks for a password, and none is stored', actions: [FIX.set, FIX.edit, FIX.retry] };
  }
  if (f.kind === 'auth' || f.kind === 'connection') return { message: `${who}: ${f.message}`, actions: [FIX.edit, FIX.retry] };
  return { message: f.message, actions: [] };
}

function fallbackText(f: FailureFacts): string | undefined {
  if (f.fallback === 'pgpass') return `the one in ${f.pgpassFile}`;
  if (f.fallback === 'environment') return 'PGPASSWORD';
  return undefined;
}

/** Tells a refused password from a missing one by the server's code (28P01) or the driver's words. */
export function passwordProblem(e: { message: string; cause?: unknown }): 'refused' | 'missing' | undefined {
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const raw = typeof cause?.message === 'string' ? cause.message : '';
  if (cause?.code === '28P01' || /^password authentication failed/.test(e.message)) return 'refused';
  if (/client password must be a string|no password supplied|password must be a non-empty string/i.test(raw) || /needs a password/.test(e.message)) return 'missing';
  return undefined;
}
