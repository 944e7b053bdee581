import type { Server } from 'node:http';
import { RestyleError } from '../../src/errors.js';

/** Listen on `port`; a port in use becomes a one-line config error naming it. Resolves to the bound port. */
export function listenOn(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new RestyleError('config_invalid', `PORT ${port} is already in use: stop the other process or set PORT`, { cause: error }) : error),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
