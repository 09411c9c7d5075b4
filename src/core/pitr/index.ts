// Point-in-time recovery: the target and its checks, the recovery settings written into a base backup, and the drill on a scratch server.
export { applyRecovery, type BaseBackupInfo, planRecoveryChanges, readBaseBackupInfo, recoveryAsText, type RecoveryChange, type RecoveryPreview } from './apply';
export { type RecoveryAction, type RecoveryPlan, type RecoveryTarget, type RecoveryTimeline, resolveTarget, type RestoreSource, RESTORE_TEMPLATES, type TargetCheck, validateTarget } from './config';
export { baseBackupSource, type DrillOptions, type DrillPlan, type DrillProgress, type DrillReport, type DrillServer, type DrillSource, runDrill } from './drill';
export { stopLineText } from './drillText';
export { findServerBinDir } from './scratchServer';
export { describeTime, parseTargetTime } from './time';
