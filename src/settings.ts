// The extension's settings, typed, in one place: what each holds, how it is read, and a change event per
// setting, so changing pgBackup.binPath finds the tools again and changing a poll interval reloads nothing else.
import * as vscode from 'vscode';

/** Every `pgBackup.*` setting the package contributes, with the type a reader gets. */
export interface Settings {
  connections: unknown[];
  binPath: string | Record<string, string>;
  dumpFolders: string[];
  dumpNameTemplate: string;
  archives: unknown[];
  baseBackupFolder: string;
  'health.pollSeconds': number;
  'health.backgroundPollSeconds': number;
  'health.staleAfterMinutes': number;
}

export type SettingKey = keyof Settings;

const SECTION = 'pgBackup';

/** The effective value (workspace over user over default), or undefined when unset and without a default. */
export function setting<K extends SettingKey>(key: K): Settings[K] | undefined {
  return vscode.workspace.getConfiguration(SECTION).get<Settings[K]>(key);
}

/** Only the user's own value: what a folder the user has not trusted may not override. */
export function userSetting<K extends SettingKey>(key: K): Settings[K] | undefined {
  return vscode.workspace.getConfiguration(SECTION).inspect<Settings[K]>(key)?.globalValue;
}

/** Each scope's value, for edits that write back where the value came from. */
export function settingScopes<K extends SettingKey>(key: K): { workspace?: Settings[K]; user?: Settings[K] } {
  const inspect = vscode.workspace.getConfiguration(SECTION).inspect<Settings[K]>(key);
  return { ...(inspect?.workspaceValue !== undefined ? { workspace: inspect.workspaceValue } : {}), ...(inspect?.globalValue !== undefined ? { user: inspect.globalValue } : {}) };
}

export async function updateSetting<K extends SettingKey>(key: K, value: Settings[K], target: vscode.ConfigurationTarget): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, target);
}

/** Calls `listener` when any of these settings changes (`health.pollSeconds` counts as a change of `health.*` too). */
export function onSettingChange(keys: readonly SettingKey[], listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) listener();
  });
}
