// Talking to a server: connecting with a profile (and saying why it failed), names quoted and compared as PostgreSQL does, server facts.
export { defaultConnectContext, resolveConnection, type ResolvedConnection } from './connect';
export { formatQualifiedName, freeName, newDatabaseNameProblem, parseQualifiedName, type QualifiedName, quoteIdent, quoteIdentAlways } from './names';
export { type DatabaseInfo, databaseNames, dropDatabase, getServerInfo, listDatabases, listSchemas, listTables, type SchemaInfo, type ServerInfo, type TableInfo, withClient } from './server';
