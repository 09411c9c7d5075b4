// Undoing a bad query on one table: the transactions that changed it, read from the archived WAL (followed
// across rewrites), the newest dump that holds it when there is no WAL, a scratch server with it as it was, and
// that past version compared with the live table and brought back into it.
export { drillPastSource, type DrillPastSourceOptions, type PastTarget, pastRecoveryPlan, pastRecoveryTarget, pastTargetText } from './drillPastSource';
export { dumpPastSource, type DumpPastSourceOptions, PAST_SUPERUSER } from './dumpPastSource';
export { type DumpWithTable, newestDumpWithTable, type NewestDumpOptions } from './newestDump';
export type { PastServer, PastSource } from './pastServer';
export { type TableRewrite } from './rewrites';
export { archivedSegments, fileOwners, locateTable, relationLocator, type RelationLocator, type TableTransaction, tableTransactions, WalChangeReader, type WalChangesOptions } from './walChanges';
export { asOfStamp, asOfTableName } from './asOfName';
export { bringBack, type BringBackOptions } from './bringBack';
export { type BringBackCounts, type BringBackMode, type BringBackReport, describeBringBack, type ForeignKeyProblem, type SequenceFix } from './bringBackReport';
export { type CompareOptions, type Comparison, compareWithPast, type RowSamples } from './compare';
export { type ColumnShape, columnsToBringBack, type ForeignKeyShape, type OwnedSequence, type RowKey, tableShape, type TableShape } from './tableShape';
export { type ChosenPast, chooseBaseBackup, choosePast, type PastSources, recoverTable, type RecoverTableOptions, type RecoverTableReport, targetMoment } from './recoverTable';
