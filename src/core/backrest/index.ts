// pgBackRest as an engine: its repositories in pgbackup.yaml, running it safely, and reading what info and verify say.
export { backrestBackup, backrestCheck, backrestInfo, backrestVerify, type BackupProgress, type BackupResult, type CheckProgress, type CheckResult } from './commands';
export { type BackrestRepository, isStanzaName } from './config';
export { type ExpiredSet, type ExpirePreview, expireSets, previewExpire } from './expire';
export { type BackrestArchive, type BackrestBackup, type BackrestBackupType, type BackrestDb, type BackrestStanzaInfo, parseBackrestInfo, stanzaProblem, usableStanza } from './info';
export { backrestArgs, backrestFailure, type BackrestRunOptions, type BackrestTarget, backrestUser, runBackrest } from './run';
export { parseVerifyOutput, type VerifyReport } from './verify';
export { type BackrestRecovery, type BackrestRestorePlan, type BackrestRestoreRequest, type BackrestRestoreResult, planBackrestRestore, type RestoreProgress, restoreOptions, runBackrestRestore, targetOptions } from './restore';
export { type ArchiveListing, backrestWindow, checkBackrestTarget, chooseBackupSet, listPosixArchive } from './window';
export { backrestSource, type BackrestDrillOptions, type BackrestSourceOptions, runBackrestDrill } from './drill';
export { type BackrestArchiveScan, scanBackrestArchive } from './archiveScan';
export { configValue, posixRepoPath } from './confFile';
export { type BackrestOverview, backrestOverview, type BackupChain, backupChains, repositoryProblems, type RepositoryProblem } from './overview';
export { type BackrestSetupInput, type BackrestSetupPlan, composeBackrestSetup, HIGH_RETENTION, type KeptKey, planBackrestSetup, type ServerSetting, setupLines, sqlLiteral } from './setup';
export { type ApplyResult, applyBackrestServerSettings, readServerLayout, type ServerLayout, type SetupWriteResult, writeBackrestSetup } from './setupWrite';
export { addRepositoryToYaml, backrestFromCommand } from './hint';
