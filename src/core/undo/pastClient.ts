// A client of the scratch server that holds the table as it was: its private socket, its superuser, no TLS,
// and the same catalog-only search path as the live transaction, so both sides name types alike.
import type pg from 'pg';
import { withClient } from '../postgres/server';
import { CATALOG_SEARCH_PATH } from './liveTransaction';
import type { PastServer } from './pastServer';

export async function withPastClient<T>(server: PastServer, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const params = { host: server.socketDir, port: server.port, user: server.user, database: server.database, sslmode: 'disable' as const };
  return withClient(params, { applicationName: 'pgbr past table' }, async (client) => {
    await client.query(`SET search_path = ${CATALOG_SEARCH_PATH}`);
    return fn(client);
  });
}
