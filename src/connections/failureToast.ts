// A failed connection in the user's words, for the toast, the Connections view and the status bar, and the buttons that fix it.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, errorMessage } from '../core/platform';
import { defaultConnectContext, resolveConnection } from '../core/postgres';
import { pgpassFilePath, serverOf, type ConnectionProfile } from '../core/profiles';
import { FIX, FIX_COMMAND, adviseOnFailure, passwordProblem, type FailureAdvice } from './failureAdvice';

/** What to tell about `e`, a failure of `profile`'s connection, knowing where the password sent came from. */
export async function adviceFor(ctx: Ctx, profile: ConnectionProfile, e: unknown): Promise<FailureAdvice> {
  const message = errorMessage(e);
  if (!(e instanceof PgbrError)) return { message, actions: [] };
  const server = await ctx.serverOf(profile);
  const connect = defaultConnectContext();
  const stored = await ctx.passwords.has(profile.name, server);
  // What libpq's own places (PGPASSWORD, the password file) would give without a stored password.
  const fallback = (await resolveConnection(profile, connect)).passwordFrom;
  const file = pgpassFilePath(connect.env, connect.homedir, connect.platform);
  return adviseOnFailure({
    profile: profile.name,
    server: serverOf(server),
    kind: e.kind,
    message,
    password: e.kind === 'auth' ? passwordProblem(e) : undefined,
    sentFrom: stored ? 'secret' : fallback,
    fallback,
    pgpassFile: file === path.join(os.homedir(), '.pgpass') ? '~/.pgpass' : file,
  });
}

/** The profile a connection error is about: the one whose server it names, one with a stored password first. */
async function profileOfError(ctx: Ctx, e: unknown): Promise<ConnectionProfile | undefined> {
  if (!(e instanceof PgbrError) || !e.server || (e.kind !== 'auth' && e.kind !== 'connection')) return undefined;
  const matching: ConnectionProfile[] = [];
  for (const p of (await ctx.profiles()).profiles) {
    if (serverOf(await ctx.serverOf(p)) === e.server) matching.push(p);
  }
  for (const p of matching) if (await ctx.passwords.has(p.name, await ctx.serverOf(p))) return p;
  return matching[0];
}

/**
 * Shows a failed command's error. A connection that failed gets the buttons that fix it (Forget
 * Password, Set Password…, Edit Connection, Retry); fixing the password retries the command.
 */
export async function showCommandError(ctx: Ctx, e: unknown, retry: () => Thenable<unknown>): Promise<void> {
  const profile = await profileOfError(ctx, e).catch(() => undefined);
  if (!profile) {
    void vscode.window.showErrorMessage(errorMessage(e));
    return;
  }
  const advice = await adviceFor(ctx, profile, e);
  ctx.servers.connectionState({ profile: profile.name, ok: false, kind: e instanceof PgbrError ? e.kind : undefined, message: advice.message });
  const choice = await vscode.window.showErrorMessage(advice.message, ...advice.actions);
  await applyFix(profile.name, choice, retry);
}

/** Runs the button's fix; after a password was forgotten or set, what failed is tried again. */
async function applyFix(profile: string, choice: string | undefined, retry: () => Thenable<unknown>): Promise<void> {
  if (choice === FIX.retry) return void (await retry());
  if (choice !== FIX.forget && choice !== FIX.set && choice !== FIX.edit) return;
  const done = await vscode.commands.executeCommand<boolean | undefined>(FIX_COMMAND[choice], profile);
  // Editing opens the file; the new connection is read when it is saved, not now.
  if (choice === FIX.forget || (choice === FIX.set && done)) await retry();
}
