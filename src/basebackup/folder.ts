// Where base backups (and the restore-point record) live: setting, then pgbackup.yaml, then the default.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { baseBackupFolderFrom } from '../core/profiles/places';

export async function baseBackupFolder(ctx: Ctx): Promise<string> {
  const fromSetting = vscode.workspace.getConfiguration('pgBackup').get<string>('baseBackupFolder')?.trim();
  const fromYaml = (await ctx.profiles()).config?.baseBackupFolder?.trim();
  return baseBackupFolderFrom(fromSetting || fromYaml || undefined, ctx.places);
}
