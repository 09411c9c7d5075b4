// Undoing a bad query on one table: the transactions that changed it, read from the archived WAL.
export type { PastServer, PastSource } from './pastServer';
export { archivedSegments, relationLocator, type RelationLocator, type TableTransaction, tableTransactions, WalChangeReader, type WalChangesOptions } from './walChanges';
