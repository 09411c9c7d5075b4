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
  'pgBackup.backupDatabase',
  'pgBackup.backupTables',
  'pgBackup.backupGlobals',
  'pgBackup.refreshDumps',
  'pgBackup.restoreDump',
  'pgBackup.restoreTables',
  'pgBackup.verifyDump',
  'pgBackup.showDumpContents',
  'pgBackup.revealDump',
  'pgBackup.deleteDump',
  'pgBackup.cleanPartials',
  'pgBackup.refreshArchive',
  'pgBackup.addArchive',
  'pgBackup.showHealth',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
