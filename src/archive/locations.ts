// The WAL archive locations the editor shows: from pgbackup.yaml, then the pgBackup.archives setting.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { parseArchiveLocations, type ArchiveLocation } from '../core/wal/locations';

export async function archiveLocations(ctx: Ctx): Promise<{ locations: ArchiveLocation[]; problems: string[] }> {
  const fromYaml = parseArchiveLocations((await ctx.profiles()).config?.archives ?? [], 'pgbackup.yaml', ctx.workspaceFolder);
  const setting = vscode.workspace.getConfiguration('pgBackup').get<unknown[]>('archives') ?? [];
  const fromSetting = parseArchiveLocations(setting, 'setting pgBackup.archives', ctx.workspaceFolder);
  const seen = new Set<string>();
  const locations = [...fromYaml.locations, ...fromSetting.locations].filter((l) => !seen.has(l.path) && seen.add(l.path));
  return { locations, problems: [...fromYaml.problems, ...fromSetting.problems] };
}
