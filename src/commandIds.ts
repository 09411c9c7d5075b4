// The command ids this extension contributes, as one typed union (no vscode import: unit tests read it).
export const COMMAND_IDS = [
  'pgBackup.addConnection',
  'pgBackup.editConnection',
  'pgBackup.removeConnection',
  'pgBackup.testConnection',
  'pgBackup.refreshConnections',
  'pgBackup.setPassword',
  'pgBackup.forgetPassword',
  'pgBackup.showTools',
  'pgBackup.showLog',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
