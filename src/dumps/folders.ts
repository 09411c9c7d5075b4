// Where dumps live: the configured folders (settings, then pgbackup.yaml), else the default one.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { DEFAULT_NAME_TEMPLATE } from '../core/logical/naming';
import { dumpFoldersFrom } from '../core/profiles/places';

/** Every dump folder to list, first one written to; relative paths are read against the workspace folder. */
export async function dumpFolders(ctx: Ctx): Promise<string[]> {
  const fromSetting = vscode.workspace.getConfiguration('pgBackup').get<string[]>('dumpFolders') ?? [];
  const fromYaml = (await ctx.profiles()).config?.dumpFolders ?? [];
  return dumpFoldersFrom([...fromSetting, ...fromYaml], ctx.places);
}

export async function nameTemplate(ctx: Ctx): Promise<string> {
  const fromSetting = vscode.workspace.getConfiguration('pgBackup').get<string>('dumpNameTemplate');
  const fromYaml = (await ctx.profiles()).config?.dumpNameTemplate;
  return fromSetting?.trim() || (typeof fromYaml === 'string' && fromYaml.trim()) || DEFAULT_NAME_TEMPLATE;
}
