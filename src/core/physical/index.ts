// Physical backups: pg_basebackup runs, their records and catalogue, and what a finished backup says about itself.
export { checkBaseBackupPrerequisites, runBaseBackup } from './basebackup';
export { listBaseBackups, type BaseBackupCatalog, type BaseBackupEntry, type BaseBackupPartial } from './catalog';
export { explainBaseBackupFailure } from './failure';
export { parseBackupLabel, parseBackupManifest, readLabelFromTar, type BackupLabel, type ManifestSummary, type WalRange } from './label';
export { planBaseBackup, validateBaseBackupOptions, type BaseBackupPlanInput } from './plan';
export { BaseBackupProgressTracker, parseProgressLine, type ProgressSample, type VerboseFacts } from './progress';
export {
  RECORD_SUFFIX,
  recordPathFor,
  toKnownBaseBackup,
  type BaseBackupConnection,
  type BaseBackupFormat,
  type BaseBackupOptions,
  type BaseBackupPhase,
  type BaseBackupProgress,
  type BaseBackupRecord,
  type BaseBackupResult,
  type BaseBackupVerification,
  type CheckpointMode,
  type VerificationStatus,
} from './record';
export { readRecord } from './record';
export { createRestorePoint, readRestorePoints, type RecordedRestorePoint, recordRestorePoint, restorePointsFileFor, restorePointsOf, validateRestorePointName } from './restorePoints';
