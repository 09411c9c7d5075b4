// Free local ports for servers this project starts (test clusters, drills): never 5432, the machine's own.
import * as net from 'node:net';

/** The port a system's own PostgreSQL usually has: never handed out, so nothing here can touch it. */
export const RESERVED_PORT = 5432;

/** A TCP port free on 127.0.0.1 right now (another process may still take it before it is bound). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
      });
    });
    if (port !== RESERVED_PORT) return port;
  }
}
