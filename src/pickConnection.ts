// The one way a command started with no connection asks for one: every profile, with where it comes from.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { PgbrError } from './core/platform';

/** A connection's name, picked; undefined when the person closes the list. */
export async function pickConnection(ctx: Ctx, options: { title?: string; placeHolder?: string }): Promise<string | undefined> {
  const profiles = (await ctx.profiles()).profiles;
  if (profiles.length === 0) throw new PgbrError('config', 'There are no connections yet: add one with "PG Backup: Add Connection…".');
  const choice = await vscode.window.showQuickPick(
    profiles.map((p) => ({ label: p.name, description: p.source.label })),
    { ...options, ignoreFocusOut: true },
  );
  return choice?.label;
}
