// Archiving health of one server: the snapshot (lag, RPO, RTO), the checklist, the 24-hour chart's data and the declared policy.
export * from './activity';
export * from './archiving';
export * from './checklist';
export * from './policy';
export * from './snapshot';
export * from './walPosition';
export { missingBaseBackup, nothingUnarchived } from './measures';
export { planHealthFrom, type PlanHealth } from './plans';
export { archiverProblems } from './archiverCheck';
export { readPollHistory, withPoll, writePollHistory } from './pollHistory';
export { baseBackupsSeen, type BaseBackupSources } from './baseBackupsSeen';
export { backrestSeen } from './backrestSeen';
