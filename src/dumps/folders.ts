// Where dumps live: the configured folders (settings, then pgbackup.yaml), else the default one.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { DEFAULT_NAME_TEMPLATE, defaultDumpFolder } from '../core/logical/naming';

/** Every dump folder to list, first one written to; relative paths are read against the workspace folder. */
export async function dumpFolders(ctx: Ctx): Promise<string[]> {
  const fromSetting = vscode.workspace.getConfiguration('pgBackup').get<string[]>('dumpFolders') ?? [];
  const fromYaml = (await ctx.profiles()).config?.dumpFolders ?? [];
  const configured = [...fromSetting, ...fromYaml]
    .filter((f): f is string => typeof f === 'string' && f.trim() !== '')
    .map((f) => resolveFolder(f.trim(), ctx.workspaceFolder));
  const folders = [...new Set(configured)];
  if (folders.length > 0) return folders;
  return [defaultDumpFolder({ workspaceFolder: ctx.workspaceFolder, globalStorage: ctx.extension.globalStorageUri.fsPath })];
}

export async function nameTemplate(ctx: Ctx): Promise<string> {
  const fromSetting = vscode.workspace.getConfiguration('pgBackup').get<string>('dumpNameTemplate');
  const fromYaml = (await ctx.profiles()).config?.dumpNameTemplate;
  return fromSetting?.trim() || (typeof fromYaml === 'string' && fromYaml.trim()) || DEFAULT_NAME_TEMPLATE;
}

function resolveFolder(folder: string, workspace: string | undefined): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  const expanded = folder.startsWith('~/') && home ? path.join(home, folder.slice(2)) : folder;
  return path.isAbsolute(expanded) || !workspace ? expanded : path.join(workspace, expanded);
}
