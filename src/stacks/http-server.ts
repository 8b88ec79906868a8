/** The HTTP server under every stack: loopback only, every socket tracked so close() is complete. */
import http from 'node:http';
import type net from 'node:net';
import { LOOPBACK, PortInUseError } from '../core/net';
import { assertMeasuring } from '../core/replay';

/** An HTTP server bound to 127.0.0.1, and a close() that also destroys lingering sockets. */
export interface LoopbackServer {
  http: http.Server;
  port: number;
  close(): Promise<void>;
}

/** Creates the server (not yet listening); `attach` runs before listen so socket.io can hook requests. */
export async function listenLoopback(
  attach: (server: http.Server) => void,
  onRequest: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined,
  port = 0,
): Promise<LoopbackServer> {
  assertMeasuring('a server');
  const server = http.createServer((req, res) => {
    if (onRequest) return onRequest(req, res);
    res.writeHead(404).end();
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(
              `port ${port} on ${LOOPBACK} is in use: stop what holds it, choose another port, or use 0 for a free one`,
            )
          : error,
      );
    });
    server.listen(port, LOOPBACK, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string' || address.address !== LOOPBACK) {
    throw new Error(`server bound to ${JSON.stringify(address)}, not ${LOOPBACK}`);
  }
  let closing: Promise<void> | undefined;
  return {
    http: server,
    port: address.port,
    close() {
      // Resolves on the server's own 'close' event, which comes after its handle is released
      // and every connection has ended, so nothing is left behind when a run returns.
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.once('close', () => resolve());
        server.close();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
