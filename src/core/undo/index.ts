// Undoing a bad query on one table: the transactions that changed it, read from the archived WAL.
export { archivedSegments, relationLocator, type RelationLocator, type TableTransaction, tableTransactions, WalChangeReader, type WalChangesOptions } from './walChanges';
