// Where base backups (and the restore-point record) live: setting, then pgbackup.yaml, then the default.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { defaultBaseBackupFolder } from '../core/physical';

export async function baseBackupFolder(ctx: Ctx): Promise<string> {
  const fromSetting = vscode.workspace.getConfiguration('pgBackup').get<string>('baseBackupFolder')?.trim();
  const fromYaml = (await ctx.profiles()).config?.baseBackupFolder?.trim();
  const configured = fromSetting || fromYaml || undefined;
  const resolved = configured && !path.isAbsolute(configured) && ctx.workspaceFolder ? path.join(ctx.workspaceFolder, configured) : configured;
  return defaultBaseBackupFolder({ configured: resolved, workspaceFolder: ctx.workspaceFolder, globalStorage: ctx.extension.globalStorageUri.fsPath });
}
