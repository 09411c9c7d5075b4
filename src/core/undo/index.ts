// Undoing a bad query on one table: the transactions that changed it, read from the archived WAL (followed
// across rewrites), the newest dump that holds it when there is no WAL, and a scratch server with it as it was.
export { drillPastSource, type DrillPastSourceOptions, type PastTarget, pastRecoveryPlan, pastRecoveryTarget, pastTargetText } from './drillPastSource';
export { dumpPastSource, type DumpPastSourceOptions, PAST_SUPERUSER } from './dumpPastSource';
export { type DumpWithTable, newestDumpWithTable, type NewestDumpOptions } from './newestDump';
export type { PastServer, PastSource } from './pastServer';
export { type TableRewrite } from './rewrites';
export { archivedSegments, fileOwners, locateTable, relationLocator, type RelationLocator, type TableTransaction, tableTransactions, WalChangeReader, type WalChangesOptions } from './walChanges';
